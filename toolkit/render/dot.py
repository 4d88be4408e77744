"""The one writer of DOT text: a statement for every box, cluster and edge, then their assembly.

Why statements first: the static SVG and the browser widget must draw the same thing, and the
widget must expand a module without waiting for the kernel. So Python writes, once, every
statement any expansion state can need (each box drawn as itself, each cluster drawn open or
closed into one box, each fold closed, each edge's attributes) as a :class:`DotStatements`
table. Assembling a DOT document is then only choosing and ordering those statements for one
:class:`~toolkit.render.collapse.Collapse`: :func:`assemble_dot` here, and the same few lines in
``js/src/assemble.js`` for the widget, which formats nothing itself.

DOT ids are stable: boxes keep their IR ids (``n4.b0.n2``), clusters are numbered in first
appearance order, and SVG elements carry ``id`` and ``class`` attributes the widget uses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from toolkit.render.collapse import CONTROL_FLOW_KINDS, Collapse
from toolkit.render.drawing import Box, Cluster, Drawing, Edge
from toolkit.render.folds import Fold
from toolkit.render.options import DotOptions
from toolkit.words import plural

__all__ = ["AssembledDot", "DotOptions", "DotStatements", "assemble_dot", "dot_statements", "write_dot"]

_BOX_STYLE = {
    "op": 'shape=box style="rounded,filled" fillcolor="#e8f0fe" color="#4a6fa5"',
    "call": 'shape=box style="rounded,filled,bold" fillcolor="#efe6fb" color="#7b52ab"',
    "prim": 'shape=box style="rounded,filled" fillcolor="#f3f3f3" color="#888888"',
    "if": 'shape=diamond style=filled fillcolor="#fff4d6" color="#b58900"',
    "loop": 'shape=hexagon style=filled fillcolor="#e3f6ec" color="#2e8b57"',
    "input": 'shape=oval style=filled fillcolor="#ffffff" color="#333333"',
    "output": 'shape=oval style=filled fillcolor="#ffffff" color="#333333"',
}
_CLOSED_STYLE = {
    "module": 'shape=box3d style=filled fillcolor="#dde7f3" color="#4a6fa5"',
    "if": 'shape=box3d style=filled fillcolor="#fff4d6" color="#b58900"',
    "loop": 'shape=box3d style=filled fillcolor="#e3f6ec" color="#2e8b57"',
    "fold": 'shape=box3d style="filled,bold" fillcolor="#e6eefa" color="#2f5d9a" peripheries=2',
}
_CLUSTER_STYLE = {
    "module": 'style="rounded" color="#4a6fa5" fontcolor="#4a6fa5"',
    "if": 'style="dashed,rounded" color="#b58900" fontcolor="#8a6a00"',
    "then": 'style="rounded" color="#d9c28a" fontcolor="#8a6a00"',
    "else": 'style="rounded" color="#d9c28a" fontcolor="#8a6a00"',
    "loop": 'style="dashed,rounded" color="#2e8b57" fontcolor="#2e8b57"',
    "body": 'style="rounded" color="#9fd3b5" fontcolor="#2e8b57"',
}
_BOX_MARK_STYLE = {
    "lost": 'fillcolor="#ffd6d6" color="#c0392b" penwidth=2',
    "only-script": 'fillcolor="#ffe3c2" color="#d35400" penwidth=2',
    "only-trace": 'fillcolor="#d6ecff" color="#1f6fb2" penwidth=2',
    "kept": 'fillcolor="#d8f3dc" color="#2d6a4f" penwidth=2',
    "needs-cond": 'fillcolor="#e4dcf5" color="#6a4c93" penwidth=2',
    "highlight": 'fillcolor="#fff59d" color="#f57f17" penwidth=3',
    "target-accelerator": 'fillcolor="#d8f3dc" color="#2d6a4f"',
    "target-cpu": 'fillcolor="#fde2c8" color="#b5651d"',
    "target-both": 'fillcolor="#e4dcf5" color="#6a4c93"',
    "target-none": 'fillcolor="#eeeeee" color="#aaaaaa" fontcolor="#888888"',
}
_EDGE_MARK_STYLE = {
    "transfer": 'color="#c0392b" fontcolor="#c0392b" penwidth=2 style=bold',
}
_CLUSTER_MARK_STYLE = {
    "lost": 'color="#c0392b" penwidth=2 bgcolor="#fff0f0"',
    "kept": 'color="#2d6a4f" penwidth=2 bgcolor="#f0fff4"',
    "needs-cond": 'color="#6a4c93" penwidth=2 bgcolor="#f5f0ff"',
    "highlight": 'color="#f57f17" penwidth=3',
}
_INDENT = "  "


@dataclass(frozen=True)
class DotStatements:
    """Every DOT statement a drawing can need, whatever is open.

    Attributes:
        head: the ``digraph`` line and the graph/node/edge defaults (rankdir included).
        boxes: box id -> its statement when drawn as itself.
        closed: cluster or fold key -> ``(where it sits, its statement when drawn as one box)``.
        clusters: cluster key -> ``(subgraph line, graph attribute line)`` when drawn open.
        refs: box id or closed key -> its quoted DOT id, for edge statements.
        edges: ``(source id, target id, attribute text)`` per drawing edge, in order.
        more: the note drawn when a limit cuts the drawing short: the text before and after the
            number of boxes left out; empty without a limit.
    """

    head: tuple[str, ...]
    boxes: Mapping[str, str]
    closed: Mapping[str, tuple[str, str]]
    clusters: Mapping[str, tuple[str, str]]
    refs: Mapping[str, str]
    edges: tuple[tuple[str, str, str], ...]
    more: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """Plain dicts and lists, for the browser widget."""
        return {
            "head": list(self.head),
            "boxes": dict(self.boxes),
            "closed": {k: list(v) for k, v in self.closed.items()},
            "clusters": {k: list(v) for k, v in self.clusters.items()},
            "refs": dict(self.refs),
            "edges": [list(e) for e in self.edges],
            "more": list(self.more),
        }


@dataclass(frozen=True)
class AssembledDot:
    """A DOT document and what it holds: boxes drawn, boxes in all, whether a limit cut it."""

    dot: str
    drawn: int
    total: int
    truncated: bool


def dot_statements(
    drawing: Drawing, options: DotOptions = DotOptions(), *, folds: Sequence[Fold] = (), limit: int | None = None
) -> DotStatements:
    """The statement table of ``drawing`` for ``options``' rankdir and edge labels."""
    inside = _box_counts(drawing)
    closed: dict[str, tuple[str, str]] = {
        c.key: (c.parent, _closed_cluster_stmt(c, inside[c.key]))
        for c in drawing.clusters
        if c.kind == "module" or c.kind in CONTROL_FLOW_KINDS
    }
    for fold in folds:
        closed[fold.key] = (fold.parent, _fold_stmt(fold, sum(inside[m] for m in fold.members)))
    index = {c.key: i for i, c in enumerate(drawing.clusters)}
    return DotStatements(
        head=(
            f'digraph "{_esc(drawing.name)}" {{',
            f"{_INDENT}graph [rankdir={options.rankdir} fontname=Helvetica fontsize=11 nodesep=0.25 ranksep=0.3 newrank=true];",
            f'{_INDENT}node [fontname=Helvetica fontsize=10 height=0.3 margin="0.08,0.03"];',
            f'{_INDENT}edge [fontname=Helvetica fontsize=8 color="#666666" arrowsize=0.6];',
        ),
        boxes={n.id: _box_stmt(n) for n in drawing.nodes},
        closed=closed,
        clusters={c.key: _cluster_lines(c, index[c.key]) for c in drawing.clusters},
        refs={key: f'"{_esc(key)}"' for key in [*(n.id for n in drawing.nodes), *closed]},
        edges=tuple((e.src, e.dst, _edge_attrs(e, edge_labels=options.edge_labels)) for e in drawing.edges),
        more=() if limit is None else (
            f'{_INDENT}"__more__" [label="… ',
            f' more boxes not drawn (limit {limit})" id="node:__more__" class="node-more" shape=note'
            ' style=filled fillcolor="#fff8e1" color="#b58900"];',
        ),
    )


