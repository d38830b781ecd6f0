"""Training recipes: what each run was asked to do, noted by ``train()``, recorded by every claims table, the same
on every float path, and compared exactly by the notebook check, so that halved steps or a changed layer fail it."""

from __future__ import annotations

import json
import subprocess
import sys

import torch
from torch import nn

from aebook import recipes
from aebook.book.floatpath import path_environment
from aebook.book.nbcheck import compare_training
from aebook.claims import ClaimsTable
from aebook.train import TrainConfig, train


def _recipe(model: nn.Module, steps: int = 40, seed: int = 0, **extra) -> dict:
    return recipes.recipe(model, torch.zeros(64, 4), TrainConfig(steps=steps, batch_size=8, seed=seed), extra)


def test_halved_steps_a_changed_layer_and_a_missing_run_are_named():
    committed = [_recipe(nn.Linear(4, 4)), _recipe(nn.Sequential(nn.Linear(4, 2), nn.Linear(2, 4)), lam=0.1)]
    assert recipes.differences(committed, committed) == []
    halved = [_recipe(nn.Linear(4, 4), steps=20), committed[1]]
    assert recipes.differences(committed, halved) == ["training run 1 (Linear): config.steps 20 (committed 40)"]
    layer = [committed[0], _recipe(nn.Sequential(nn.Linear(4, 3), nn.Linear(3, 4)), lam=0.1)]
    [problem] = recipes.differences(committed, layer)
    assert problem.startswith("training run 2 (Sequential): architecture") and "parameters 31 (committed 22)" in problem
    weight = [committed[0], _recipe(nn.Sequential(nn.Linear(4, 2), nn.Linear(2, 4)), lam=0.2)]
    assert recipes.differences(committed, weight) == ["training run 2 (Sequential): settings.lam 0.2 (committed 0.1)"]
    assert recipes.differences(committed, committed[:1])[0] == ("the committed outputs trained 2 network(s), the "
                                                                "fresh run 1")


def test_a_seed_is_compared_unless_the_run_was_made_at_another_seed_on_purpose():
    a, b = [_recipe(nn.Linear(4, 4), seed=0)], [_recipe(nn.Linear(4, 4), seed=1)]
    assert recipes.differences(a, b) == ["training run 1 (Linear): config.seed 1 (committed 0)"]
    assert recipes.differences(a, b, ignore_seed=True) == []


def test_a_data_digest_is_left_out_and_a_run_is_noted_once(tmp_path):
    digest = "ab" * 32
    assert _recipe(nn.Linear(4, 4), probe=digest)["settings"] == {"probe": "<digest of data>"}
    before, data = len(recipes.noted()), torch.randn(32, 4)
    for _ in range(2):  # a cell run twice trains (or loads) the same run: noted once
        train(nn.Linear(4, 4), data, TrainConfig(steps=2, batch_size=8), cache_dir=tmp_path)
    assert len(recipes.noted()) == before + 1
    assert recipes.noted()[-1]["config"]["steps"] == 2
    assert ClaimsTable("t", "01-t").to_dict()["training"] == recipes.noted()


_CHILD = """
import json, torch
from aebook import recipes
from aebook.train import TrainConfig, train
from aebook.models.disk_ae import DiskAutoencoder
torch.manual_seed(0)
run = train(DiskAutoencoder(size=32, depths=(8, 4, 4, 3), code_dim=1), torch.rand(64, 1, 32, 32),
            TrainConfig(steps=20, batch_size=32), cache=False, device="cpu")
print(json.dumps({"recipes": recipes.noted()}))
"""


def test_the_recipe_is_the_same_on_two_float_paths():
    found = {}
    for path in ("reference", "native-2threads"):
        proc = subprocess.run([sys.executable, "-c", _CHILD], env=path_environment(path), capture_output=True,
                              text=True, timeout=300, check=True)
        found[path] = json.loads(proc.stdout.strip().splitlines()[-1])
    # whatever bits the two paths train on this machine, the recipe is the same: it holds no computed value
    assert found["reference"]["recipes"] == found["native-2threads"]["recipes"]
    assert found["reference"]["recipes"][0]["config"]["steps"] == 20


def test_the_check_fails_outputs_that_do_not_record_their_training():
    table = {"notebook": "01-t", "claims": []}
    old = {"cells": [{"outputs": [{"metadata": {"aebook": {"claims": table}}}]}]}
    new = {"cells": [{"outputs": [{"metadata": {"aebook": {"claims": {**table, "training": []}}}}]}]}
    assert "do not record their training runs" in compare_training(old, new)[0]
    assert compare_training(new, new) == []
