"""Everything the browser widget needs about one graph, as plain JSON-ready data.

Why a payload of its own: the browser must expand, fold, search, show details and link
graph to code without a round trip to the kernel (the kernel may be busy running the next
cell). So the widget gets, once, the drawing and every DOT statement any expansion can need
(written by :mod:`toolkit.render.dot`, the one DOT writer; the browser only picks and orders
them), the repeats it may fold, plus what a click needs: node details, the TorchScript code
of each module with the line each node became, and the user's Python lines.

The payload is built from the render layer's plain data (:class:`GraphView`,
:class:`CodeSection`) and the IR; it never touches torch.
"""

from __future__ import annotations

import dataclasses
import linecache
from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Sequence

from toolkit.frames import display_file_name, is_library_source
from toolkit.ir.codemap import map_code_lines
from toolkit.ir.model import Graph, NodeKind, Value
from toolkit.render.display import CodeSection, GraphView
from toolkit.render.dot import dot_statements
from toolkit.render.drawing import Box, Drawing, ir_node_id
from toolkit.render.enums import enum_argument
from toolkit.render.folds import Fold, all_folds
from toolkit.render.opening import AUTO_OPEN_BOXES, MAX_LAYOUT_BOXES, count_boxes, depth_levels, open_options
from toolkit.render.options import DotOptions

__all__ = ["WidgetLimits", "compare_pairs", "count_drawn", "graph_payload", "initial_options"]

PAYLOAD_FORMAT = 2


@dataclass(frozen=True)
class WidgetLimits:
    """Size limits that keep the page responsive.

    Attributes:
        auto_expand_nodes: when the caller set no depth, the first view is the deepest
            expansion that draws at most this many boxes (a ResNet-50 opens at its stages).
        max_layout_nodes: the widget never lays out more boxes than this at once; a bigger
            request is refused with a message instead of freezing the page.
        context_lines: lines of Python shown around each source line a node came from.
        max_attribute_chars: attribute values longer than this are shortened in details.
    """

    auto_expand_nodes: int = AUTO_OPEN_BOXES
    max_layout_nodes: int = MAX_LAYOUT_BOXES
    context_lines: int = 2
    max_attribute_chars: int = 160


def graph_payload(
    view: GraphView,
    sections: Sequence[CodeSection] = (),
    *,
    limits: WidgetLimits = WidgetLimits(),
    notice: str = "",
) -> dict[str, Any]:
    """The widget's data for ``view``.

    Args:
        view: the static graph view (IR graph, drawing, drawing options).
        sections: TorchScript code per module; without them the graph's own ``.code`` is the
            only section.
        limits: size limits (also sent to the browser).
        notice: a message shown above the graph (e.g. why it opened collapsed).
    """
    g, vg = view.graph, view.drawing
    folds = view.folds
    sections = tuple(sections) or _own_code_section(g)
    code_links = _code_links(g, vg, sections)
    python_files, python_links = _python_sources(vg, context=limits.context_lines)
    names = _file_names(vg)
    return {
        "format": PAYLOAD_FORMAT,
        "name": vg.name,
        "origin": g.origin.value,
        "drawing": vg.to_json(),
        "folds": [f.to_json() for f in folds],
        "library_folds": [f.key for f in folds if f.kind == "library"],
        "internals": view.options.internals,
        "depth_levels": depth_levels(vg, view.options, folds),
        "dot": dot_statements(vg, view.options, folds=folds, limit=limits.max_layout_nodes).to_json(),
        "details": {
            n.id: _details(g, n.id, limits, names, view.parameters) if _is_graph_box(g, n.id) else _box_details(n)
            for n in vg.nodes
        },
        "code": {
            "sections": [
                {"title": s.title, "path": list(s.path), "lines": s.text.splitlines(),
                 "marks": {str(k): list(v) for k, v in s.marks.items()}}
                for s in sections
            ],
            "links": code_links,
        },
        "python": {"files": python_files, "links": python_links},
        "limits": {"maxLayoutNodes": limits.max_layout_nodes},
        "notice": notice,
    }


