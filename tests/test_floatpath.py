"""Float paths: a path's environment is exactly its own, and the fingerprint tells runs apart or finds them equal."""

from __future__ import annotations

import pytest

from aebook.book.floatpath import PATHS, compare, path_environment, run_fingerprint


def test_a_path_environment_drops_inherited_float_settings_and_sets_its_own():
    base = {"ONEDNN_MAX_CPU_ISA": "AVX512_CORE", "MKL_CBWR": "AUTO", "ATEN_CPU_CAPABILITY": "avx512", "HOME": "/h"}
    ref = path_environment("reference", base)
    assert ref["ONEDNN_MAX_CPU_ISA"] == "SSE41" and ref["MKL_CBWR"] == "COMPATIBLE"
    assert ref["ATEN_CPU_CAPABILITY"] == "default" and ref["AEBOOK_TRAIN_THREADS"] == "1" and ref["HOME"] == "/h"
    native = path_environment("native-2threads", base)
    assert "MKL_CBWR" not in native and "ONEDNN_MAX_CPU_ISA" not in native and "ATEN_CPU_CAPABILITY" not in native
    assert native["AEBOOK_TRAIN_THREADS"] == "2"


def test_an_unknown_path_is_refused_with_the_known_ones():
    with pytest.raises(ValueError, match="reference"):
        path_environment("avx1024")


def _record(**runs):
    return {"runs": {name: {"final_loss": loss, "losses": "h", "weights": "w"} for name, loss in runs.items()}}


def test_compare_names_the_runs_that_differ_and_nothing_when_they_agree():
    a = _record(mlp="0.1", vae="543.2")
    assert compare(a, _record(mlp="0.1", vae="543.2")) == []
    assert compare(a, _record(mlp="0.1", vae="543.20001")) == ["vae"]


def test_the_reference_path_runs_in_its_own_process_with_its_settings_and_repeats_itself():
    first = run_fingerprint("reference", only="ood member", timeout=300)
    second = run_fingerprint("reference", only="ood member", timeout=300)
    assert list(first["runs"]) == ["ood member 784-128-64-32-20"]
    assert first["machine"]["aten_capability"] == "DEFAULT" and first["machine"]["threads"] == 1
    assert first["machine"]["variables"]["MKL_CBWR"] == "COMPATIBLE"
    assert compare(first, second) == []
    assert set(PATHS) >= {"reference", "avx2-2threads", "sse41-1thread", "native-1thread"}


def _fake(weights: str, torch_version: str = "2.13.0+cpu") -> dict:
    return {"runs": {"mlp": {"final_loss": "0.1", "losses": "h", "weights": weights}},
            "machine": {"cpu": "some CPU", "torch": torch_version}}


def test_verify_accepts_the_committed_bits_and_names_what_differs(tmp_path, monkeypatch):
    import json

    from aebook.book import floatpath

    committed = tmp_path / "fp.json"
    committed.write_text(json.dumps([_fake("w1")]))
    monkeypatch.setattr(floatpath, "run_fingerprint", lambda path, *a, **k: _fake("w1"))
    assert floatpath.verify(committed)[0] is True
    monkeypatch.setattr(floatpath, "run_fingerprint", lambda path, *a, **k: _fake("w2"))
    same, why = floatpath.verify(committed)
    assert not same and "mlp" in why and "other bits" in why
    monkeypatch.setattr(floatpath, "run_fingerprint", lambda path, *a, **k: _fake("w1", "2.11.0"))
    assert "torch 2.11.0" in floatpath.verify(committed)[1]
    assert "no committed fingerprint" in floatpath.verify(tmp_path / "none.json")[1]


def test_the_makefile_sets_the_reference_path_of_floatpath():
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "Makefile").read_text()
    body = re.search(r"^REFERENCE_PATH := (.*?)(?<!\\)\n", text, re.S | re.M).group(1).replace("\\\n", " ")
    assert dict(pair.split("=", 1) for pair in body.split()) == PATHS["reference"]


def test_the_fingerprint_covers_every_optimiser_and_the_data_and_analyses():
    from aebook.book.floatpath import _families
    from aebook.training.optim import OPTIMIZERS

    families = _families()
    assert {f.optimizer for f in families} >= set(OPTIMIZERS) - {"sgd"}  # SGD: no notebook trains with it
    assert {f.loss for f in families} == {"mse", "elbo", "contractive"}
