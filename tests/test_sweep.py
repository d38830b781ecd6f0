"""Sweeps: parsing ``--sweep``, the grid and its folders, resuming, and the local, local:N and Dask executors agreeing."""

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from aebook.book.executors import Executor, parse_executor
from aebook.book.parameters import ParameterError
from aebook.book.runner import make_tasks, run
from aebook.book.sweep import grid, parse_sweep, parse_sweeps, set_name

ROOT = Path(__file__).resolve().parents[1]
TINY_CHAPTER = ROOT / "tests" / "fixtures" / "tinychapter"
SWEEP = {"n": [2, 3], "scale": [1.5, 2.0]}
# n * scale against the claim "at least 5, partly from 4": 3.0, 4.0, 4.5, 6.0.
EXPECTED = {"n=2,scale=1.5": "not reproduced", "n=2,scale=2.0": "partly", "n=3,scale=1.5": "partly",
            "n=3,scale=2.0": "reproduced"}


# ---- parsing -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, values", [
    ("d=2..5", [2, 3, 4, 5]),
    ("d=0..20..5", [0, 5, 10, 15, 20]),
    ("d=5..2", [5, 4, 3, 2]),
    ("d=1..2,8", [1, 2, 8]),
    ("lr=0.1,1e-3", [0.1, 1e-3]),
    ("sizes=[1,2],[3,4]", [[1, 2], [3, 4]]),
    ("kind=relu,sigmoid", ["relu", "sigmoid"]),
])
def test_sweep_values_are_read(text, values):
    assert parse_sweep(text)[1] == values


@pytest.mark.parametrize("text, message", [
    ("d=1.5..3", "integers"),
    ("d=1..5..-1", "never reaches"),
    ("d=", "NAME=V1"),
    ("=1,2", "NAME=V1"),
    ("d=1,,2", "empty value"),
    ("d=1,2,1", "twice"),
])
def test_bad_sweeps_are_refused(text, message):
    with pytest.raises(ParameterError, match=message):
        parse_sweep(text)


def test_a_name_swept_twice_or_also_fixed_is_refused():
    with pytest.raises(ParameterError, match="given twice"):
        parse_sweeps(["n=1,2", "n=3"])
    with pytest.raises(ParameterError, match="both swept"):
        parse_sweeps(["n=1,2"], {"n": 4})


def test_grid_order_and_folder_names():
    points = grid({"d": [2, 3], "seed": [0, 1, 2]})
    assert len(points) == 6 and points[0] == {"d": 2, "seed": 0} and points[1] == {"d": 2, "seed": 1}
    assert [set_name(p) for p in points[:2]] == ["d=2,seed=0", "d=2,seed=1"]
    assert grid({}) == [{}] and set_name({}) == ""
    odd = [set_name({"label": "a/b"}), set_name({"label": "a b"})]
    assert all("/" not in s and " " not in s for s in odd) and odd[0] != odd[1]


@pytest.mark.parametrize("spec, scheduler, expected", [
    ("local", None, Executor("local")),
    ("local:3", None, Executor("local", processes=3)),
    ("dask", "tcp://h:8786", Executor("dask", scheduler="tcp://h:8786")),
])
def test_executors_are_read(spec, scheduler, expected):
    assert parse_executor(spec, scheduler) == expected


@pytest.mark.parametrize("spec, scheduler, message", [
    ("local:0", None, "N >= 1"), ("local:x", None, "N >= 1"), ("dask", None, "needs --scheduler"),
    ("ray", None, "unknown executor"), ("local", "tcp://h:1", "only for --executor dask"),
])
def test_bad_executors_are_refused(spec, scheduler, message):
    with pytest.raises(ParameterError, match=message):
        parse_executor(spec, scheduler)


def test_cli_refuses_a_bad_sweep_before_anything_runs(tmp_path):
    out = tmp_path / "runs"
    for sweep in ("nonsense=1,2", "n=1,x"):
        proc = subprocess.run([sys.executable, "-m", "aebook", "run", str(TINY_CHAPTER), "--sweep", sweep,
                               "--out", str(out)], capture_output=True, text=True, timeout=120)
        assert proc.returncode == 2 and proc.stderr.startswith("error:"), proc.stderr
    assert not out.exists()


