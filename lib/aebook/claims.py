"""Claims: the paper's statement, our measured figure, and the rule that turns the figure into a verdict."""

from __future__ import annotations

import html
import json
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from aebook.paths import write_atomic

REPRODUCED, PARTLY, NOT_REPRODUCED = "reproduced", "partly", "not reproduced"
#: What a rule can say of a set of figures.
VERDICTS = (REPRODUCED, PARTLY, NOT_REPRODUCED)
#: A claim whose rule passes on its control as well as on our figure: the rule cannot tell the effect from its
#: absence, so the row is evidence of nothing.
UNINFORMATIVE = "uninformative"
#: What a claim's row can say: the rule's verdict, or uninformative when the control passes too.
CLAIM_VERDICTS = (*VERDICTS, UNINFORMATIVE)
_RANK = {v: i for i, v in enumerate(VERDICTS)}
_MARK = {REPRODUCED: "✅", PARTLY: "🟡", NOT_REPRODUCED: "❌", UNINFORMATIVE: "⚪"}

#: Kinds of row. A *claim* is a statement of the paper, counted on the scoreboard. A *check* holds by construction
#: (a unit test of our implementation shown beside the claims), counted apart. *Beyond* rows test our own reading or
#: extension of a paper, not a statement it makes, also counted apart.
CLAIM, CHECK, BEYOND = "claim", "check", "beyond"
KINDS = (CLAIM, CHECK, BEYOND)
_KIND_TEXT = {CHECK: "check of the implementation", BEYOND: "beyond the paper"}

#: How far a figure may move between two runs of the same notebook on different machines (float paths, thread
#: counts) before the notebook check calls it a change: ``|new - old| <= rel * max(|old|, |new|) + abs``.
#: Measured between AVX-512 and AVX2 runs of the whole book: most figures moved by less than 0.4 % (R² and
#: closed-form figures by 1e-9), trained figures of small quick-profile models by 1 to 22 %. 0.5 % covers the
#: first; a claim with a noisier figure declares its own tolerance beside its rule, with what was measured.
DEFAULT_REL_TOL = 0.005
DEFAULT_ABS_TOL = 1e-6


@dataclass(frozen=True)
class Tolerance:
    """How far a claim's figures may move on a rerun elsewhere: ``rel`` of the figure plus ``abs``; ``figures``
    gives a figure a tolerance of its own (e.g. one measured from its seed spread), the others keep ``rel``/``abs``."""

    rel: float = DEFAULT_REL_TOL
    abs: float = DEFAULT_ABS_TOL
    figures: Mapping[str, Tolerance] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not (self.rel >= 0 and self.abs >= 0):
            raise ValueError(f"a tolerance must be non-negative, got rel={self.rel!r}, abs={self.abs!r}")
        for name, tol in self.figures.items():
            if not isinstance(tol, Tolerance) or tol.figures:
                raise TypeError(f"the tolerance of figure {name!r} must be a plain Tolerance(rel=..., abs=...)")

    def of(self, figure: str | None) -> Tolerance:
        """The tolerance of one figure: its own when given, else the claim's."""
        return self.figures.get(figure, self) if figure is not None else self

    def spread(self, value: float, figure: str | None = None) -> float:
        """Half-width of the band a figure of this size may move in."""
        tol = self.of(figure)
        return tol.rel * abs(value) + tol.abs

    def agree(self, old: float, new: float, figure: str | None = None) -> bool:
        """Whether two figures agree within this tolerance (NaN agrees only with NaN)."""
        if math.isnan(old) or math.isnan(new):
            return math.isnan(old) and math.isnan(new)
        if math.isinf(old) or math.isinf(new):
            return old == new
        tol = self.of(figure)
        return abs(new - old) <= tol.rel * max(abs(old), abs(new)) + tol.abs

    def describe(self) -> str:
        """The tolerance in words, e.g. ``±5 %``, then each figure's own."""
        text = f"±{self.rel * 100:.3g} %"
        text += f" ± {_fmt(self.abs)}" if self.abs != DEFAULT_ABS_TOL else ""
        return text + "".join(f"; {name} {tol.describe()}" for name, tol in self.figures.items())

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready record: ``rel``, ``abs`` and, when any, each figure's own."""
        out: dict[str, Any] = {"rel": self.rel, "abs": self.abs}
        if self.figures:
            out["figures"] = {name: {"rel": t.rel, "abs": t.abs} for name, t in self.figures.items()}
        return out

    @classmethod
    def from_dict(cls, record: Mapping[str, Any] | None) -> Tolerance:
        """The tolerance a claim record keeps (the defaults when it keeps none)."""
        record = record or {}
        figures = {name: Tolerance(rel=float(t.get("rel", DEFAULT_REL_TOL)), abs=float(t.get("abs", DEFAULT_ABS_TOL)))
                   for name, t in (record.get("figures") or {}).items()}
        return cls(rel=float(record.get("rel", DEFAULT_REL_TOL)), abs=float(record.get("abs", DEFAULT_ABS_TOL)),
                   figures=figures)


