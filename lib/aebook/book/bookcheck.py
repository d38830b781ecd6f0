"""Check the built book the way a reader sees it: every page in headless Chromium (the system's browser, driven by
Playwright), failing on console errors, failed requests, broken images, error outputs, chapter pages without a
figure or a claims table, and jshtml animations that do not move. A screenshot of each page is saved.

Run: ``python -m aebook.book.bookcheck _build/html [--screens _build/screens] [--browser /usr/bin/chromium]``.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

#: The switches the book's CI gives Chromium (no sandbox as root, nothing fetched in the background).
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
NOTEBOOK_PAGE = re.compile(r"^chapters/[^/]+/\d\d-[^/]+\.html$")
CHAPTER_INDEX = re.compile(r"^chapters/[^/]+/index\.html$")
SKIPPED = ("_static/", "_sources/", "_images/", "_downloads/")

#: In the page: images that failed, error outputs, claims tables, figures in outputs, and the jshtml animations.
PAGE_FACTS = """() => ({
  broken: Array.from(document.images).filter(i => !i.complete || i.naturalWidth === 0).map(i => i.src),
  errors: document.querySelectorAll('.cell_output .traceback, .cell_output .output.error').length,
  claims: document.querySelectorAll('table.aebook-claims').length,
  figures: document.querySelectorAll('.cell_output img').length,
  animations: Array.from(document.querySelectorAll('div.animation')).map(a => {
    const img = a.querySelector('img');
    const play = a.querySelector('button[title="Play"], button[aria-label="Play"]');
    return {id: img ? img.id : '', hasPlay: !!play};
  }),
})"""


@dataclass
class PageReport:
    """What one page showed: its problems (empty when it passed) and what it holds."""

    path: str
    problems: list[str] = field(default_factory=list)
    figures: int = 0
    claims: int = 0
    animations: int = 0
    seconds: float = 0.0


def find_browser(explicit: str | None = None) -> str:
    """The Chromium executable: ``explicit``, else ``chromium`` or ``chromium-browser`` on the PATH."""
    for candidate in ([explicit] if explicit else ["chromium", "chromium-browser"]):
        found = shutil.which(candidate) if candidate else None
        if found:
            return found
    raise FileNotFoundError("no Chromium found: install Debian's `chromium` package (make test does so when missing)")


def pages_of(site: Path) -> list[str]:
    """Every HTML page of the built book, as paths relative to ``site``, sorted."""
    paths = (p.relative_to(site).as_posix() for p in site.rglob("*.html"))
    return sorted(p for p in paths if not p.startswith(SKIPPED) and not any(part.startswith(".") for part in p.split("/")))


def expectations(path: str, facts: dict) -> list[str]:
    """Problems with a page's content given the facts gathered from it (independent of the browser)."""
    problems = []
    if facts["broken"]:
        problems.append(f"{len(facts['broken'])} image(s) did not load: {facts['broken'][:3]}")
    if facts["errors"]:
        problems.append(f"{facts['errors']} error output(s)")
    if NOTEBOOK_PAGE.match(path):
        if facts["figures"] == 0:
            problems.append("a chapter notebook without a figure")
        if facts["claims"] == 0:
            problems.append("a chapter notebook without its claims table")
    if CHAPTER_INDEX.match(path) and facts["claims"] == 0:
        problems.append("a chapter page without its claims tables")
    return problems


def check_page(context, site: Path, path: str, screens: Path | None) -> PageReport:  # noqa: ANN001 (Playwright)
    """Load one page, collect its console errors and failed requests, test its animations, take a screenshot."""
    started = time.perf_counter()
    report = PageReport(path)
    page = context.new_page()
    messages: list[str] = []
    page.on("console", lambda m: messages.append(f"console error: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: messages.append(f"script error: {e}"))
    page.on("requestfailed", lambda r: messages.append(f"request failed: {r.url}"))
    page.goto((site / path).as_uri(), wait_until="load")
    page.wait_for_timeout(300)
    facts = page.evaluate(PAGE_FACTS)
    report.figures, report.claims, report.animations = facts["figures"], facts["claims"], len(facts["animations"])
    report.problems += expectations(path, facts)
    for anim in facts["animations"]:
        if not anim["hasPlay"] or not anim["id"]:
            report.problems.append("an animation without its image or play button")
            continue
        image = page.locator(f"#{anim['id']}")
        before = image.get_attribute("src")
        image.locator("xpath=ancestor::div[contains(@class,'animation')]").locator("button[title='Play']").click()
        page.wait_for_timeout(800)
        if image.get_attribute("src") == before:
            report.problems.append(f"animation {anim['id']} did not change frame when played")
        image.locator("xpath=ancestor::div[contains(@class,'animation')]").locator("button[title='Pause']").click()
    if screens is not None:
        shot = screens / (path.removesuffix(".html").replace("/", "__") + ".png")
        page.screenshot(path=str(shot))
    report.problems = messages + report.problems
    page.close()
    report.seconds = time.perf_counter() - started
    return report


def check_book(site: str | Path, screens: str | Path | None = None, browser: str | None = None) -> list[PageReport]:
    """Check every page of the built book at ``site``; return one report per page."""
    from playwright.sync_api import sync_playwright

    site = Path(site).resolve()
    if not (site / "index.html").exists():
        raise FileNotFoundError(f"{site} holds no built book (no index.html): build it first")
    shots = Path(screens) if screens is not None else None
    if shots is not None:
        shots.mkdir(parents=True, exist_ok=True)
    executable = find_browser(browser)
    with sync_playwright() as pw, tempfile.TemporaryDirectory(prefix="aebook-chromium-") as profile:
        context = pw.chromium.launch_persistent_context(profile, executable_path=executable, headless=True,
                                                        args=CHROMIUM_ARGS, viewport={"width": 1300, "height": 1000})
        try:
            return [check_page(context, site, path, shots) for path in pages_of(site)]
        finally:
            context.close()


def main(argv: list[str] | None = None) -> int:
    """Command line: print one line per page and a summary; exit 1 when any page has a problem."""
    parser = argparse.ArgumentParser(prog="python -m aebook.book.bookcheck", description=__doc__.splitlines()[0])
    parser.add_argument("site", help="the built book's HTML folder")
    parser.add_argument("--screens", default=None, help="folder for one screenshot per page")
    parser.add_argument("--browser", default=None, help="Chromium executable (default: chromium on the PATH)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    try:
        reports = check_book(args.site, args.screens, args.browser)
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    bad = [r for r in reports if r.problems]
    for r in reports:
        status = "ok" if not r.problems else "FAIL"
        print(f"{status:4} {r.path}  ({r.figures} figures, {r.claims} claims tables, {r.animations} animations, "
              f"{r.seconds:.1f} s)")
        for problem in r.problems:
            print(f"     - {problem}")
    print(f"browser check: {len(reports)} pages, {len(bad)} with problems, {time.perf_counter() - started:.0f} s")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
