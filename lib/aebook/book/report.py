"""What the book's front matter gathers from the chapters: claim verdicts per paper, read from the notebooks.

Every claims table a notebook shows carries its claims in the output's metadata (``aebook.claims``), so the
committed notebooks (quick profile) and the executed runs under ``paper-run/`` (paper profile) are the source:
nothing is typed by hand, and a new claim in a notebook changes the scoreboard at the next build.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from aebook.book.records import notebook_claims, toc_chapters, write_if_changed
from aebook.claims import CHECK, CLAIM, CLAIM_VERDICTS, BEYOND


def paper_run_tables(run: str | Path) -> list[dict[str, Any]]:
    """A paper-scale run's claims tables as the committed notebook beside it judges them today: its rows, kinds,
    rules and preconditions, each verdict given again from the run's figures (like the calibration runs), so a rule
    changed after the run re-judges it. A row the run did not record, or whose rule reads a figure the run did not
    measure, has the verdict None ("—")."""
    from aebook.book.fallback import verdict_under

    run = Path(run)
    committed = run.parent.parent / run.name
    if not committed.exists():
        return notebook_claims(run)
    measured = {c["id"]: c for t in notebook_claims(run) for c in t["claims"]}
    tables = []
    for table in notebook_claims(committed):
        rows = []
        for rule in table["claims"]:
            row = measured.get(rule["id"])
            verdict = verdict_under(rule, row) if row is not None else None
            rows.append({**(row or {"measured": {}}), "id": rule["id"], "kind": rule.get("kind", CLAIM),
                         "verdict": verdict})
        tables.append({**table, "profile": "paper", "claims": rows})
    return tables


def _count(tables: list[dict[str, Any]]) -> dict[str, int]:
    """Verdict counts over the paper's claims (rows recorded before kinds existed are claims); rows whose
    precondition fails are counted as not judged, apart from the verdicts; rows a paper-scale run did not measure
    (verdict None) are not counted here (:func:`_apart` counts them)."""
    counts = dict.fromkeys(CLAIM_VERDICTS, 0)
    for table in tables:
        for claim in table["claims"]:
            if claim.get("kind", CLAIM) == CLAIM and claim["verdict"] is not None:
                counts[claim["verdict"]] += 1
    return counts


def _apart(tables: list[dict[str, Any]]) -> dict[str, int]:
    """Rows counted apart from the claims: checks of the implementation, rows beyond the paper, and claims
    without a control figure."""
    rows = [c for t in tables for c in t["claims"]]
    return {CHECK: sum(c.get("kind") == CHECK for c in rows),
            BEYOND: sum(c.get("kind") == BEYOND for c in rows),
            "without control": sum(c.get("kind", CLAIM) == CLAIM and not c.get("control") for c in rows),
            "unmeasured": sum(c.get("kind", CLAIM) == CLAIM and c["verdict"] is None for c in rows)}


def _fragile(root: Path, sections: list[str]) -> int:
    """How many of the paper's claims (not checks, not rows beyond the paper) in these committed notebooks change
    their verdict between the committed run and the runs recorded under ``calibration/``."""
    from aebook.book.calibration import fragile_ids, load_runs

    count = 0
    for section in sections:
        notebook = root / f"{section}.ipynb"
        if notebook.exists() and load_runs(notebook.parent, notebook.stem):
            claims = {c["id"] for t in notebook_claims(notebook) for c in t["claims"] if c.get("kind", CLAIM) == CLAIM}
            count += len(fragile_ids(notebook) & claims)
    return count


def _title(root: Path, index: str) -> str:
    for line in (root / f"{index}.md").read_text().splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    return index


def scoreboard(root: str | Path) -> list[dict[str, Any]]:
    """Per chapter: its title, index page and verdict counts at the quick profile and, if run, the paper profile
    (rows not judged at a profile counted apart), and how many claims are fragile across recorded runs."""
    root = Path(root)
    rows = []
    for index, sections in toc_chapters(root):
        folder = root / Path(index).parent
        quick = [t for s in sections if (root / f"{s}.ipynb").exists() for t in notebook_claims(root / f"{s}.ipynb")]
        runs = sorted((folder / "paper-run").glob("*.ipynb")) if (folder / "paper-run").is_dir() else []
        paper = [t for nb in runs for t in paper_run_tables(nb)]
        rows.append({"chapter": index, "title": _title(root, index), "quick": _count(quick),
                     "fragile": _fragile(root, sections),
                     "paper": _count(paper) if paper else None,
                     "apart": {"quick": _apart(quick), "paper": _apart(paper) if paper else None},
                     "paper_page": str(runs[0].relative_to(root).with_suffix("").as_posix()) if paper else None})
    return rows


def scoreboard_markdown(root: str | Path) -> str:
    """The scoreboard as a MyST table; every count links to the page that shows its claims tables (the chapter page
    for the quick profile, the first paper-scale run for the paper profile)."""
    head = ("| paper | profile | ✅ reproduced | 🟡 partly | ❌ not reproduced | ⚪ uninformative "
            "| ➖ not judged at this profile | fragile | claims without a control | ✔ checks | beyond the paper |\n"
            "|---|---|---|---|---|---|---|---|---|---|---|\n")
    lines = []
    for row in scoreboard(root):
        link = f"/{row['chapter']}"
        for profile in ("quick", "paper"):
            counts = row[profile]
            if counts is None:
                continue
            target = link if profile == "quick" else f"/{row['paper_page']}"
            cells = " | ".join(f"{{doc}}`{counts[v]} <{target}>`" for v in CLAIM_VERDICTS)
            apart = row["apart"][profile]
            fragile = f"{{doc}}`{row['fragile']} </book/robustness>`" if profile == "quick" else "not measured"
            if apart.get("unmeasured"):  # rows this profile's runs did not measure (recorded before the row existed)
                fragile += f"; {apart['unmeasured']} claim(s) not measured (—)"
            cells += f" | {fragile} | " + " | ".join(str(apart[k]) for k in ("without control", CHECK, BEYOND))
            lines.append(f"| {{doc}}`{row['title']} <{link}>` | {profile} | {cells} |")
    if not lines:
        return "*No chapter has a claims table yet.*\n"
    legend = ("\n*Not judged at this profile*: the model at this profile cannot exercise the claim (a precondition the "
              "row states fails, e.g. the cap never binds or the network shows no failure to close), so the row "
              "counts neither for nor against the paper; the same rule judges it at the other profile. "
              "*Uninformative*: the rule also passes on the claim's control, the same figure measured where the "
              "effect should be absent (an untrained network, a shuffled pairing, a model without the ingredient "
              "the paper credits), so the row is evidence of nothing. The first five columns count the papers' "
              "claims only. *Fragile*: the claim's verdict differs between the committed run and the runs "
              "recorded on other float paths and training seeds (the Robustness page). *Checks* (rows that hold "
              "by construction, testing our implementation) and rows *beyond the paper* (our reading or extension) "
              "are counted apart. A paper-scale run is judged by the rules the committed notebook has today (a row or "
              "figure the run did not measure shows —).\n")
    return head + "\n".join(lines) + "\n" + legend + profile_flips_markdown(root)


def profile_flips(root: str | Path) -> list[dict[str, Any]]:
    """Every claim run at both profiles whose verdict differs between the committed quick-profile notebook and its
    paper-scale run (``paper-run/``), with both verdicts and both figures."""
    root = Path(root)
    flips = []
    for index, _ in toc_chapters(root):
        folder = root / Path(index).parent
        for run in sorted((folder / "paper-run").glob("*.ipynb")) if (folder / "paper-run").is_dir() else []:
            quick_nb = folder / run.name
            if not quick_nb.exists():
                continue
            quick = {c["id"]: c for t in notebook_claims(quick_nb) for c in t["claims"]}
            for claim in (c for t in paper_run_tables(run) for c in t["claims"]):
                before = quick.get(claim["id"])
                if before and claim["verdict"] is not None and before["verdict"] != claim["verdict"]:
                    flips.append({"notebook": str(quick_nb.relative_to(root).with_suffix("").as_posix()),
                                  "paper_run": str(run.relative_to(root).with_suffix("").as_posix()),
                                  "id": claim["id"], "quick": before["verdict"], "paper": claim["verdict"],
                                  "quick_measured": before["measured"], "paper_measured": claim["measured"]})
    return flips


def profile_flips_markdown(root: str | Path) -> str:
    """A list of the rows whose verdict differs between the quick profile and the paper-scale run ('' if none)."""
    def figures(measured: dict[str, Any]) -> str:
        return ", ".join(f"{k} {float(v):.3g}" for k, v in measured.items())

    items = [f"- {{doc}}`{f['notebook'][len('chapters/'):]} </{f['notebook']}>` `{f['id']}`: {f['quick']} at the "
             f"quick profile ({figures(f['quick_measured'])}), {f['paper']} at the "
             f"{{doc}}`paper's scale </{f['paper_run']}>` ({figures(f['paper_measured'])})"
             for f in profile_flips(root)]
    if not items:
        return ""
    return ("\n**Verdicts that differ between the profiles.** Each chapter's page says why (under-training at the "
            "quick profile, an effect of scale, or a fragile figure):\n\n" + "\n".join(items) + "\n")


def profiles_markdown(root: str | Path, index: str) -> str:
    """One chapter's rows at both profiles: for each notebook with a paper-scale run, every row's quick verdict
    beside the paper-scale one (judged by today's rules, :func:`paper_run_tables`), rows whose verdicts differ
    flagged; then the notebooks not yet run at the paper's settings."""
    from aebook.book.calibration import MARKS

    root = Path(root)
    sections = dict(toc_chapters(root)).get(index, [])
    folder = root / Path(index).parent
    lines, waiting = [], []
    for section in sections:
        notebook = root / f"{section}.ipynb"
        if not notebook.exists() or not notebook_claims(notebook):
            continue
        run = folder / "paper-run" / notebook.name
        if not run.exists():
            waiting.append(f"{{doc}}`{notebook.stem} <{notebook.stem}>`")
            continue
        paper = {c["id"]: c for t in paper_run_tables(run) for c in t["claims"]}
        for claim in (c for t in notebook_claims(notebook) for c in t["claims"]):
            after = paper.get(claim["id"], {}).get("verdict")
            differs = after is not None and after != claim["verdict"]
            kind = claim.get("kind", CLAIM)
            lines.append(f"| {{doc}}`{notebook.stem} <{notebook.stem}>` | `{claim['id']}`"
                         + (f" ({kind})" if kind != CLAIM else "")
                         + f" | {MARKS.get(claim['verdict'], '')} {claim['verdict']} "
                         f"| {{doc}}`{MARKS.get(after, '—')} {after or 'not measured'} <paper-run/{notebook.stem}>` "
                         f"| {'**differs**' if differs else ''} |")
    text = ""
    if lines:
        text += ("Each row's verdict in the committed quick-profile run and in the run at the paper's settings "
                 "(`paper-run/`), judged by the same rule; a row whose verdict differs is flagged, and the prose "
                 "above says why.\n\n| notebook | row | quick profile | paper profile | |\n"
                 "|---|---|---|---|---|\n" + "\n".join(lines) + "\n")
    if waiting:
        text += (("\n" if text else "") + "Not yet run at the paper's settings: " + ", ".join(waiting) + " (each "
                 "paper-scale run is added under `paper-run/` as it completes).\n")
    return text or "*This chapter has no claims table yet.*\n"


def write_profiles(root: str | Path) -> list[Path]:
    """Write each chapter's ``_generated/profiles.md`` (only where it changed)."""
    root = Path(root)
    return [write_if_changed(profiles_markdown(root, index), root / Path(index).parent / "_generated" / "profiles.md")
            for index, _ in toc_chapters(root)]


def write_scoreboard(root: str | Path, target: str | Path) -> Path:
    """Write the scoreboard markdown to ``target`` (only if it changed, so Sphinx does not rebuild for nothing)."""
    return write_if_changed(scoreboard_markdown(root), target)


def notebook_run(path: str | Path) -> dict[str, Any]:
    """When and how long a committed notebook ran (from its cells' execution timestamps), and, from its claims
    record, the profile and the environment (versions, device)."""
    import datetime

    nb = json.loads(Path(path).read_text())
    starts, ends = [], []
    for cell in nb.get("cells", []):
        timing = cell.get("metadata", {}).get("execution", {})
        if "iopub.execute_input" in timing and "shell.execute_reply" in timing:
            starts.append(timing["iopub.execute_input"])
            ends.append(timing["shell.execute_reply"])
    parse = lambda t: datetime.datetime.fromisoformat(t.replace("Z", "+00:00"))  # noqa: E731
    seconds = (parse(max(ends)) - parse(min(starts))).total_seconds() if starts else None
    tables = notebook_claims(path)
    record = tables[-1] if tables else {}
    return {
        "date": min(starts)[:10] if starts else None,
        "seconds": seconds,
        "profile": record.get("profile"),
        "environment": record.get("environment", {}),
    }


def run_report_markdown(root: str | Path) -> str:
    """A table of every chapter notebook (and paper-run notebook): profile, device, seconds, date, versions."""
    root = Path(root)
    head = ("| notebook | profile | device | seconds | date | torch | numpy | aebook |\n"
            "|---|---|---|---|---|---|---|---|\n")
    lines = []
    for index, sections in toc_chapters(root):
        folder = root / Path(index).parent
        runs = [f"{s}.ipynb" for s in sections]
        runs += [str(p.relative_to(root)) for p in sorted((folder / "paper-run").glob("*.ipynb"))]
        for rel in runs:
            if not (root / rel).exists():
                continue
            run = notebook_run(root / rel)
            env = run["environment"]
            missing = "not recorded"
            seconds = f"{run['seconds']:.0f}" if run["seconds"] is not None else missing
            target = "/" + rel[: -len(".ipynb")]
            label = rel[len("chapters/"):-len(".ipynb")] if rel.startswith("chapters/") else rel
            lines.append(" | ".join([
                f"| {{doc}}`{label} <{target}>`", run["profile"] or missing, env.get("device", missing), seconds,
                run["date"] or missing, env.get("torch", missing), env.get("numpy", missing),
                env.get("aebook", missing) + " |",
            ]))
    return head + "\n".join(lines) + "\n"


def write_run_report(root: str | Path, target: str | Path) -> Path:
    """Write the run report's table to ``target`` (only if it changed)."""
    return write_if_changed(run_report_markdown(root), target)


def toc_with_paper_runs(root: str | Path) -> dict[str, Any] | None:
    """The book's _toc.yml with every ``chapters/<slug>/paper-run/*.ipynb`` added under its chapter (after the
    chapter's notebooks), or None when there is no paper-scale run to add."""
    import yaml

    root = Path(root)
    toc = yaml.safe_load((root / "_toc.yml").read_text())
    added = False
    for part in toc.get("parts", []):
        for chapter in part.get("chapters", []):
            folder = root / Path(chapter["file"]).parent
            runs = sorted((folder / "paper-run").glob("*.ipynb")) if (folder / "paper-run").is_dir() else []
            if runs:
                chapter.setdefault("sections", []).extend(
                    {"file": str(nb.relative_to(root).with_suffix("").as_posix())} for nb in runs)
                added = True
    return toc if added else None


def paper_run_banner(path: str | Path) -> str:
    """One line for the top of a paper-scale run's page: at which settings, on what device (a CPU says so, with its
    model and threads), when, how long, and with which versions."""
    run = notebook_run(path)
    env = run["environment"]
    seconds = f"{run['seconds'] / 60:.1f} minutes" if run["seconds"] is not None else "an unrecorded time"
    device, date = env.get("device", "an unrecorded device"), run["date"] or "an unrecorded date"
    if device.startswith("cpu"):
        cpu = env.get("cpu", "an unrecorded CPU model")
        where = (f"on a CPU, with no GPU: {cpu}, {device.removeprefix('cpu ').strip('()')}, "
                 f"{env.get('train_threads', '?')} training threads")
    else:
        where = f"on {device}"
    versions = ", ".join(f"{k} {env[k]}" for k in ("torch", "numpy", "aebook") if k in env)
    return (f"Paper-profile run at the paper's settings (params/paper.yaml), executed {where}, on {date} in "
            f"{seconds} ({versions or 'versions not recorded'}). Shown from its stored outputs: the book never "
            "re-executes it.")