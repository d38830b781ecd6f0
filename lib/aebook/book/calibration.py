"""Robustness kept as data: a notebook's claims on other float paths and training seeds, beside the committed run's.

The committed outputs come from one run on the reference float path (:mod:`aebook.book.floatpath`). How much a
verdict would move on another machine, or with another training seed, is measured by running the notebook again
there and keeping its claims (a few kilobytes) in ``chapters/<slug>/calibration/<notebook>.json``::

    python -m aebook.book.calibration run chapters/disks/01-encoding-disks.ipynb --path avx2-2threads --seed 1
    python -m aebook.book.calibration record EXECUTED.ipynb --path native-1thread --seed 2 --source "..."
    python -m aebook.book.calibration record-git 7867464 --path avx2-2threads --source "..." chapters/*/[0-9]*.ipynb
    python -m aebook.book.calibration leave-one-out      # the notebook check's fallback, proven on these records
    python -m aebook.book.calibration check EXECUTED.ipynb --notebook chapters/disks/01-encoding-disks.ipynb

The committed notebook itself is always the first run (read from its outputs, so it never goes stale). A recorded
run keeps figures; its verdicts are given again by the rules and preconditions the committed notebook has now
(:func:`aebook.claims.rejudge`), so changing a rule does not make the records stale either, and a run that lacks a
figure the rule now reads shows "—" for that row. A row is *fragile* when its verdict differs between the committed
run and the recorded ones; the Robustness page shows every
run's verdict and each figure's spread, and the scoreboard counts fragile rows apart. Re-measuring changes these records only,
never a notebook's code, so no notebook goes stale.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

from aebook.book.fallback import claims_by_id, verdict_under
from aebook.book.records import notebook_claims, toc_chapters, write_if_changed
from aebook.paths import write_atomic

CALIBRATION_DIR = "calibration"
#: A verdict's mark in the Robustness tables.
MARKS = {"reproduced": "✅", "partly": "🟡", "not reproduced": "❌", "uninformative": "⚪",
         "not judged at this profile": "➖", None: "—"}


def record_file(chapter_dir: str | Path, stem: str) -> Path:
    """Where the calibration runs of notebook ``stem`` are kept."""
    return Path(chapter_dir) / CALIBRATION_DIR / f"{stem}.json"


def load_runs(chapter_dir: str | Path, stem: str) -> list[dict[str, Any]]:
    """The recorded runs of one notebook (empty when none)."""
    path = record_file(chapter_dir, stem)
    return json.loads(path.read_text())["runs"] if path.exists() else []


def add_run(chapter_dir: str | Path, tables: list[dict[str, Any]], float_path: str, seed: int, source: str,
            machine: dict[str, Any] | None = None) -> Path:
    """Keep one run's claims tables; a run of the same float path and seed is replaced. Returns the record file."""
    if not tables:
        raise ValueError("the run records no claims: is it an executed chapter notebook?")
    stem = tables[0]["notebook"]
    target = record_file(chapter_dir, stem)
    runs = [r for r in load_runs(chapter_dir, stem) if (r["float_path"], int(r["seed"])) != (float_path, seed)]
    env = tables[-1].get("environment", {})
    runs.append({"float_path": float_path, "seed": int(seed), "source": source,
                 "machine": machine or {k: env[k] for k in ("cpu_capability", "train_threads", "torch", "device",
                                                            "date") if k in env},
                 "tables": tables})
    runs.sort(key=lambda r: (r["float_path"] != "reference", r["float_path"], int(r["seed"])))
    target.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(target, json.dumps({"notebook": stem, "runs": runs}, indent=1, ensure_ascii=False,
                                    sort_keys=True) + "\n")
    return target


def committed_seed(notebook: str | Path) -> int:
    """The training seed of a committed notebook: its ``seed`` parameter, or the first of ``seeds``."""
    from aebook.book.parameters import notebook_parameters

    params = notebook_parameters(notebook)
    if "seed" in params:
        return int(params["seed"])
    if params.get("seeds"):
        return int(params["seeds"][0])
    raise ValueError(f"{notebook} has no seed or seeds parameter")


def seed_parameter(notebook: str | Path, seed: int) -> str:
    """The ``--param`` that runs ``notebook`` at training seed ``seed``."""
    from aebook.book.parameters import notebook_parameters

    params = notebook_parameters(notebook)
    if "seed" in params:
        return f"seed={seed}"
    if "seeds" in params:
        return f"seeds=[{seed}]"
    raise ValueError(f"{notebook} has no seed or seeds parameter")