def assemble_dot(statements: DotStatements, collapse: Collapse, *, limit: int | None = None) -> AssembledDot:
    """The DOT document for one collapse state, from precomputed statements.

    ``js/src/assemble.js`` is this function in the browser, line for line; the parity fixture
    in ``tests/widgets`` holds its output.
    """
    drawing, rep = collapse.drawing, collapse.representatives
    total = collapse.drawn_count
    truncated = limit is not None and total > limit
    drawn: dict[str, None] = {}
    members: dict[str, list[str]] = {}
    closed_boxes: dict[str, None] = {}
    for n in drawing.nodes:
        r = rep[n.id]
        if truncated and r not in drawn and len(drawn) >= limit:  # type: ignore[operator]
            continue
        drawn[r] = None
        if r == n.id:
            members.setdefault(n.cluster, []).append(statements.boxes[n.id])
        else:
            closed_boxes[r] = None
    for key in closed_boxes:
        parent, stmt = statements.closed[key]
        members.setdefault(parent, []).append(stmt)
    children: dict[str, list[str]] = {}
    for c in collapse.open_clusters:
        children.setdefault(c.parent, []).append(c.key)

    lines = list(statements.head)

    def emit(key: str, indent: str) -> None:
        lines.extend(indent + stmt for stmt in members.get(key, ()))
        for child in children.get(key, ()):
            opening, attributes = statements.clusters[child]
            lines.append(indent + opening)
            lines.append(indent + _INDENT + attributes)
            emit(child, indent + _INDENT)
            lines.append(indent + "}")

    emit("", _INDENT)
    if truncated:
        lines.append(f"{statements.more[0]}{total - len(drawn)}{statements.more[1]}")
    seen: set[tuple[str, str]] = set()
    for src_id, dst_id, attributes in statements.edges:
        src, dst = rep[src_id], rep[dst_id]
        if src == dst or (truncated and not (src in drawn and dst in drawn)) or (src, dst) in seen:
            continue
        seen.add((src, dst))
        lines.append(f"{_INDENT}{statements.refs[src]} -> {statements.refs[dst]}{attributes};")
    lines.append("}")
    return AssembledDot(dot="\n".join(lines) + "\n", drawn=len(drawn), total=total, truncated=truncated)


