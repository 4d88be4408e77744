"""Which line of TorchScript ``.code`` each IR node became.

Why: a student looking at a graph node wants to see the statement that made it, and a
student reading ``.code`` wants to see its nodes. torch keeps no such link: ``sourceRange()``
points at the *user's* Python, not at the printed TorchScript. The printed code, however, is
torch's own pretty-print of the same graph, statement by statement in node order, so the
link can be recovered from the text alone, without reading torch's C++ graph objects:

- Each module method has its own ``.code``. In an inlined graph a node belongs to the code
  of its scope's module (``layer1.0.conv1``); in a graph that is not inlined every node
  belongs to the graph's own code.
- Each node kind prints as a recognisable token: ``aten::add`` as ``torch.add(``,
  ``aten::Bool`` as ``bool(``, ``prim::If`` as an ``if`` line, ``prim::Loop`` as ``for`` /
  ``while``, ``prim::GetAttr[name="w"]`` as ``.w``, ``prim::CallMethod`` as ``.forward(``.
- Nodes are visited in execution order and matched to the first unused occurrence of their
  token at or after the previous match of the same code. A single-use value printed inline
  (``torch.mul(torch.sigmoid(f), c)``) shares its consumer's line, which comes later, so
  the order still holds. When a module is called several times (one ``relu`` reused three
  times), matching wraps to the top of that code for the next call.

An exported program needs none of this: its builder knows the line that assigns each FX
node's name, and its nodes arrive with ``code_line`` set, which is used as it is.

Plumbing (constants, list and tuple packing) prints as no token of its own and stays
unmatched; so does anything the printer writes in an unexpected way. Unmatched means
``None``, never a wrong guess on purpose.
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable, Mapping

from toolkit.ir.model import Block, Graph, Node, NodeKind, Origin

__all__ = ["CodeLine", "CodeMap", "map_code_lines", "with_code_lines"]

ModulePath = tuple[str, ...]

# Kinds that print nothing of their own: they are folded into their consumers' expressions.
_NO_TOKEN = frozenset(
    {
        NodeKind.CONSTANT,
        NodeKind.LIST_CONSTRUCT,
        NodeKind.LIST_UNPACK,
        NodeKind.TUPLE_CONSTRUCT,
        NodeKind.TUPLE_UNPACK,
        NodeKind.TUPLE_INDEX,
        NodeKind.DICT_CONSTRUCT,
        NodeKind.PYTHON_OP,
    }
)
# aten ops that TorchScript prints as Python builtins rather than ``torch.<name>(``.
_BUILTIN_CASTS = frozenset({"Bool", "Int", "Float", "str", "len", "Complex"})


@dataclass(frozen=True)
class CodeLine:
    """A line of one module's TorchScript code.

    Attributes:
        path: the module whose ``.code`` it is (``("layer1", "0")``; ``()`` for the root).
        line: 1-based line number in that code.
    """

    path: ModulePath
    line: int


@dataclass(frozen=True)
class CodeMap:
    """Node ids to code lines, and back.

    Attributes:
        lines: the line each matched node became, by node id.
    """

    lines: Mapping[str, CodeLine] = field(default_factory=dict)

    def line_of(self, node_id: str) -> CodeLine | None:
        """The code line of ``node_id``, or ``None`` when it was not matched."""
        return self.lines.get(node_id)

    def nodes_at(self, path: ModulePath, line: int) -> tuple[str, ...]:
        """Ids of the nodes printed on ``line`` of module ``path``'s code, in graph order."""
        target = CodeLine(tuple(path), line)
        return tuple(node_id for node_id, at in self.lines.items() if at == target)


def map_code_lines(graph: Graph, codes: Mapping[ModulePath, str] | None = None) -> CodeMap:
    """Match every node of ``graph`` to its line in the TorchScript code of its module.

    Args:
        graph: the IR graph, inlined or not.
        codes: ``.code`` text by module path; the root entry defaults to ``graph.code``.
            Nodes whose module has no entry stay unmatched.

    Returns:
        The :class:`CodeMap`; nodes with no recognisable token are absent from it.
    """
    texts: dict[ModulePath, str] = {tuple(k): v for k, v in (codes or {}).items()}
    texts.setdefault((), graph.code)
    if graph.origin is Origin.EXPORTED:
        if texts[()] != graph.code:
            return CodeMap()
        return CodeMap(lines={n.id: CodeLine((), n.code_line) for n in graph.walk() if n.code_line is not None})
    cursors = {path: _Cursor(text.splitlines()) for path, text in texts.items() if text}
    owner = {node.id: (node.scope.path if graph.inlined else ()) for node in graph.walk()}
    home = _home_files(graph, owner)
    found: dict[str, CodeLine] = {}
    for node in graph.walk():
        path = owner[node.id]
        cursor = cursors.get(path)
        if cursor is None:
            continue
        if node.source is not None and node.source.file != home.get(path, node.source.file):
            # Inlined from another file (a library helper torch gave this node's scope to):
            # it is not in this module's code, so matching it could only steal a line.
            continue
        patterns = _patterns(node)
        if not patterns:
            continue
        line = cursor.match(patterns)
        if line is not None:
            found[node.id] = CodeLine(path, line)
    return CodeMap(lines=found)


