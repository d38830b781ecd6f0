"""Sphinx extension (``extra_extensions: [aebook.book.sphinx_pages]``): generate the pages' gathered parts (the landing
page's scoreboard, the run report) before reading sources, and keep every page free of network-only pieces and of
console errors: no CDN stylesheet in matplotlib animations, scripts added once, a valid default colour mode."""

from __future__ import annotations

import re
from pathlib import Path

from docutils import nodes
from sphinx.errors import ExtensionError

from aebook.book.report import (paper_run_banner, toc_with_paper_runs, write_profiles, write_run_report,
                                 write_scoreboard)

#: matplotlib's jshtml animations link Font Awesome 4 from a CDN for their button icons; the book's theme already
#: ships Font Awesome (which draws the same ``fa fa-play`` icons), so the link is dropped from the pages.
#: The folder (relative to the book's root) that ``make assets`` fills with the scripts of aebook.book.web_assets.
VENDOR = "book/_vendor"

CDN_STYLESHEET = re.compile(r'<link[^>]*href="https://maxcdn\.bootstrapcdn\.com/font-awesome/[^"]*"[^>]*>\s*')


def _generate(app) -> None:  # noqa: ANN001 (a Sphinx application)
    root = Path(app.srcdir)
    write_scoreboard(root, root / "book" / "_generated" / "scoreboard.md")
    write_profiles(root)
    write_run_report(root, root / "book" / "_generated" / "run-report.md")
    from aebook.book.calibration import write_robustness

    write_robustness(root, root / "book" / "_generated" / "robustness.md")


def _paper_runs_in_toc(app, config) -> None:  # noqa: ANN001
    # Before sphinx-external-toc reads the table of contents (its handler runs at priority 900): point it at a copy
    # that lists every chapters/<slug>/paper-run/ notebook under its chapter.
    import yaml

    toc = toc_with_paper_runs(app.srcdir)
    if toc is not None:
        generated = Path(app.srcdir) / "_build" / "generated-toc" / "_toc.yml"
        generated.parent.mkdir(parents=True, exist_ok=True)
        generated.write_text(yaml.safe_dump(toc, sort_keys=False))
        config.external_toc_path = str(generated)


def _paper_run_banner(app, doctree) -> None:  # noqa: ANN001
    docname = app.env.docname
    if "/paper-run/" not in docname:
        return
    path = Path(app.srcdir) / f"{docname}.ipynb"
    if path.exists():
        section = next(iter(doctree.findall(nodes.section)), None)
        note = nodes.note("", nodes.paragraph(text=paper_run_banner(path)))
        if section is not None:
            section.insert(1, note)


def _vendor_path(app, config) -> None:  # noqa: ANN001
    # Added here, after jupyter-book has read _config.yml: jupyter-book injects every .js file of the static paths
    # it knows into every page, and these scripts belong only on the pages that need them.
    vendor = Path(app.confdir) / VENDOR
    if not (vendor / "require.js").exists():
        raise ExtensionError(f"{vendor} is missing the book's offline scripts: run `make assets` (or `python -m "
                             f"aebook.book.web_assets {VENDOR}`)")
    config.html_static_path = [*config.html_static_path, VENDOR]


def strip_cdn_stylesheets(html: str) -> str:
    """``html`` without matplotlib's Font Awesome CDN link."""
    return CDN_STYLESHEET.sub("", html)


def _offline_outputs(app, doctree, docname) -> None:  # noqa: ANN001
    for node in doctree.findall(nodes.raw):
        if node.get("format") == "html" and "maxcdn.bootstrapcdn.com" in node.astext():
            node.children = [nodes.Text(strip_cdn_stylesheets(node.astext()))]
            node.rawsource = node.astext()