def test_tasks_carry_code_not_committed_outputs():
    notebook = ROOT / "chapters" / "conservative" / "01-vector-fields-2d.ipynb"
    (task,) = make_tasks([notebook], "quick", {}, {}, "cpu")
    sent = json.loads(task["source"])
    assert all(not c["outputs"] for c in sent["cells"] if c["cell_type"] == "code")
    assert "widgets" not in sent["metadata"] and len(task["source"]) < notebook.stat().st_size / 10
    assert task["set"] == "" and task["notebook"] == "chapters/conservative/01-vector-fields-2d.ipynb"


def test_a_set_is_known_by_its_code_and_parameters_not_its_outputs(tmp_path):
    chapter = shutil.copytree(TINY_CHAPTER, tmp_path / "tinychapter")
    notebook = chapter / "01-tiny.ipynb"
    first = make_tasks([chapter], "quick", {}, {"n": [2]}, "cpu")[0]["hash"]
    nb = json.loads(notebook.read_text())
    nb["cells"][2]["outputs"] = [{"output_type": "stream", "name": "stdout", "text": ["device cpu\n"]}]
    notebook.write_text(json.dumps(nb))
    assert make_tasks([chapter], "quick", {}, {"n": [2]}, "cpu")[0]["hash"] == first
    assert make_tasks([chapter], "quick", {}, {"n": [3]}, "cpu")[0]["hash"] != first
    assert make_tasks([chapter], "paper", {}, {"n": [2]}, "cpu")[0]["hash"] != first
    nb["cells"][2]["source"] = "".join(nb["cells"][2]["source"]) + "\nprint('edited')"
    notebook.write_text(json.dumps(nb))
    assert make_tasks([chapter], "quick", {}, {"n": [2]}, "cpu")[0]["hash"] != first


# ---- running -------------------------------------------------------------------------------------------------

def outcome(out: Path) -> dict[str, tuple]:
    """What a sweep produced, per set: status, parameters, the claim's measured value and verdict."""
    result = {}
    for record in json.loads((out / "summary.json").read_text()):
        folder = out / "tinychapter" / record["set"]
        claims = json.loads((folder / "01-tiny.claims.json").read_text())["claims"][0]
        assert (folder / "01-tiny.ipynb").is_file()
        result[record["set"]] = (record["status"], record["parameters"], claims["measured"], claims["verdict"])
    return result


@pytest.fixture(scope="module")
def local_sweep(tmp_path_factory):
    out = tmp_path_factory.mktemp("local") / "runs"
    records = run([TINY_CHAPTER], "quick", {"label": "swept"}, "cpu", out, sweeps=SWEEP)
    return out, records


def test_local_sweep_runs_every_set_in_its_own_folder(local_sweep):
    out, records = local_sweep
    assert [r["set"] for r in records] == list(EXPECTED)
    assert all(r["status"] == "ok" and r["device"] == "cpu" for r in records)
    got = outcome(out)
    assert {s: v[3] for s, v in got.items()} == EXPECTED
    assert got["n=3,scale=2.0"][1] == {"n": 3, "scale": 2.0, "label": "swept"}
    table = (out / "summary.md").read_text()
    assert table.count("| ok |") == 4 and "| n=2,scale=2.0 |" in table


def test_rerun_skips_finished_sets_and_redoes_only_the_missing_one(local_sweep, tmp_path):
    out = tmp_path / "runs"
    shutil.copytree(local_sweep[0], out)
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*.ipynb")}
    again = run([TINY_CHAPTER], "quick", {"label": "swept"}, "cpu", out, sweeps=SWEEP)
    assert all(r.get("skipped") for r in again) and len(again) == 4
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*.ipynb")} == before
    # An interrupted sweep: one set never wrote its summary. Only that set runs again.
    (out / "tinychapter" / "n=3,scale=1.5" / "01-tiny.summary.json").unlink()
    resumed = run([TINY_CHAPTER], "quick", {"label": "swept"}, "cpu", out, sweeps=SWEEP)
    assert [r["set"] for r in resumed if not r.get("skipped")] == ["n=3,scale=1.5"]
    assert outcome(out) == outcome(local_sweep[0])
    # Other fixed parameters make other sets: nothing is skipped.
    changed = run([TINY_CHAPTER], "quick", {"label": "other"}, "cpu", out, sweeps={"n": [2]}, force=False)
    assert not any(r.get("skipped") for r in changed)


def test_two_local_processes_give_the_same_results(local_sweep, tmp_path):
    out = tmp_path / "runs"
    run([TINY_CHAPTER], "quick", {"label": "swept"}, "cpu", out, sweeps=SWEEP, executor=Executor("local", processes=2))
    assert outcome(out) == outcome(local_sweep[0])


