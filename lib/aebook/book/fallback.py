"""What the notebook check asserts where this machine's bits differ from the committed ones, proven on the records.

On the reference float path the check compares every figure exactly (:mod:`aebook.book.nbcheck`). Where the
fingerprint differs anyway (another architecture, a future library), a fresh run is like a run at another training
seed, and the calibration records (:mod:`aebook.book.calibration`: the committed run, other float paths, other
seeds) are the yardstick. What they show at the quick profile: one seed in three can collapse a figure by half
(atomic/02's block cosine, 0.59 against 0.98), so no band around a handful of runs holds every figure of the next
run. A *verdict* is steadier. So the fallback

- fails on structure: a claim or a figure the committed outputs have and the fresh run lacks, or the reverse (a
  change of code, which no machine explains);
- fails on training: a network trained with other steps, another architecture, data of another shape or other
  settings than the committed run's (:mod:`aebook.recipes`; none of it depends on the machine, so it is compared
  exactly);
- fails on a **settled row** whose verdict turned into its opposite (reproduced ↔ not reproduced): a row is
  settled when every recorded run gives it the same verdict, and so does every recorded run with any one of the
  figures its rule reads moved to either end of that figure's band (the recorded range widened by
  :data:`BAND_SCALE` times its width, and at least :data:`BAND_FLOOR_REL` of its size);
- fails when more than a third of a notebook's figures (six at least) leave their bands: a seed moves a few
  figures that far, a change of code moves many;
- reports, without failing, every other figure outside its band and every verdict change on an unsettled row (one
  near a threshold, or already fragile).

:func:`leave_one_out` is the proof: each recorded run in turn is checked as a fresh run against the others.
``python -m aebook.book.calibration leave-one-out`` prints its false failures; ``tests/test_fallback.py`` asserts
there are none in the committed records. The constants keep room: the neighbouring settings (twice the width
and a 10 % floor, or once the width and a 20 % floor, or a share of a fifth) give none either, while once the
width with a 10 % floor gives three.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

#: A figure's band: its recorded range widened on each side by this many times its width …
BAND_SCALE = 2.0
#: … and by at least this share of its largest recorded size (a figure the runs agree on still moves with the seed) …
BAND_FLOOR_REL = 0.3
#: … and this much (a figure recorded as 0).
BAND_FLOOR_ABS = 1e-6
#: A settled row fails when its verdict turns into the opposite one; a move to or from "partly" (or to
#: "uninformative" or "not judged") is reported: the committed run of ood-geometry/02 after the square roots were
#: made exact moved a row that seven recorded runs put at "not reproduced" with a figure of exactly 0 to "partly"
#: (three noise sets of ten), a step no band around seven zeros could foresee.
OPPOSITE = {"reproduced", "not reproduced"}
#: A notebook fails when more than this share of its figures leave their bands (one seed moved at most a fifth of
#: a notebook's figures out in the committed records) …
MAX_OUT_OF_BAND_SHARE = 1 / 3
#: … counted where it has at least this many figures with a band (conservative/01's three figures moved two).
MIN_FIGURES_FOR_SHARE = 6


@dataclass
class Comparison:
    """What a fresh run does against the recorded ones: ``problems`` fail the check, ``notes`` are reported."""

    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    settled: int = 0  # rows whose verdict was compared
    banded: int = 0  # figures with a band
    outside: int = 0  # … and of those, outside it


def _fmt(x: float) -> str:
    return "nan" if math.isnan(x) else f"{x:.6g}"


def band(values: Iterable[float]) -> tuple[float, float] | None:
    """The band a further run's figure is expected in, from its recorded values (None when none is finite)."""
    finite = [v for v in values if not math.isnan(v)]
    if not finite:
        return None
    lo, hi = min(finite), max(finite)
    margin = max(BAND_SCALE * (hi - lo), BAND_FLOOR_REL * max(abs(lo), abs(hi)), BAND_FLOOR_ABS)
    return lo - margin, hi + margin


def _figures(claim: Mapping[str, Any], where: str) -> Mapping[str, Any]:
    return claim["measured"] if where == "figures" else (claim.get("control") or {}).get("measured") or {}


def _control_label(claim: Mapping[str, Any]) -> str | None:
    return (claim.get("control") or {}).get("label")


def verdict_under(rule_claim: Mapping[str, Any], run_claim: Mapping[str, Any]) -> str | None:
    """A run's verdict under the committed row's rule and preconditions; None when it cannot be given: a figure
    they read is missing, or the run's control is another control (its label differs, so its figures measure
    something else)."""
    from aebook.claims import rejudge

    if "rule_spec" not in rule_claim:
        return run_claim.get("verdict")
    if _control_label(rule_claim) != _control_label(run_claim):
        return None
    return rejudge(rule_claim, run_claim)


def settled_verdict(rule_claim: Mapping[str, Any], recorded: Sequence[Mapping[str, Any]]) -> str | None:
    """The verdict every recorded run of a row gives, kept under any one figure moved to either end of its band;
    None when the runs disagree, when none can be judged, or when a figure's band crosses a threshold."""
    verdicts = {verdict_under(rule_claim, c) for c in recorded} - {None}
    if len(verdicts) != 1:
        return None
    verdict = verdicts.pop()
    for where in ("figures", "control"):
        names = {n for c in recorded for n in _figures(c, where)}
        for name in sorted(names):
            edges = band(float(_figures(c, where)[name]) for c in recorded if name in _figures(c, where))
            if edges is None:
                continue
            for c in recorded:
                if name not in _figures(c, where):
                    continue
                for edge in edges:
                    moved = copy.deepcopy(dict(c))
                    _figures(moved, where)[name] = edge  # type: ignore[index]
                    if verdict_under(rule_claim, moved) not in (None, verdict):
                        return None
    return verdict


