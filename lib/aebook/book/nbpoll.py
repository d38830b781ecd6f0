"""Keep nbclient from waiting out its whole timeout for a reply that has already arrived.

Seen here twice (once with ipykernel 7.4.0, once with 6.31.0), each time on a cell showing an ipywidgets slider:
the kernel had run the cell (it was in the kernel's ``In`` and ``Out`` when asked over its connection file) and
every kernel thread was idle, yet nbclient still waited for the cell's ``execute_reply`` with the whole cell timeout
(1800 s) ahead of it. nbclient asks the shell channel once for a message with that whole timeout; a ZMQ socket's
readiness is edge-triggered, so if the one wake-up is missed the reply sits unread until the timeout. Asking in
slices of a second re-checks the socket each time, so a missed wake-up costs at most a second.

:func:`install` patches nbclient's ``NotebookClient`` in this process: the notebook check calls it, so do the
book's Sphinx extension before jupyter-book executes a notebook and the child process in which ``python -m aebook
run`` executes a notebook through papermill.
"""

from __future__ import annotations

import time
from queue import Empty
from typing import Any

SLICE_SECONDS = 1.0


def sliced_get_msg(get_msg: Any, slice_seconds: float = SLICE_SECONDS) -> Any:
    """Wrap a channel's async ``get_msg(timeout=...)`` so that it waits in slices of ``slice_seconds``."""

    async def get(*args: Any, timeout: float | None = None, **kwargs: Any) -> dict[str, Any]:
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            try:
                return await get_msg(*args, timeout=slice_seconds if left is None else min(slice_seconds, left),
                                     **kwargs)
            except Empty:
                if deadline is not None and time.monotonic() >= deadline:
                    raise

    get.sliced = True  # type: ignore[attr-defined]
    return get


def install() -> None:
    """Make every nbclient ``NotebookClient`` in this process read its shell channel in one-second slices."""
    from jupyter_core.utils import run_sync
    from nbclient import NotebookClient

    if getattr(NotebookClient.async_start_new_kernel_client, "sliced", False):
        return
    original = NotebookClient.async_start_new_kernel_client

    async def start(self: NotebookClient) -> Any:
        kc = await original(self)
        channel = kc.shell_channel
        if not getattr(channel.get_msg, "sliced", False):
            channel.get_msg = sliced_get_msg(channel.get_msg)
        return kc

    start.sliced = True  # type: ignore[attr-defined]
    NotebookClient.async_start_new_kernel_client = start  # type: ignore[method-assign]
    NotebookClient.start_new_kernel_client = run_sync(start)  # type: ignore[method-assign]
