"""The package's rooms: the science never imports the book machinery, data never imports models, and nothing
imports in a circle (the code review's C5)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "lib" / "aebook"


def _module(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports() -> dict[str, set[str]]:
    """Each module of the package and the package modules it imports (at the top or inside functions)."""
    modules = {_module(p): p for p in PACKAGE.rglob("*.py")}
    found: dict[str, set[str]] = {}
    for name, path in modules.items():
        targets = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("aebook"):
                targets |= {f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in modules else node.module
                            for a in node.names}
            elif isinstance(node, ast.Import):
                targets |= {a.name for a in node.names if a.name.startswith("aebook")}
        found[name] = {t for t in targets if t in modules and t != name}
    return found


def test_the_science_never_imports_the_book_machinery():
    wrong = {(a, b) for a, bs in _imports().items() for b in bs
             if not a.startswith("aebook.book") and a not in ("aebook.__main__",) and b.startswith("aebook.book")}
    assert wrong == set()


def test_data_never_imports_models_or_training():
    wrong = {(a, b) for a, bs in _imports().items() for b in bs if a.startswith("aebook.data")
             and b.startswith(("aebook.models", "aebook.train", "aebook.stacked", "aebook.experiments"))}
    assert wrong == set()


def test_no_two_modules_import_each_other_through_a_circle():
    graph = _imports()
    parents = {m: {p for p in graph if m.startswith(p + ".") or p == "aebook"} for m in graph}  # a package's __init__
    edges = {a: {b for b in bs if b not in parents[a]} for a, bs in graph.items()}
    state: dict[str, int] = {}
    cycle: list[str] = []

    def visit(node: str, path: list[str]) -> bool:
        state[node] = 1
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                cycle.extend(path[path.index(nxt):] + [node, nxt] if nxt in path else [node, nxt])
                return True
            if state.get(nxt) is None and visit(nxt, path + [node]):
                return True
        state[node] = 2
        return False

    assert not any(state.get(m) is None and visit(m, []) for m in sorted(edges)), " → ".join(cycle)


def test_models_and_losses_live_in_their_rooms_not_in_the_recipes():
    """The recipes in experiments/ define no network and no loss class: those are in models/ and losses.py."""
    for path in (PACKAGE / "experiments").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef):
                bases = {ast.unparse(b) for b in node.bases}
                assert not bases & {"nn.Module", "torch.nn.Module", "MLPAutoencoder", "VAE"}, (path.name, node.name)
                assert not any(isinstance(f, ast.FunctionDef) and f.name == "__call__" for f in node.body), \
                    (path.name, node.name, "a callable class (a loss?) belongs in aebook.losses")