def _span(ranks: set[int]) -> set[int]:
    return set(range(min(ranks), max(ranks) + 1))


def _fmt(x: float) -> str:
    return f"{x:.3g}" if isinstance(x, float) else str(x)


class Rule:
    """Turns measured figures (a name → value mapping) into a verdict, and says how in words."""

    def verdict(self, measured: Mapping[str, float]) -> str:
        """Return one of ``VERDICTS`` for these measured figures."""
        raise NotImplementedError

    def describe(self) -> str:
        """Return the rule in words, for the claims table."""
        raise NotImplementedError

    def possible_verdicts(self, measured: Mapping[str, float], tolerance: Tolerance) -> set[str]:
        """Every verdict the rule could give if each figure moved anywhere within its tolerance."""
        raise NotImplementedError

    def thresholds(self) -> list[tuple[str, float]]:
        """The (figure, bound) pairs the rule compares against."""
        raise NotImplementedError

    def near_thresholds(self, measured: Mapping[str, float], tolerance: Tolerance) -> list[dict[str, float | str]]:
        """The thresholds that lie within tolerance of their figure, as ``{figure, value, threshold}``."""
        out = []
        for key, bound in self.thresholds():
            v = _value(measured, key)
            if not math.isnan(v) and abs(v - bound) <= tolerance.spread(v, key):
                out.append({"figure": key, "value": v, "threshold": bound})
        return out


def _value(measured: Mapping[str, float], key: str) -> float:
    if key not in measured:
        raise KeyError(f"the rule reads {key!r} but the claim measured only {sorted(measured)}")
    return float(measured[key])


@dataclass(frozen=True)
class _Threshold(Rule):
    key: str
    reproduced: float
    partly: float | None = None

    higher_is_better: ClassVar[bool] = True

    def _passes(self, value: float, bound: float) -> bool:
        return value >= bound if self.higher_is_better else value <= bound

    def verdict(self, measured: Mapping[str, float]) -> str:
        v = _value(measured, self.key)
        if math.isnan(v):
            return NOT_REPRODUCED
        if self._passes(v, self.reproduced):
            return REPRODUCED
        if self.partly is not None and self._passes(v, self.partly):
            return PARTLY
        return NOT_REPRODUCED

    def possible_verdicts(self, measured: Mapping[str, float], tolerance: Tolerance) -> set[str]:
        v = _value(measured, self.key)
        if math.isnan(v):
            return {NOT_REPRODUCED}
        d = tolerance.spread(v, self.key)
        ranks = {_RANK[self.verdict({self.key: x})] for x in (v - d, v, v + d)}  # monotone in the figure
        return {VERDICTS[r] for r in _span(ranks)}

    def thresholds(self) -> list[tuple[str, float]]:
        return [(self.key, self.reproduced)] + ([(self.key, self.partly)] if self.partly is not None else [])

    def describe(self) -> str:
        sign = "≥" if self.higher_is_better else "≤"
        text = f"{self.key} {sign} {_fmt(self.reproduced)}"
        return text + (f" (partly: {sign} {_fmt(self.partly)})" if self.partly is not None else "")


class AtLeast(_Threshold):
    """Reproduced when ``measured[key] >= reproduced``, partly when ``>= partly``."""


class AtMost(_Threshold):
    """Reproduced when ``measured[key] <= reproduced``, partly when ``<= partly``."""

    higher_is_better = False


