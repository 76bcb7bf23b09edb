"""The package's rooms and the one way imports flow between them (a cycle or an upward import fails)."""
from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "edu_clf"

# Lowest first. A module may import its own room and the rooms below it, never above.
LAYERS = [
    ("errors", "records"),
    ("config", "kernels"),
    ("io",),
    ("normalize",),
    ("segment",),
    ("features",),
    ("runtime",),
    ("model",),
    ("pipeline", "pipeline_dask"),   # pipeline_dask: the Dask engine beside the in-process one
    ("report",),
    ("cli", "__main__"),
]
RANK = {room: rank for rank, rooms in enumerate(LAYERS) for room in rooms}


def room_of(module: str) -> str | None:
    """edu_clf.model.train → model; the package itself (its lazy API) has no room."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "edu_clf" else None


def modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = ["edu_clf", *path.relative_to(PACKAGE).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def imports(path: Path, package_modules: set[str]) -> list[tuple[str, int, bool]]:
    """(imported edu_clf module, line, at module level) for every import in the file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top = {id(node) for node in tree.body}
    found = []
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # `from edu_clf.x import y` imports edu_clf.x.y when that is a module
            names = [f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in package_modules else node.module
                     for a in node.names]
        for name in names:
            if name.startswith("edu_clf"):
                found.append((name, node.lineno, id(node) in top))
    return found


def test_every_module_has_a_room():
    rooms = {room_of(m) for m in modules()} - {None}
    assert rooms <= set(RANK), f"modules outside the known rooms: {rooms - set(RANK)}"


def test_imports_never_flow_upward():
    package_modules = set(modules())
    upward = []
    for module, path in modules().items():
        here = room_of(module)
        if here is None:
            continue
        for target, line, _ in imports(path, package_modules):
            there = room_of(target)
            if there is not None and RANK[there] > RANK[here]:
                upward.append(f"{path.relative_to(PACKAGE.parent)}:{line}: {here} imports {target}")
    assert not upward, "upward imports:\n" + "\n".join(upward)


def test_no_import_cycles_at_module_level():
    package_modules = set(modules())
    graph = {m: {t for t, _, top in imports(p, package_modules) if top and t in package_modules and t != m}
             for m, p in modules().items()}
    seen: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        seen[node] = 1
        stack.append(node)
        for nxt in graph[node]:
            if seen.get(nxt) == 1:
                raise AssertionError("import cycle: " + " → ".join(stack[stack.index(nxt):] + [nxt]))
            if nxt not in seen:
                visit(nxt)
        stack.pop()
        seen[node] = 2

    for m in graph:
        if m not in seen:
            visit(m)


def test_the_check_can_fail(tmp_path):
    """The checker sees an upward import when there is one (it is not a check that cannot fail)."""
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from edu_clf.cli import main\n", encoding="utf-8")
    assert imports(bad, set(modules())) == [("edu_clf.cli", 2, False)]
    assert RANK[room_of("edu_clf.cli")] > RANK[room_of("edu_clf.model.train")]
