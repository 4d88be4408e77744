"""The layer rule of ARCHITECTURE.md, enforced on toolkit/'s source.

Data flows one way: each layer imports only from the layers before it. The rule is the table
``MAY_IMPORT`` below; ``LAYER_OF`` says which layer each module belongs to. The source is read
with :mod:`ast` (nothing is imported), so every ``import`` counts: at module level, inside a
function (a lazy import), under ``if TYPE_CHECKING:``, relative or absolute.

Three checks:

* the layer rule, for every import in every module, with one documented allowlist of lazy
  upward imports (``LAZY_UPWARD_IMPORTS``: display hooks, run only when a result is shown);
* ``torch._C`` is touched by ``toolkit/ir/build.py`` alone (the IR is the only reader of live
  TorchScript graph objects);
* the module-level import graph has no cycle (no strongly connected component of more than one
  module). Function-level and ``TYPE_CHECKING`` imports do not run at import time, so they are
  not edges of that graph; importing ``a.b.c`` is an edge to ``a.b.c`` only, not to the parent
  packages Python also initialises.
"""

from __future__ import annotations

import ast
import functools
from dataclasses import dataclass
from pathlib import Path

import pytest

TOOLKIT = Path(__file__).resolve().parents[1] / "toolkit"

# ---------------------------------------------------------------------------------------------
# The rule table. Order of the layers, bottom (imported by all) to top (imports anything):
#
#   foundation -> ir -> capture -> analysis.diff -> analysis.lost_flow | analysis.partition
#              -> analysis (the package) -> render -> widgets -> top (toolkit, views, magics)
#
#   pipeline and partition are a side branch that must run where only torch is installed: they
#   build on foundation, ir, capture and analysis (partition on analysis.partition alone), never
#   on render, widgets or the top. They do not import each other today; if one comes to need the
#   other, add that one direction here.
#
# A layer may always import its own modules; it may import another layer only if that layer is
# in its row. The two analyses (lost_flow, partition) share analysis.diff, never each other.
# ---------------------------------------------------------------------------------------------
_ANALYSES = ("analysis.diff", "analysis.lost_flow", "analysis.partition", "analysis.script_errors", "analysis")

MAY_IMPORT: dict[str, tuple[str, ...]] = {
    "foundation": (),
    "ir": ("foundation",),
    "capture": ("foundation", "ir"),
    "analysis.diff": ("foundation", "ir", "capture"),
    "analysis.lost_flow": ("foundation", "ir", "capture", "analysis.diff"),
    "analysis.partition": ("foundation", "ir", "capture", "analysis.diff"),
    "analysis.script_errors": ("foundation", "ir", "capture", "analysis.diff"),
    "analysis": (
        "foundation", "ir", "capture", "analysis.diff", "analysis.lost_flow", "analysis.partition",
        "analysis.script_errors",
    ),
    "render": ("foundation", "ir", "capture", *_ANALYSES),
    "widgets": ("foundation", "ir", "capture", *_ANALYSES, "render"),
    "pipeline": ("foundation", "ir", "capture", *_ANALYSES),
    "partition": ("foundation", "ir", "capture", "analysis.partition"),
    "top": ("foundation", "ir", "capture", *_ANALYSES, "render", "widgets", "pipeline", "partition"),
}

# Which layer a module is in. A key names one module exactly, or (PACKAGE_LAYERS) a package and
# everything under it; the longest key wins. A module that matches neither fails the test, so a new
# top-level module or analysis package (analysis/script_errors/) is placed on purpose; a new module
# inside a placed package (ir/build_export.py) already has its package's layer.
MODULE_LAYERS: dict[str, str] = {
    "toolkit.errors": "foundation",
    "toolkit.frames": "foundation",
    "toolkit.files": "foundation",
    "toolkit.words": "foundation",
    "toolkit.capture": "capture",
    "toolkit.analysis": "analysis",
    "toolkit.analysis.diff": "analysis.diff",
    "toolkit": "top",
    "toolkit.views": "top",
    "toolkit.magics": "top",
}
PACKAGE_LAYERS: dict[str, str] = {
    "toolkit.ir": "ir",
    "toolkit.analysis.lost_flow": "analysis.lost_flow",
    "toolkit.analysis.partition": "analysis.partition",
    "toolkit.analysis.script_errors": "analysis.script_errors",
    "toolkit.render": "render",
    "toolkit.widgets": "widgets",
    "toolkit.pipeline": "pipeline",
    "toolkit.partition": "partition",
}

