"""Execute chapter notebooks with papermill at a profile's settings, over a sweep's grid; write notebooks, claims, summaries."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import yaml

from aebook.claims import CLAIM_VERDICTS
from aebook.device import VALID_DEVICES, resolve_device
from aebook.book.execute import NOT_STARTED
from aebook.book.executors import Executor, run_tasks
from aebook.book.parameters import ParameterError, check_parameters, read_value
from aebook.paths import repo_root, write_atomic
from aebook.book.sweep import code_digest, grid, set_hash, set_name

PROFILES = ("quick", "paper")


#: Notebooks that load models another notebook trains (the same settings give the same weight-cache key): the
#: trainers run first, so that each model is trained once and read from the cache after.
SHARED_MODELS: dict[str, tuple[str, ...]] = {
    "disks/03-unseen-radii": ("disks/02-linear-encoder-no-bias",),  # its all-radii controls are 02's networks
    "disks/05-dcgan": ("disks/03-unseen-radii",),  # its small autoencoder is 03's network with the hole
    "ood-geometry/02-eigenvalues": ("ood-geometry/01-family-and-reconstructions",),
    "conservative/03-deeper-and-beyond": ("ood-geometry/01-family-and-reconstructions",),
    "spatial-vae/02-codes": ("spatial-vae/01-latent-size",),
    "spatial-vae/04-likelihood-and-minima": ("spatial-vae/01-latent-size", "spatial-vae/02-codes"),
}


def _notebook_id(path: Path) -> str:
    return f"{path.parent.name}/{path.stem}"


def order_by_shared(notebooks: Sequence[Path]) -> list[Path]:
    """``notebooks`` in their given order, except that a notebook that trains models others load
    (:data:`SHARED_MODELS`) comes before the first of them."""
    by_id = {_notebook_id(p): p for p in notebooks}
    ordered: list[Path] = []
    placed: set[str] = set()

    def place(nid: str) -> None:
        if nid in placed:
            return
        placed.add(nid)
        for producer in SHARED_MODELS.get(nid, ()):
            if producer in by_id:
                place(producer)
        ordered.append(by_id[nid])

    for path in notebooks:
        place(_notebook_id(path))
    return ordered


def find_notebooks(paths: Sequence[str | Path]) -> list[Path]:
    """Expand chapter folders into their numbered notebooks (paper-run/ excluded), and a folder of chapters (such
    as ``chapters``) into every chapter's; check files exist; order them so that shared models are trained once
    (:func:`order_by_shared`)."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            notebooks = sorted(p for p in path.glob("[0-9]*.ipynb"))
            if not notebooks:
                notebooks = sorted(p for p in path.glob("*/[0-9]*.ipynb"))
            if not notebooks:
                raise ParameterError(f"{path} holds no numbered notebook (NN-name.ipynb), nor chapters that do")
            found.extend(notebooks)
        elif path.suffix == ".ipynb" and path.is_file():
            found.append(path)
        else:
            raise ParameterError(f"{path} is neither a notebook nor a chapter folder")
    return order_by_shared(found)


def profile_parameters(notebook: Path, profile: str) -> dict[str, Any]:
    """Read the parameters for ``notebook`` from its chapter's ``params/<profile>.yaml`` (keyed by notebook stem)."""
    if profile not in PROFILES:
        raise ParameterError(f"unknown profile {profile!r}: use one of {', '.join(PROFILES)}")
    path = notebook.parent / "params" / f"{profile}.yaml"
    if not path.is_file():
        raise ParameterError(f"the chapter {notebook.parent} has no {path.relative_to(notebook.parent)}")
    content = yaml.safe_load(path.read_text()) or {}
    if not isinstance(content, dict) or not all(isinstance(v, dict | None) for v in content.values()):
        raise ParameterError(f"{path} must map notebook names (without .ipynb) to parameter mappings")
    stems = {p.stem for p in notebook.parent.glob("*.ipynb")}
    strays = sorted(set(content) - stems)
    if strays:
        raise ParameterError(f"{path} names notebooks that do not exist: {', '.join(strays)}")
    return dict(content.get(notebook.stem) or {})