def write_dot(drawing: Drawing, options: DotOptions = DotOptions(), *, collapse: Collapse | None = None) -> str:
    """DOT source for ``drawing`` drawn statically with ``options`` (``collapse``: already resolved)."""
    return assemble_dot(dot_statements(drawing, options), collapse or Collapse(drawing, options)).dot


# ---------------------------------------------------------------------------------------------


def _box_counts(drawing: Drawing) -> dict[str, int]:
    """Boxes inside each cluster, nested ones included (what a closed cluster's label says)."""
    parent = {c.key: c.parent for c in drawing.clusters}
    counts = dict.fromkeys(parent, 0)
    for n in drawing.nodes:
        key = n.cluster
        while key:
            counts[key] += 1
            key = parent[key]
    return counts


def _classes(first: str, marks: Sequence[str]) -> str:
    return _esc(" ".join((first, *marks)))


def _styles(table: Mapping[str, str], marks: Sequence[str]) -> str:
    return " ".join(table[m] for m in marks if m in table)


def _box_stmt(n: Box) -> str:
    label = "\\n".join(_esc(_fit(line)) for line in n.label)
    return (
        f'"{_esc(n.id)}" [label="{label}" tooltip="{_esc(n.tooltip)}" id="node:{_esc(n.id)}"'
        f' class="{_classes("node-" + n.kind, n.marks)}" {_BOX_STYLE.get(n.kind, _BOX_STYLE["prim"])}'
        f" {_styles(_BOX_MARK_STYLE, n.marks)}];"
    )


