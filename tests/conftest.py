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
