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

from aebook import recipes, settings
from aebook.paths import write_atomic

REPRODUCED, PARTLY, NOT_REPRODUCED = "reproduced", "partly", "not reproduced"
#: What a rule can say of a set of figures.
VERDICTS = (REPRODUCED, PARTLY, NOT_REPRODUCED)
#: A claim whose rule passes on its control as well as on our figure: the rule cannot tell the effect from its
#: absence, so the row is evidence of nothing.
UNINFORMATIVE = "uninformative"
#: A claim whose preconditions fail: the model at this profile cannot exercise the claim (the cap never binds, the
#: network shows no failure to close, the bottleneck is too small), so the row says nothing for or against the paper.
NOT_JUDGED = "not judged at this profile"
#: What a claim's row can say: the rule's verdict, uninformative when the control passes too, or not judged when a
#: precondition fails.
CLAIM_VERDICTS = (*VERDICTS, UNINFORMATIVE, NOT_JUDGED)
_RANK = {v: i for i, v in enumerate(VERDICTS)}
_MARK = {REPRODUCED: "✅", PARTLY: "🟡", NOT_REPRODUCED: "❌", UNINFORMATIVE: "⚪", NOT_JUDGED: "➖"}

#: Kinds of row. A *claim* is a statement of the paper, counted on the scoreboard. A *check* holds by construction
#: (a unit test of our implementation shown beside the claims), counted apart. *Beyond* rows test our own reading or
#: extension of a paper, not a statement it makes, also counted apart.
CLAIM, CHECK, BEYOND = "claim", "check", "beyond"
KINDS = (CLAIM, CHECK, BEYOND)
_KIND_TEXT = {CHECK: "check of the implementation", BEYOND: "beyond the paper"}

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

    def thresholds(self) -> list[tuple[str, float]]:
        """The (figure, bound) pairs the rule compares against."""
        raise NotImplementedError

    def figures(self) -> list[str]:
        """The names of the figures the rule reads."""
        return list(dict.fromkeys(key for key, _ in self.thresholds()))

    def to_spec(self) -> dict[str, Any]:
        """The rule as JSON-ready data (:func:`rule_from_spec` rebuilds it), so that a recorded run can be judged
        again by the rule a notebook has now."""
        raise NotImplementedError


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

    def thresholds(self) -> list[tuple[str, float]]:
        return [(self.key, self.reproduced)] + ([(self.key, self.partly)] if self.partly is not None else [])

    def describe(self) -> str:
        sign = "≥" if self.higher_is_better else "≤"
        text = f"{self.key} {sign} {_fmt(self.reproduced)}"
        return text + (f" (partly: {sign} {_fmt(self.partly)})" if self.partly is not None else "")

    def to_spec(self) -> dict[str, Any]:
        return {"rule": type(self).__name__, "key": self.key, "reproduced": self.reproduced, "partly": self.partly}


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

    def thresholds(self) -> list[tuple[str, float]]:
        bounds = list(self.reproduced) + (list(self.partly) if self.partly is not None else [])
        return [(self.key, b) for b in bounds]

    def describe(self) -> str:
        lo, hi = self.reproduced
        text = f"{_fmt(lo)} ≤ {self.key} ≤ {_fmt(hi)}"
        if self.partly is not None:
            text += f" (partly: {_fmt(self.partly[0])} to {_fmt(self.partly[1])})"
        return text

    def to_spec(self) -> dict[str, Any]:
        return {"rule": "Within", "key": self.key, "reproduced": list(self.reproduced),
                "partly": list(self.partly) if self.partly is not None else None}


@dataclass(frozen=True)
class _Combined(Rule):
    """Several rules read together; subclasses say how their verdicts combine and which word joins them."""

    rules: tuple[Rule, ...]
    joiner = ""

    def thresholds(self) -> list[tuple[str, float]]:
        return [t for r in self.rules for t in r.thresholds()]

    def describe(self) -> str:
        return f" {self.joiner} ".join(r.describe() for r in self.rules)

    def to_spec(self) -> dict[str, Any]:
        return {"rule": type(self).__name__, "rules": [r.to_spec() for r in self.rules]}


@dataclass(frozen=True)
class AllOf(_Combined):
    """The weakest verdict of several rules: every condition must hold for 'reproduced'."""

    joiner = "and"

    def verdict(self, measured: Mapping[str, float]) -> str:
        return max((r.verdict(measured) for r in self.rules), key=_RANK.__getitem__)


@dataclass(frozen=True)
class AnyOf(_Combined):
    """The strongest verdict of several rules: one condition holding is enough (a precondition either of two arms of an
    experiment can meet)."""

    joiner = "or"

    def verdict(self, measured: Mapping[str, float]) -> str:
        return min((r.verdict(measured) for r in self.rules), key=_RANK.__getitem__)