def compare(rules: Mapping[str, Mapping[str, Any]], fresh: Mapping[str, Mapping[str, Any]],
            recorded: Sequence[Mapping[str, Mapping[str, Any]]], structure: bool = True) -> Comparison:
    """A fresh run's claims (``fresh``, by id) against the recorded runs' (each by id), under the committed rules
    (``rules``, by id: the committed run's claims). ``structure=False`` skips the rows and figures one side lacks
    (a run recorded before today's code)."""
    out = Comparison()
    if structure:
        out.problems += [f"claim {cid!r} is committed but the fresh run did not record it"
                         for cid in rules.keys() - fresh.keys()]
        out.problems += [f"claim {cid!r} was recorded by the fresh run but is not in the committed outputs"
                         for cid in fresh.keys() - rules.keys()]
    for cid in [c for c in rules if c in fresh]:
        rule, new = rules[cid], fresh[cid]
        runs = [r[cid] for r in recorded if cid in r]
        for where, label in (("figures", "figure"), ("control", "control figure")):
            committed_names, fresh_names = set(_figures(rule, where)), set(_figures(new, where))
            if not structure:
                committed_names = fresh_names = committed_names & fresh_names
            out.problems += [f"claim {cid!r}: {label} {n!r} is committed but not measured by the fresh run"
                             for n in sorted(committed_names - fresh_names)]
            out.problems += [f"claim {cid!r}: {label} {n!r} is new (not in the committed outputs)"
                             for n in sorted(fresh_names - committed_names)]
            for name in sorted(committed_names & fresh_names):
                values = [float(_figures(r, where)[name]) for r in runs if name in _figures(r, where)]
                edges, value = band(values), float(_figures(new, where)[name])
                out.banded += edges is not None
                if edges is None or math.isnan(value) or not edges[0] <= value <= edges[1]:
                    out.outside += edges is not None
                    shown = "only NaN" if edges is None else f"{_fmt(edges[0])} to {_fmt(edges[1])}"
                    out.notes.append(f"claim {cid!r}: {label} {name!r} is {_fmt(value)}, outside the band of the "
                                     f"recorded runs ({shown})")
        settled = settled_verdict(rule, runs)
        mine = verdict_under(rule, new)
        if settled is None:
            if mine not in {verdict_under(rule, r) for r in runs}:
                out.notes.append(f"claim {cid!r}: verdict {mine!r}, which no recorded run gave (the row is not "
                                 "settled: near a threshold or fragile)")
            continue
        out.settled += 1
        if mine is not None and {mine, settled} == OPPOSITE:
            out.problems.append(f"claim {cid!r}: verdict {mine!r}, where every recorded run gives {settled!r} with "
                                "room to spare (a settled row)")
        elif mine is not None and mine != settled:
            out.notes.append(f"claim {cid!r}: verdict {mine!r}, where every recorded run gives {settled!r} (one step: "
                             "reported)")
    if out.banded >= MIN_FIGURES_FOR_SHARE and out.outside > MAX_OUT_OF_BAND_SHARE * out.banded:
        out.problems.append(f"{out.outside} of {out.banded} figures lie outside their bands (more than "
                            f"{MAX_OUT_OF_BAND_SHARE:.0%}; the figures are in the notes)")
    return out


def claims_by_id(tables: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """A run's claims keyed by id."""
    return {c["id"]: c for t in tables for c in t["claims"]}


def training_differences(committed: Mapping[str, Any], run: Mapping[str, Any]) -> list[str]:
    """How a recorded run's training differs from the committed run's (:mod:`aebook.recipes`), its seed aside when
    it was recorded at another seed; nothing when either predates the record."""
    from aebook.book.records import training_of
    from aebook.recipes import differences

    old, new = training_of(committed["tables"]), training_of(run["tables"])
    if old is None or new is None:
        return []
    return differences(old, new, ignore_seed=committed.get("seed") != run.get("seed"))


@dataclass
class FalseFailure:
    """A recorded run that the fallback would fail against the others."""

    notebook: str
    run: str
    problems: list[str]


def leave_one_out(notebook_runs: Mapping[str, Sequence[Mapping[str, Any]]]) -> tuple[list[FalseFailure], dict[str, int]]:
    """Check each recorded run of each notebook (its committed run first) as a fresh run against the others,
    under the committed rules. Every recorded run is a correct run, so every failure is a false one. Returns them
    and counts: runs, rows checked, rows settled (their verdict compared)."""
    failures, counts = [], {"runs": 0, "rows": 0, "settled": 0}
    for notebook, runs in notebook_runs.items():
        by_run = [claims_by_id(r["tables"]) for r in runs]
        rules = by_run[0]
        for i, (run, claims) in enumerate(zip(runs, by_run)):
            others = by_run[:i] + by_run[i + 1:]
            # a run recorded before a row existed, or before it read a figure, did not run today's code: only its
            # rows and figures that today's outputs have are checked
            shared = {cid: c for cid, c in claims.items() if cid in rules}
            result = compare({cid: rules[cid] for cid in shared}, shared, others, structure=False)
            result.problems += training_differences(runs[0], run)
            counts["runs"] += 1
            counts["rows"] += len(shared)
            counts["settled"] += result.settled
            if result.problems:
                failures.append(FalseFailure(notebook, f"{run['float_path']}, seed {run['seed']}", result.problems))
    return failures, counts