def run_notebook(notebook: str | Path, float_path: str, seed: int, out: str | Path = "runs/calibration") -> Path:
    """Execute ``notebook`` on ``float_path`` at ``seed`` (``python -m aebook run`` in a child process with that
    path's environment) and record its claims; return the record file."""
    from aebook.book.floatpath import path_environment

    notebook = Path(notebook)
    folder = Path(out) / float_path / f"seed-{seed}"
    command = [sys.executable, "-m", "aebook", "run", str(notebook), "--device", "cpu", "--out", str(folder),
               "--param", seed_parameter(notebook, seed), "--force"]
    # A weight cache of this path and seed alone: the cache key does not name the float path, so a shared cache would
    # hand this run weights trained on another path.
    env = {**path_environment(float_path), "AEBOOK_CACHE_DIR": str((folder / "weights").resolve())}
    proc = subprocess.run(command, env=env)
    executed = folder / notebook.parent.name / notebook.name
    if proc.returncode != 0 or not executed.exists():
        raise RuntimeError(f"{notebook} on {float_path} at seed {seed} failed (exit {proc.returncode})")
    today = dt.date.today().isoformat()
    return add_run(notebook.parent, notebook_claims(executed), float_path, seed,
                   f"python -m aebook.book.calibration run, {today}")


def _label(run: dict[str, Any]) -> str:
    return f"{run['float_path']}, seed {run['seed']}"


def all_runs(notebook: str | Path) -> list[dict[str, Any]]:
    """The committed run of ``notebook`` (first) and its recorded calibration runs; only the committed one when
    none is recorded."""
    notebook = Path(notebook)
    try:
        seed: int | None = committed_seed(notebook)
    except ValueError:  # a notebook without a seed parameter (a toy one): its single run has no seed to name
        seed = None
    committed = {"float_path": "reference (committed)", "seed": seed,
                 "source": "the committed outputs", "tables": notebook_claims(notebook)}
    return [committed] + load_runs(notebook.parent, notebook.stem)