@dataclass(frozen=True)
class Within(Rule):
    """Reproduced when ``measured[key]`` lies in ``reproduced=(lo, hi)``, partly when in ``partly=(lo, hi)``."""

    key: str
    reproduced: tuple[float, float]
    partly: tuple[float, float] | None = None

    def verdict(self, measured: Mapping[str, float]) -> str:
        v = _value(measured, self.key)
        if self.reproduced[0] <= v <= self.reproduced[1]:
            return REPRODUCED
        if self.partly is not None and self.partly[0] <= v <= self.partly[1]:
            return PARTLY
        return NOT_REPRODUCED

    def possible_verdicts(self, measured: Mapping[str, float], tolerance: Tolerance) -> set[str]:
        v = _value(measured, self.key)
        if math.isnan(v):
            return {NOT_REPRODUCED}
        a, b = v - tolerance.spread(v, self.key), v + tolerance.spread(v, self.key)
        best = NOT_REPRODUCED
        for verdict, rng in ((PARTLY, self.partly), (REPRODUCED, self.reproduced)):
            if rng is not None and a <= rng[1] and b >= rng[0]:  # the band meets this range
                best = verdict
        worst = max((self.verdict({self.key: x}) for x in (a, v, b)), key=_RANK.__getitem__)
        return {VERDICTS[r] for r in _span({_RANK[best], _RANK[worst]})}

    def thresholds(self) -> list[tuple[str, float]]:
        bounds = list(self.reproduced) + (list(self.partly) if self.partly is not None else [])
        return [(self.key, b) for b in bounds]

    def describe(self) -> str:
        lo, hi = self.reproduced
        text = f"{_fmt(lo)} ≤ {self.key} ≤ {_fmt(hi)}"
        if self.partly is not None:
            text += f" (partly: {_fmt(self.partly[0])} to {_fmt(self.partly[1])})"
        return text


@dataclass(frozen=True)
class AllOf(Rule):
    """The weakest verdict of several rules: every condition must hold for 'reproduced'."""

    rules: tuple[Rule, ...]

    def verdict(self, measured: Mapping[str, float]) -> str:
        return max((r.verdict(measured) for r in self.rules), key=_RANK.__getitem__)

    def possible_verdicts(self, measured: Mapping[str, float], tolerance: Tolerance) -> set[str]:
        # The weakest of the parts: at best the weakest best, at worst the weakest worst.
        parts = [{_RANK[v] for v in r.possible_verdicts(measured, tolerance)} for r in self.rules]
        return {VERDICTS[r] for r in _span({max(min(p) for p in parts), max(max(p) for p in parts)})}

    def thresholds(self) -> list[tuple[str, float]]:
        return [t for r in self.rules for t in r.thresholds()]

    def describe(self) -> str:
        return " and ".join(r.describe() for r in self.rules)


@dataclass(frozen=True)
class Control:
    """The same figures measured where the claimed effect should be absent: an untrained network, a shuffled
    pairing, the model without the ingredient the paper credits, the baseline the claim compares against."""

    label: str
    measured: Mapping[str, float]
    #: The control's own tolerance, when its figures are noisier than ours (e.g. a shuffled pairing redrawn with the
    #: seed while our figure is deterministic); by default the claim's.
    tolerance: Tolerance | None = None

    def __post_init__(self) -> None:
        if not self.label.strip():
            raise ValueError("a control needs a label that says what it is")
        if self.tolerance is not None and not isinstance(self.tolerance, Tolerance):
            raise TypeError(f"a control's tolerance must be a Tolerance, got {self.tolerance!r}")
        object.__setattr__(self, "measured", {k: float(v) for k, v in self.measured.items()})


def verdict_with_control(rule_verdict: str, control_verdict: str | None) -> str:
    """A claim's verdict: the rule's, or uninformative when the rule passes (at least partly) on the control as
    well as or better than on our figures. A claim that fails on our figures stays not reproduced."""
    if control_verdict is None or NOT_REPRODUCED in (control_verdict, rule_verdict):
        return rule_verdict
    return UNINFORMATIVE if _RANK[control_verdict] <= _RANK[rule_verdict] else rule_verdict


