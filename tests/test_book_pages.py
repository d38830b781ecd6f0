"""Every chapter page cites its sources from the book's BibTeX file and offers each of its notebooks for download."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted(p.parent for p in (ROOT / "chapters").glob("*/index.md"))
BIB_KEYS = set(re.findall(r"@\w+\{([^,]+),", (ROOT / "book" / "references.bib").read_text()))


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.name)
def test_chapter_page_cites_and_links_every_notebook(chapter):
    text = (chapter / "index.md").read_text()
    cited = set(re.findall(r"\{cite\}`([^`]+)`", text))
    assert cited, "the chapter cites nothing"
    assert cited <= BIB_KEYS, f"cited but not in book/references.bib: {cited - BIB_KEYS}"
    linked = set(re.findall(r"\{download\}`[^`<]*<([^>]+)>`", text))
    notebooks = {p.name for p in chapter.glob("[0-9][0-9]-*.ipynb")}
    assert notebooks and notebooks <= linked, f"notebooks without a download link: {notebooks - linked}"


def test_the_bibliography_page_lists_the_bib_file():
    assert "{bibliography}" in (ROOT / "book" / "references.md").read_text()
    assert len(BIB_KEYS) >= 5
