"""Execute chapter notebooks with papermill at a profile's settings; write notebooks, claims and a summary."""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

import aebook
from aebook.device import resolve_device
from aebook.parameters import ParameterError, check_parameters

PROFILES = ("quick", "paper")


def find_notebooks(paths: Sequence[str | Path]) -> list[Path]:
    """Expand chapter folders into their numbered notebooks (paper-run/ excluded); check files exist."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            notebooks = sorted(p for p in path.glob("[0-9]*.ipynb"))
            if not notebooks:
                raise ParameterError(f"{path} holds no numbered notebook (NN-name.ipynb)")
            found.extend(notebooks)
        elif path.suffix == ".ipynb" and path.is_file():
            found.append(path)
        else:
            raise ParameterError(f"{path} is neither a notebook nor a chapter folder")
    return found


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
        out[name.strip()] = yaml.safe_load(value) if value.strip() else ""
    return out


def versions() -> dict[str, str]:
    """Versions of what produced a run: Python, torch, numpy, aebook, papermill."""
    import numpy
    import papermill
    import torch

    return {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "numpy": numpy.__version__,
        "aebook": aebook.__version__,
        "papermill": papermill.__version__,
    }


def plan(
    paths: Sequence[str | Path], profile: str, overrides: dict[str, Any]
) -> list[tuple[Path, dict[str, Any]]]:
    """Work out and check every notebook's parameters before anything runs."""
    jobs = []
    for notebook in find_notebooks(paths):
        values = {**profile_parameters(notebook, profile), **overrides}
        jobs.append((notebook, check_parameters(notebook, values)))
    return jobs


def run(
    paths: Sequence[str | Path],
    profile: str = "quick",
    overrides: dict[str, Any] | None = None,
    device: str = "auto",
    out: str | Path | None = None,
    kernel_name: str = "python3",
) -> list[dict[str, Any]]:
    """Execute the notebooks; return one summary record each and write them to ``<out>/summary.json``."""
    import papermill

    jobs = plan(paths, profile, dict(overrides or {}))
    resolved = resolve_device(device)
    out_dir = Path(out) if out is not None else Path("runs") / profile
    records = []
    for notebook, params in jobs:
        target = out_dir / notebook.parent.name
        target.mkdir(parents=True, exist_ok=True)
        executed = target / notebook.name
        env = {"AEBOOK_OUTPUT_DIR": str(target.resolve()), "AEBOOK_DEVICE": str(resolved), "AEBOOK_PROFILE": profile}
        saved = {k: os.environ.get(k) for k in env}
        os.environ.update(env)
        started = dt.datetime.now(dt.timezone.utc)
        t0 = time.perf_counter()
        status, error = "ok", None
        try:
            papermill.execute_notebook(
                str(notebook),
                str(executed),
                parameters=params,
                cwd=str(notebook.parent),
                kernel_name=kernel_name,
                progress_bar=False,
            )
        except Exception as exc:  # noqa: BLE001 - a failed notebook is recorded and the others still run
            status, error = "failed", f"{type(exc).__name__}: {str(exc).strip()[-2000:]}"
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
        claims_path = target / f"{notebook.stem}.claims.json"
        claims = json.loads(claims_path.read_text()) if claims_path.exists() and status == "ok" else None
        record = {
            "notebook": str(notebook),
            "executed": str(executed),
            "profile": profile,
            "parameters": params,
            "status": status,
            "error": error,
            "seconds": round(time.perf_counter() - t0, 2),
            "started": started.isoformat(timespec="seconds"),
            "device": str(resolved),
            "versions": versions(),
            "claims": claims["counts"] if claims else None,
        }
        (target / f"{notebook.stem}.summary.json").write_text(json.dumps(record, indent=2) + "\n")
        records.append(record)
    _merge_summary(out_dir / "summary.json", records)
    return records


def _merge_summary(path: Path, records: list[dict[str, Any]]) -> None:
    previous = json.loads(path.read_text()) if path.exists() else []
    fresh = {r["notebook"] for r in records}
    merged = [r for r in previous if r.get("notebook") not in fresh] + records
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(merged, indent=2) + "\n")
    os.replace(tmp, path)
