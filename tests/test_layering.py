"""The house's floors: a module imports only from its own floor or the floors below it, in the
order of the pipeline (ARCHITECTURE.md): sources → store → indicators → escalation →
forecasts → consequences → responses → simulate → reports, then the Spark engine's lake, the one way
in for new events and the interfaces. A test, so that an import running back up the pipeline fails the suite."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "flashpoint"

#: Floors, lowest first; modules of one floor may import each other.
FLOORS: tuple[tuple[str, ...], ...] = (
    ("__init__", "errors", "config", "wording", "jsonrows", "faces", "sql", "periods", "pairs"),
    ("events",),
    ("sources",),
    ("store",),
    ("indicators",),
    ("escalation",),
    ("forecasts",),
    ("consequences",),
    ("responses",),
    ("simulate",),
    ("charts", "reports"),
    ("lake",),
    ("refresh",),
    ("watch",),
    ("web",),
    ("api",),
    ("demo",),
    ("cli", "__main__"),
)
LEVEL = {name: level for level, names in enumerate(FLOORS) for name in names}


def _room(module: str) -> str:
    """The floor name of a module path under the package ('indicators.compute' → 'indicators')."""
    return module.split(".", 1)[0]


def _imports(path: Path) -> list[tuple[int, str]]:
    """(line, module under flashpoint) of every import of the file, deferred ones included."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("flashpoint."):
            found.append((node.lineno, node.module.removeprefix("flashpoint.")))
        elif isinstance(node, ast.ImportFrom) and node.module == "flashpoint":  # a module, or the package's own name
            found += [(node.lineno, alias.name if alias.name in LEVEL else "__init__") for alias in node.names]
        elif isinstance(node, ast.Import):
            found += [
                (node.lineno, alias.name.removeprefix("flashpoint."))
                for alias in node.names
                if alias.name.startswith("flashpoint.")
            ]
    return found


def test_every_module_is_on_a_floor() -> None:
    rooms = {_room(str(path.relative_to(PACKAGE).with_suffix("")).replace("/", ".")) for path in PACKAGE.rglob("*.py")}
    assert rooms - set(LEVEL) == set(), "a new package or module: give it its floor in FLOORS"


def test_no_import_runs_back_up_the_pipeline() -> None:
    upward = []
    for path in sorted(PACKAGE.rglob("*.py")):
        here = _room(str(path.relative_to(PACKAGE).with_suffix("")).replace("/", "."))
        for line, module in _imports(path):
            if LEVEL[_room(module)] > LEVEL[here]:
                upward.append(f"{path.relative_to(PACKAGE)}:{line} imports flashpoint.{module}")
    assert upward == []


def test_package_faces_name_what_their_modules_define_and_no_module() -> None:
    """A face's name that is also a module of its package would be replaced by that module once
    anything imports it."""
    import importlib

    for init in sorted(PACKAGE.glob("*/__init__.py")):
        package = importlib.import_module(f"flashpoint.{init.parent.name}")
        modules = {path.stem for path in init.parent.glob("*.py")}
        for name in getattr(package, "__all__", []):
            assert name not in modules, f"flashpoint.{init.parent.name}.{name} is a module and a face's name"
            assert getattr(package, name) is not None


def _module_graph() -> dict[str, set[str]]:
    """Each module of the package ('indicators.compute') and the modules of the package it imports."""
    modules = {
        str(path.relative_to(PACKAGE).with_suffix("")).replace("/", ".").removesuffix(".__init__"): path
        for path in PACKAGE.rglob("*.py")
    }
    return {
        name: {module for _, module in _imports(path) if module in modules and module != name} for name, path in modules.items()
    }


def _circles(graph: dict[str, set[str]]) -> list[str]:
    """Each import circle of the graph found by a depth-first walk, as 'a → b → a'."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    circles = []

    def visit(name: str, path: list[str]) -> None:
        state[name] = 1
        for target in sorted(graph[name]):
            if state.get(target) == 1:
                circles.append(" → ".join([*path[path.index(target) :], target]))
            elif target not in state:
                visit(target, [*path, target])
        state[name] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    return circles


def test_no_import_circle() -> None:
    """No module imports, directly or through others, a module that imports it (deferred and
    type-checking imports included): each room can be read, and moved, before the ones above it."""
    graph = _module_graph()
    assert "indicators.query" in graph["indicators.compute"]  # the graph holds the real imports
    assert _circles(graph) == []


def test_the_circle_check_finds_a_circle_through_another_module() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _circles(graph) == ["a → b → c → a"]


def test_every_face_function_and_class_documents_its_parts_in_numpydoc_sections() -> None:
    """The names a package's face offers say, in numpydoc sections, what they take, give or raise."""
    import importlib
    import inspect

    sections = ("Parameters\n---", "Attributes\n---", "Returns\n---", "Yields\n---", "Raises\n---")
    bare = []
    for init in sorted(PACKAGE.glob("*/__init__.py")):
        package = importlib.import_module(f"flashpoint.{init.parent.name}")
        for name in getattr(package, "__all__", []):
            found = getattr(package, name)
            if inspect.isfunction(getattr(found, "__wrapped__", found)) or inspect.isclass(found):
                if not any(section in (inspect.getdoc(found) or "") for section in sections):
                    bare.append(f"flashpoint.{init.parent.name}.{name}")
    assert bare == []
