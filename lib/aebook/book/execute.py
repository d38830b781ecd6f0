"""Execute one parameter set of one notebook, wherever it lands, and hand back its record and files.

``execute_set`` is what every executor runs (this process, a thread pool, a Dask worker): papermill runs in a
child Python process with its own environment, in a scratch folder, so sets running side by side never share
``os.environ`` or files, and the results travel back as bytes to be written on the submitting machine.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import aebook


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


#: Seconds before a run's deadline at which training checkpoints and stops (time for the notebook to end and its
#: files to be written), and before which a set that has not started is not started at all.
STOP_MARGIN_S = 20.0
#: Seconds before the deadline at which a notebook still running is killed (its checkpoints stay).
KILL_MARGIN_S = 3.0
#: Statuses of a set the time budget stopped or never started: a rerun of the same command carries on.
INTERRUPTED, NOT_STARTED = "interrupted", "not started"


def _child_env(task: dict[str, Any], device: str, output_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    # Dask's nanny sets this for its own worker's memory; inherited by a notebook's kernel it slowed a disks set
    # from 23.5 s to 33.4 s (torch allocates and frees often). A set is a notebook, not a Dask worker.
    env.pop("MALLOC_TRIM_THRESHOLD_", None)
    env.update({"AEBOOK_OUTPUT_DIR": str(output_dir), "AEBOOK_DEVICE": device, "AEBOOK_PROFILE": task["profile"]})
    threads = task.get("threads")
    if threads and "OMP_NUM_THREADS" not in os.environ:
        env.update({"OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads)})
    if threads and "AEBOOK_TRAIN_THREADS" not in os.environ:  # N sets side by side share the cores
        env["AEBOOK_TRAIN_THREADS"] = str(threads)
    if task.get("deadline") is not None:
        env["AEBOOK_DEADLINE"] = f"{task['deadline'] - STOP_MARGIN_S:.3f}"
    return env


def _text(raw: bytes | str | None) -> str:
    return raw.decode(errors="replace") if isinstance(raw, bytes) else (raw or "")


def _last_line(text: str) -> str:
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    return lines[-1] if lines else ""


def dask_worker_name() -> str | None:
    """The name of the Dask worker running this code, or None outside one."""
    try:
        from distributed import get_worker

        return str(get_worker().name)
    except (ImportError, ValueError):
        return None


def execute_set(task: dict[str, Any]) -> dict[str, Any]:
    """Run one task (a notebook's source and its parameters); return ``{"record": ..., "files": {name: bytes}}``.

    A notebook that fails gives a record with status ``failed`` (retrying would fail again); only a broken
    machine (no disk, no Python) raises, which Dask then retries elsewhere.
    """
    from aebook.device import resolve_device

    started = dt.datetime.now(dt.timezone.utc)
    t0 = time.perf_counter()
    stem = task["stem"]
    status, error, device = "ok", None, task["device"]
    files: dict[str, bytes] = {}
    with tempfile.TemporaryDirectory(prefix="aebook-set-") as scratch:
        out = Path(scratch) / "out"
        out.mkdir()
        source = Path(scratch) / f"{stem}.ipynb"
        source.write_text(task["source"])
        (Path(scratch) / "parameters.json").write_text(json.dumps(task["parameters"]))
        cwd = task.get("cwd") if task.get("cwd") and Path(task["cwd"]).is_dir() else scratch
        try:
            device = str(resolve_device(task["device"]))
        except ValueError as exc:
            status, error = "failed", f"ValueError: {exc}"
        limit = None if task.get("deadline") is None else task["deadline"] - KILL_MARGIN_S - time.time()
        if status == "ok" and limit is not None and limit < STOP_MARGIN_S:
            status, error = NOT_STARTED, "the time budget was spent before this set started"
        if status == "ok":
            command = [sys.executable, "-m", "aebook.book.execute", str(source), str(out / f"{stem}.ipynb"),
                       str(Path(scratch) / "parameters.json"), str(cwd), task.get("kernel", "python3")]
            try:
                proc = subprocess.run(command, env=_child_env(task, device, out), stdin=subprocess.DEVNULL,
                                      capture_output=True, text=True, timeout=limit)
                log, rc, stderr = proc.stdout + proc.stderr, proc.returncode, proc.stderr
            except subprocess.TimeoutExpired as exc:  # killed at the deadline: its checkpoints stay on disk
                log, rc, stderr = _text(exc.stdout) + _text(exc.stderr), None, _text(exc.stderr)
            (out / f"{stem}.log").write_text(log)
            if rc is None:
                status, error = INTERRUPTED, "killed at the time budget's deadline"
            elif rc != 0 and "TimeBudgetExceeded" in log:
                status, error = INTERRUPTED, _last_line(stderr)
            elif rc != 0:
                status, error = "failed", _last_line(stderr) or f"papermill exited with {rc}"
        files = {p.name: p.read_bytes() for p in sorted(out.iterdir()) if p.is_file()}
    claims_file = files.get(f"{stem}.claims.json")
    claims = json.loads(claims_file) if claims_file and status == "ok" else None
    record = {
        "notebook": task["notebook"],
        "set": task["set"],
        "hash": task["hash"],
        "profile": task["profile"],
        "parameters": task["parameters"],
        "status": status,
        "error": error,
        "seconds": round(time.perf_counter() - t0, 2),
        "started": started.isoformat(timespec="seconds"),
        "device": device,
        "host": socket.gethostname(),
        "worker": dask_worker_name(),
        "versions": versions(),
        "claims": claims["counts"] if claims else None,
    }
    return {"record": record, "files": files}


def _exit_with_parent() -> None:
    """Leave at once if the process that started this one dies (a killed Dask worker must not leave runs behind)."""
    parent = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(0.5)
            if os.getppid() != parent:
                os._exit(3)

    threading.Thread(target=watch, daemon=True).start()


def main(argv: list[str]) -> int:
    """Child process: ``python -m aebook.book.execute SOURCE OUTPUT PARAMS.json CWD KERNEL`` runs papermill once."""
    import papermill

    from aebook.book.nbpoll import install

    install()  # papermill executes through nbclient: a missed reply on a slider cell must not eat the run's budget
    _exit_with_parent()
    source, output, params, cwd, kernel = argv
    try:
        papermill.execute_notebook(source, output, parameters=json.loads(Path(params).read_text()), cwd=cwd,
                                   kernel_name=kernel, progress_bar=False)
    except Exception as exc:  # noqa: BLE001 - reported to the parent as the set's error
        message = str(exc).strip()
        print(f"{type(exc).__name__}: {_last_line(message) if message else ''}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