def _closed_cluster_stmt(c: Cluster, count: int) -> str:
    classes = "node-collapsed" if c.kind == "module" else f"node-collapsed node-collapsed-{c.kind}"
    return (
        f'"{_esc(c.key)}" [label="{_esc(_fit(c.label))}\\n{plural(count, "node")}" tooltip="collapsed: {_esc(c.label)}"'
        f' id="node:{_esc(c.key)}" class="{classes}" {_CLOSED_STYLE[c.kind]}];'
    )


def _fold_stmt(fold: Fold, count: int) -> str:
    size = len(fold.members)
    what = f"{fold.type_name} ×{size}" if fold.type_name else f"×{size}"
    tooltip = f"{size} identical blocks folded ({plural(count, 'node')}): click to open"
    return (
        f'"{_esc(fold.key)}" [label="{_esc(_fit(fold.label))}\\n{_esc(what)}" tooltip="{_esc(tooltip)}"'
        f' id="node:{_esc(fold.key)}" class="node-fold" {_CLOSED_STYLE["fold"]}];'
    )


def _cluster_lines(c: Cluster, index: int) -> tuple[str, str]:
    return (
        f"subgraph cluster_{index} {{",
        f'graph [label="{_esc(_fit(c.label))}" id="cluster:{_esc(c.key)}" class="{_classes("cluster-" + c.kind, c.marks)}"'
        f" fontsize=10 labeljust=l {_CLUSTER_STYLE.get(c.kind, '')} {_styles(_CLUSTER_MARK_STYLE, c.marks)}];",
    )


def _edge_attrs(e: Edge, *, edge_labels: bool) -> str:
    attrs = [f'label="{_esc(_fit(e.label))}"'] if edge_labels and e.label else []
    attrs += [_EDGE_MARK_STYLE[m] for m in e.marks if m in _EDGE_MARK_STYLE]
    attrs += [f'class="{_esc(" ".join(e.marks))}"'] if e.marks else []
    return f" [{' '.join(attrs)}]" if attrs else ""


_LABEL_CHARS = 160


def _fit(text: str) -> str:
    """A label line short enough to lay out: Graphviz refuses nodes wider than 65535 points, and a
    name read from a checkpoint can be kilobytes long (the tooltip keeps it whole)."""
    text = str(text)
    return text if len(text) <= _LABEL_CHARS else text[: _LABEL_CHARS - 1] + "…"


# Characters XML 1.0 forbids (C0 controls but tab/newline/return, lone surrogates, U+FFFE/U+FFFF):
# Graphviz copies them into the SVG as they are, which makes it unreadable, so they become U+FFFD.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# Graphviz reads ``&...;`` in any string as an entity and copies it into the SVG unchecked
# (``&;``, ``&#0;`` and ``&nbsp;`` are not XML), so every ``&`` is written ``&amp;``. ``<``, ``>``
# and ``"`` need nothing: Graphviz writes them as entities in every SVG text and attribute.
_ENTITIES = str.maketrans({"&": "&amp;"})


def _esc(text: str) -> str:
    """Escape for a double-quoted DOT string that Graphviz copies into SVG text and attributes.

    Backslashes are doubled (so ``\\N``, ``\\G`` and ``\\l`` stay literal), quotes escaped,
    ``&`` written ``&amp;``, characters XML cannot hold replaced by U+FFFD.
    """
    plain = _NOT_XML.sub("\ufffd", str(text).replace("\r", "")).translate(_ENTITIES)
    return plain.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
