"""A reply that the first wait missed is still read: the shell channel is asked in slices, within the timeout."""

from __future__ import annotations

import asyncio
import time
from queue import Empty

import pytest

from aebook.book.nbpoll import install, sliced_get_msg


class MissedWakeup:
    """A channel whose first wait never wakes (as with a missed edge) though the reply is already queued."""

    def __init__(self) -> None:
        self.calls: list[float | None] = []

    async def get_msg(self, timeout: float | None = None) -> dict:
        self.calls.append(timeout)
        if len(self.calls) == 1:
            await asyncio.sleep(timeout if timeout is not None else 3600)  # the whole wait, no wake-up
            raise Empty
        return {"msg_type": "execute_reply"}


def test_a_missed_wakeup_costs_one_slice_not_the_whole_timeout():
    channel = MissedWakeup()
    get = sliced_get_msg(channel.get_msg, slice_seconds=0.2)
    t0 = time.monotonic()
    assert asyncio.run(get(timeout=1800))["msg_type"] == "execute_reply"
    assert time.monotonic() - t0 < 2 and channel.calls[0] == pytest.approx(0.2)


def test_the_timeout_still_holds():
    async def never(timeout=None):
        await asyncio.sleep(timeout)
        raise Empty

    get = sliced_get_msg(never, slice_seconds=0.1)
    t0 = time.monotonic()
    with pytest.raises(Empty):
        asyncio.run(get(timeout=0.35))
    assert 0.3 < time.monotonic() - t0 < 1.5


def test_install_patches_nbclient_once():
    from nbclient import NotebookClient

    install()
    first = NotebookClient.async_start_new_kernel_client
    install()
    assert NotebookClient.async_start_new_kernel_client is first and first.sliced


def test_the_papermill_child_of_python_m_aebook_run_reads_in_slices(tmp_path, monkeypatch):
    import json

    import papermill
    from nbclient import NotebookClient

    from aebook.book import execute

    async def unpatched(self):  # a client method install() has not wrapped yet
        return None

    seen = {}
    monkeypatch.setattr(NotebookClient, "async_start_new_kernel_client", unpatched)
    monkeypatch.setattr(papermill, "execute_notebook", lambda *a, **k: seen.setdefault(
        "sliced", getattr(NotebookClient.async_start_new_kernel_client, "sliced", False)))
    monkeypatch.setattr(execute, "_exit_with_parent", lambda: None)
    (tmp_path / "p.json").write_text(json.dumps({}))
    assert execute.main(["in.ipynb", "out.ipynb", str(tmp_path / "p.json"), str(tmp_path), "python3"]) == 0
    assert seen == {"sliced": True}
