"""What a student reads when hovering a box, a cluster or an edge, checked on Graphviz's real SVG.

Graphviz titles every group with its DOT id (``n11``, ``cluster_3``, ``in:x->n5``); the hover
must be the sentence the DOT writer wrote instead, escaped, on every node, cluster and edge.
"""

from __future__ import annotations

import functools
import re
import warnings
import xml.etree.ElementTree as ET

import pytest

import toolkit
from tests.browser import synthetic
from tests.fixtures import models
from toolkit.render.api import graph_view
from toolkit.render.collapse import Collapse
from toolkit.render.dot import assemble_dot, dot_statements, write_dot
from toolkit.render.folds import find_folds
from toolkit.render.drawing import Box, Drawing, Edge
from toolkit.render.options import DotOptions
from toolkit.render.svg import LayoutTimeoutError, dot_to_svg

SVG = "{http://www.w3.org/2000/svg}"
XLINK_TITLE = "{http://www.w3.org/1999/xlink}title"
# What Graphviz would put in a title without a tooltip: a box id, a cluster number, an edge pair.
INTERNAL_ID = re.compile(r"^(cluster_\d+|n\d+(\.b\d+\.n\d+)*|in:\w+|out|.*->.*)$")


def _groups(svg: str) -> list[tuple[str, str, str]]:
    """``(class, <title> text, the inner link's xlink:title)`` for every node, cluster and edge."""
    root = ET.fromstring(svg)
    found = []
    for g in root.iter(f"{SVG}g"):
        kind = (g.get("class") or "").split(" ")[0]
        if kind not in ("node", "cluster", "edge"):
            continue
        title = g.find(f"{SVG}title")
        link = next(g.iter(f"{SVG}a"), None)
        found.append((kind, title.text if title is not None else "", link.get(XLINK_TITLE, "") if link is not None else ""))
    return found


@pytest.fixture(scope="module")
def cell3_svg():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scripted = toolkit.script(models.MyCell3(models.MyDecisionGate()))
    return dot_to_svg(graph_view(scripted).dot)


def test_every_node_cluster_and_edge_hovers_with_its_tooltip_not_its_id(cell3_svg):
    groups = _groups(cell3_svg)
    kinds = {kind for kind, _, _ in groups}
    assert kinds == {"node", "cluster", "edge"}
    for kind, title, tooltip in groups:
        assert tooltip, f"a {kind} without a tooltip: {title!r}"
        assert title == tooltip, (kind, title, tooltip)
        assert not INTERNAL_ID.match(title), f"a {kind} hovers with an internal id: {title!r}"


def test_tooltips_say_what_each_thing_is(cell3_svg):
    titles = {title for _, title, _ in _groups(cell3_svg)}
    # a node: its op, its source line, what it returns
    assert any(t.startswith("aten::neg\n") and "models.py:36: return -x" in t for t in titles)
    # a cluster: the module (type) it is, the if and its blocks
    assert any(t.startswith("dg (MyDecisionGate)\na module;") for t in titles)
    assert any(t.startswith("if x.sum() > 0\nan if: its condition picks the then or the else block") for t in titles)
    assert any(t.startswith("else of if x.sum() > 0\nthe block that runs when the condition is false") for t in titles)
    # an edge: producer -> consumer (the if's result is read from its join), then what flows
    assert "linear → sum\nTensor" in titles and "neg → join\nTensor" in titles and "join → add\nTensor" in titles
    # the join point says what it is
    assert "if x.sum() > 0: join\nwhere the then and else results meet\n→ if_out: Tensor" in titles


def test_edge_tooltips_carry_the_dtype_and_shape_even_without_edge_labels(zoo):
    view = graph_view(zoo["ConvNet"][3], edge_labels=False)
    assert 'label="1×8×16×16"' not in view.dot
    titles = {title for _, title, _ in _groups(view.svg())}
    assert any(t.endswith("\nTensor float32 1×8×16×16") and " → " in t for t in titles), sorted(titles)


def test_hostile_names_reach_the_hover_escaped():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        traced = synthetic.traced_evil_names()
    svg = graph_view(traced).svg()
    assert "<script" not in svg and "<img" not in svg
    titles = [title for _, title, _ in _groups(svg)]  # parsing it as XML is the check on escaping
    assert any(synthetic.SCRIPT_NAME in t for t in titles), titles


def test_a_group_without_a_tooltip_keeps_its_title():
    svg = dot_to_svg('digraph "g" { "a" [tooltip="the a box"]; "b"; }')
    assert [(kind, title) for kind, title, _ in _groups(svg)] == [("node", "the a box"), ("node", "b")]


def _dense(name: str) -> Drawing:
    """120 boxes, each feeding every ninth box after it, every edge labelled: minutes of layout."""
    boxes = tuple(Box(id=f"b{i}", kind="op", label=(f"op {i}",), tooltip=f"op {i}") for i in range(120))
    edges = tuple(Edge(f"b{i}", f"b{j}", "2×3") for i in range(120) for j in range(i + 1, 120, 9))
    return Drawing(name=name, nodes=boxes, clusters=(), edges=edges)


def test_a_layout_that_runs_too_long_is_stopped_with_the_graph_the_cause_and_the_fix():
    with pytest.raises(LayoutTimeoutError) as caught:
        dot_to_svg(write_dot(_dense('Dense "&" <net>')), timeout=0.05)
    message = str(caught.value)
    assert message.startswith(
        "Graphviz `dot` took longer than 0.05 s to lay out 'Dense \"&\" <net>' (120 boxes, 847 edge labels) and was stopped"
    ), message
    assert "depth=1" in message and "internals=False" in message and "edge_labels=False" in message
    assert isinstance(caught.value, toolkit.ToolkitError)


def test_a_layout_timeout_falls_back_to_the_text_form_like_a_missing_graphviz(monkeypatch):
    import toolkit.render.display as display

    view = display.GraphView(graph=synthetic.flat_graph(3), drawing=_dense("Dense"), options=DotOptions(depth=None))
    monkeypatch.setattr(display, "dot_to_svg", functools.partial(dot_to_svg, timeout=0.05))
    bundle = view._repr_mimebundle_()
    assert "image/svg+xml" not in bundle
    assert "(no picture: Graphviz `dot` took longer than 0.05 s to lay out 'Dense' (120 boxes" in bundle["text/plain"]


def test_closed_modules_folds_and_the_limit_note_hover_with_words_too(zoo):
    drawing = graph_view(zoo["ResNet50ish"][3]).drawing
    folds = find_folds(drawing)
    options = DotOptions(depth=1)
    collapse = Collapse(drawing, options, folds=folds, closes_control_flow=True)
    dot = assemble_dot(dot_statements(drawing, options, folds=folds, limit=12), collapse, limit=12).dot
    assert '"__more__"' in dot and "node-fold" in dot and "node-collapsed" in dot
    groups = _groups(dot_to_svg(dot))
    assert len(groups) > 12
    for kind, title, tooltip in groups:
        assert tooltip and title == tooltip and not INTERNAL_ID.match(title), (kind, title)
    titles = {title for _, title, _ in groups}
    assert any(t.startswith("only the first 12 boxes are drawn") for t in titles)
    assert any("identical blocks folded" in t for t in titles)
    assert any(t.startswith("layer1.0 (Bottleneck)\na module; ") and t.endswith("drawn closed as one box") for t in titles)