def robustness_rows(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per claim of the first run: its verdict in each run that has it (judged again by the first run's rule and
    preconditions; None where the run lacks a figure they read), each figure's values and spread, and whether the
    verdict differs between the runs that could be judged (``fragile``)."""
    if not runs:
        return []
    by_run = [claims_by_id(r["tables"]) for r in runs]
    rows = []
    for cid, claim in by_run[0].items():
        present = [(_label(r), c[cid]) for r, c in zip(runs, by_run) if cid in c]
        figures = {}
        for name in claim["measured"]:
            values = [float(c["measured"][name]) for _, c in present if name in c["measured"]]
            finite = [v for v in values if not math.isnan(v)]
            figures[name] = {"values": values, "spread": (max(finite) - min(finite)) if finite else math.nan}
        verdicts = [verdict_under(claim, c) for _, c in present]
        judged = {v for v in verdicts if v is not None}
        rows.append({"id": cid, "kind": claim.get("kind", "claim"), "runs": [label for label, _ in present],
                     "verdicts": verdicts, "fragile": len(judged) > 1, "figures": figures})
    return rows


def fragile_ids(notebook: str | Path) -> set[str]:
    """The claims of a committed notebook whose verdict differs between its committed and recorded runs."""
    return {row["id"] for row in robustness_rows(all_runs(notebook)) if row["fragile"]}


def _fmt(x: float) -> str:
    return "nan" if math.isnan(x) else f"{x:.4g}"


def robustness_markdown(root: str | Path) -> str:
    """The Robustness page's tables: per notebook with recorded runs, per claim, the verdict in each run, whether
    it is fragile, and each figure's values and spread."""
    root = Path(root)
    parts, total, fragile = [], 0, 0
    for index, sections in toc_chapters(root):
        chapter_dir = root / Path(index).parent
        for section in sections:
            notebook = root / f"{section}.ipynb"
            if not notebook.exists() or not load_runs(chapter_dir, notebook.stem):
                continue
            runs = all_runs(notebook)
            rows = robustness_rows(runs)
            labels = [_label(r) for r in runs]
            lines = [f"## {{doc}}`{section[len('chapters/'):]} </{section}>`", "",
                     f"{len(runs)} run(s): " + "; ".join(f"({i + 1}) {lab} — {r['source']}"
                                                         for i, (lab, r) in enumerate(zip(labels, runs))), "",
                     "| claim | verdict in each run | fragile | figure: value in each run | spread |",
                     "|---|---|---|---|---|"]
            for row in rows:
                total += 1
                fragile += row["fragile"]
                verdicts = " ".join(MARKS.get(v, v) for v in row["verdicts"])
                for i, (name, fig) in enumerate(row["figures"].items()):
                    lead = (f"`{row['id']}` ({row['kind']})", verdicts, "**yes**" if row["fragile"] else "no") \
                        if i == 0 else ("", "", "")
                    values = " / ".join(_fmt(v) for v in fig["values"])
                    cell = name.replace("|", "\\|")  # figure names such as |VAE − PCA| must not split the row
                    lines.append(f"| {lead[0]} | {lead[1]} | {lead[2]} | {cell}: {values} | {_fmt(fig['spread'])} |")
            parts.append("\n".join(lines))
    if not parts:
        return "No notebook has recorded calibration runs yet.\n"
    head = (f"{total} rows with recorded runs: the verdict is the same in every run for {total - fragile} and "
            f"differs between runs for {fragile} (*fragile*). Each run's verdict is given by the rule and "
            "preconditions the committed notebook has now, applied to that run's figures; — marks a run recorded "
            "before the row read a figure it did not measure.\n")
    return head + "\n\n" + "\n\n".join(parts) + "\n"


def write_robustness(root: str | Path, target: str | Path) -> Path:
    """Write the Robustness tables to ``target`` (only if they changed)."""
    return write_if_changed(robustness_markdown(root), target)


def leave_one_out_report(notebooks: list[Path]) -> tuple[int, str]:
    """Check every recorded run of ``notebooks`` as a fresh run against the others with the notebook check's
    fallback (:func:`aebook.book.fallback.leave_one_out`); the number of false failures and a report."""
    from aebook.book.fallback import BAND_FLOOR_REL, BAND_SCALE, MAX_OUT_OF_BAND_SHARE, leave_one_out

    failures, counts = leave_one_out({str(nb): all_runs(nb) for nb in notebooks})
    lines = [f"leave-one-out over {len(notebooks)} notebooks: {counts['runs']} recorded runs, {counts['rows']} rows "
             f"checked, {counts['settled']} of them settled (verdict compared; band: range ± {BAND_SCALE:g}× its "
             f"width, at least {BAND_FLOOR_REL:g} of its size; a notebook fails beyond {MAX_OUT_OF_BAND_SHARE:.0%} of "
             "its figures outside)", f"false failures: {len(failures)}"]
    for f in failures:
        lines += [f"  {f.notebook} ({f.run})", *(f"    {p}" for p in f.problems)]
    return len(failures), "\n".join(lines)


def check_report(executed: str | Path, notebook: str | Path) -> tuple[bool, str]:
    """An executed copy of ``notebook`` (from another machine, or changed code) checked as the notebook check's
    fallback checks a fresh run: whether it passes, and what it found."""
    from aebook.book.fallback import compare, training_differences

    recorded = all_runs(notebook)
    runs = [claims_by_id(r["tables"]) for r in recorded]
    fresh = notebook_claims(executed)
    result = compare(runs[0], claims_by_id(fresh), runs)
    result.problems = training_differences(recorded[0], {"seed": recorded[0]["seed"], "tables": fresh}) + result.problems
    lines = [f"{executed} against the {len(runs)} recorded runs of {notebook}: {result.settled} settled row(s), "
             f"{result.outside} of {result.banded} figures outside their bands",
             *(f"  FAIL {p}" for p in result.problems), *(f"  note {n}" for n in result.notes)]
    return not result.problems, "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """``run``, ``record``, ``record-git``, ``show``, ``leave-one-out`` or ``check``; see the module's
    description."""
    parser = argparse.ArgumentParser(prog="python -m aebook.book.calibration", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="execute a notebook on a float path at a seed and record its claims")
    run.add_argument("notebook")
    run.add_argument("--path", required=True, help="a float path of aebook.book.floatpath.PATHS")
    run.add_argument("--seed", type=int, required=True)
    rec = sub.add_parser("record", help="record the claims of a notebook executed elsewhere")
    rec.add_argument("executed")
    rec.add_argument("--chapter", required=True, help="the chapter's folder, e.g. chapters/disks")
    rec.add_argument("--path", required=True)
    rec.add_argument("--seed", type=int, required=True)
    rec.add_argument("--source", required=True, help="where and how the run was made")
    git = sub.add_parser("record-git", help="record the committed outputs at a git revision as runs")
    git.add_argument("revision")
    git.add_argument("notebooks", nargs="+")
    git.add_argument("--path", required=True, help="the float path those outputs were made on")
    git.add_argument("--source", required=True)
    show = sub.add_parser("show", help="print the Robustness tables")
    show.add_argument("--root", default=".")
    loo = sub.add_parser("leave-one-out", help="check each recorded run against the others with the notebook "
                                               "check's fallback; exit 1 if any fails (a false failure)")
    loo.add_argument("notebooks", nargs="*", help="default: every chapter notebook")
    chk = sub.add_parser("check", help="check an executed notebook against the recorded runs as the notebook "
                                       "check's fallback does; exit 1 if it fails")
    chk.add_argument("executed")
    chk.add_argument("--notebook", required=True, help="the committed notebook it is a run of")
    args = parser.parse_args(argv)
    if args.command == "check":
        passed, report = check_report(args.executed, args.notebook)
        print(report)
        return 0 if passed else 1
    if args.command == "leave-one-out":
        notebooks = [Path(n) for n in args.notebooks] or sorted(Path("chapters").glob("*/[0-9]*.ipynb"))
        false, report = leave_one_out_report(notebooks)
        print(report)
        return 1 if false else 0
    if args.command == "run":
        print(run_notebook(args.notebook, args.path, args.seed))
    elif args.command == "record":
        print(add_run(args.chapter, notebook_claims(args.executed), args.path, args.seed, args.source))
    elif args.command == "record-git":
        import tempfile

        for nb in map(Path, args.notebooks):
            text = subprocess.run(["git", "show", f"{args.revision}:{nb.as_posix()}"], capture_output=True,
                                  text=True, check=True).stdout
            with tempfile.TemporaryDirectory() as tmp:
                old = Path(tmp) / nb.name
                old.write_text(text)
                print(add_run(nb.parent, notebook_claims(old), args.path, committed_seed(old), args.source))
    else:
        print(robustness_markdown(args.root))
    return 0


if __name__ == "__main__":
    sys.exit(main())