# Lazy (function-level) imports that go up the table on purpose. Each entry is
# (importing module, function qualname, imported module): why. Only a function-level import can
# match; an entry that no longer matches any import fails the test, so the list stays exact.
LAZY_UPWARD_IMPORTS: dict[tuple[str, str, str], str] = {
    ("toolkit.analysis.lost_flow.check", "TraceReport.__str__", "toolkit.render.report"): (
        "display hook: print(report) is drawn by render; analysis finds, render draws"
    ),
    ("toolkit.analysis.lost_flow.check", "TraceReport._repr_mimebundle_", "toolkit.render.report"): (
        "display hook: the one Jupyter display path (HTML with text fallback) is built in render"
    ),
    ("toolkit.capture", "_explained_scripting_error", "toolkit.analysis.script_errors.explain"): (
        "error hook: a failed compile is explained by analysis; it runs only when scripting fails,"
        " so toolkit.script's ScriptingError carries the construct, the user's line and the fix"
    ),
    ("toolkit.pipeline.timing", "ProfileTable._repr_mimebundle_", "toolkit.render.mime"): (
        "display hook: a profile table displays through the one MIME-bundle filter; render.mime loads"
        " no notebook package, so the pipeline still runs where only torch is installed"
    ),
    ("toolkit.analysis.script_errors.check", "ScriptReport.__str__", "toolkit.render.script_report"): (
        "display hook: print(report) is drawn by render; analysis explains, render draws"
    ),
    ("toolkit.analysis.script_errors.check", "ScriptReport._repr_mimebundle_", "toolkit.render.script_report"): (
        "display hook: the one Jupyter display path (HTML with text fallback) is built in render"
    ),
}

# The only module that may touch torch._C (ARCHITECTURE.md: "ir/build.py, the ONLY module that
# reads torch._C graph objects").
TORCH_C_READERS = {"toolkit/ir/build.py"}


