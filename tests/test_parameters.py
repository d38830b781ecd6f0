from pathlib import Path

import pytest
import yaml

from aebook.book.parameters import ParameterError, check_parameters, notebook_parameters
from aebook.book.runner import find_notebooks, parse_assignments, profile_parameters

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "tests" / "fixtures" / "tinychapter" / "01-tiny.ipynb"
CHAPTER_NOTEBOOKS = sorted(
    p for p in (ROOT / "chapters").glob("*/[0-9]*.ipynb") if "paper-run" not in p.parts
)


def test_parameters_cell_is_read_with_types():
    assert notebook_parameters(TINY) == {"n": 3, "scale": 1.5, "label": "tiny", "device": "auto", "pause": 0.0, "fail": False,
                                       "train_steps": 0}


def test_unknown_parameter_is_refused_with_the_valid_list():
    with pytest.raises(ParameterError) as err:
        check_parameters(TINY, {"nonsense": 1})
    text = str(err.value)
    assert "'nonsense'" in text and "n (int, default 3)" in text and "scale (float, default 1.5)" in text


@pytest.mark.parametrize("name, value", [("n", "abc"), ("n", 2.5), ("n", True), ("scale", "x"), ("label", 3)])
def test_wrong_types_are_refused(name, value):
    with pytest.raises(ParameterError, match="expects"):
        check_parameters(TINY, {name: value})


def test_ints_are_accepted_as_floats():
    assert check_parameters(TINY, {"scale": 2}) == {"scale": 2.0}


def test_assignments_are_read_as_yaml():
    assert parse_assignments(["a=5", "b=0.1", "c=true", "d=[1, 2]", "e=text", "f=1e-3"]) == {
        "a": 5, "b": 0.1, "c": True, "d": [1, 2], "e": "text", "f": 0.001
    }
    with pytest.raises(ParameterError, match="NAME=VALUE"):
        parse_assignments(["novalue"])


def test_profiles_and_paths():
    assert profile_parameters(TINY, "paper") == {"n": 10}
    with pytest.raises(ParameterError, match="unknown profile"):
        profile_parameters(TINY, "huge")
    with pytest.raises(ParameterError, match="neither"):
        find_notebooks([ROOT / "nowhere.ipynb"])
    assert find_notebooks([TINY.parent]) == [TINY]


@pytest.mark.parametrize("notebook", CHAPTER_NOTEBOOKS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_chapter_profiles_match_the_notebooks(notebook):
    """quick.yaml repeats the parameters cell's defaults; paper.yaml only sets valid parameters."""
    defaults = notebook_parameters(notebook)
    quick = profile_parameters(notebook, "quick")
    assert quick, f"{notebook.parent}/params/quick.yaml has no entry for {notebook.stem}"
    for name, value in quick.items():
        assert defaults.get(name) == value, f"quick.yaml says {name}={value!r}, the notebook {defaults.get(name)!r}"
    check_parameters(notebook, profile_parameters(notebook, "paper"))


def test_every_chapter_has_both_profiles():
    for chapter in {p.parent for p in CHAPTER_NOTEBOOKS}:
        for profile in ("quick", "paper"):
            assert isinstance(yaml.safe_load((chapter / "params" / f"{profile}.yaml").read_text()), dict)