def parse_assignments(items: Sequence[str]) -> dict[str, Any]:
    """Parse ``NAME=VALUE`` strings; VALUE is read as YAML (so 5, 0.1, true, [1, 2] and text all work)."""
    out: dict[str, Any] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip().isidentifier():
            raise ParameterError(f"--param expects NAME=VALUE, got {item!r}")
        out[name.strip()] = read_value(value)
    return out


def run(
    paths: Sequence[str | Path],
    profile: str = "quick",
    overrides: dict[str, Any] | None = None,
    device: str = "auto",
    out: str | Path | None = None,
    kernel_name: str = "python3",
    sweeps: dict[str, list[Any]] | None = None,
    executor: Executor | None = None,
    force: bool = False,
    echo: Callable[[dict[str, Any]], None] | None = None,
    time_budget: float | None = None,
) -> list[dict[str, Any]]:
    """Execute every notebook at every parameter set of the sweep; return one record each (also in ``summary.json``).

    Sets whose summary exists with status ok and the same hash are skipped (``force`` reruns them); each result is
    written into ``<out>/<chapter>/[<set>/]`` as soon as it returns, so an interrupted sweep keeps what finished.
    With ``time_budget`` (seconds), training stops with a checkpoint shortly before the budget is spent and sets
    not yet started are left for the next run (status ``interrupted`` / ``not started``): the same command again
    carries on where this one stopped.
    """
    if time_budget is not None and not time_budget > 0:
        raise ParameterError(f"--time-budget must be a positive number of seconds, got {time_budget!r}")
    deadline = None if time_budget is None else time.time() + time_budget
    executor = executor or Executor("local")
    if device.partition(":")[0] not in VALID_DEVICES:
        raise ParameterError(f"unknown device {device!r}: use one of {', '.join(VALID_DEVICES)} (or cuda:N)")
    if executor.kind == "local":
        resolve_device(device)  # a missing GPU is refused before anything runs
    out_dir = Path(out) if out is not None else Path("runs") / profile
    tasks = make_tasks(paths, profile, dict(overrides or {}), sweeps or {}, device, kernel_name)
    for task in tasks:
        task["deadline"] = deadline  # not part of the set's hash: a budget does not change what a set computes
    records: dict[str, dict[str, Any]] = {}
    pending = []
    for task in tasks:
        previous = finished_record(out_dir, task)
        if previous is not None and not force:
            records[task["hash"]] = {**previous, "skipped": True}
        else:
            pending.append(task)
    for record in records.values():
        if echo:
            echo(record)

    def store(task: dict[str, Any], result: dict[str, Any]) -> None:
        if result["record"]["status"] == NOT_STARTED:  # nothing ran: an earlier run's files stay as they were
            records[task["hash"]] = result["record"]
            if echo:
                echo(result["record"])
            return
        folder = set_folder(out_dir, task)
        folder.mkdir(parents=True, exist_ok=True)
        for stale in folder.glob(f"{task['stem']}.*"):  # an earlier run's claims must not outlive a failed rerun
            if stale.name not in result["files"]:
                stale.unlink()
        for name, content in result["files"].items():
            write_atomic(folder / name, content)
        record = {**result["record"], "executed": str(folder / f"{task['stem']}.ipynb")}
        write_atomic(folder / f"{task['stem']}.summary.json", json.dumps(record, indent=2) + "\n")
        records[task["hash"]] = record
        _merge_summary(out_dir, [record])
        if echo:
            echo(record)

    if pending:
        run_tasks(pending, executor, store)
    ordered = [records[t["hash"]] for t in tasks if t["hash"] in records]
    _merge_summary(out_dir, [r for r in ordered if r["status"] != NOT_STARTED])
    return ordered