#: ipywidgets' HTML manager 1.0.6 typesets with the MathJax 2 call ``MathJax.Hub.Queue``; MathJax 3 has no Hub. This
#: stub (set before MathJax loads, and again once it is ready) forwards those calls to MathJax 3's typesetPromise.
MATHJAX_HUB_SHIM = """(function () {
  var waiting = [];
  var hub = {Queue: function (job) {
    var element = job && job[2];
    if (window.MathJax && window.MathJax.typesetPromise) { window.MathJax.typesetPromise(element ? [element] : undefined); }
    else if (element) { waiting.push(element); }
  }};
  var config = window.MathJax = window.MathJax || {};
  config.Hub = hub;
  var startup = config.startup || {};
  config.startup = Object.assign({}, startup, {ready: function () {
    (startup.ready || function () { MathJax.startup.defaultReady(); })();
    MathJax.Hub = hub;
    MathJax.startup.promise.then(function () { if (waiting.length) { MathJax.typesetPromise(waiting); } });
  }});
})();"""


def _script_name(script: object) -> str:
    return str(getattr(script, "filename", script) or "")  # the same inline script comes as None and as ''


def _page_scripts(app, pagename, templatename, context, doctree) -> None:  # noqa: ANN001
    """Each page's scripts: duplicates dropped, require.js and MathJax set up for the widget manager."""
    from sphinx.builders.html._assets import _JavaScript

    # sphinx-thebe's configuration script can be registered twice ("THEBE_JS_URL has already been declared")
    seen, unique = set(), []
    for script in context.get("script_files", []):
        key = (_script_name(script), repr(sorted(getattr(script, "attributes", {}).items())))
        if key not in seen:
            seen.add(key)
            unique.append(script)
    names = [_script_name(s).removeprefix("_static/") for s in unique]
    if "require.js" in names:  # widgets: require.js resolves the manager's fonts from its baseUrl, the static folder
        base = context["pathto"]("_static/", 1)
        unique.insert(names.index("require.js"), _JavaScript("", body=f'var require = {{baseUrl: "{base}"}};'))
        if any(app.config.mathjax_path in n for n in names):
            first_mathjax = next(i for i, s in enumerate(unique) if "window.MathJax" in str(getattr(s, "attributes", {})))
            unique.insert(first_mathjax + 1, _JavaScript("", body=MATHJAX_HUB_SHIM))
    context["script_files"] = unique
    # the theme reads localStorage or this default; an empty default logs a console error on a first visit
    context["default_mode"] = context.get("default_mode") or "auto"


def _prose_role(kind: str):  # noqa: ANN202
    """A role that writes a figure or verdict read from a committed notebook's claims (:mod:`aebook.book.prose`)."""
    from aebook.book import prose

    def role(name, rawtext, text, lineno, inliner, options=None, content=None):  # noqa: ANN001, ANN202
        env = inliner.document.settings.env
        folder = Path(env.srcdir) / Path(env.docname).parent
        try:
            value = (prose.verdict_text(folder, text) if kind == "verdict"
                     else prose.figure_text(folder, text, control=kind == "control"))
        except prose.ProseReferenceError as err:
            message = inliner.reporter.error(f"{{{name}}}`{text}`: {err}", line=lineno)
            return [inliner.problematic(rawtext, rawtext, message)], [message]
        env.note_dependency(str(folder / f"{_split_notebook(text)}.ipynb"))
        return [nodes.inline(rawtext, value, classes=[f"aebook-{kind}"])], []

    return role


def _split_notebook(ref: str) -> str:
    return ref.split("::", 1)[0].strip().removesuffix(".ipynb")


def setup(app) -> dict:  # noqa: ANN001
    """Register the generator (it runs on every build, so a new claim shows up without any hand edit) and the fixes."""
    from aebook.book.nbpoll import install

    install()  # notebooks jupyter-book executes read their replies in one-second slices (see aebook.book.nbpoll)
    for kind in ("measured", "control", "verdict"):
        app.add_role(kind, _prose_role(kind))
    app.connect("builder-inited", _generate)
    app.connect("config-inited", _vendor_path)
    app.connect("config-inited", _paper_runs_in_toc, priority=400)
    app.connect("doctree-read", _paper_run_banner)
    app.connect("doctree-resolved", _offline_outputs)
    app.connect("html-page-context", _page_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
