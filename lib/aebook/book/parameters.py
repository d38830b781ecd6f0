"""A notebook's ``parameters`` cell: read its names and defaults, and check values against them."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path
from typing import Any

import yaml


class ParameterError(ValueError):
    """A parameter that the notebook does not have, or a value of the wrong type."""


def parameters_cell(notebook: str | Path) -> str:
    """Return the source of the notebook's cell tagged ``parameters``, with a clear error when there is none."""
    nb = json.loads(Path(notebook).read_text())
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "code" and "parameters" in cell.get("metadata", {}).get("tags", []):
            src = cell.get("source", "")
            return "".join(src) if isinstance(src, list) else src
    raise ParameterError(f"{notebook} has no code cell tagged 'parameters'")


def notebook_parameters(notebook: str | Path) -> dict[str, Any]:
    """Return ``name → default`` for each top-level assignment of a literal in the parameters cell."""
    tree = ast.parse(parameters_cell(notebook))
    params: dict[str, Any] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            name, value = node.targets[0].id, node.value
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
            name, value = node.target.id, node.value
        else:
            continue
        try:
            params[name] = ast.literal_eval(value)
        except ValueError as exc:
            raise ParameterError(f"{notebook}: parameter {name!r} is not a literal value") from exc
    return params


def _type_name(value: Any) -> str:
    return "None" if value is None else type(value).__name__


def describe_parameters(params: dict[str, Any]) -> str:
    """The valid parameters, one per line: ``name (type, default value)``."""
    return "\n".join(f"  {k} ({_type_name(v)}, default {v!r})" for k, v in params.items())


def coerce(name: str, value: Any, default: Any) -> Any:
    """Return ``value`` converted to the default's type where that is lossless, or raise ParameterError."""
    if default is None or value is None:
        return value
    if isinstance(default, bool):
        ok = isinstance(value, bool)
    elif isinstance(default, int):
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif isinstance(default, float):
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        value = float(value) if ok else value
    elif isinstance(default, (list, tuple)):
        ok = isinstance(value, (list, tuple))
        value = list(value) if ok else value
    else:
        ok = isinstance(value, type(default))
    if not ok:
        raise ParameterError(
            f"parameter {name!r} expects {_type_name(default)} (default {default!r}), got {value!r} ({_type_name(value)})"
        )
    return value


def check_parameters(notebook: str | Path, values: dict[str, Any]) -> dict[str, Any]:
    """Check ``values`` against the notebook's parameters cell; return them coerced, or raise with the valid list."""
    params = notebook_parameters(notebook)
    unknown = sorted(set(values) - set(params))
    if unknown:
        raise ParameterError(
            f"{Path(notebook).name} has no parameter {', '.join(map(repr, unknown))}. Valid parameters:\n"
            + describe_parameters(params)
        )
    try:
        return {k: coerce(k, v, params[k]) for k, v in values.items()}
    except ParameterError as exc:
        raise ParameterError(f"{Path(notebook).name}: {exc}. Valid parameters:\n{describe_parameters(params)}") from None


_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)[eE][+-]?\d+$")


def read_value(text: str) -> Any:
    """Read a command-line value as YAML (``5``, ``0.1``, ``true``, ``[1, 2]``, text), and ``1e-3`` as a number."""
    if _NUMBER.match(text.strip()):
        return float(text)
    return yaml.safe_load(text) if text.strip() else ""