def rule_from_spec(spec: Mapping[str, Any]) -> Rule:
    """The rule a :meth:`Rule.to_spec` record describes."""
    kind = spec.get("rule")
    if kind in ("AllOf", "AnyOf"):
        return (AllOf if kind == "AllOf" else AnyOf)(tuple(rule_from_spec(r) for r in spec["rules"]))
    if kind == "Within":
        partly = spec.get("partly")
        return Within(spec["key"], tuple(spec["reproduced"]), partly=tuple(partly) if partly is not None else None)
    if kind in ("AtLeast", "AtMost"):
        cls = AtLeast if kind == "AtLeast" else AtMost
        return cls(spec["key"], spec["reproduced"], partly=spec.get("partly"))
    raise ValueError(f"not a rule record: {dict(spec)!r}")


@dataclass(frozen=True)
class Control:
    """The same figures measured where the claimed effect should be absent: an untrained network, a shuffled
    pairing, the model without the ingredient the paper credits, the baseline the claim compares against."""

    label: str
    measured: Mapping[str, float]

    def __post_init__(self) -> None:
        if not self.label.strip():
            raise ValueError("a control needs a label that says what it is")
        object.__setattr__(self, "measured", {k: float(v) for k, v in self.measured.items()})


@dataclass(frozen=True)
class Precondition:
    """What the model must show before the claim can be judged at all, as a rule on one of the claim's measured
    figures: it holds when that rule says *reproduced*. The unregularised network must fail in the hole before
    closing the hole can be judged; the weight-length cap must bind before its effect can be."""

    what: str
    rule: Rule

    def __post_init__(self) -> None:
        if not self.what.strip():
            raise ValueError("a precondition needs words that say what must hold")
        if not isinstance(self.rule, Rule):
            raise TypeError(f"precondition {self.what!r}: the rule must be a Rule (AtLeast, AtMost, ...), "
                            f"got {self.rule!r}")

    def holds(self, measured: Mapping[str, float]) -> bool:
        """Whether the figures meet this precondition."""
        return self.rule.verdict(measured) == REPRODUCED

    def describe(self, measured: Mapping[str, float]) -> str:
        """The precondition in words with its rule and figures, e.g. ``the cap binds (binding share ≥ 0.1; measured:
        binding share = 0.02)``."""
        values = ", ".join(f"{k} = {_fmt(float(measured[k]))}" for k in self.rule.figures() if k in measured)
        return f"{self.what} ({self.rule.describe()}; measured: {values})"


def verdict_with_control(rule_verdict: str, control_verdict: str | None) -> str:
    """A claim's verdict: the rule's, or uninformative when the rule passes (at least partly) on the control as
    well as or better than on our figures. A claim that fails on our figures stays not reproduced."""
    if control_verdict is None or NOT_REPRODUCED in (control_verdict, rule_verdict):
        return rule_verdict
    return UNINFORMATIVE if _RANK[control_verdict] <= _RANK[rule_verdict] else rule_verdict


def judge(rule: Rule, measured: Mapping[str, float], control: Mapping[str, float] | None,
          preconditions: tuple[Precondition, ...] = ()) -> str:
    """A row's verdict from its figures: not judged when a precondition fails, else the rule's verdict on ours,
    made uninformative when the rule passes on the control as well."""
    if any(not p.holds(measured) for p in preconditions):
        return NOT_JUDGED
    return verdict_with_control(rule.verdict(measured), None if control is None else rule.verdict(control))