@pytest.fixture()
def cluster():
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                      env={"OMP_NUM_THREADS": "1"}) as c, Client(c) as client:
        yield c, client


def test_dask_sweep_gives_the_same_results_as_local(local_sweep, cluster, tmp_path):
    out = tmp_path / "runs"
    records = run([TINY_CHAPTER], "quick", {"label": "swept"}, "cpu", out, sweeps=SWEEP,
                  executor=parse_executor("dask", cluster[0].scheduler_address))
    assert [r["set"] for r in records] == list(EXPECTED)
    assert outcome(out) == outcome(local_sweep[0])


def test_dask_refuses_cuda_when_no_worker_has_a_gpu(cluster, tmp_path):
    with pytest.raises(ParameterError, match="resources GPU=1"):
        run([TINY_CHAPTER], "quick", {}, "cuda", tmp_path / "runs", sweeps={"n": [2]},
            executor=parse_executor("dask", cluster[0].scheduler_address))


def test_sets_that_ask_for_cuda_land_only_on_the_worker_with_a_gpu(cluster, tmp_path):
    c, client = cluster
    gpu_worker = subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_worker", c.scheduler_address,
                                   "--nthreads", "1", "--resources", "GPU=1", "--name", "gpu-0", "--no-dashboard"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        client.wait_for_workers(3, timeout=60)
        records = run([TINY_CHAPTER], "quick", {}, "cuda", tmp_path / "runs", sweeps={"n": [1, 2, 3, 4]},
                      executor=parse_executor("dask", c.scheduler_address))
    finally:
        gpu_worker.terminate()
        gpu_worker.wait(timeout=30)
    assert [r["worker"] for r in records] == ["gpu-0"] * 4
    # This machine's "GPU" worker has no CUDA: the sets fail there, with the reason, instead of on a CPU worker.
    assert all(r["status"] == "ok" or "CUDA" in r["error"] for r in records)


def test_a_worker_killed_mid_sweep_loses_only_its_running_set(local_sweep, cluster, tmp_path):
    c, client = cluster
    out = tmp_path / "runs"
    done: dict = {}

    def sweep() -> None:
        done["records"] = run([TINY_CHAPTER], "quick", {"label": "swept", "pause": 4.0}, "cpu", out,
                              sweeps=SWEEP, executor=parse_executor("dask", c.scheduler_address))

    thread = threading.Thread(target=sweep)
    thread.start()
    deadline = time.monotonic() + 120
    busy = {}
    while not busy and time.monotonic() < deadline:
        time.sleep(0.2)
        busy = {w: keys for w, keys in client.processing().items() if keys}
    assert busy, "no worker ever started a set"
    time.sleep(2.0)  # well inside the set: its kernel is up and sleeping
    victim = next(iter(busy))
    pid = client.run(os.getpid, workers=[victim])[victim]
    os.kill(pid, signal.SIGKILL)
    thread.join(timeout=300)
    assert not thread.is_alive()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    records = done["records"]
    assert len(records) == 4 and all(r["status"] == "ok" for r in records)
    got = outcome(out)
    assert {s: (v[0], v[2], v[3]) for s, v in got.items()} == {
        s: (v[0], v[2], v[3]) for s, v in outcome(local_sweep[0]).items()}


def test_a_failed_set_is_reported_and_run_again_on_rerun(tmp_path):
    out = tmp_path / "runs"
    cli = [sys.executable, "-m", "aebook", "run", str(TINY_CHAPTER), "--sweep", "fail=false,true", "--device", "cpu",
           "--executor", "local:2", "--out", str(out)]
    proc = subprocess.run(cli, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1
    assert "RuntimeError: asked to fail" in proc.stderr
    assert "| ok |" in proc.stdout and "| failed |" in proc.stdout
    failed = json.loads((out / "tinychapter" / "fail=True" / "01-tiny.summary.json").read_text())
    assert failed["status"] == "failed" and failed["claims"] is None
    assert "asked to fail" in (out / "tinychapter" / "fail=True" / "01-tiny.log").read_text()
    (out / "tinychapter" / "fail=True" / "01-tiny.claims.json").write_text("{}")  # as if from an earlier run
    again = subprocess.run(cli, capture_output=True, text=True, timeout=300)
    assert again.returncode == 1
    assert "| skipped (done) |" in again.stdout and "| failed |" in again.stdout
    assert not (out / "tinychapter" / "fail=True" / "01-tiny.claims.json").exists()
