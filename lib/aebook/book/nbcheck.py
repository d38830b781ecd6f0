"""The notebook check: re-execute every chapter notebook and compare its claims with the committed ones.

With ``--claims-check-exact`` (what ``make test`` uses) the fresh run must be on the reference float path that
made the committed outputs (:mod:`aebook.book.floatpath`), every training run must have been asked to do what the
committed one was (:mod:`aebook.recipes`), and every claim must keep its verdict and every figure its committed
value to ``EXACT_RTOL``: a change of code or library fails at once, and no tolerance is widened after
the fact. On a machine that cannot have that path (not x86-64), the check says so and falls back to comparing within
the calibration runs. Without ``--claims-check-exact`` (another CPU, where the reference path gives other bits), the
check is :mod:`aebook.book.fallback`'s: the same training runs, claims and figures as committed, no row that the recorded runs
(``chapters/<slug>/calibration/``) settle turned into its opposite, and at most a third of the figures outside
their bands; the rest is reported, not failed, since one training seed in three moves some figures that far. Nothing else in the outputs is compared:
pictures, timings and printed numbers are not what the book promises, the claims are.

Use it as a pytest plugin: ``python -m pytest -p aebook.book.nbcheck --claims-check chapters/``. Each notebook is
one test; a failure names the notebook, the claim, the committed and the new figure.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from aebook.book.records import tables_of, training_of
from aebook.paths import write_atomic


def claims_of(nb: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    """Every claim a notebook's outputs record, keyed by (table's notebook name, claim id)."""
    return {(table["notebook"], claim["id"]): claim for table in tables_of(nb) for claim in table["claims"]}


def compare_training(committed: dict[str, Any], fresh: dict[str, Any]) -> list[str]:
    """How the fresh run's training differs from the committed one's: steps, architecture, data shape, settings.
    None of it depends on the machine, so both modes of the check compare it exactly."""
    from aebook.recipes import differences

    old, new = training_of(tables_of(committed)), training_of(tables_of(fresh))
    if old is None:
        return ["the committed outputs do not record their training runs: re-execute the notebook (make outputs)"]
    return differences(old, new or [])


def float_path(nb: dict[str, Any]) -> str | None:
    """The CPU float path (ATen's capability) a notebook's claims were computed on, if recorded."""
    found = [t["environment"]["cpu_capability"] for t in tables_of(nb) if t.get("environment", {}).get("cpu_capability")]
    return found[0] if found else None


#: How far a figure may move on the reference float path: float32 results printed and parsed back agree far closer;
#: anything larger is a change of code, library or float path.
EXACT_RTOL, EXACT_ATOL = 1e-6, 1e-12


def _close(x: float, y: float) -> bool:
    if math.isnan(x) or math.isnan(y):
        return math.isnan(x) and math.isnan(y)
    return x == y or abs(x - y) <= EXACT_ATOL + EXACT_RTOL * max(abs(x), abs(y))


def compare_claims_exact(committed: dict[str, Any], fresh: dict[str, Any]) -> list[str]:
    """What differs between two runs on the same float path: any verdict, any figure beyond ``EXACT_RTOL``."""
    old, new = claims_of(committed), claims_of(fresh)
    problems = [f"claim {cid!r} ({table}) is committed but the fresh run did not record it"
                for (table, cid) in old.keys() - new.keys()]
    problems += [f"claim {cid!r} ({table}) was recorded by the fresh run but is not in the committed outputs: "
                 "re-execute the notebook (make outputs) and commit it" for (table, cid) in new.keys() - old.keys()]
    for key in [k for k in old if k in new]:
        a, b, cid = old[key], new[key], key[1]
        for where, fa, fb in (("figure", a["measured"], b["measured"]),
                              ("control figure", (a.get("control") or {}).get("measured", {}),
                               (b.get("control") or {}).get("measured", {}))):
            problems += [f"claim {cid!r}: {where} {name!r} is {'no longer measured' if name in fa else 'new'}"
                         for name in fa.keys() ^ fb.keys()]
            problems += [f"claim {cid!r}: {where} {name!r} committed {float(fa[name])!r}, now {float(fb[name])!r} "
                         f"(beyond {EXACT_RTOL:g} relative on the same float path)"
                         for name in fa if name in fb and not _close(float(fa[name]), float(fb[name]))]
        for field in ("verdict", "kind"):
            if a.get(field, "claim") != b.get(field, "claim"):
                problems.append(f"claim {cid!r}: {field} committed {a.get(field)!r}, now {b.get(field)!r}")
        if (a.get("control") or {}).get("verdict") != (b.get("control") or {}).get("verdict"):
            problems.append(f"claim {cid!r}: control verdict committed {(a.get('control') or {}).get('verdict')!r}, "
                            f"now {(b.get('control') or {}).get('verdict')!r}")
    return problems


def reference_path_problem(environ: dict[str, str] | None = None, machine: str | None = None) -> str | None:
    """Why this process is not on the reference float path (None when it is)."""
    import platform

    from aebook.book.floatpath import PATHS

    environ = dict(os.environ if environ is None else environ)
    machine = (machine or platform.machine()).lower()
    if machine not in ("x86_64", "amd64"):
        return f"this is a {machine} machine: the reference float path is defined for x86-64 CPUs only"
    wrong = {k: environ.get(k) for k, v in PATHS["reference"].items() if environ.get(k) != v}
    if wrong:
        return ("the reference float path is not set: " + ", ".join(f"{k}={v!r}" for k, v in wrong.items())
                + f" (want {' '.join(f'{k}={v}' for k, v in PATHS['reference'].items())})")
    return None


def execute_notebook(path: Path, timeout: int, kernel: str = "python3") -> dict[str, Any]:
    """Execute a notebook from the top in its own folder with a fresh kernel; return the executed notebook."""
    import nbformat
    from nbclient import NotebookClient

    from aebook.book.nbpoll import install

    install()  # a missed ZMQ wake-up must not cost a cell's whole timeout
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=timeout, kernel_name=kernel, allow_errors=False,
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    return json.loads(nbformat.writes(nb))


# --- pytest plugin -------------------------------------------------------------------------------------------------

def pytest_addoption(parser: pytest.Parser) -> None:
    """Options: --claims-check turns the check on; where executed notebooks go; the per-cell timeout."""
    group = parser.getgroup("aebook claims check")
    group.addoption("--claims-check", action="store_true", help="re-execute notebooks and compare their claims")
    group.addoption("--claims-check-out", default="_build/nbcheck/executed",
                    help="folder for the executed notebooks (default _build/nbcheck/executed)")
    group.addoption("--claims-check-exact", action="store_true",
                    help="re-execute on the reference float path and compare every figure to 1e-6 relative")
    group.addoption("--claims-check-timeout", type=int, default=1800, help="seconds a cell may run (default 1800)")


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    """The notebooks of shared-model groups first, trainers before the notebooks that load their models (a group
    is a long chain of work that would otherwise end the check alone); then the others, longest first by the
    committed run's own time (so that two workers end together)."""
    from aebook.book.report import notebook_run
    from aebook.book.runner import order_by_shared

    claims = [item for item in items if isinstance(item, ClaimsItem)]
    order = {p: i for i, p in enumerate(order_by_shared([Path(item.path) for item in claims]))}

    def key(item: ClaimsItem) -> tuple[bool, float, int]:
        path = Path(item.path)
        if shared_model_group(path) is not None:
            return False, 0.0, order[path]
        try:
            seconds = notebook_run(path)["seconds"] or 0.0
        except (OSError, ValueError, KeyError):  # a notebook without a readable record: last
            seconds = 0.0
        return True, -seconds, order[path]

    ranked = iter(sorted(claims, key=key))
    items[:] = [next(ranked) if isinstance(item, ClaimsItem) else item for item in items]


def pytest_collect_file(parent: pytest.Collector, file_path: Path) -> pytest.Collector | None:
    """Collect each chapter notebook as one claims test."""
    config = parent.config
    if not config.getoption("claims_check") or file_path.suffix != ".ipynb":
        return None
    if "paper-run" in file_path.parts or ".ipynb_checkpoints" in file_path.parts:
        return None
    return NotebookFile.from_parent(parent, path=file_path)


class ClaimsMismatch(Exception):
    """A fresh run's claims differ from the committed ones beyond tolerance."""


def shared_model_group(path: Path) -> str | None:
    """The group of a chapter notebook that trains or loads models another notebook of its book shares
    (:data:`aebook.book.runner.SHARED_MODELS`, followed both ways and through chains): the group's first notebook,
    ``chapter/stem``. None for a notebook that shares nothing."""
    from aebook.book.runner import SHARED_MODELS

    me = f"{path.parent.name}/{path.stem}"
    links = {(a, b) for a, bs in SHARED_MODELS.items() for b in bs}
    group, grew = {me}, True
    while grew:
        grew = False
        for a, b in links:
            if (a in group) != (b in group):
                group |= {a, b}
                grew = True
    return min(group) if len(group) > 1 else None


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """With ``-n N``, send the notebooks of a shared-model group to one worker, one after the other, and the groups
    first: run side by side, two notebooks would train the same models. xdist's own ``--dist loadgroup`` cannot do
    it with the pinned pytest 9.2 and xdist 3.8: xdist marks a grouped item by rewriting ``item._nodeid``, which
    pytest 9 no longer reads (a plain ``@pytest.mark.xdist_group`` test is not grouped either), so the groups come
    from :func:`shared_model_group` here."""
    if not config.getoption("claims_check"):
        return None
    from xdist.scheduler import LoadScopeScheduling

    class SharedModelScheduling(LoadScopeScheduling):
        """xdist's load-by-scope scheduling with a notebook's shared-model group as its scope (larger scopes
        first)."""

        def _split_scope(self, nodeid: str) -> str:
            group = shared_model_group(Path(nodeid.split("::")[0]))
            return f"models of {group}" if group else nodeid

    return SharedModelScheduling(config, log)


class NotebookFile(pytest.File):
    """A notebook, checked as one item."""

    def collect(self) -> Iterator[pytest.Item]:
        yield ClaimsItem.from_parent(self, name="claims")


class ClaimsItem(pytest.Item):
    """Execute the notebook and compare its claims with the committed ones."""

    def runtest(self) -> None:
        path = Path(self.path)
        committed = json.loads(path.read_text())
        if not claims_of(committed):
            raise ClaimsMismatch(f"{path}: the committed notebook records no claims (run `make outputs`)")
        exact = self.config.getoption("claims_check_exact")
        unreachable = reference_path_problem() if exact else None
        if exact and unreachable and "x86-64" not in unreachable:
            raise ClaimsMismatch(f"{path}: {unreachable}; run the check through `make test-notebooks`")
        fresh = execute_notebook(path, self.config.getoption("claims_check_timeout"))
        out = Path(self.config.getoption("claims_check_out"))
        target = out / os.path.relpath(path.resolve(), Path(self.config.rootpath).resolve()).replace("..", "_")
        target.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(target, json.dumps(fresh, indent=1, ensure_ascii=False))
        if exact and not unreachable:
            problems = compare_training(committed, fresh) + compare_claims_exact(committed, fresh)
            if float_path(fresh) not in (None, "DEFAULT"):
                problems.append(f"the fresh run's ATen kernels are {float_path(fresh)}, not the reference path's "
                                "unvectorised ones")
        else:
            problems = compare_training(committed, fresh) + self._fallback(path, fresh, target, unreachable)
        if problems:
            raise ClaimsMismatch(f"{path}: {len(problems)} difference(s) from the committed claims\n  "
                                 + "\n  ".join(problems) + f"\n(executed notebook: {target})")

    def _fallback(self, path: Path, fresh: dict[str, Any], target: Path, unreachable: str | None) -> list[str]:
        """The comparison off the reference path (:mod:`aebook.book.fallback`): its problems fail the item, its
        notes (figures outside their bands, verdicts of unsettled rows) are written beside the executed notebook
        and reported as a warning."""
        import warnings

        from aebook.book.calibration import all_runs
        from aebook.book.fallback import claims_by_id, compare

        runs = [claims_by_id(r["tables"]) for r in all_runs(path)]
        result = compare(runs[0], {cid: c for (_, cid), c in claims_of(fresh).items()}, runs)
        why = f"{unreachable}; " if unreachable else ""
        notes = target.with_suffix(".fallback.txt")
        write_atomic(notes, "\n".join([f"{path}: {why}compared with the {len(runs)} recorded runs: "
                                        f"{result.settled} settled row(s) compared", *result.notes]) + "\n")
        if result.notes:
            warnings.warn(f"{path}: {len(result.notes)} figure(s) or unsettled verdict(s) off the recorded runs, "
                          f"reported, not failed (see {notes})", stacklevel=1)
        return result.problems

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: str | None = None) -> str:
        """The differences, or the failing cell's error, without pytest's traceback of the plugin."""
        if isinstance(excinfo.value, ClaimsMismatch):
            return str(excinfo.value)
        from nbclient.exceptions import CellExecutionError

        if isinstance(excinfo.value, CellExecutionError):
            return f"{self.path}: a cell raised\n{excinfo.value}"
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[os.PathLike[str] | str, int | None, str]:
        """Where the item is, for pytest's report."""
        return self.path, None, f"{self.path}::claims"
