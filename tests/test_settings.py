"""The AEBOOK_* environment variables: one module reads them, the how-to-run page lists them, bad values are refused."""

import re
from pathlib import Path

import pytest

from aebook import settings

ROOT = Path(__file__).resolve().parents[1]


def test_every_variable_the_library_names_is_a_setting_and_is_documented():
    named = set()
    for path in (ROOT / "lib" / "aebook").rglob("*.py"):
        text = path.read_text()
        named |= set(re.findall(r"AEBOOK_[A-Z_]+[A-Z]", text))
        if path.name != "settings.py":  # nothing else reads one (writing one for a child process is fine)
            assert not re.search(r"environ\.get\(\s*[\"']AEBOOK_|getenv\(\s*[\"']AEBOOK_", text), path
    assert named == set(settings.VARIABLES)
    page = (ROOT / "book" / "how-to-run.md").read_text()
    assert all(f"`{name}`" in page for name in settings.VARIABLES)


def test_defaults_and_bad_values(monkeypatch, tmp_path):
    for name in settings.VARIABLES:
        monkeypatch.delenv(name, raising=False)
    assert settings.train_threads() == 2 and settings.device() == "auto" and settings.cuda_graph() == "1"
    assert settings.deadline() is None and settings.profile() == "quick" and settings.analysis_workers() >= 1
    assert settings.cache_dir(tmp_path) == tmp_path and settings.output_dir() == Path(".")
    monkeypatch.setenv("AEBOOK_TRAIN_THREADS", "3")
    monkeypatch.setenv("AEBOOK_DEVICE", " CPU ")
    monkeypatch.setenv("AEBOOK_CUDA_GRAPH", "strict")
    monkeypatch.setenv("AEBOOK_DATA_DIR", str(tmp_path / "d"))
    assert settings.train_threads() == 3 and settings.device() == "cpu" and settings.cuda_graph() == "strict"
    assert settings.data_dir(tmp_path) == tmp_path / "d"
    for name, value, reader in [("AEBOOK_TRAIN_THREADS", "two", settings.train_threads),
                                ("AEBOOK_ANALYSIS_WORKERS", "0", settings.analysis_workers),
                                ("AEBOOK_CUDA_GRAPH", "yes", settings.cuda_graph),
                                ("AEBOOK_DEADLINE", "tomorrow", settings.deadline)]:
        monkeypatch.setenv(name, value)
        with pytest.raises(ValueError, match=name):
            reader()
    with pytest.raises(KeyError, match="not one of the book's settings"):
        settings._raw("AEBOOK_NOPE")