@dataclass
class Claim:
    """One claim of a paper: where it is, what it says, what we measured, how we judge it, and the same figures on
    a control where the effect should be absent (or why there is none)."""

    id: str
    paper: str
    measured: dict[str, float]
    rule: Rule
    source: str = ""
    note: str = ""
    tolerance: Tolerance = field(default_factory=Tolerance)
    control: Control | None = None
    no_control: str = ""
    kind: str = CLAIM

    def __post_init__(self) -> None:
        self.measured = {k: float(v) for k, v in self.measured.items()}
        if not isinstance(self.tolerance, Tolerance):
            raise TypeError(f"claim {self.id!r}: tolerance must be a Tolerance(rel=..., abs=...), "
                            f"got {self.tolerance!r}")
        if self.kind not in KINDS:
            raise ValueError(f"claim {self.id!r}: kind must be one of {KINDS}, got {self.kind!r}")
        if self.control is not None and not isinstance(self.control, Control):
            raise TypeError(f"claim {self.id!r}: control must be a Control(label, measured), got {self.control!r}")
        if self.control is not None and self.no_control:
            raise ValueError(f"claim {self.id!r}: give a control or a reason there is none, not both")
        self.rule.verdict(self.measured)  # fail now, not at render time, if the rule reads a missing figure
        if self.control is not None:
            try:
                self.rule.verdict(self.control.measured)
            except KeyError as err:
                raise KeyError(f"claim {self.id!r}: the control must measure the same figures: {err}") from None

    @property
    def rule_verdict(self) -> str:
        """The verdict the rule gives for our measured figures, before the control is considered."""
        return self.rule.verdict(self.measured)

    @property
    def control_verdict(self) -> str | None:
        """The verdict the rule gives on the control's figures (None without a control)."""
        return None if self.control is None else self.rule.verdict(self.control.measured)

    @property
    def verdict(self) -> str:
        """The row's verdict: the rule's, or uninformative when the rule also passes on the control."""
        return verdict_with_control(self.rule_verdict, self.control_verdict)

    def possible_verdicts(self) -> set[str]:
        """Every verdict the row could give if our figures and the control's moved within the tolerance."""
        ours = self.rule.possible_verdicts(self.measured, self.tolerance)
        if self.control is None:
            return set(ours)
        theirs = self.rule.possible_verdicts(self.control.measured, self.control_tolerance)
        return {verdict_with_control(a, b) for a in ours for b in theirs}

    @property
    def control_tolerance(self) -> Tolerance:
        """The tolerance of the control's figures: the control's own, else the claim's."""
        return self.control.tolerance if self.control is not None and self.control.tolerance else self.tolerance

    @property
    def borderline(self) -> bool:
        """Whether a figure (ours or the control's) lies so close to a threshold that a rerun within tolerance
        could change the verdict."""
        return len(self.possible_verdicts()) > 1

    def verdict_text(self) -> str:
        """The verdict with its mark, e.g. ``✅ reproduced``, ``⚪ uninformative`` or ``✅ reproduced (borderline)``;
        a check reads ``check holds`` or ``check fails``."""
        tail = " (borderline)" if self.borderline else ""
        if self.kind == CHECK:
            held = self.verdict == REPRODUCED
            return ("✔ check holds" if held else "❌ check fails") + tail
        return f"{_MARK[self.verdict]} {self.verdict}" + tail

    def measured_text(self) -> str:
        """The measured figures as ``name = value`` pairs."""
        return _figures_text(self.measured)

    def control_text(self) -> str:
        """The control's figures and the rule's verdict on them, or why the claim has no control."""
        if self.control is None:
            return f"none: {self.no_control}" if self.no_control else "none yet"
        cv = self.control_verdict
        own = f" (figures {self.control.tolerance.describe()})" if self.control.tolerance is not None else ""
        return f"{self.control.label}: {_figures_text(self.control.measured)}{own} → {_MARK[cv]} {cv}"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready record of the claim, its figures, its rule, its control and its verdict."""
        near = self.rule.near_thresholds(self.measured, self.tolerance) if self.borderline else []
        control = None
        if self.control is not None:
            control = {"label": self.control.label, "measured": dict(self.control.measured),
                       "verdict": self.control_verdict,
                       "near": self.rule.near_thresholds(self.control.measured, self.control_tolerance)
                       if self.borderline else []}
            if self.control.tolerance is not None:
                control["tolerance"] = self.control.tolerance.to_dict()
        return {
            "id": self.id,
            "kind": self.kind,
            "source": self.source,
            "paper": self.paper,
            "measured": self.measured,
            "rule": self.rule.describe(),
            "verdict": self.verdict,
            "rule_verdict": self.rule_verdict,
            "borderline": self.borderline,
            "near": near,
            "control": control,
            "no_control": self.no_control,
            "tolerance": self.tolerance.to_dict(),
            "note": self.note,
        }


def _figures_text(measured: Mapping[str, float]) -> str:
    return ", ".join(f"{k} = {_fmt(v)}" for k, v in measured.items())


def _rule_text(claim: Claim) -> str:
    return f"{claim.rule.describe()} (figures {claim.tolerance.describe()})"


_COLUMNS = ("claim", "the paper says", "we measured", "control (effect absent)", "rule", "verdict")


def _cells(claim: Claim) -> list[str]:
    name = claim.id + (f" ({_KIND_TEXT[claim.kind]})" if claim.kind != CLAIM else "")
    return [name, claim.paper, claim.measured_text(), claim.control_text(), _rule_text(claim), claim.verdict_text()]


def environment() -> dict[str, str]:
    """The versions and device a result was computed with: python, torch, numpy, aebook, device, the CPU's float
    path (ATen's vector instruction set, which ``ATEN_CPU_CAPABILITY`` can lower), the training threads, the date."""
    import datetime
    import platform
    from importlib import metadata

    import numpy
    import torch

    try:
        aebook_version = metadata.version("aebook")
    except metadata.PackageNotFoundError:
        aebook_version = "not installed"
    device = torch.cuda.get_device_name(0) if torch.cuda.is_available() else f"cpu ({os.cpu_count()} cores)"
    return {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "numpy": numpy.__version__,
        "aebook": aebook_version,
        "device": device,
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "train_threads": os.environ.get("AEBOOK_TRAIN_THREADS", "2"),
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }


@dataclass
class ClaimsTable:
    """A chapter notebook's claims: shown as a table, written as JSON beside the executed notebook."""

    chapter: str
    notebook: str
    profile: str = field(default_factory=lambda: os.environ.get("AEBOOK_PROFILE", "quick"))
    claims: list[Claim] = field(default_factory=list)

    def add(self, claim: Claim) -> Claim:
        """Add a claim (ids must be unique within the table) and return it."""
        if any(c.id == claim.id for c in self.claims):
            raise ValueError(f"claim id {claim.id!r} is already in the table")
        self.claims.append(claim)
        return claim

    def counts(self) -> dict[str, int]:
        """How many of the paper's claims (not checks, not rows beyond the paper) have each verdict."""
        return {v: sum(c.kind == CLAIM and c.verdict == v for c in self.claims) for v in CLAIM_VERDICTS}

    def borderline_counts(self) -> dict[str, int]:
        """How many of the paper's claims of each verdict are borderline."""
        return {v: sum(c.kind == CLAIM and c.verdict == v and c.borderline for c in self.claims)
                for v in CLAIM_VERDICTS}

    def kind_counts(self) -> dict[str, int]:
        """How many rows of each kind (claim, check, beyond), and how many claims have no control."""
        out = {k: sum(c.kind == k for c in self.claims) for k in KINDS}
        out["without control"] = sum(c.kind == CLAIM and c.control is None for c in self.claims)
        return out

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready record of the whole table, with what it ran on (for the book's run report)."""
        return {
            "chapter": self.chapter,
            "notebook": self.notebook,
            "profile": self.profile,
            "counts": self.counts(),
            "borderline": self.borderline_counts(),
            "kinds": self.kind_counts(),
            "claims": [c.to_dict() for c in self.claims],
            "environment": environment(),
        }

    def to_markdown(self) -> str:
        """The table as plain text (markdown), for a terminal or a text-only output."""
        rows = ["| " + " | ".join(_COLUMNS) + " |", "|" + "---|" * len(_COLUMNS)]
        for c in self.claims:
            rows.append("| " + " | ".join(x.replace("|", "\\|") for x in _cells(c)) + " |")
        return "\n".join(rows)

    def _repr_html_(self) -> str:
        head = "".join(f"<th>{h}</th>" for h in _COLUMNS)
        body = []
        for c in self.claims:
            tds = "".join(f"<td>{html.escape(x)}</td>" for x in _cells(c))
            extra = (" aebook-borderline" if c.borderline else "") + (f" aebook-kind-{c.kind}" if c.kind != CLAIM else "")
            body.append(f'<tr class="aebook-verdict-{c.verdict.replace(" ", "-")}{extra}">{tds}</tr>')
        return (
            f'<table class="aebook-claims" data-chapter="{html.escape(self.chapter)}">'
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
        )

    def __repr__(self) -> str:
        return self.to_markdown()

    def write_json(self, folder: str | Path | None = None) -> Path:
        """Write ``<notebook>.claims.json`` into ``folder`` (default ``$AEBOOK_OUTPUT_DIR`` or the current one)."""
        target = Path(folder if folder is not None else os.environ.get("AEBOOK_OUTPUT_DIR", "."))
        target.mkdir(parents=True, exist_ok=True)
        path = target / f"{self.notebook}.claims.json"
        write_atomic(path, json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n")
        return path

    def show(self, folder: str | Path | None = None) -> None:
        """Display the table (HTML, markdown fallback, claims in the metadata), glue it as ``claims``, write the JSON."""
        from IPython.display import display

        self.write_json(folder)
        bundle = {"text/html": self._repr_html_(), "text/plain": self.to_markdown()}
        display(bundle, raw=True, metadata={"aebook": {"claims": self.to_dict()}})
        try:  # also glue it, so the chapter page can show the same table ({glue} NN-name.ipynb::claims)
            from myst_nb import glue
        except ImportError:
            return
        glue("claims", self, display=False)

