"""Parameter sweeps: ``NAME=V1,V2`` and ``NAME=A..B`` into a grid of parameter sets, each with a folder name and a hash."""

from __future__ import annotations

import hashlib
import itertools
import json
import re
from collections.abc import Sequence
from typing import Any

from aebook.book.parameters import ParameterError, read_value

_RANGE = re.compile(r"^\s*(-?\d+)\s*\.\.\s*(-?\d+)\s*(?:\.\.\s*(-?\d+)\s*)?$")
_UNSAFE = re.compile(r"[^A-Za-z0-9._+=-]+")


def split_values(text: str) -> list[str]:
    """Split ``text`` at the commas that are not inside brackets, so ``[1,2],[3,4]`` gives two values."""
    parts, depth, current = [], 0, []
    for ch in text:
        if ch in "[{(":
            depth += 1
        elif ch in "]})":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return parts


def expand_range(item: str) -> list[int] | None:
    """``A..B`` (or ``A..B..STEP``) as the integers from A to B inclusive; None when ``item`` is not a range."""
    match = _RANGE.match(item)
    if not match:
        if ".." in item:
            raise ParameterError(f"range {item.strip()!r} must be START..STOP or START..STOP..STEP with integers")
        return None
    start, stop, step = int(match[1]), int(match[2]), int(match[3]) if match[3] else (1 if match[2] >= match[1] else -1)
    if step == 0 or (stop - start) * step < 0:
        raise ParameterError(f"range {item.strip()!r} never reaches its end: check the step's sign")
    return list(range(start, stop + (1 if step > 0 else -1), step))


def parse_sweep(text: str) -> tuple[str, list[Any]]:
    """Parse one ``--sweep NAME=V1,V2,...`` (items read as YAML; ``A..B`` items expand to integer ranges)."""
    name, sep, rhs = text.partition("=")
    name = name.strip()
    if not sep or not name.isidentifier() or not rhs.strip():
        raise ParameterError(f"--sweep expects NAME=V1,V2,... or NAME=START..STOP, got {text!r}")
    values: list[Any] = []
    for item in split_values(rhs):
        if not item.strip():
            raise ParameterError(f"--sweep {name}: empty value in {rhs!r}")
        numbers = expand_range(item)
        values.extend(numbers if numbers is not None else [read_value(item)])
    if len({json.dumps(v, sort_keys=True) for v in values}) != len(values):
        raise ParameterError(f"--sweep {name}: a value is listed twice in {rhs!r}")
    return name, values


def parse_sweeps(items: Sequence[str], fixed: dict[str, Any] | None = None) -> dict[str, list[Any]]:
    """Parse every ``--sweep``; refuse a name swept twice or both swept and set with ``--param``."""
    sweeps: dict[str, list[Any]] = {}
    for item in items:
        name, values = parse_sweep(item)
        if name in sweeps:
            raise ParameterError(f"--sweep {name} is given twice: put all its values in one --sweep")
        if name in (fixed or {}):
            raise ParameterError(f"{name} is both swept (--sweep) and fixed (--param): choose one")
        sweeps[name] = values
    return sweeps


def grid(sweeps: dict[str, list[Any]]) -> list[dict[str, Any]]:
    """Every combination of the swept values, the last name varying fastest; ``[{}]`` when nothing is swept."""
    names = list(sweeps)
    return [dict(zip(names, combo)) for combo in itertools.product(*(sweeps[n] for n in names))]


def _format(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return "-".join(_format(v) for v in value)
    return str(value)


def set_name(values: dict[str, Any]) -> str:
    """A folder name read off the swept values, e.g. ``d=2,seed=0`` (a short hash is added if characters were replaced)."""
    if not values:
        return ""
    raw = ",".join(f"{k}={_format(v)}" for k, v in values.items())
    safe = ",".join(f"{k}={_UNSAFE.sub('-', _format(v))}" for k, v in values.items())
    if safe != raw or len(safe) > 120:
        digest = hashlib.sha256(json.dumps(values, sort_keys=True).encode()).hexdigest()[:8]
        safe = f"{safe[:100]}-{digest}"
    return safe


def code_digest(notebook_json: str) -> str:
    """SHA-256 of a notebook's code cells (not its outputs), so an edited notebook is not mistaken for a finished one."""
    cells = json.loads(notebook_json).get("cells", [])
    code = ["".join(c["source"]) if isinstance(c["source"], list) else c["source"]
            for c in cells if c.get("cell_type") == "code"]
    return hashlib.sha256(json.dumps(code).encode()).hexdigest()


def set_hash(notebook: str, profile: str, parameters: dict[str, Any], code: str) -> str:
    """The identity of one execution: which notebook (and its code), which profile, which parameter values."""
    key = {"notebook": notebook, "profile": profile, "parameters": parameters, "code": code}
    return hashlib.sha256(json.dumps(key, sort_keys=True, default=str).encode()).hexdigest()[:16]
