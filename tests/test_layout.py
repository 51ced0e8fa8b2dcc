"""The code's shape, read from its source: no import cycles among webdlbench's modules (imports
inside functions count; those only for type checkers do not), modules of about 400 lines at most,
and analysis/ pure — it starts no process, draws nothing and touches no file, not even through what
it imports."""
import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "webdlbench"
MAX_LINES = 400
# What analysis/ must not reach, directly or through the webdlbench modules it imports.
IMPURE = ("subprocess", "asyncio", "multiprocessing", "matplotlib", "sqlite3", "shutil", "tempfile",
          "webdlbench.subprocesses", "webdlbench.store", "webdlbench.report", "webdlbench.runners",
          "webdlbench.native", "webdlbench.drivers", "webdlbench.commands", "webdlbench.server")
# What analysis/ itself must not call: file I/O and drawing.
IMPURE_CALLS = ("open", "read_text", "write_text", "read_bytes", "write_bytes", "to_csv", "to_parquet",
                "savefig", "mkdir", "unlink")


def modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _runtime_nodes(tree: ast.AST):
    """Every node but those under `if TYPE_CHECKING:`."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            yield from (n for child in node.orelse for n in [child, *_runtime_nodes(child)])
            continue
        yield node
        yield from _runtime_nodes(node)


def imported_names(name: str, path: Path) -> set[str]:
    """Every module `name` imports at run time (absolute names, any depth in the file)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    names = set()
    for node in _runtime_nodes(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def graph() -> dict[str, set[str]]:
    """webdlbench module -> the webdlbench modules it imports (a submodule's import of its own
    package is no edge: Python initialises the package first)."""
    found = modules()
    edges = {}
    for name, path in found.items():
        targets = set()
        for imported in imported_names(name, path):
            parts = imported.split(".")
            for i in range(1, len(parts) + 1):
                prefix = ".".join(parts[:i])
                if prefix in found and prefix != name and not name.startswith(prefix + "."):
                    targets.add(prefix)
        edges[name] = targets
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in edges[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in edges:
        if node not in index:
            visit(node)
    return found


def test_no_import_cycles():
    edges = graph()
    assert "webdlbench.models.kinds" in edges["webdlbench.analysis.gap"]  # the walk sees imports
    assert cycles(edges) == []


def test_the_walk_finds_a_cycle_when_there_is_one():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_module_is_much_over_400_lines():
    long = {name: n for name, path in modules().items() if (n := len(path.read_text().splitlines())) > MAX_LINES}
    assert long == {}


def test_analysis_is_pure():
    edges = graph()
    analysis = [name for name in edges if name.startswith("webdlbench.analysis")]
    reached, todo = set(), list(analysis)
    while todo:  # every webdlbench module analysis/ imports, through any chain
        name = todo.pop()
        if name not in reached:
            reached.add(name)
            todo.extend(edges[name])
    paths = modules()
    impure = {name: sorted(imported for imported in imported_names(name, paths[name])
                           if any(imported == bad or imported.startswith(bad + ".") for bad in IMPURE))
              for name in reached}
    assert {name: found for name, found in impure.items() if found} == {}
    calls = {name: sorted({_called(node) for node in ast.walk(ast.parse(paths[name].read_text()))
                           if isinstance(node, ast.Call) and _called(node) in IMPURE_CALLS})
             for name in analysis}
    assert {name: found for name, found in calls.items() if found} == {}


def _called(node: ast.Call) -> str:
    function = node.func
    return function.attr if isinstance(function, ast.Attribute) else getattr(function, "id", "")
