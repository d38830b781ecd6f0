#!/usr/bin/env bash
# The notebook check's fallback against real changes: each notebook is executed as it is (on the native float path,
# two threads: another float path than the committed outputs') and with a mutation (its training halved, or its code
# layer widened), and each run is checked against the committed and recorded runs as the fallback checks a fresh run
# (`python -m aebook.book.calibration check`). The unchanged runs must pass; the mutations should fail.
# Usage: bench/mutation.sh OUT_DIR   (about 10 minutes on 2 cores)
set -uo pipefail
out=${1:?usage: bench/mutation.sh OUT_DIR}
py=${PY:-.venv/bin/python}
mkdir -p "$out"
run() {  # name notebook [param ...]
  local name=$1 nb=$2; shift 2
  local params=()
  for p in "$@"; do params+=(--param "$p"); done
  env AEBOOK_TRAIN_THREADS=2 OMP_NUM_THREADS=2 AEBOOK_CACHE_DIR="$out/$name/weights" \
    $py -m aebook run "$nb" --device cpu --out "$out/$name" --force "${params[@]}" > "$out/$name.log" 2>&1
  local executed="$out/$name/$(basename "$(dirname "$nb")")/$(basename "$nb")"
  $py -m aebook.book.calibration check "$executed" --notebook "$nb" > "$out/$name.check.txt"
  echo "$name: check exit $? ($(head -1 "$out/$name.check.txt" | sed 's/.*: //'))"
}
run disks01-unchanged chapters/disks/01-encoding-disks.ipynb
run disks01-steps-halved chapters/disks/01-encoding-disks.ipynb train_steps=750
run disks01-code-layer-2 chapters/disks/01-encoding-disks.ipynb code_dim=2
run atomic03-unchanged chapters/atomic/03-mixing-blocks.ipynb
run atomic03-steps-halved chapters/atomic/03-mixing-blocks.ipynb steps=1250
run conservative01-steps-halved chapters/conservative/01-vector-fields-2d.ipynb steps=750
run disks01-steps-tenth chapters/disks/01-encoding-disks.ipynb train_steps=150
