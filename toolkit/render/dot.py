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

What the statements say besides the boxes: every box, cluster and edge has a ``tooltip`` in a
student's words (the SVG's hover, :mod:`toolkit.render.svg`); each ``if`` leads from its
condition into its blocks with dashed edges and their results meet in its join point below
them, so it reads top to bottom (the point is drawn, never counted as a box); a legend node explains
the colours the drawing uses (:mod:`toolkit.render.legend`); and a large drawing leaves its edge
labels out, since they dominate the layout time, saying so in the legend.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from toolkit.render.collapse import CONTROL_FLOW_KINDS, Collapse
from toolkit.render.drawing import Box, Cluster, Drawing, Edge, counts_as_box
from toolkit.render.folds import Fold
from toolkit.render.legend import BOX_SWATCHES, EDGE_SWATCHES, legend_statement
from toolkit.render.opening import LARGE_BOXES, count_boxes
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
    "join": 'shape=point width=0.12 color="#b58900"',
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
_MARK_EXTRA = {
    "lost": "penwidth=2",
    "only-script": "penwidth=2",
    "only-trace": "penwidth=2",
    "kept": "penwidth=2",
    "needs-cond": "penwidth=2",
    "highlight": "penwidth=3",
    "target-none": 'fontcolor="#888888"',
}
# A marked box is painted with its legend swatch (toolkit.render.legend), so picture and key agree.
_BOX_MARK_STYLE = {
    mark: f'fillcolor="{s.fill}" color="{s.line}"' + (f" {_MARK_EXTRA[mark]}" if mark in _MARK_EXTRA else "")
    for mark, s in BOX_SWATCHES.items()
}
_EDGE_MARK_STYLE = {
    "transfer": f'color="{EDGE_SWATCHES["transfer"].line}" fontcolor="{EDGE_SWATCHES["transfer"].line}" penwidth=2 style=bold',
    "boundary": f'color="{EDGE_SWATCHES["boundary"].line}" style=dashed',
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
        head: the ``digraph`` line and the graph/node/edge defaults (rankdir included), then the
            legend node when the drawing has something to explain (coloured marks, thinned labels).
        boxes: box id -> its statement when drawn as itself.
        closed: cluster or fold key -> ``(where it sits, its statement when drawn as one box)``.
        clusters: cluster key -> ``(subgraph line, graph attribute line)`` when drawn open.
        refs: box id or closed key -> its quoted DOT id, for edge statements.
        edges: ``(source id, target id, attribute text)`` per drawing edge, in order, then the
            dashed edges from each ``if`` condition into its blocks (between drawing box ids too).
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
    drawing: Drawing,
    options: DotOptions = DotOptions(),
    *,
    folds: Sequence[Fold] = (),
    limit: int | None = None,
    thin_labels: bool | None = None,
) -> DotStatements:
    """The statement table of ``drawing`` for ``options``' rankdir and edge labels.

    ``thin_labels``: leave out the edge labels that only give a shape (see :func:`_labelled_edges`);
    ``None`` does so when ``options`` draw more than :data:`~toolkit.render.opening.LARGE_BOXES`
    boxes (counted as :func:`~toolkit.render.opening.count_boxes` does). The widget, whose
    statements serve every state a student clicks into, may pass
    ``thin_labels=opening.is_large(drawing)`` so a fully expanded state stays quick to lay out.
    """
    inside = _box_counts(drawing)
    closed: dict[str, tuple[str, str]] = {
        c.key: (c.parent, _closed_cluster_stmt(c, inside[c.key]))
        for c in drawing.clusters
        if c.kind == "module" or c.kind in CONTROL_FLOW_KINDS
    }
    for fold in folds:
        closed[fold.key] = (fold.parent, _fold_stmt(fold, sum(inside[m] for m in fold.members) + len(fold.boxes)))
    index = {c.key: i for i, c in enumerate(drawing.clusters)}
    titles = {n.id: n.label[0] if n.label else n.id for n in drawing.nodes}
    by_key = {c.key: c for c in drawing.clusters}
    drawn = count_boxes(drawing, options, folds)
    thin = drawn > LARGE_BOXES if thin_labels is None else thin_labels
    labelled = _labelled_edges(drawing, thin=thin) if options.edge_labels else frozenset()
    thinned = options.edge_labels and len(labelled) < sum(1 for e in drawing.edges if e.label)
    legend = legend_statement(
        (m for n in drawing.nodes for m in n.marks),
        (m for e in drawing.edges for m in e.marks),
        notes=(THINNED_NOTE,) if thinned else (),
    )
    return DotStatements(
        head=(
            f'digraph "{_esc(drawing.name)}" {{',
            f"{_INDENT}graph [rankdir={options.rankdir} fontname=Helvetica fontsize=11 nodesep=0.25 ranksep=0.3 newrank=true];",
            f'{_INDENT}node [fontname=Helvetica fontsize=10 height=0.3 margin="0.08,0.03"];',
            f'{_INDENT}edge [fontname=Helvetica fontsize=8 color="#666666" arrowsize=0.6];',
            *((_INDENT + legend,) if legend else ()),
        ),
        boxes={n.id: _box_stmt(n) for n in drawing.nodes},
        closed=closed,
        clusters={c.key: _cluster_lines(c, index[c.key], by_key, inside[c.key]) for c in drawing.clusters},
        refs={key: f'"{_esc(key)}"' for key in [*(n.id for n in drawing.nodes), *closed]},
        edges=tuple(
            (e.src, e.dst, _edge_attrs(e, titles, edge_labels=i in labelled)) for i, e in enumerate(drawing.edges)
        ) + _branch_entries(drawing, by_key),
        more=() if limit is None else (
            f'{_INDENT}"__more__" [label="… ',
            f' more boxes not drawn (limit {limit})" id="node:__more__" class="node-more" shape=note'
            f' tooltip="only the first {limit} boxes are drawn: close modules or lower the depth to see the rest"'
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
    counted = 0  # boxes drawn, join points aside (Collapse.drawn_count's rule)
    members: dict[str, list[str]] = {}
    closed_boxes: dict[str, None] = {}
    for n in drawing.nodes:
        r = rep[n.id]
        if truncated and r not in drawn and counted >= limit:  # type: ignore[operator]
            continue
        if r not in drawn and (r != n.id or counts_as_box(n)):
            counted += 1
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
        lines.append(f"{statements.more[0]}{total - counted}{statements.more[1]}")
    seen: set[tuple[str, str]] = set()
    for src_id, dst_id, attributes in statements.edges:
        src, dst = rep[src_id], rep[dst_id]
        if src == dst or (truncated and not (src in drawn and dst in drawn)) or (src, dst) in seen:
            continue
        seen.add((src, dst))
        lines.append(f"{_INDENT}{statements.refs[src]} -> {statements.refs[dst]}{attributes};")
    lines.append("}")
    return AssembledDot(dot="\n".join(lines) + "\n", drawn=counted, total=total, truncated=truncated)


def write_dot(drawing: Drawing, options: DotOptions = DotOptions(), *, collapse: Collapse | None = None) -> str:
    """DOT source for ``drawing`` drawn statically with ``options`` (``collapse``: already resolved,
    with the folds it closes, whose boxes the statements must hold)."""
    resolved = collapse or Collapse(drawing, options)
    return assemble_dot(dot_statements(drawing, options, folds=resolved.folds), resolved).dot


# ---------------------------------------------------------------------------------------------


def _box_counts(drawing: Drawing) -> dict[str, int]:
    """Boxes inside each cluster, nested ones included (what a closed cluster's label says);
    join points are not boxes (:func:`~toolkit.render.drawing.counts_as_box`)."""
    parent = {c.key: c.parent for c in drawing.clusters}
    counts = dict.fromkeys(parent, 0)
    for n in drawing.nodes:
        if not counts_as_box(n):
            continue
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
    tooltip = f"{c.label}\n{_KIND_WORDS.get(c.kind, c.kind)}; {plural(count, 'node')}, drawn closed as one box"
    return (
        f'"{_esc(c.key)}" [label="{_esc(_fit(c.label))}\\n{plural(count, "node")}" tooltip="{_esc(tooltip)}"'
        f' id="node:{_esc(c.key)}" class="{classes}" {_CLOSED_STYLE[c.kind]}];'
    )


def _fold_stmt(fold: Fold, count: int) -> str:
    size = len(fold.members)
    if fold.kind == "library":
        lines = (fold.label, plural(count, "node"))
        tooltip = (
            f"library code folded ({plural(size, 'if/loop block')}, {plural(count, 'node')}):"
            " click to open, or turn on internals"
        )
        classes = "node-fold node-library"
    else:
        lines = (fold.label, f"{fold.type_name} ×{size}" if fold.type_name else f"×{size}")
        tooltip = f"{size} identical blocks folded ({plural(count, 'node')}): click to open"
        classes = "node-fold"
    label = "\\n".join(_esc(_fit(line)) for line in lines)
    return (
        f'"{_esc(fold.key)}" [label="{label}" tooltip="{_esc(tooltip)}"'
        f' id="node:{_esc(fold.key)}" class="{classes}" {_CLOSED_STYLE["fold"]}];'
    )


# What a cluster is, in a student's words, for its hover text.
_KIND_WORDS = {
    "module": "a module",
    "if": "an if: its condition picks the then or the else block",
    "loop": "a loop: its body runs once per iteration",
    "then": "the block that runs when the condition is true",
    "else": "the block that runs when the condition is false",
    "body": "a block of the loop",
}


def _cluster_lines(c: Cluster, index: int, clusters: Mapping[str, Cluster], count: int) -> tuple[str, str]:
    what = _KIND_WORDS.get(c.kind, c.kind)
    owner = clusters[c.parent].label if c.kind in ("then", "else", "body") and c.parent in clusters else ""
    tooltip = f"{c.label}{f' of {owner}' if owner else ''}\n{what}; {plural(count, 'node')}"
    return (
        f"subgraph cluster_{index} {{",
        f'graph [label="{_esc(_fit(c.label))}" id="cluster:{_esc(c.key)}"'
        f' class="{_classes("cluster-" + c.kind, c.marks)}" tooltip="{_esc(tooltip)}"'
        f" fontsize=10 labeljust=l {_CLUSTER_STYLE.get(c.kind, '')} {_styles(_CLUSTER_MARK_STYLE, c.marks)}];",
    )


def _edge_attrs(e: Edge, titles: Mapping[str, str], *, edge_labels: bool) -> str:
    attrs = [f'label="{_esc(_fit(e.label))}"'] if edge_labels and e.label else []
    attrs.append(f'tooltip="{_esc(_edge_tooltip(e, titles))}"')
    attrs += [_EDGE_MARK_STYLE[m] for m in e.marks if m in _EDGE_MARK_STYLE]
    attrs += [f'class="{_esc(" ".join(e.marks))}"'] if e.marks else []
    return f" [{' '.join(attrs)}]"


THINNED_NOTE = (
    f"more than {LARGE_BOXES} boxes, so edges are not labelled (labels would slow the layout about 5×):"
    " hover an edge for its shape"
)


def _labelled_edges(drawing: Drawing, *, thin: bool) -> frozenset[int]:
    """Indices of the edges whose label is written: all of them, or with ``thin`` the marked ones.

    Graphviz lays out each edge label as a node of its own, and their cost grows faster than
    their number: ``dot`` spends about 5× the CPU time on a traced 8-block GPT-2 (534 boxes)
    with its 589 labels than without, and no less with only the 270 labels whose shape changes
    (``bench/dot_labels.py``). So a thinned drawing keeps only the labels that say something
    other than a shape: those of marked edges (a copy between devices, with its bytes). Every
    edge's tooltip still carries its shape.
    """
    return frozenset(i for i, e in enumerate(drawing.edges) if e.label and (e.marks or not thin))


def _edge_tooltip(e: Edge, titles: Mapping[str, str]) -> str:
    """``producer → consumer``, then what flows: its type in words (dtype and shape), and a
    label that says more (a transfer's direction and bytes)."""
    lines = [f"{_fit(titles.get(e.src, e.src))} → {_fit(titles.get(e.dst, e.dst))}"]
    if e.value:
        lines.append(_fit(e.value))
    if e.label and e.label not in e.value:
        lines.append(e.label)
    return "\n".join(lines)


_FLOW_EDGE = 'style=dashed color="#b58900" arrowsize=0.5'


def _branch_entries(drawing: Drawing, clusters: Mapping[str, Cluster]) -> tuple[tuple[str, str, str], ...]:
    """A dashed edge from each ``if``'s condition to the first boxes of its then and else blocks.

    Without them nothing ties the condition to its blocks (their boxes read the data the
    condition was computed from, not the condition), so ``dot`` ranks the diamond wherever
    its own input puts it, often below the else block. With them the condition is drawn
    first, both blocks start on the row below it, side by side. They come after every data
    edge, so a data edge between the same two boxes keeps its own attributes.

    A block with no box of its own (``return x``) leads straight into the ``if``'s join box,
    when the drawing has one (a ``join`` box in the ``if`` cluster, where both blocks' results
    meet), so both ways through the ``if`` are drawn.
    """
    decisions = {n.cluster: n.id for n in drawing.nodes if n.kind == "if" and n.cluster in clusters}
    joins = {n.cluster: n.id for n in drawing.nodes if n.kind == "join" and n.cluster in decisions}
    branch_of: dict[str, str] = {}  # box id -> the then/else cluster holding it (at any depth)
    for n in drawing.nodes:
        key = n.cluster
        while key and clusters[key].kind not in ("then", "else"):
            key = clusters[key].parent
        if key and clusters[key].parent in decisions:
            branch_of[n.id] = key
    # A box is fed inside its block when an edge comes from anywhere within that block, nested
    # clusters included (an inner if's join is fed from the inner blocks, not by the outer condition).
    cluster_of = {n.id: n.cluster for n in drawing.nodes}
    fed_inside = {
        e.dst for e in drawing.edges
        if e.dst in branch_of and (cluster_of.get(e.src, "") + "/").startswith(branch_of[e.dst] + "/")
    }
    entries = []

    def lead(block: Cluster, into: str) -> None:
        condition = clusters[block.parent].label
        tooltip = f"{condition}: {block.kind} block ({_KIND_WORDS[block.kind].removeprefix('the block that ')})"
        entries.append((decisions[block.parent], into, f' [{_FLOW_EDGE} tooltip="{_esc(tooltip)}" class="flow"]'))

    for n in drawing.nodes:
        branch = branch_of.get(n.id)
        if branch is not None and n.id not in fed_inside:
            lead(clusters[branch], n.id)
    filled = set(branch_of.values())
    for c in drawing.clusters:
        if c.kind in ("then", "else") and c.parent in joins and c.key not in filled:
            lead(c, joins[c.parent])
    return tuple(entries)


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
