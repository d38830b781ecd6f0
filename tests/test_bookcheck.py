"""The browser check of the built book: what it demands of a page, and that it catches a broken page in Chromium."""

import shutil

import pytest

from aebook.book import bookcheck


def facts(**changes):
    base = {"broken": [], "errors": 0, "claims": 1, "figures": 2, "animations": []}
    return {**base, **changes}


def test_a_chapter_notebook_needs_a_figure_and_its_claims_table():
    assert bookcheck.expectations("chapters/disks/01-encoding-disks.html", facts()) == []
    assert "without a figure" in bookcheck.expectations("chapters/disks/01-x.html", facts(figures=0))[0]
    assert "claims table" in bookcheck.expectations("chapters/disks/01-x.html", facts(claims=0))[0]
    assert "claims tables" in bookcheck.expectations("chapters/disks/index.html", facts(claims=0, figures=0))[0]
    assert bookcheck.expectations("book/intro.html", facts(claims=0, figures=0)) == []  # not a chapter page


def test_broken_images_and_error_outputs_are_problems_anywhere():
    found = bookcheck.expectations("book/intro.html", facts(broken=["file:///x.png"], errors=2))
    assert any("did not load" in p for p in found) and any("error output" in p for p in found)


def test_pages_of_skips_static_folders_and_hidden_ones(tmp_path):
    for name in ["index.html", "book/intro.html", "_static/x.html", ".pytest_cache/README.html"]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("<html></html>")
    assert bookcheck.pages_of(tmp_path) == ["book/intro.html", "index.html"]


ANIMATION = """<div class="animation"><img id="_anim_imgA" src="{first}">
<button title="Play" onclick="window.t = setInterval(function () {{
  document.getElementById('_anim_imgA').src = '{second}'; }}, 50)">play</button>
<button title="Pause" onclick="clearInterval(window.t)">pause</button></div>"""


@pytest.mark.skipif(shutil.which("chromium") is None and shutil.which("chromium-browser") is None,
                    reason="needs Debian's chromium (make test installs it)")
def test_chromium_catches_console_errors_broken_images_and_frozen_animations(tmp_path):
    pytest.importorskip("playwright")
    png = "data:image/png;base64," + (
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")
    other = png + "#second-frame"  # a different src is a different frame to the check
    pages = {
        "index.html": "<html><body><p>fine</p></body></html>",
        "book/console.html": "<html><body><script>console.error('boom')</script></body></html>",
        "book/image.html": "<html><body><img src='missing.png'></body></html>",
        "chapters/x/01-moving.html": ("<html><body><div class='cell_output'><img src='%s'></div>"
                                      "<table class='aebook-claims'></table>%s</body></html>"
                                      % (png, ANIMATION.format(first=png, second=other))),
        "chapters/x/02-frozen.html": ("<html><body><div class='cell_output'><img src='%s'></div>"
                                      "<table class='aebook-claims'></table>%s</body></html>"
                                      % (png, ANIMATION.format(first=png, second=png))),
    }
    for name, html in pages.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(html)
    reports = {r.path: r for r in bookcheck.check_book(tmp_path, screens=tmp_path / "screens")}
    assert reports["index.html"].problems == []
    assert reports["chapters/x/01-moving.html"].problems == [] and reports["chapters/x/01-moving.html"].animations == 1
    assert any("boom" in p for p in reports["book/console.html"].problems)
    assert any("did not load" in p for p in reports["book/image.html"].problems)
    assert any("did not change frame" in p for p in reports["chapters/x/02-frozen.html"].problems)
    assert (tmp_path / "screens" / "book__console.png").exists()
