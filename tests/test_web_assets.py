"""The book's offline scripts: fetched with npm, refused when the tarball's checksum differs, unpacked by pattern;
and the page fixes of aebook.book.sphinx_pages."""

import io
import tarfile

import pytest

from aebook.book import web_assets
from aebook.data.mnist import sha256_file
from aebook.book.sphinx_pages import strip_cdn_stylesheets


def fake_tarball(folder, files):
    path = folder / "pkg.tgz"
    with tarfile.open(path, "w:gz") as tar:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def test_assets_are_unpacked_by_file_folder_and_pattern(tmp_path, monkeypatch):
    src = tmp_path / "src"
    src.mkdir()
    tarball = fake_tarball(src, {"package/a.js": "a", "package/dist/f1.woff": "f", "package/dist/x.map": "m",
                                 "package/es5/sub/b.js": "b"})
    package = web_assets.Package("pkg@1", sha256_file(tarball), {"package/a.js": "a.js",
                                                                  "package/dist/*.woff": "fonts/",
                                                                  "package/es5/": "lib/"})
    monkeypatch.setattr(web_assets, "PACKAGES", (package,))
    monkeypatch.setattr(web_assets, "npm_pack", lambda spec, folder: tarball)
    dest = web_assets.fetch_assets(tmp_path / "out", verbose=False)
    assert (dest / "a.js").read_text() == "a" and (dest / "fonts" / "f1.woff").read_text() == "f"
    assert (dest / "lib" / "sub" / "b.js").read_text() == "b" and not (dest / "fonts" / "x.map").exists()


def test_a_tarball_with_another_checksum_is_refused(tmp_path, monkeypatch):
    tarball = fake_tarball(tmp_path, {"package/a.js": "tampered"})
    monkeypatch.setattr(web_assets, "PACKAGES", (web_assets.Package("pkg@1", "0" * 64, {"package/a.js": "a.js"}),))
    monkeypatch.setattr(web_assets, "npm_pack", lambda spec, folder: tarball)
    with pytest.raises(web_assets.AssetError, match="does not match"):
        web_assets.fetch_assets(tmp_path / "out", verbose=False)
    assert not (tmp_path / "out" / "a.js").exists()


def test_the_pinned_packages_name_what_the_book_loads():
    targets = {t for p in web_assets.PACKAGES for t in p.files.values()}
    assert {"require.js", "embed-amd.js", "mathjax/tex-mml-chtml.js"} <= targets
    assert all(len(p.sha256) == 64 for p in web_assets.PACKAGES)


def test_matplotlib_animation_cdn_stylesheet_is_dropped():
    html = ('<link rel="stylesheet"\nhref="https://maxcdn.bootstrapcdn.com/font-awesome/4.4.0/css/font-awesome.min.css">'
            '\n<div class="animation">x</div>')
    assert strip_cdn_stylesheets(html) == '<div class="animation">x</div>'