def _home_files(graph: Graph, owner: Mapping[str, ModulePath]) -> dict[ModulePath, str]:
    """The source file most of each module's nodes come from: where its code was written."""
    counts: dict[ModulePath, Counter[str]] = {}
    for node in graph.walk():
        if node.source is not None and node.kind not in _NO_TOKEN:
            counts.setdefault(owner[node.id], Counter())[node.source.file] += 1
    return {path: c.most_common(1)[0][0] for path, c in counts.items()}


def with_code_lines(graph: Graph) -> Graph:
    """A copy of ``graph`` whose nodes carry ``code_line`` in the graph's own ``.code``.

    Only nodes printed in the graph's own code get a line: in an inlined graph, the nodes
    of the root module; in a graph that is not inlined, all of them. Submodule nodes of an
    inlined graph live in their own module's code; use :func:`map_code_lines` for those.
    """
    if not graph.code:
        return graph
    mapping = map_code_lines(graph, {(): graph.code})
    lines = {node_id: at.line for node_id, at in mapping.lines.items() if at.path == ()}
    return dataclasses.replace(graph, top=_with_lines(graph.top, lines))


def _with_lines(block: Block, lines: Mapping[str, int]) -> Block:
    nodes = tuple(
        dataclasses.replace(
            n,
            code_line=lines.get(n.id, n.code_line),
            blocks=tuple(_with_lines(b, lines) for b in n.blocks),
        )
        for n in block.nodes
    )
    return dataclasses.replace(block, nodes=nodes)


class _Cursor:
    """Matching position in one module's code, with the occurrences already taken."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.position = 0
        self.taken: set[tuple[int, int]] = set()

    def match(self, patterns: Iterable[re.Pattern[str]]) -> int | None:
        patterns = tuple(patterns)
        hit = self._search(patterns, range(self.position, len(self.lines)))
        if hit is None:
            # The module's code is being run again (a module instance called twice):
            # start a fresh pass from the top.
            self.taken.clear()
            hit = self._search(patterns, range(0, len(self.lines)))
        if hit is None:
            return None
        index, start = hit
        self.taken.add((index, start))
        self.position = index
        return index + 1

    def _search(self, patterns: tuple[re.Pattern[str], ...], indexes: range) -> tuple[int, int] | None:
        for index in indexes:
            text = self.lines[index]
            for pattern in patterns:
                for m in pattern.finditer(text):
                    if (index, m.start()) not in self.taken:
                        return index, m.start()
        return None


def _escaped_name(node: Node, *, default: str = "") -> str:
    """The node's ``name`` attribute (an attribute or method name), escaped for a regex."""
    return re.escape(str(node.attributes.get("name", default)))


def _patterns(node: Node) -> tuple[re.Pattern[str], ...]:
    """The regexes a node's printed form matches, most specific first."""
    kind = node.kind
    if kind in _NO_TOKEN:
        return ()
    if kind is NodeKind.IF:
        return (_compiled(r"^\s*if\b"),)
    if kind is NodeKind.LOOP:
        return (_compiled(r"^\s*(?:for|while)\b"),)
    if kind is NodeKind.GET_ATTR:
        return (_compiled(rf"\.{_escaped_name(node)}\b(?!\s*\()"),)
    if kind is NodeKind.SET_ATTR:
        return (_compiled(rf"\.{_escaped_name(node)}\s*=(?!=)"),)
    if kind is NodeKind.CALL_METHOD:
        return (_compiled(rf"\.{_escaped_name(node, default='forward')}\("),)
    if kind is NodeKind.CALL_FUNCTION:
        return (_compiled(r"\b__torch__\.[\w.]+\("),)
    namespace, name = node.namespace, re.escape(node.short_op)
    if namespace == "aten":
        if node.short_op in _BUILTIN_CASTS:
            return (_compiled(rf"(?<![\w.]){name.lower()}\("), _compiled(rf"\btorch\.{name}\("))
        return (_compiled(rf"\btorch\.{name}\("),)
    if namespace == "prim":
        return (_compiled(rf"\bops\.prim\.{name}\("), _compiled(rf"(?i)(?<![\w.]){name}\("))
    return (_compiled(rf"\bops\.{re.escape(namespace)}\.{name}\("), _compiled(rf"\.{name}\("))


def _compiled(source: str) -> re.Pattern[str]:
    """Compile ``source`` (``re`` keeps its own cache, so repeated kinds cost nothing)."""
    return re.compile(source)
