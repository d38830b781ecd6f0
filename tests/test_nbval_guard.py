"""The notebook check bites: a changed checked output fails nbval, while sanitized timings do not."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "nbval" / "checked.ipynb"


def nbval(path: Path) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "pytest", "--nbval-lax", "--nbval-current-env", "-p", "no:cacheprovider",
           "--nbval-sanitize-with", str(ROOT / "tests" / "nbval_sanitize.cfg"), str(path), "-q"]
    return subprocess.run(cmd, cwd=path.parent, capture_output=True, text=True, timeout=300)


def test_committed_outputs_pass_and_timings_are_sanitized(tmp_path):
    copy = tmp_path / "checked.ipynb"
    shutil.copyfile(FIXTURE, copy)
    proc = nbval(copy)
    assert proc.returncode == 0, proc.stdout[-3000:]


def test_a_changed_checked_output_fails(tmp_path):
    nb = json.loads(FIXTURE.read_text())
    nb["cells"][0]["outputs"][0]["text"] = ["43\n"]
    copy = tmp_path / "changed.ipynb"
    copy.write_text(json.dumps(nb))
    proc = nbval(copy)
    assert proc.returncode == 1, proc.stdout[-3000:]
    assert "43" in proc.stdout and "42" in proc.stdout
