"""Fingerprints of the reference float path side by side: per family, the weights digest and the digest of every
step's loss of each fingerprint file, and whether all agree; then the data and analysis digests.

    python bench/compare_fingerprints.py lib/aebook/book/reference-fingerprint.json bench/results/2026-12-07-portable/fp_*.json

A file made before a family or the data digests existed shows "—" there; agreement is over the files that have it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def _label(path: Path, record: dict) -> str:
    machine = record["machine"]
    return f"{path.name}: {machine.get('under') or 'native'} on {machine['cpu']} ({record['path']}, torch {machine['torch']})"


def main(paths: list[str]) -> int:
    """Print the comparison; exit 1 if any family or digest differs between files that have it."""
    records = [(Path(p), json.loads(Path(p).read_text())[0]) for p in paths]
    for i, (path, rec) in enumerate(records):
        print(f"({i + 1}) {_label(path, rec)}")
    names = list(dict.fromkeys(n for _, rec in records for n in rec["runs"]))
    differ = 0
    print("\n| family | " + " | ".join(f"({i + 1})" for i in range(len(records))) + " | all agree |")
    print("|---|" + "---|" * (len(records) + 1))
    for name in names:
        cells = [(rec["runs"][name]["weights"], rec["runs"][name]["losses"]) if name in rec["runs"] else None
                 for _, rec in records]
        agree = len({c for c in cells if c}) == 1
        differ += not agree
        shown = [f"{c[0]} / {c[1][:8]}" if c else "—" for c in cells]
        print(f"| {name} | " + " | ".join(shown) + f" | {'yes' if agree else '**no**'} |")
    digests = list(dict.fromkeys(k for _, rec in records for k in rec.get("data", {})))
    if digests:
        print("\n| data or analysis | " + " | ".join(f"({i + 1})" for i in range(len(records))) + " | all agree |")
        print("|---|" + "---|" * (len(records) + 1))
        for key in digests:
            cells = [rec.get("data", {}).get(key) for _, rec in records]
            agree = len({c for c in cells if c}) == 1
            differ += not agree
            print(f"| {key} | " + " | ".join(c[:10] if c else "—" for c in cells) + f" | {'yes' if agree else '**no**'} |")
    print(f"\n{'every digest agrees' if not differ else f'{differ} row(s) differ'}")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