# ---------------------------------------------------------------------------------------------
# Reading the source
# ---------------------------------------------------------------------------------------------
def _module_name(path: Path) -> str:
    parts = list(path.relative_to(TOOLKIT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@functools.cache
def _sources() -> dict[str, Path]:
    """Module name -> file, for every module of the toolkit package."""
    return {_module_name(p): p for p in sorted(TOOLKIT.rglob("*.py"))}


@functools.cache
def _tree(module: str) -> ast.Module:
    path = _sources()[module]
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


@dataclass(frozen=True)
class Import:
    importer: str
    target: str  # a toolkit module as written (a package counts as its __init__ module)
    line: int
    function: str | None  # qualname of the enclosing function; None at module (or class) level
    type_checking: bool  # under ``if TYPE_CHECKING:``

    def where(self) -> str:
        path = _sources()[self.importer].relative_to(TOOLKIT.parent)
        scope = f" in {self.function}()" if self.function else ""
        return f"{path}:{self.line}{scope}: {self.importer} imports {self.target}"


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


class _ImportCollector(ast.NodeVisitor):
    def __init__(self, module: str, *, is_package: bool):
        self.module = module
        self.package = module if is_package else module.rpartition(".")[0]
        self.scopes: list[str] = []
        self.functions = 0
        self.type_checking = 0
        self.found: list[Import] = []

    def _add(self, target: str, node: ast.stmt) -> None:
        if target != "toolkit" and not target.startswith("toolkit."):
            return
        function = ".".join(self.scopes) if self.functions else None
        self.found.append(Import(self.module, target, node.lineno, function, self.type_checking > 0))

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._add(alias.name, node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level:
            base = self.package.split(".")
            base = base[: len(base) - (node.level - 1)]
            source = ".".join(base + ([node.module] if node.module else []))
        else:
            source = node.module or ""
        for alias in node.names:
            submodule = f"{source}.{alias.name}"
            self._add(submodule if submodule in _sources() else source, node)

    def _scoped(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef, *, function: bool) -> None:
        self.scopes.append(node.name)
        self.functions += function
        self.generic_visit(node)
        self.functions -= function
        self.scopes.pop()

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self._scoped(node, function=True)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> None:
        self._scoped(node, function=True)

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self._scoped(node, function=False)

    def visit_Lambda(self, node: ast.Lambda) -> None:
        self.scopes.append("<lambda>")
        self.functions += 1
        self.generic_visit(node)
        self.functions -= 1
        self.scopes.pop()

    def visit_If(self, node: ast.If) -> None:
        if _is_type_checking(node.test):
            self.type_checking += 1
            for child in node.body:
                self.visit(child)
            self.type_checking -= 1
            for child in node.orelse:
                self.visit(child)
        else:
            self.generic_visit(node)


@functools.cache
def _imports(module: str) -> tuple[Import, ...]:
    collector = _ImportCollector(module, is_package=_sources()[module].name == "__init__.py")
    collector.visit(_tree(module))
    return tuple(collector.found)


def layer_of(module: str) -> str | None:
    if module in MODULE_LAYERS:
        return MODULE_LAYERS[module]
    packages = [p for p in PACKAGE_LAYERS if module == p or module.startswith(p + ".")]
    return PACKAGE_LAYERS[max(packages, key=len)] if packages else None


def _is_allowed(imp: Import) -> bool:
    source, target = layer_of(imp.importer), layer_of(imp.target)
    return source == target or target in MAY_IMPORT[source or ""]


def _allowlisted(imp: Import) -> bool:
    return imp.function is not None and (imp.importer, imp.function, imp.target) in LAZY_UPWARD_IMPORTS


# ---------------------------------------------------------------------------------------------
# The checks
# ---------------------------------------------------------------------------------------------
def test_rule_table_is_well_formed():
    layers = set(MAY_IMPORT)
    assert set(MODULE_LAYERS.values()) | set(PACKAGE_LAYERS.values()) == layers
    for layer, allowed in MAY_IMPORT.items():
        assert layer not in allowed and set(allowed) <= layers, layer
    # "each may import only from those before it": the table is acyclic, so it is an order.
    order: list[str] = []
    while len(order) < len(layers):
        ready = [x for x in MAY_IMPORT if x not in order and set(MAY_IMPORT[x]) <= set(order)]
        assert ready, f"MAY_IMPORT has a cycle among {sorted(layers - set(order))}"
        order += sorted(ready)
    for torch_only in ("pipeline", "partition"):
        assert not {"render", "widgets", "top"} & set(MAY_IMPORT[torch_only]), torch_only
    assert "analysis.partition" not in MAY_IMPORT["analysis.lost_flow"]
    assert "analysis.lost_flow" not in MAY_IMPORT["analysis.partition"]


def test_every_module_has_a_layer():
    unplaced = sorted(m for m in _sources() if layer_of(m) is None)
    assert not unplaced, f"place these modules in MODULE_LAYERS or PACKAGE_LAYERS of tests/test_layers.py: {unplaced}"


@pytest.mark.parametrize("module", sorted(_sources()))
def test_module_imports_only_lower_layers(module):
    if layer_of(module) is None:
        pytest.fail(f"{module} has no layer (see test_every_module_has_a_layer)")
    broken = [i for i in _imports(module) if not _is_allowed(i) and not _allowlisted(i)]
    assert not broken, (
        f"{module} is in layer {layer_of(module)!r}, which may import only "
        f"{MAY_IMPORT[layer_of(module) or ''] or 'its own layer'} (tests/test_layers.py MAY_IMPORT):\n"
        + "\n".join(f"  {i.where()}  [layer {layer_of(i.target)!r}]" for i in broken)
    )


def test_lazy_upward_allowlist_is_exact():
    used = {
        (i.importer, i.function, i.target)
        for module in _sources()
        for i in _imports(module)
        if _allowlisted(i) and not _is_allowed(i)
    }
    stale = sorted(set(LAZY_UPWARD_IMPORTS) - used)
    assert not stale, f"LAZY_UPWARD_IMPORTS entries that match no upward lazy import any more; remove them: {stale}"


def _torch_c_references(tree: ast.Module) -> list[int]:
    """Lines that touch ``torch._C``: attribute access, imports, ``getattr(torch, "_C")``, string annotations.

    Prose (docstrings, comments) and other strings are not references.
    """
    torch_names = {"torch"}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            torch_names |= {a.asname for a in node.names if a.name == "torch" and a.asname}

    lines: list[int] = []

    def scan(root: ast.AST, line: int | None = None) -> None:
        for node in ast.walk(root):
            at = line if line is not None else getattr(node, "lineno", 0)
            if isinstance(node, ast.Attribute) and node.attr == "_C":
                if isinstance(node.value, ast.Name) and node.value.id in torch_names:
                    lines.append(at)
            elif isinstance(node, ast.Import):
                if any(a.name == "torch._C" or a.name.startswith("torch._C.") for a in node.names):
                    lines.append(at)
            elif isinstance(node, ast.ImportFrom) and not node.level:
                module = node.module or ""
                if module == "torch._C" or module.startswith("torch._C."):
                    lines.append(at)
                elif module == "torch" and any(a.name == "_C" for a in node.names):
                    lines.append(at)
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "getattr":
                args = node.args
                if (
                    len(args) >= 2
                    and isinstance(args[0], ast.Name)
                    and args[0].id in torch_names
                    and isinstance(args[1], ast.Constant)
                    and args[1].value == "_C"
                ):
                    lines.append(at)
            annotations: list[ast.expr | None] = []
            if isinstance(node, ast.arg):
                annotations.append(node.annotation)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                annotations.append(node.returns)
            elif isinstance(node, ast.AnnAssign):
                annotations.append(node.annotation)
            for annotation in annotations:
                if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
                    try:
                        scan(ast.parse(annotation.value, mode="eval"), annotation.lineno)
                    except SyntaxError:
                        pass

    scan(tree)
    return sorted(set(lines))


def test_torch_c_detector_sees_every_form():
    code = (
        "import torch\nimport torch as t\nimport torch._C\nfrom torch._C import Graph\nfrom torch import _C\n"
        "x = torch._C.Graph\ny = t._C\nz = getattr(torch, '_C')\ndef f(g: 'torch._C.Graph') -> None: ...\n"
        "'''torch._C in prose'''\n# torch._C in a comment\nname = 'torch._C._get_tracing_state'\n"
    )
    assert _torch_c_references(ast.parse(code)) == [3, 4, 5, 6, 7, 8, 9]


def test_only_ir_build_touches_torch_c():
    readers = {}
    for module, path in _sources().items():
        lines = _torch_c_references(_tree(module))
        if lines:
            readers[str(path.relative_to(TOOLKIT.parent))] = lines
    others = {path: lines for path, lines in readers.items() if path not in TORCH_C_READERS}
    assert not others, "only toolkit/ir/build.py may touch torch._C; move these reads into ir/build.py:\n" + "\n".join(
        f"  {path}: lines {', '.join(map(str, lines))}" for path, lines in sorted(others.items())
    )
    assert set(readers) == TORCH_C_READERS, f"TORCH_C_READERS names a module that no longer reads torch._C: {readers}"


def _strongly_connected_components(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative (the import graph is small, but recursion limits are not)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    components.append(sorted(component))
    return components


def module_import_graph() -> dict[str, set[str]]:
    """Module -> the toolkit modules it imports when it is imported (module level, not TYPE_CHECKING).

    An import of a module that does not exist is left out here: it fails where it runs.
    """
    graph: dict[str, set[str]] = {m: set() for m in _sources()}
    for module in _sources():
        for i in _imports(module):
            if i.function is None and not i.type_checking and i.target != module and i.target in graph:
                graph[module].add(i.target)
    return graph


def test_scc_finder_finds_cycles():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert sorted(_strongly_connected_components(graph)) == [["a", "b", "c"], ["d"], ["e"]]


def test_no_import_cycle_between_toolkit_modules():
    graph = module_import_graph()
    cycles = [c for c in _strongly_connected_components(graph) if len(c) > 1]
    assert not cycles, "module-level import cycles (each block one strongly connected component):\n" + "\n".join(
        "  " + ", ".join(c) + "\n" + "".join(f"    {m} -> {t}\n" for m in c for t in sorted(graph[m] & set(c)))
        for c in cycles
    )
