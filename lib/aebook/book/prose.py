"""Figures in prose read from the claims records, so that a sentence cannot go stale.

A chapter's ``index.md`` or a notebook's markdown quotes a measured figure through a role that the book's Sphinx
extension (:mod:`aebook.book.sphinx_pages`) resolves at build time from the committed notebook's claims::

    the unregularised network's error inside the hole is {measured}`04-regularisation::type1-no-help::inside/outside none`
    times its error outside; the untrained network's p is {control}`01-encoding-disks::code-is-area::p::.2f`;
    the row reads {verdict}`04-regularisation::type3-closes-hole`.

A reference is ``NOTEBOOK::CLAIM::FIGURE`` with an optional ``::FORMAT`` (a Python format spec, ``.3g`` by default);
NOTEBOOK is relative to the page's folder (``paper-run/01-encoding-disks`` reads the paper-scale run). A reference
that does not resolve fails the build. :func:`typed_figures` finds the numbers typed by hand that a claims record
holds (the test of the committed chapters uses it).
"""

from __future__ import annotations

import math
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

DEFAULT_FORMAT = ".3g"


class ProseReferenceError(ValueError):
    """A figure reference in prose that names no committed figure."""


@lru_cache(maxsize=64)
def _claims(path: str, mtime: float) -> dict[str, dict[str, Any]]:
    from aebook.book.records import notebook_claims
    from aebook.book.report import paper_run_tables

    # a paper-scale run is read as the committed notebook judges it today (its verdicts given again by today's rules)
    tables = paper_run_tables(path) if Path(path).parent.name == "paper-run" else notebook_claims(path)
    return {c["id"]: c for table in tables for c in table["claims"]}


def notebook_claims_by_id(notebook: Path) -> dict[str, dict[str, Any]]:
    """The claims a committed notebook records, by id (read once per version of the file)."""
    if not notebook.exists():
        raise ProseReferenceError(f"no notebook {notebook}")
    return _claims(str(notebook), notebook.stat().st_mtime)


def _split(ref: str, parts: int) -> list[str]:
    pieces = [p.strip() for p in ref.split("::")]
    if len(pieces) not in (parts, parts + 1) or not all(pieces):
        raise ProseReferenceError(f"{ref!r}: write NOTEBOOK::CLAIM" + ("::FIGURE" if parts == 3 else "")
                                  + "[::FORMAT]")
    return pieces


def _claim(folder: Path, notebook: str, claim_id: str) -> dict[str, Any]:
    claims = notebook_claims_by_id(folder / f"{notebook.removesuffix('.ipynb')}.ipynb")
    if claim_id not in claims:
        raise ProseReferenceError(f"{notebook} records no claim {claim_id!r} (it has {', '.join(sorted(claims))})")
    return claims[claim_id]


def figure_text(folder: str | Path, ref: str, control: bool = False) -> str:
    """The figure a ``NOTEBOOK::CLAIM::FIGURE[::FORMAT]`` reference names, formatted (ours, or the control's)."""
    notebook, claim_id, figure, *fmt = _split(ref, 3)
    claim = _claim(Path(folder), notebook, claim_id)
    figures = (claim.get("control") or {}).get("measured", {}) if control else claim["measured"]
    if figure not in figures:
        where = "its control" if control else "the claim"
        raise ProseReferenceError(f"{notebook}::{claim_id}: {where} measured no {figure!r} "
                                  f"(it has {', '.join(repr(k) for k in figures)})")
    value = float(figures[figure])
    return "nan" if math.isnan(value) else format(value, fmt[0] if fmt else DEFAULT_FORMAT)


def verdict_text(folder: str | Path, ref: str) -> str:
    """The verdict a ``NOTEBOOK::CLAIM`` reference names, with its mark (e.g. ``✅ reproduced``)."""
    notebook, claim_id = _split(ref, 2)[:2]
    from aebook.book.calibration import MARKS

    verdict = _claim(Path(folder), notebook, claim_id)["verdict"]
    if verdict is None:  # a paper-scale run that did not measure what today's rule reads
        return f"{MARKS[None]} not measured by that run"
    return f"{MARKS.get(verdict, '')} {verdict}".strip()


# --- typed numbers -------------------------------------------------------------------------------------------------

#: Inline roles, math and code are not typed prose: their numbers are left alone.
_SKIP = re.compile(r"\{[a-z:-]+\}`[^`]*`|`[^`]*`|\$\$.*?\$\$|\$[^$\n]*\$|```.*?```", re.S)
_NUMBER = re.compile(r"(?<![\w.−-])(\d+\.\d+|\d{2,}(?:,\d{3})*)(?![\w.]|\.\d)")


def _candidates(value: float) -> set[str]:
    """How a figure could have been typed: rounded to 1 to 4 decimals, or to a whole number when it is ≥ 10 (a
    negative figure keeps its sign: prose writes it with a minus)."""
    if math.isnan(value) or math.isinf(value):
        return set()
    out = {f"{value:.{d}f}" for d in range(1, 5)}
    if abs(value) >= 10:
        out.add(f"{round(value)}")
    return out


def record_numbers(claims: list[dict[str, Any]]) -> dict[str, str]:
    """Every way a recorded figure (ours or a control's) could be typed → which figure it is."""
    found: dict[str, str] = {}
    for claim in claims:
        for where, figures in (("", claim["measured"]), (" (control)", (claim.get("control") or {}).get("measured", {}))):
            for name, value in figures.items():
                for text in _candidates(float(value)):
                    found.setdefault(text, f"{claim['id']}: {name}{where}")
    return found


def stated_numbers(claims: list[dict[str, Any]]) -> set[str]:
    """Numbers the claims themselves state (the papers' words, rules, notes): typing those is quoting, not measuring."""
    text = " ".join(f"{c.get('paper', '')} {c.get('rule', '')} {c.get('note', '')} {c.get('no_control', '')} "
                    f"{(c.get('control') or {}).get('label', '')}" for c in claims)
    return {m.group(1).replace(",", "") for m in _NUMBER.finditer(text)}


def typed_figures(text: str, claims: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """Numbers typed in ``text`` (outside roles, code and math) that a claims record holds at the typed precision
    and that no claim states itself: (number, the figure it matches). Only numbers with two significant digits or
    more count, and whole numbers from 100 up."""
    recorded, stated = record_numbers(claims), stated_numbers(claims)
    prose = _SKIP.sub(" ", text)
    hits = []
    for m in _NUMBER.finditer(prose):
        number = m.group(1).replace(",", "")
        digits = number.replace(".", "").strip("0") if "." in number else number
        if "." not in number and len(number) < 3:
            continue  # a small whole number is a count, a size or a bound far more often than a measured figure
        if number in recorded and number not in stated and len(digits) >= 2:
            hits.append((number, recorded[number]))
    return hits