def make_tasks(
    paths: Sequence[str | Path],
    profile: str,
    overrides: dict[str, Any],
    sweeps: dict[str, list[Any]],
    device: str,
    kernel_name: str = "python3",
) -> list[dict[str, Any]]:
    """One task per notebook and parameter set, every set's values checked against the notebook before anything runs."""
    tasks = []
    for notebook in find_notebooks(paths):
        source = _without_outputs(notebook.read_text())
        code = code_digest(source)
        for point in grid(sweeps):
            params = check_parameters(notebook, {**profile_parameters(notebook, profile), **overrides, **point})
            shown = _shown_path(notebook)
            tasks.append({
                "notebook": shown, "stem": notebook.stem, "chapter": notebook.parent.name, "source": source,
                "cwd": str(notebook.parent.resolve()), "set": set_name(point), "parameters": params,
                "profile": profile, "device": device, "kernel": kernel_name,
                "hash": set_hash(shown, profile, params, code),
            })
    seen: set[str] = set()
    return [t for t in tasks if not (t["hash"] in seen or seen.add(t["hash"]))]


def _without_outputs(text: str) -> str:
    """The notebook without its committed outputs: papermill replaces them, and a task need not carry megabytes."""
    nb = json.loads(text)
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "code":
            cell["outputs"], cell["execution_count"] = [], None
    nb.get("metadata", {}).pop("widgets", None)  # the saved state of the committed outputs' widgets
    return json.dumps(nb, indent=1, ensure_ascii=False) + "\n"


def _shown_path(notebook: Path) -> str:
    try:
        return notebook.resolve().relative_to(repo_root()).as_posix()
    except ValueError:
        return str(notebook)


def set_folder(out_dir: Path, task: dict[str, Any]) -> Path:
    """``<out>/<chapter>/<set>/``, or ``<out>/<chapter>/`` when nothing is swept."""
    folder = out_dir / task["chapter"]
    return folder / task["set"] if task["set"] else folder


def finished_record(out_dir: Path, task: dict[str, Any]) -> dict[str, Any] | None:
    """The summary of an earlier run of exactly this set, if it finished ok; None otherwise."""
    path = set_folder(out_dir, task) / f"{task['stem']}.summary.json"
    try:
        record = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return record if record.get("status") == "ok" and record.get("hash") == task["hash"] else None


def summary_table(records: Sequence[dict[str, Any]]) -> str:
    """A Markdown table of the sets: status, seconds, set, notebook and the claims' verdict counts."""
    lines = ["| status | seconds | set | notebook | reproduced | partly | not reproduced | uninformative "
             "| not judged at this profile |",
             "|---|---:|---|---|---:|---:|---:|---:|---:|"]
    for r in records:
        counts = r.get("claims") or {}
        status = "skipped (done)" if r.get("skipped") else r["status"]
        cells = [status, f"{r['seconds']:.1f}", r.get("set") or "-", r["notebook"],
                 *(str(counts.get(k, "-")) for k in CLAIM_VERDICTS)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _merge_summary(out_dir: Path, records: Sequence[dict[str, Any]]) -> None:
    """Fold ``records`` into ``<out>/summary.json`` (one entry per notebook and set) and ``summary.md``."""
    path = out_dir / "summary.json"
    out_dir.mkdir(parents=True, exist_ok=True)
    try:
        previous = json.loads(path.read_text())
    except (OSError, ValueError):
        previous = []
    clean = [{k: v for k, v in r.items() if k != "skipped"} for r in records]
    fresh = {(r["notebook"], r.get("set", "")) for r in clean}
    merged = [r for r in previous if (r.get("notebook"), r.get("set", "")) not in fresh] + clean
    write_atomic(path, json.dumps(merged, indent=2) + "\n")
    write_atomic(out_dir / "summary.md", summary_table(merged) + "\n")