def initial_options(view: GraphView, limits: WidgetLimits = WidgetLimits()) -> tuple[DotOptions, str]:
    """The options the widget opens with, and a notice when they differ from ``view``'s.

    The same choice a static view makes (:func:`toolkit.render.opening.open_options`), with the
    widget's limits; a view that already opened on its own keeps its opening and its notice.
    With ``internals`` on (or ``fold_repeats`` off), the library (repeat) folds' keys join
    ``expanded``: the browser knows both only as open folds.
    """
    options, notice = open_options(
        view.drawing, view.options, view.folds, budget=limits.auto_expand_nodes, limit=limits.max_layout_nodes
    )
    opened = [f.key for f in view.folds if (options.internals if f.kind == "library" else not options.fold_repeats)]
    if opened:
        options = dataclasses.replace(options, expanded=options.expanded | frozenset(opened))
    return options, notice or view.notice


def count_drawn(drawing: Drawing, options: DotOptions, folds: Sequence[Fold] | None = None) -> int:
    """Boxes a view draws for ``options`` (repeats and library code folded, as the widget counts)."""
    return count_boxes(drawing, options, all_folds(drawing) if folds is None else folds)


# ---------------------------------------------------------------------------------------------
# Node details
# ---------------------------------------------------------------------------------------------


def _file_names(vg: Drawing) -> dict[str, str]:
    """How each source file is named to a student: ``models.py``, ``cell [3]`` for a notebook cell."""
    return {f: display_file_name(f) for f in dict.fromkeys(n.source[0] for n in vg.nodes if n.source is not None)}


def _is_graph_box(g: Graph, view_id: str) -> bool:
    """True when ``view_id`` names a graph input, the output or an IR node: a pipeline's op-call
    boxes and a partition's segment boxes are drawn from other data and have no IR node."""
    if view_id == "out":
        return True
    try:
        g.value(view_id[3:]) if view_id.startswith("in:") else g.node(view_id)
    except KeyError:
        return False
    return True


def _box_details(box: Box) -> dict[str, Any]:
    """Details of a box with no IR node behind it: what its label and hover already say."""
    return {
        "op": box.op or box.kind,
        "kind": box.kind,
        "attributes": [["label", " · ".join(box.label)], ["about", box.tooltip]],
    }


def _details(
    g: Graph, view_id: str, limits: WidgetLimits, names: Mapping[str, str], parameters: Mapping[str, tuple[str, str]]
) -> dict[str, Any]:
    if view_id.startswith("in:"):
        value = g.value(view_id[3:])
        return {"op": "graph input", "kind": "input", "outputs": [_value_row(value)]}
    if view_id == "out":
        return {"op": "graph output", "kind": "output", "inputs": [_value_row(g.value(v)) for v in g.outputs]}
    n = g.node(view_id)
    details: dict[str, Any] = {
        "op": n.op,
        "kind": n.kind.value,
        "scope": n.scope.dotted,
        "inputs": [_input_row(g, name, n.arg_names[i] if i < len(n.arg_names) else "") for i, name in enumerate(n.inputs)],
        "outputs": [_value_row(v) for v in n.outputs],
        "attributes": [[k, _short(v, limits.max_attribute_chars)] for k, v in sorted(n.attributes.items())],
    }
    used = [
        path for path, name in ((_attribute_path(g, name), name) for name in n.inputs)
        if path and (path in parameters or g.value(name).is_tensor)
    ]
    if used:
        # [qualified name, dtype, shape]; "" where the module is not at hand (a bare graph)
        details["parameters"] = [[path, *parameters.get(path, ("", ""))] for path in dict.fromkeys(used)]
    if n.source is not None:
        name = names.get(n.source.file) or display_file_name(n.source.file)
        details["source"] = [name, n.source.line, n.source.text or ""]
    if n.blocks:
        details["blocks"] = [
            {"id": b.id, "nodes": sum(1 for _ in b.walk()), "inputs": [v.name for v in b.inputs], "outputs": list(b.outputs)}
            for b in n.blocks
        ]
    return details


