"""Seed spread: a notebook's claims at other training seeds, beside the committed run's.

A verdict from one training seed can be luck. ``python -m aebook run NB --sweep seed=1,2`` re-executes a notebook at
other seeds; ``python -m aebook.book.spread record EXECUTED --seed N`` keeps the claims of such a run (only the
claims: a few kilobytes) in ``chapters/<slug>/seeds/<notebook>.seed-<N>.json``. The book's "Seed spread" page puts
them beside the committed notebook's claims, figure by figure, and says which verdicts change with the seed; the
chapters set those claims' tolerances from the measured spread, so that a verdict that moves with the seed is shown
as borderline.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import Any

from aebook.book.parameters import notebook_parameters
from aebook.book.report import notebook_claims, toc_chapters, write_if_changed
from aebook.claims import Tolerance
from aebook.paths import write_atomic

SEEDS_DIR = "seeds"


def record_path(chapter_dir: Path, notebook: str, seed: int) -> Path:
    """Where the claims of ``notebook`` (its stem) at ``seed`` are kept."""
    return Path(chapter_dir) / SEEDS_DIR / f"{notebook}.seed-{seed}.json"


def record_run(executed: str | Path, seed: int, chapter_dir: str | Path) -> Path:
    """Keep the claims of an executed notebook run at ``seed`` under ``chapter_dir/seeds/``; return the file."""
    tables = notebook_claims(executed)
    if not tables:
        raise ValueError(f"{executed} records no claims: is it an executed chapter notebook?")
    stem = tables[0]["notebook"]
    target = record_path(Path(chapter_dir), stem, seed)
    target.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(target, json.dumps({"notebook": stem, "seed": seed, "tables": tables}, indent=1,
                                    ensure_ascii=False, sort_keys=True) + "\n")
    return target


def committed_seed(notebook: str | Path) -> int:
    """The training seed of a committed notebook: its ``seed`` parameter, or the first of ``seeds``."""
    params = notebook_parameters(notebook)
    if "seed" in params:
        return int(params["seed"])
    if params.get("seeds"):
        return int(params["seeds"][0])
    raise ValueError(f"{notebook} has no seed or seeds parameter")


def _claims(tables: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {c["id"]: c for t in tables for c in t["claims"]}


def spread_rows(notebook: str | Path, runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per claim of the committed ``notebook``: its verdict and figures at each seed (committed first), each
    figure's spread (largest − smallest) and whether the committed tolerance covers every seed's figure
    (``covered``), and whether the verdict is the same at every seed."""
    seeds = [committed_seed(notebook)] + [int(r["seed"]) for r in runs]
    by_seed = [_claims(notebook_claims(notebook))] + [_claims(r["tables"]) for r in runs]
    rows = []
    for cid, claim in by_seed[0].items():
        present = [(s, c[cid]) for s, c in zip(seeds, by_seed) if cid in c]
        figures = {}
        tol = Tolerance.from_dict(claim.get("tolerance"))
        for name in claim["measured"]:
            values = [float(c["measured"][name]) for _, c in present if name in c["measured"]]
            finite = [v for v in values if not math.isnan(v)]
            figures[name] = {"values": values,
                             "spread": (max(finite) - min(finite)) if finite else math.nan,
                             "covered": all(tol.agree(values[0], v, name) for v in values[1:])}
        verdicts = [c["verdict"] for _, c in present]
        rows.append({"id": cid, "kind": claim.get("kind", "claim"), "seeds": [s for s, _ in present],
                     "verdicts": verdicts, "stable": len(set(verdicts)) == 1, "figures": figures,
                     "tolerance": claim.get("tolerance", {})})
    return rows


def load_runs(chapter_dir: Path, stem: str) -> list[dict[str, Any]]:
    """The recorded runs of one notebook at other seeds, by seed."""
    files = sorted((chapter_dir / SEEDS_DIR).glob(f"{stem}.seed-*.json"))
    return sorted((json.loads(f.read_text()) for f in files), key=lambda r: int(r["seed"]))


def _fmt(x: float) -> str:
    return "nan" if math.isnan(x) else f"{x:.3g}"


def spread_markdown(root: str | Path) -> str:
    """Tables of every notebook with recorded seed runs: per claim, verdicts and figures by seed."""
    root = Path(root)
    parts, stable, moving = [], 0, 0
    for index, sections in toc_chapters(root):
        chapter_dir = root / Path(index).parent
        for section in sections:
            notebook = root / f"{section}.ipynb"
            stem = Path(section).name
            runs = load_runs(chapter_dir, stem) if notebook.exists() else []
            if not runs:
                continue
            rows = spread_rows(notebook, runs)
            seeds = rows[0]["seeds"] if rows else []
            lines = [f"## {{doc}}`{section[len('chapters/'):]} </{section}>`", "",
                     f"Seeds {', '.join(map(str, seeds))} (the first is the committed run).", "",
                     "| claim | verdict by seed | figure: value by seed | spread | tolerance (committed) "
                     "| every seed within it |",
                     "|---|---|---|---|---|---|"]
            for row in rows:
                stable += row["stable"]
                moving += not row["stable"]
                verdicts = " / ".join(row["verdicts"]) + ("" if row["stable"] else " **(changes)**")
                tol = Tolerance.from_dict(row["tolerance"])
                for i, (name, fig) in enumerate(row["figures"].items()):
                    lead = (f"`{row['id']}` ({row['kind']})", verdicts) if i == 0 else ("", "")
                    values = " / ".join(_fmt(v) for v in fig["values"])
                    cell = name.replace("|", "\\|")  # figure names such as |VAE − PCA| must not split the row
                    lines.append(f"| {lead[0]} | {lead[1]} | {cell}: {values} | {_fmt(fig['spread'])} "
                                 f"| {tol.of(name).describe()} | {'yes' if fig['covered'] else '**no**'} |")
            parts.append("\n".join(lines))
    if not parts:
        return "No notebook has recorded runs at other seeds yet.\n"
    head = (f"{stable + moving} rows re-run at other seeds: the verdict is the same at every seed for {stable}, "
            f"and changes with the seed for {moving}.\n")
    return head + "\n\n" + "\n\n".join(parts) + "\n"


def write_spread(root: str | Path, target: str | Path) -> Path:
    """Write the seed-spread tables to ``target`` (only if they changed)."""
    return write_if_changed(spread_markdown(root), target)


def main(argv: list[str] | None = None) -> None:
    """``record EXECUTED --seed N [--chapter DIR]``: keep an executed run's claims; ``show``: print the tables."""
    parser = argparse.ArgumentParser(prog="python -m aebook.book.spread", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    rec = sub.add_parser("record", help="keep the claims of an executed notebook run at another seed")
    rec.add_argument("executed")
    rec.add_argument("--seed", type=int, required=True)
    rec.add_argument("--chapter", required=True, help="the chapter's folder, e.g. chapters/disks")
    show = sub.add_parser("show", help="print the seed-spread tables")
    show.add_argument("--root", default=".")
    args = parser.parse_args(argv)
    if args.command == "record":
        print(record_run(args.executed, args.seed, args.chapter))
    else:
        print(spread_markdown(args.root))


if __name__ == "__main__":
    main()
