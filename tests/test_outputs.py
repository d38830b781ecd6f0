"""Stamped committed outputs seed jupyter-book's execution cache only while their code and library still match."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nbformat
import pytest
from jupyter_cache import get_cache

from aebook.book import outputs
from aebook.book.libhash import libhash
from aebook.book.nbcheck import execute_notebook

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "tests" / "fixtures" / "tinychapter" / "01-tiny.ipynb"


def test_the_library_hash_sees_the_science_and_the_pins_but_not_the_machinery(tmp_path):
    for rel in ("requirements.txt", "pyproject.toml", "lib/aebook/train.py", "lib/aebook/book/report.py"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x = 1\n")
    first = libhash(tmp_path)
    (tmp_path / "lib/aebook/book/report.py").write_text("x = 2\n")
    assert libhash(tmp_path) == first
    (tmp_path / "lib/aebook/train.py").write_text("x = 2\n")
    assert libhash(tmp_path) != first
    second = libhash(tmp_path)
    (tmp_path / "requirements.txt").write_text("torch==9\n")
    assert libhash(tmp_path) != second


@pytest.fixture(scope="module")
def executed(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("nb") / "01-tiny.ipynb"
    path.write_text(json.dumps(execute_notebook(TINY, timeout=120)))
    return path


def test_stamp_then_edit_then_library_change(executed, tmp_path):
    path = tmp_path / "01-tiny.ipynb"
    shutil.copyfile(executed, path)
    assert outputs.is_current(path, "lib-a") == (False, "no stamp (executed outside `make outputs`)")
    outputs.stamp(path, "lib-a")
    assert outputs.is_current(path, "lib-a") == (True, "current")
    assert outputs.is_current(path, "lib-b")[1].startswith("lib/ or the pinned requirements changed")
    nb = nbformat.read(path, as_version=4)
    nb.cells[1].source = nb.cells[1].source.replace("n = 3", "n = 4")
    nbformat.write(nb, path)
    assert outputs.is_current(path, "lib-a") == (False, "its code cells changed since its outputs were made")


def test_seed_puts_only_current_notebooks_in_the_cache(executed, tmp_path, monkeypatch):
    current, edited = tmp_path / "a" / "01-tiny.ipynb", tmp_path / "b" / "01-tiny.ipynb"
    for p in (current, edited):
        p.parent.mkdir()
        shutil.copyfile(executed, p)
        outputs.stamp(p, "lib-now")
    nb = nbformat.read(edited, as_version=4)
    nb.cells[1].source += "\n# an edit after the outputs were made"
    nbformat.write(nb, edited)
    monkeypatch.setattr(outputs, "libhash", lambda root: "lib-now")
    report = outputs.seed(tmp_path / "cache", [current, edited])
    assert report[str(current)] == "seeded from the committed outputs"
    assert report[str(edited)].startswith("left to execute: its code cells changed")
    cache = get_cache(str(tmp_path / "cache"))
    record = cache.match_cache_notebook(nbformat.read(current, as_version=4))
    cached = cache.get_cache_bundle(record.pk).nb
    assert any(o.get("metadata", {}).get("aebook", {}).get("claims") for c in cached.cells for o in c.get("outputs", []))
    with pytest.raises(KeyError):
        cache.match_cache_notebook(nbformat.read(edited, as_version=4))
    assert outputs.seed(tmp_path / "cache", [current])[str(current)] == "already in the cache"
    monkeypatch.setattr(outputs, "libhash", lambda root: "lib-later")
    assert outputs.seed(tmp_path / "cache", [current])[str(current)].startswith("left to execute: lib/")


def test_the_command_line_refuses_a_missing_notebook(capsys):
    assert outputs.main(["stamp", "no/such.ipynb"]) == 2
    assert "no such notebook" in capsys.readouterr().err


def test_execute_in_place_writes_the_outputs_and_a_current_stamp(tmp_path):
    path = tmp_path / "01-tiny.ipynb"
    shutil.copy(TINY, path)
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
    nbformat.write(nb, path)
    assert outputs.main(["execute", str(path)]) == 0
    assert outputs.is_current(path)[0]
    executed = nbformat.read(path, as_version=4)
    shown = [o for c in executed.cells if c.cell_type == "code" for o in c.outputs]
    assert any("aebook" in o.get("metadata", {}) for o in shown)  # the claims table came back with its record
