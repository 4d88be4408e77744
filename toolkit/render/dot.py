"""Write a view graph as Graphviz DOT, collapsing module clusters below a chosen depth.

Collapsing is done here, on plain data, so expanding a module never needs torch: every node
whose cluster chain passes through a collapsed module is drawn as that module's one box,
and edges are re-pointed and de-duplicated.

DOT ids are stable: nodes keep their IR ids (``n4.b0.n2``), clusters are numbered in first
appearance order, and SVG elements carry ``id`` and ``class`` attributes the widget uses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

from toolkit.render.view import ViewCluster, ViewGraph, ViewNode

__all__ = ["DotOptions", "collapsed_keys", "write_dot"]

_NODE_STYLE = {
    "op": 'shape=box style="rounded,filled" fillcolor="#e8f0fe" color="#4a6fa5"',
    "call": 'shape=box style="rounded,filled,bold" fillcolor="#efe6fb" color="#7b52ab"',
    "prim": 'shape=box style="rounded,filled" fillcolor="#f3f3f3" color="#888888"',
    "if": 'shape=diamond style=filled fillcolor="#fff4d6" color="#b58900"',
    "loop": 'shape=hexagon style=filled fillcolor="#e3f6ec" color="#2e8b57"',
    "input": 'shape=oval style=filled fillcolor="#ffffff" color="#333333"',
    "output": 'shape=oval style=filled fillcolor="#ffffff" color="#333333"',
    "collapsed": 'shape=box3d style=filled fillcolor="#dde7f3" color="#4a6fa5"',
}
_CLUSTER_STYLE = {
    "module": 'style="rounded" color="#4a6fa5" fontcolor="#4a6fa5"',
    "if": 'style="dashed,rounded" color="#b58900" fontcolor="#8a6a00"',
    "then": 'style="rounded" color="#d9c28a" fontcolor="#8a6a00"',
    "else": 'style="rounded" color="#d9c28a" fontcolor="#8a6a00"',
    "loop": 'style="dashed,rounded" color="#2e8b57" fontcolor="#2e8b57"',
    "body": 'style="rounded" color="#9fd3b5" fontcolor="#2e8b57"',
}
_MARK_STYLE = {
    "lost": 'fillcolor="#ffd6d6" color="#c0392b" penwidth=2',
    "only-script": 'fillcolor="#ffe3c2" color="#d35400" penwidth=2',
    "only-trace": 'fillcolor="#d6ecff" color="#1f6fb2" penwidth=2',
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
    "highlight": 'color="#f57f17" penwidth=3',
}


@dataclass(frozen=True)
class DotOptions:
    """How to draw.

    Attributes:
        depth: draw module clusters down to this nesting depth and collapse deeper ones into
            one box each; ``None`` expands everything; ``0`` collapses every submodule.
        expanded: cluster keys to expand regardless of ``depth``.
        collapsed: cluster keys to collapse regardless of ``depth`` (wins over ``expanded``).
        rankdir: ``TB`` (top to bottom) or ``LR``.
        edge_labels: write tensor shapes on edges.
    """

    depth: int | None = None
    expanded: frozenset[str] = field(default_factory=frozenset)
    collapsed: frozenset[str] = field(default_factory=frozenset)
    rankdir: str = "TB"
    edge_labels: bool = True


def collapsed_keys(view: ViewGraph, options: DotOptions) -> set[str]:
    """Keys of the module clusters that ``options`` collapse (outermost ones only matter)."""
    out = set()
    for c in view.clusters:
        if c.kind != "module":
            continue
        deep = options.depth is not None and c.module_depth > options.depth
        if c.key in options.collapsed or (deep and c.key not in options.expanded):
            out.add(c.key)
    return out


def write_dot(view: ViewGraph, options: DotOptions = DotOptions()) -> str:
    """DOT source for ``view`` drawn with ``options``."""
    clusters = {c.key: c for c in view.clusters}
    collapsed = collapsed_keys(view, options)
    representative = _representatives(view, clusters, collapsed)

    members: dict[str, list[str]] = {}
    boxes: dict[str, int] = {}
    for n in view.nodes:
        rep = representative[n.id]
        if rep == n.id:
            members.setdefault(n.cluster, []).append(_node_stmt(n))
        else:
            boxes[rep] = boxes.get(rep, 0) + 1
    for key, count in boxes.items():
        c = clusters[key]
        members.setdefault(c.parent, []).append(_collapsed_stmt(c, count))

    children: dict[str, list[str]] = {}
    for c in view.clusters:
        if _is_hidden(c.key, clusters, collapsed):
            continue
        children.setdefault(c.parent, []).append(c.key)

    lines = [
        f'digraph "{_esc(view.name)}" {{',
        f"  graph [rankdir={options.rankdir} fontname=Helvetica fontsize=11 nodesep=0.25 ranksep=0.3 newrank=true];",
        '  node [fontname=Helvetica fontsize=10 height=0.3 margin="0.08,0.03"];',
        '  edge [fontname=Helvetica fontsize=8 color="#666666" arrowsize=0.6];',
    ]
    index = {key: i for i, key in enumerate(clusters)}
    _emit_cluster("", lines, members, children, clusters, index, indent="  ")
    seen: set[tuple[str, str]] = set()
    for e in view.edges:
        src, dst = representative[e.src], representative[e.dst]
        if src == dst or (src, dst) in seen:
            continue
        seen.add((src, dst))
        attrs = [f'label="{_esc(e.label)}"'] if options.edge_labels and e.label else []
        attrs += [_EDGE_MARK_STYLE[m] for m in e.marks if m in _EDGE_MARK_STYLE]
        attrs += [f'class="{" ".join(e.marks)}"'] if e.marks else []
        lines.append(f'  "{_esc(src)}" -> "{_esc(dst)}"' + (f" [{' '.join(attrs)}]" if attrs else "") + ";")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _representatives(view: ViewGraph, clusters: dict[str, ViewCluster], collapsed: set[str]) -> dict[str, str]:
    rep: dict[str, str] = {}
    cache: dict[str, str | None] = {}
    for n in view.nodes:
        outer = _outermost_collapsed(n.cluster, clusters, collapsed, cache)
        rep[n.id] = outer if outer is not None else n.id
    return rep


def _outermost_collapsed(key: str, clusters, collapsed: set[str], cache: dict) -> str | None:
    if key in cache:
        return cache[key]
    found = None
    k = key
    while k:
        if k in collapsed:
            found = k
        k = clusters[k].parent
    cache[key] = found
    return found


def _is_hidden(key: str, clusters, collapsed: set[str]) -> bool:
    k = key
    while k:
        if k in collapsed:
            return True
        k = clusters[k].parent
    return False


def _emit_cluster(key, lines, members, children, clusters, index, *, indent) -> None:
    lines.extend(indent + stmt for stmt in members.get(key, ()))
    for child in children.get(key, ()):
        c = clusters[child]
        style = _CLUSTER_STYLE.get(c.kind, "")
        marks = " ".join(_CLUSTER_MARK_STYLE[m] for m in c.marks if m in _CLUSTER_MARK_STYLE)
        cls = " ".join(("cluster-" + c.kind,) + tuple(c.marks))
        lines.append(f"{indent}subgraph cluster_{index[child]} {{")
        lines.append(
            f'{indent}  graph [label="{_esc(c.label)}" id="cluster:{_esc(c.key)}" class="{cls}"'
            f" fontsize=10 labeljust=l {style} {marks}];"
        )
        _emit_cluster(child, lines, members, children, clusters, index, indent=indent + "  ")
        lines.append(f"{indent}}}")


def _node_stmt(n: ViewNode) -> str:
    style = _NODE_STYLE.get(n.kind, _NODE_STYLE["prim"])
    marks = " ".join(_MARK_STYLE[m] for m in n.marks if m in _MARK_STYLE)
    label = "\\n".join(_esc(line) for line in n.label)
    cls = " ".join(("node-" + n.kind,) + n.marks)
    return (
        f'"{_esc(n.id)}" [label="{label}" tooltip="{_esc(n.tooltip)}" id="node:{_esc(n.id)}"'
        f' class="{cls}" {style} {marks}];'
    )


def _collapsed_stmt(c: ViewCluster, count: int) -> str:
    label = f"{_esc(c.label)}\\n{count} node{'s' if count != 1 else ''}"
    return (
        f'"{_esc(c.key)}" [label="{label}" tooltip="collapsed: {_esc(c.label)}" id="node:{_esc(c.key)}"'
        f' class="node-collapsed" {_NODE_STYLE["collapsed"]}];'
    )


def _esc(text: str) -> str:
    """Escape for a double-quoted DOT string (graphviz escapes HTML in its SVG itself)."""
    return (
        str(text)
        .replace("\\", "\\\\")
        .replace('"', '\\"')
        .replace("\n", "\\n")
        .replace("\r", "")
    )


def iter_visible(view: ViewGraph, options: DotOptions) -> Iterable[ViewNode]:
    """The view nodes that ``options`` draw as themselves (not folded into a module box)."""
    clusters = {c.key: c for c in view.clusters}
    rep = _representatives(view, clusters, collapsed_keys(view, options))
    return (n for n in view.nodes if rep[n.id] == n.id)