@dataclass
class Claim:
    """One claim of a paper: where it is, what it says, what we measured, how we judge it, the same figures on a
    control where the effect should be absent (or why there is none), and what the model must show before the
    claim can be judged at all (its preconditions)."""

    id: str
    paper: str
    measured: dict[str, float]
    rule: Rule
    source: str = ""
    note: str = ""
    control: Control | None = None
    no_control: str = ""
    kind: str = CLAIM
    preconditions: tuple[Precondition, ...] = ()

    def __post_init__(self) -> None:
        self.measured = {k: float(v) for k, v in self.measured.items()}
        if self.kind not in KINDS:
            raise ValueError(f"claim {self.id!r}: kind must be one of {KINDS}, got {self.kind!r}")
        if self.control is not None and not isinstance(self.control, Control):
            raise TypeError(f"claim {self.id!r}: control must be a Control(label, measured), got {self.control!r}")
        if self.control is not None and self.no_control:
            raise ValueError(f"claim {self.id!r}: give a control or a reason there is none, not both")
        self.preconditions = tuple(self.preconditions)
        for pre in self.preconditions:
            if not isinstance(pre, Precondition):
                raise TypeError(f"claim {self.id!r}: a precondition must be a Precondition(what, rule), got {pre!r}")
        self.rule.verdict(self.measured)  # fail now, not at render time, if the rule reads a missing figure
        for pre in self.preconditions:
            try:
                pre.rule.verdict(self.measured)
            except KeyError as err:
                raise KeyError(f"claim {self.id!r}: precondition {pre.what!r}: {err}") from None
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
    def failed_preconditions(self) -> list[Precondition]:
        """The preconditions our figures do not meet (empty: the claim can be judged)."""
        return [p for p in self.preconditions if not p.holds(self.measured)]

    @property
    def verdict(self) -> str:
        """The row's verdict: not judged when a precondition fails, else the rule's, or uninformative when the rule
        also passes on the control."""
        return judge(self.rule, self.measured, None if self.control is None else self.control.measured,
                     self.preconditions)

    def verdict_text(self) -> str:
        """The verdict with its mark, e.g. ``✅ reproduced`` or ``⚪ uninformative``; a check reads ``check holds`` or
        ``check fails``; a row whose precondition fails names it with its figure."""
        if self.verdict == NOT_JUDGED:
            failed = "; ".join(p.describe(self.measured) for p in self.failed_preconditions)
            return f"{_MARK[NOT_JUDGED]} {NOT_JUDGED}; not met: {failed}"
        if self.kind == CHECK:
            return "✔ check holds" if self.verdict == REPRODUCED else "❌ check fails"
        return f"{_MARK[self.verdict]} {self.verdict}"

    def measured_text(self) -> str:
        """The measured figures as ``name = value`` pairs."""
        return _figures_text(self.measured)

    def control_text(self) -> str:
        """The control's figures and the rule's verdict on them, or why the claim has no control."""
        if self.control is None:
            return f"none: {self.no_control}" if self.no_control else "none yet"
        cv = self.control_verdict
        return f"{self.control.label}: {_figures_text(self.control.measured)} → {_MARK[cv]} {cv}"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready record of the claim, its figures, its rule, its preconditions, its control and its verdict;
        the rules are kept as data as well (``rule_spec``) so that a run recorded elsewhere can be judged again."""
        control = None
        if self.control is not None:
            control = {"label": self.control.label, "measured": dict(self.control.measured),
                       "verdict": self.control_verdict}
        return {
            "id": self.id,
            "kind": self.kind,
            "source": self.source,
            "paper": self.paper,
            "measured": self.measured,
            "rule": self.rule.describe(),
            "rule_spec": self.rule.to_spec(),
            "preconditions": [{"what": p.what, "rule": p.rule.describe(), "rule_spec": p.rule.to_spec(),
                               "holds": p.holds(self.measured)} for p in self.preconditions],
            "verdict": self.verdict,
            "rule_verdict": self.rule_verdict,
            "control": control,
            "no_control": self.no_control,
            "note": self.note,
        }


def rejudge(committed: Mapping[str, Any], run: Mapping[str, Any]) -> str | None:
    """The verdict the rule and preconditions of a committed claim record give on another run's figures of the same
    claim (a run recorded elsewhere, perhaps before the rule changed); None when the record keeps no rule as data or
    the run lacks a figure they read."""
    if "rule_spec" not in committed:
        return None
    rule = rule_from_spec(committed["rule_spec"])
    pres = tuple(Precondition(p["what"], rule_from_spec(p["rule_spec"])) for p in committed.get("preconditions", []))
    control = (run.get("control") or {}).get("measured") if committed.get("control") else None
    needed = {k for r in (rule, *(p.rule for p in pres)) for k in r.figures()}
    if not needed <= run["measured"].keys():
        return None
    if committed.get("control") and (not control or not set(rule.figures()) <= control.keys()):
        return None
    return judge(rule, run["measured"], control, pres)


def _figures_text(measured: Mapping[str, float]) -> str:
    return ", ".join(f"{k} = {_fmt(v)}" for k, v in measured.items())


def _rule_text(claim: Claim) -> str:
    pres = "".join(f"; judged only if {p.what} ({p.rule.describe()})" for p in claim.preconditions)
    return claim.rule.describe() + pres


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

    from aebook.device import cpu_model

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
        "cpu": cpu_model(),
        "train_threads": str(settings.train_threads()),
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }


@dataclass
class ClaimsTable:
    """A chapter notebook's claims: shown as a table, written as JSON beside the executed notebook."""

    chapter: str
    notebook: str
    profile: str = field(default_factory=settings.profile)
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

    def kind_counts(self) -> dict[str, int]:
        """How many rows of each kind (claim, check, beyond), and how many claims have no control."""
        out = {k: sum(c.kind == k for c in self.claims) for k in KINDS}
        out["without control"] = sum(c.kind == CLAIM and c.control is None for c in self.claims)
        return out

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready record of the whole table, with what it ran on (for the book's run report) and what every
        network trained so far in this process was asked to do (:mod:`aebook.recipes`)."""
        return {
            "chapter": self.chapter,
            "notebook": self.notebook,
            "profile": self.profile,
            "counts": self.counts(),
            "kinds": self.kind_counts(),
            "claims": [c.to_dict() for c in self.claims],
            "environment": environment(),
            "training": recipes.noted(),
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
            extra = f" aebook-kind-{c.kind}" if c.kind != CLAIM else ""
            body.append(f'<tr class="aebook-verdict-{c.verdict.replace(" ", "-")}{extra}">{tds}</tr>')
        return (
            f'<table class="aebook-claims" data-chapter="{html.escape(self.chapter)}">'
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
        )

    def __repr__(self) -> str:
        return self.to_markdown()

    def write_json(self, folder: str | Path | None = None) -> Path:
        """Write ``<notebook>.claims.json`` into ``folder`` (default ``$AEBOOK_OUTPUT_DIR`` or the current one)."""
        target = Path(folder) if folder is not None else settings.output_dir()
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

