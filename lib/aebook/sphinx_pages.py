"""Sphinx extension (``extra_extensions: [aebook.sphinx_pages]``): generate the pages' gathered parts (the landing page's scoreboard, the run report) before reading sources."""

from __future__ import annotations

from pathlib import Path

from aebook.report import write_run_report, write_scoreboard


def _generate(app) -> None:  # noqa: ANN001 (a Sphinx application)
    root = Path(app.srcdir)
    write_scoreboard(root, root / "book" / "_generated" / "scoreboard.md")
    write_run_report(root, root / "book" / "_generated" / "run-report.md")


def setup(app) -> dict:  # noqa: ANN001
    """Register the generator; it runs on every build, so a new claim shows up without any hand edit."""
    app.connect("builder-inited", _generate)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
