"""Where parameter sets run: here one after another, here N at a time, or on a Dask cluster."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from typing import Any

from aebook.book.execute import execute_set
from aebook.book.parameters import ParameterError

Task = dict[str, Any]
Result = dict[str, Any]
OnResult = Callable[[Task, Result], None]

#: A task that asks for CUDA needs this much of the worker resource ``GPU`` (``dask worker --resources GPU=1``).
GPU_RESOURCE = "GPU"


@dataclass(frozen=True)
class Executor:
    """An executor spec: ``local``, ``local:N`` or ``dask`` (with the scheduler's address)."""

    kind: str
    processes: int = 1
    scheduler: str | None = None
    retries: int = 2


def parse_executor(spec: str, scheduler: str | None = None, retries: int = 2) -> Executor:
    """Read ``--executor`` (and ``--scheduler``), with a clear error for anything else."""
    name, _, count = spec.strip().partition(":")
    if name == "local":
        if scheduler:
            raise ParameterError("--scheduler is only for --executor dask")
        if not count:
            return Executor("local")
        if not count.isdigit() or int(count) < 1:
            raise ParameterError(f"--executor local:N needs a whole number of processes N >= 1, got {spec!r}")
        return Executor("local", processes=int(count))
    if name == "dask" and not count:
        if not scheduler:
            raise ParameterError("--executor dask needs --scheduler ADDRESS (e.g. tcp://10.0.0.5:8786)")
        if retries < 0:
            raise ParameterError(f"--retries must be 0 or more, got {retries}")
        return Executor("dask", scheduler=scheduler, retries=retries)
    raise ParameterError(f"unknown executor {spec!r}: use local, local:N or dask")


def failed_result(task: Task, error: str) -> Result:
    """The result of a set that never came back (its worker died too often, or the task was refused)."""
    record = {k: task[k] for k in ("notebook", "set", "hash", "profile", "parameters")}
    record.update(status="failed", error=error, seconds=0.0, device=task["device"], claims=None)
    return {"record": record, "files": {}}


def run_local(tasks: Sequence[Task], on_result: OnResult, processes: int = 1) -> None:
    """Run the tasks on this machine, ``processes`` at a time, each set's torch given its share of the cores."""
    if processes == 1:
        for task in tasks:
            on_result(task, execute_set(task))
        return
    threads = max(1, (os.cpu_count() or 1) // processes)
    with ThreadPoolExecutor(max_workers=processes) as pool:
        futures = {pool.submit(execute_set, {**task, "threads": threads}): task for task in tasks}
        for future in as_completed(futures):
            on_result(futures[future], future.result())


def run_dask(tasks: Sequence[Task], on_result: OnResult, scheduler: str, retries: int = 2) -> None:
    """Submit one Dask task per set to the scheduler; each result is handed back as soon as it arrives."""
    try:
        from distributed import Client, as_completed as dask_completed
    except ImportError as exc:  # pragma: no cover - distributed is in requirements.txt
        raise ParameterError("--executor dask needs the 'distributed' package (pip install distributed)") from exc
    try:
        client = Client(scheduler, timeout="30s")
    except (OSError, TimeoutError) as exc:
        raise ParameterError(f"cannot reach the Dask scheduler at {scheduler!r}: {exc}") from None
    with client:
        if any(t["device"].startswith("cuda") for t in tasks):
            workers = client.scheduler_info(n_workers=-1)["workers"].values()
            if not any(w.get("resources", {}).get(GPU_RESOURCE) for w in workers):
                raise ParameterError(
                    f"--device cuda: no worker of {scheduler} declares the resource {GPU_RESOURCE} "
                    f"(start GPU workers with: dask worker {scheduler} --nthreads 1 --resources {GPU_RESOURCE}=1)"
                )
        futures = {}
        for task in tasks:
            needs = {GPU_RESOURCE: 1} if task["device"].startswith("cuda") else None
            key = f"aebook-{task['stem']}-{task['hash']}"
            futures[client.submit(execute_set, task, key=key, pure=False, retries=retries, resources=needs)] = task
        try:
            for future in dask_completed(futures):
                task = futures[future]
                try:
                    result = future.result()
                except Exception as exc:  # noqa: BLE001 - e.g. KilledWorker: this set failed, the others go on
                    result = failed_result(task, f"{type(exc).__name__}: {exc}")
                on_result(task, result)
        except KeyboardInterrupt:
            client.cancel(list(futures))
            raise


def run_tasks(tasks: Sequence[Task], executor: Executor, on_result: OnResult) -> None:
    """Dispatch the tasks to the executor; ``on_result(task, result)`` is called on this machine as each ends."""
    if executor.kind == "dask":
        assert executor.scheduler is not None
        run_dask(tasks, on_result, executor.scheduler, executor.retries)
    else:
        run_local(tasks, on_result, executor.processes)
