"""The house rules, checked on the source (no Blender needed): rooms per feature, no
run-time import circle, registration flows down, small modules and functions, a map in
every room, the live path's caches in one owner."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PRODUCTION = ("grc_blender", "model_core", "operators", "panels")
LIVE_PATH = ("grc_blender/petals/live.py", "grc_blender/petals/live_state.py", "grc_blender/petals/edits.py",
             "grc_blender/petals/flower_rule.py",
             "grc_blender/petals/flower_mesh.py", "grc_blender/petals/flower_write.py",
             "grc_blender/petals/flower_layout.py", "grc_blender/handlers.py")


def _modules(pkg: str) -> list[Path]:
    return sorted((ROOT / pkg).rglob("*.py"))


def _name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
    return ".".join(parts)


def _package(path: Path) -> list[str]:
    return list(path.relative_to(ROOT).parent.parts)


def _runtime_imports(path: Path) -> set[str]:
    """Absolute names of the project modules `path` imports at run time (TYPE_CHECKING
    blocks excluded; imports inside functions included)."""
    tree = ast.parse(path.read_text())
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip |= {id(n) for b in node.body for n in ast.walk(b)}
    out: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skip or not isinstance(node, ast.ImportFrom) or not node.level:
            continue
        base = _package(path)[: len(_package(path)) - node.level + 1]
        mod = base + (node.module.split(".") if node.module else [])
        for alias in node.names:
            full = ".".join(mod + [alias.name])
            out.add(full if (ROOT / Path(*mod, alias.name)).with_suffix(".py").exists()
                    or (ROOT / Path(*mod, alias.name)).is_dir() else ".".join(mod))
    return {m for m in out if m.split(".")[0] in PRODUCTION}


def _graph() -> dict[str, set[str]]:
    return {_name(p): _runtime_imports(p) for pkg in PRODUCTION for p in _modules(pkg)}


def test_no_runtime_import_circle():
    graph = _graph()
    done: set[str] = set()

    def visit(node: str, stack: list[str]) -> None:
        if node in stack:
            pytest.fail("import circle: " + " -> ".join(stack[stack.index(node):] + [node]))
        if node in done:
            return
        for dep in sorted(graph.get(node, ())):
            visit(dep, stack + [node])
        done.add(node)

    for node in sorted(graph):
        visit(node, [])


def test_the_circle_check_finds_a_circle(tmp_path):
    """The checker itself: two modules importing each other are reported."""
    graph = {"a": {"b"}, "b": {"a"}}
    found = []

    def visit(node, stack):
        if node in stack:
            found.append(node)
            return
        for dep in graph[node]:
            visit(dep, stack + [node])
    visit("a", [])
    assert found == ["a"]


def test_registration_flows_down():
    """grc_blender and model_core import neither operators nor panels; model_core never
    imports grc_blender or bpy."""
    for pkg in ("grc_blender", "model_core"):
        for path in _modules(pkg):
            bad = {m for m in _runtime_imports(path) if m.split(".")[0] in ("operators", "panels")}
            assert not bad, (str(path.relative_to(ROOT)), bad)
    for path in _modules("model_core"):
        text = path.read_text()
        assert "grc_blender" not in _runtime_imports(path), path
        assert "import bpy" not in text, path


def test_rooms_are_small_and_mapped():
    """No folder of more than 15 modules; every room's __init__ names each of its modules."""
    for pkg in PRODUCTION:
        for folder in [ROOT / pkg, *(d for d in (ROOT / pkg).rglob("*") if d.is_dir()
                                     and d.name != "__pycache__")]:
            mods = [p for p in folder.glob("*.py") if p.name != "__init__.py"]
            assert len(mods) <= 15, (str(folder.relative_to(ROOT)), len(mods))
    rooms = [d for d in (ROOT / "grc_blender").iterdir() if d.is_dir() and d.name != "__pycache__"]
    assert {d.name for d in rooms} >= {"templates", "training", "petals", "views", "util"}
    for room in rooms:
        doc = ast.get_docstring(ast.parse((room / "__init__.py").read_text())) or ""
        for mod in room.glob("*.py"):
            if mod.name != "__init__.py":
                assert mod.name in doc, (room.name, mod.name)


def test_no_production_module_is_over_400_lines():
    for pkg in PRODUCTION:
        for path in _modules(pkg):
            n = len(path.read_text().splitlines())
            assert n <= 400, (str(path.relative_to(ROOT)), n)


def test_no_function_in_the_live_path_is_over_60_lines():
    for rel in LIVE_PATH:
        tree = ast.parse((ROOT / rel).read_text())
        for fn in ast.walk(tree):
            if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                n = (fn.end_lineno or fn.lineno) - fn.lineno + 1
                assert n <= 60, (rel, fn.name, n)


def test_props_declares_properties_only():
    """props.py holds no behaviour: its update callbacks live in props_update.py, and it
    imports no room but training's settings and preset names."""
    path = ROOT / "grc_blender" / "props.py"
    allowed = {"grc_blender.props_update", "grc_blender.training.presets",
               "grc_blender.training.settings", "model_core.context", "model_core.limits"}
    assert _runtime_imports(path) <= allowed, _runtime_imports(path) - allowed
    tree = ast.parse(path.read_text())
    callbacks = [n.name for n in tree.body if isinstance(n, ast.FunctionDef)
                 and [a.arg for a in n.args.args] == ["self", "context"]]
    assert not callbacks, callbacks


def test_live_caches_have_one_owner():
    """Module-level mutable caches in the live path: none outside LivePetals."""
    for rel in LIVE_PATH:
        tree = ast.parse((ROOT / rel).read_text())
        for node in tree.body:
            if isinstance(node, (ast.Assign, ast.AnnAssign)):
                value = node.value
                assert not isinstance(value, (ast.Dict, ast.Set, ast.List)) and not (
                    isinstance(value, ast.Call) and ast.unparse(value.func) in ("dict", "set", "list")), \
                    (rel, ast.unparse(node))


def test_one_home_for_each_rule():
    """is-a-petal, the no-model refusal and the procedure switch are spelled once."""
    sources = {p: p.read_text() for pkg in ("grc_blender", "operators", "panels")
               for p in _modules(pkg)}
    petal_tests = [p for p, t in sources.items() if ".grc.is_petal" in t or ").is_petal" in t]
    assert [p.name for p in petal_tests] == ["access.py"], petal_tests
    no_model = [p for p, t in sources.items() if "No trained model" in t]
    assert {p.name for p in no_model} <= {"store.py", "i18n.py", "trace_image.py"}, no_model
    literal = [p for p, t in sources.items() if ".literal" in t]
    assert not literal, literal
