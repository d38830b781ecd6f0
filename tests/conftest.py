"""Shared fixtures: a private weight cache for every test, so tests never read the book's cache."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    """Point the weight cache at a fresh folder for each test, and ``device='auto'`` at the CPU."""
    folder = tmp_path / "weights"
    monkeypatch.setenv("AEBOOK_CACHE_DIR", str(folder))
    monkeypatch.setenv("AEBOOK_DEVICE", "cpu")  # tests of CPU behaviour stay on the CPU where CUDA is present
    return folder


@pytest.fixture
def toy_book(tmp_path):
    """A book in ``tmp_path`` with one chapter, ``chapters/toy``, whose one section is ``01-a``; its folder."""
    (tmp_path / "_toc.yml").write_text(
        "format: jb-book\nroot: book/intro\nparts:\n  - caption: Papers\n    chapters:\n"
        "      - file: chapters/toy/index\n        sections:\n          - file: chapters/toy/01-a\n")
    (tmp_path / "chapters/toy").mkdir(parents=True)
    (tmp_path / "chapters/toy/index.md").write_text("# Toy\n")
    return tmp_path / "chapters/toy"