def _attribute_path(g: Graph, name: str) -> str:
    """``layer1.0.conv1.weight`` for a value read by a chain of ``GetAttr`` from ``self``; else ``""``."""
    parts: list[str] = []
    producer = g.producer(name)
    while producer is not None and producer.kind is NodeKind.GET_ATTR:
        parts.append(str(producer.attributes.get("name", "")))
        producer = g.producer(producer.inputs[0]) if producer.inputs else None
    if not parts or g.value(name).type.startswith("__torch__"):
        return ""
    return ".".join(reversed(parts))


def _input_row(g: Graph, name: str, arg: str) -> list[Any]:
    row = _value_row(g.value(name))
    producer = g.producer(name)
    constant = ""
    if producer is not None and producer.kind is NodeKind.CONSTANT:
        value = producer.attributes.get("value")
        constant = enum_argument(arg, value) or _short(value, 60)
    return row + [arg, constant]


def _value_row(v: Value) -> list[Any]:
    return [v.name, v.type, v.dtype or "", v.shape_text]


def _short(value: Any, limit: int) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ---------------------------------------------------------------------------------------------
# Graph <-> code
# ---------------------------------------------------------------------------------------------


def _own_code_section(g: Graph) -> tuple[CodeSection, ...]:
    if not g.code:
        return ()
    return (CodeSection(title=f"{g.name}", path=(), text=g.code),)


def _code_links(g: Graph, vg: Drawing, sections: Sequence[CodeSection]) -> dict[str, list[int]]:
    """``box id -> [section index, line]`` for every box matched to a code line."""
    index = {s.path: i for i, s in enumerate(sections)}
    mapping = map_code_lines(g, {s.path: s.text for s in sections})
    links: dict[str, list[int]] = {}
    for n in vg.nodes:
        at = mapping.line_of(ir_node_id(n.id))  # a join is on its if's line
        if at is not None and at.path in index:
            links[n.id] = [index[at.path], at.line]
    return links


def _python_sources(vg: Drawing, *, context: int) -> tuple[list[dict[str, Any]], dict[str, list[int]]]:
    """The user's source lines the nodes came from, as hunks per file, and node links."""
    by_file: dict[str, set[int]] = {}
    for n in vg.nodes:
        # torch's own files (linear.py, functional.py behind a scripted layer) are not the student's code
        if n.source is not None and not is_library_source(n.source[0]):
            by_file.setdefault(n.source[0], set()).add(n.source[1])
    files: list[dict[str, Any]] = []
    file_index: dict[str, int] = {}
    names = _file_names(vg)
    for path, lines in by_file.items():
        hunks = _hunks(path, sorted(lines), context=context)
        if not hunks:
            continue
        file_index[path] = len(files)
        files.append({"name": names[path], "path": path, "hunks": hunks})
    links = {
        n.id: [file_index[n.source[0]], n.source[1]]
        for n in vg.nodes
        if n.source is not None and n.source[0] in file_index
    }
    return files, links


def _hunks(path: str, lines: Iterable[int], *, context: int) -> list[dict[str, Any]]:
    spans: list[list[int]] = []
    for line in lines:
        start, end = max(1, line - context), line + context
        if spans and start <= spans[-1][1] + 1:
            spans[-1][1] = max(spans[-1][1], end)
        else:
            spans.append([start, end])
    hunks = []
    for start, end in spans:
        text = [linecache.getline(path, i).rstrip("\n") for i in range(start, end + 1)]
        while text and not text[-1].strip():
            text.pop()
        if any(t.strip() for t in text):
            hunks.append({"start": start, "lines": text})
    return hunks


def compare_pairs(matched: Iterable[tuple[str, str]], traced: Mapping[str, Any], scripted: Mapping[str, Any]) -> list[list[str]]:
    """``[trace id, script id]`` pairs whose nodes both appear in their drawings."""
    return [[t, s] for s, t in matched if t in traced and s in scripted]
