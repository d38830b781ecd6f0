"""A wall-clock budget for a run: training stops cleanly, with a checkpoint, when ``$AEBOOK_DEADLINE`` passes."""

from __future__ import annotations

import time

from aebook import settings


class TimeBudgetExceeded(RuntimeError):
    """Raised by training when the run's deadline has passed; the last finished step is checkpointed first."""


def deadline() -> float | None:
    """The deadline (seconds since the epoch) from ``$AEBOOK_DEADLINE``, or None when the run has no budget."""
    return settings.deadline()


def check(when: float | None, what: str = "training") -> None:
    """Raise ``TimeBudgetExceeded`` if ``when`` (a deadline, or None for none) has passed."""
    if when is not None and time.time() >= when:
        raise TimeBudgetExceeded(f"{what} stopped at the time budget's deadline; rerun to carry on from the checkpoint")


def check_now(what: str) -> None:
    """Raise ``TimeBudgetExceeded`` if the run's deadline (``$AEBOOK_DEADLINE``) has passed: the check a long
    analysis makes between its parts, so that a budget bounds more than training (an analysis keeps no checkpoint:
    the next run does it again)."""
    when = deadline()
    if when is not None and time.time() >= when:
        raise TimeBudgetExceeded(f"{what} stopped at the time budget's deadline; rerun to do it again")
