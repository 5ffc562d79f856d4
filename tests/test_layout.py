"""The package's layout shows its architecture: layers import only downwards, and no two modules
import each other when loaded (docs/ARCHITECTURE.md)."""
import ast
from pathlib import Path

import scsim

ROOT = Path(scsim.__file__).parent
LAYERS = ["errors", "version", "graph", "store", "engine", "mechanisms", "models", "scenario", "analysis", "report",
          "web", "cli"]
"""Lowest first: a module may import from its own layer and the layers below, never above."""


def _module_name(path: Path) -> str:
    rel = path.relative_to(ROOT.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _imports(path: Path, name: str, top_level_only: bool) -> set[str]:
    tree = ast.parse(path.read_text())
    pkg = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = set()
    nodes = tree.body if top_level_only else ast.walk(tree)
    for node in nodes:
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = pkg.split(".")
                base = base[: len(base) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            if mod.startswith("scsim"):
                if node.module:  # from .x import y: the module x (and y, if it is a module)
                    out.add(mod)
                out.update(f"{mod}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.startswith("scsim"))
    return out


def _graph(top_level_only: bool) -> dict[str, set[str]]:
    files = {_module_name(p): p for p in ROOT.rglob("*.py")}
    g = {}
    for name, path in files.items():
        g[name] = {m for m in _imports(path, name, top_level_only) if m in files and m != name}
    return g


def _layer(module: str) -> int:
    part = module.split(".")[1] if "." in module else ""
    return LAYERS.index(part) if part in LAYERS else len(LAYERS)


def test_no_module_imports_a_layer_above_it_when_loaded():
    bad = [(a, b) for a, deps in _graph(top_level_only=True).items() for b in deps
           if a != "scsim" and _layer(b) > _layer(a)]
    assert bad == [], bad


def test_no_import_cycle_when_loaded():
    g = _graph(top_level_only=True)
    seen, stack, cycle = set(), [], []

    def visit(n):
        if n in stack:
            cycle.append(stack[stack.index(n):] + [n])
            return
        if n in seen:
            return
        seen.add(n)
        stack.append(n)
        for m in g.get(n, ()):
            if not (n.startswith(m + ".") or m == "scsim"):  # a package's face imports its parts
                visit(m)
        stack.pop()

    for n in g:
        visit(n)
    assert cycle == [], cycle[:3]


def test_the_engine_knows_no_mechanism_and_no_model():
    for name, deps in _graph(top_level_only=False).items():
        if name.startswith("scsim.engine"):
            assert not [d for d in deps if d.startswith(("scsim.mechanisms", "scsim.models", "scsim.scenario",
                                                          "scsim.report", "scsim.web", "scsim.cli"))], name


def test_the_cli_registers_its_commands_explicitly():
    src = (ROOT / "cli" / "__init__.py").read_text()
    assert "importlib" not in src and "import_module" not in src
    import scsim.cli as cli

    names = {c.name or c.callback.__name__ for c in cli.app.registered_commands}
    assert {"run", "resume", "runs", "query", "explain", "compare", "sweep", "sensitivity", "report", "serve"} <= names
