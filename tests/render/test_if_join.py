"""A scripted ``if`` merges its two ways in a join point: the condition on top, the join below.

The join (a box of kind ``join`` in the ``if`` cluster) is where the then and else results
meet; whatever reads the ``if``'s outputs reads them from it. Positions are checked in the SVG
the system ``dot`` lays out, not in the DOT text.
"""

from __future__ import annotations

import re
import warnings
import xml.etree.ElementTree as ET

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import toolkit
from tests.browser import synthetic
from tests.fixtures import models
from toolkit.ir.model import Block, Graph, Node, NodeKind, Origin, SourceLocation, Value
from toolkit.render.api import graph_view
from toolkit.render.collapse import Collapse
from toolkit.render.dot import assemble_dot, dot_statements, write_dot
from toolkit.render.drawing import JOIN_SUFFIX, build_drawing, ir_node_id
from toolkit.render.folds import all_folds, find_folds, find_library_folds
from toolkit.render.opening import count_boxes, depth_levels
from toolkit.render.options import DotOptions
from toolkit.render.svg import dot_to_svg, has_dot
from toolkit.widgets.payload import graph_payload

needs_dot = pytest.mark.skipif(not has_dot(), reason="the layout check needs Graphviz's dot (apt-get install graphviz)")

_SVG = "{http://www.w3.org/2000/svg}"
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


class Nested(nn.Module):
    def forward(self, x):
        if x.sum() > 0:
            if x.mean() > 1:
                y = x * 3
            else:
                y = x - 3
        else:
            y = torch.tanh(x)
        return y + 1


class RaisesOrDoubles(nn.Module):
    def forward(self, x):
        if x.sum() > 0:
            y = x * 2
        else:
            raise ValueError("negative input")
        return y + 1


class OnlyChecks(nn.Module):
    def forward(self, x):
        if x.dim() != 2:
            raise ValueError("expected a matrix")
        return x + 1


class Gates(nn.Module):
    """Two identical gates in a chain: a repeat fold must still take both, joins and all."""

    def __init__(self):
        super().__init__()
        self.first = models.MyDecisionGate()
        self.second = models.MyDecisionGate()

    def forward(self, x):
        return self.second(self.first(x))


class GatedRelu(nn.Module):
    """A module whose F.relu / F.dropout scripts library ``if``s (with outputs) into its graph."""

    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(4, 4)

    def forward(self, x):
        return F.dropout(F.relu(self.lin(x)), 0.1, self.training)


def _script(module):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return toolkit.script(module.eval())


def _parts(view):
    drawing = view.drawing
    clusters = {c.key: c for c in drawing.clusters}
    condition = next(n for n in drawing.nodes if n.kind == "if")
    join = next(n for n in drawing.nodes if n.kind == "join")
    return drawing, clusters, condition, join


def _block_of(clusters, box):
    """The then/else cluster kind holding ``box`` (at any depth), or ``""``."""
    key = box.cluster
    while key and clusters[key].kind not in ("then", "else"):
        key = clusters[key].parent
    return clusters[key].kind if key else ""


def _svg_rows(svg: str) -> dict[str, float]:
    """Box id -> the middle of its drawn shape's vertical extent, in SVG space (y grows down)."""
    rows: dict[str, float] = {}
    for group in ET.fromstring(svg).iter(f"{_SVG}g"):
        gid = group.get("id", "")
        if not gid.startswith("node:"):
            continue
        ys: list[float] = []
        for shape in group.iter():
            tag = shape.tag.removeprefix(_SVG)
            if tag == "ellipse":
                ys.append(float(shape.get("cy", "nan")))
            elif tag in ("polygon", "path"):
                numbers = [float(v) for v in _NUMBER.findall(shape.get("points") or shape.get("d") or "")]
                ys.extend(numbers[1::2])
        assert ys, f"no shape drawn for {gid}"
        rows[gid.removeprefix("node:")] = (min(ys) + max(ys)) / 2
    return rows


def test_both_blocks_lead_into_the_join_and_the_reader_reads_the_join():
    view = graph_view(_script(models.BothBranches()))
    drawing, clusters, condition, join = _parts(view)
    assert join.id == condition.id + JOIN_SUFFIX
    assert join.cluster == condition.cluster and clusters[join.cluster].kind == "if"
    boxes = {n.op: n for n in drawing.nodes}
    into_join = [e for e in drawing.edges if e.dst == join.id]
    assert sorted(e.src for e in into_join) == sorted([boxes["aten::mul"].id, boxes["aten::sub"].id])
    assert {_block_of(clusters, boxes[op]) for op in ("aten::mul", "aten::sub")} == {"then", "else"}
    reader = boxes["aten::add"].id
    assert [e.src for e in drawing.edges if e.dst == reader] == [join.id]
    # the DOT draws each of those edges once, and the join as a point that says what it is
    dot = view.dot
    for e in into_join:
        assert dot.count(f'"{e.src}" -> "{join.id}"') == 1
    assert dot.count(f'"{join.id}" -> "{reader}"') == 1
    statement = next(line for line in dot.splitlines() if line.strip().startswith(f'"{join.id}" ['))
    assert "shape=point" in statement and 'class="node-join"' in statement
    assert "where the then and else results meet" in join.tooltip and "if x.sum() > 0" in join.tooltip


@needs_dot
@pytest.mark.parametrize("module", [models.BothBranches(), models.MyDecisionGate()], ids=["both-blocks", "return-x"])
def test_the_condition_is_drawn_above_both_blocks_and_the_join_below_them(module):
    view = graph_view(_script(module))
    drawing, clusters, condition, join = _parts(view)
    rows = _svg_rows(dot_to_svg(view.dot))
    inside = [n.id for n in drawing.nodes if _block_of(clusters, n) in ("then", "else")]
    assert inside
    for box in inside:
        assert rows[condition.id] < rows[box] < rows[join.id], box
    readers = [e.dst for e in drawing.edges if e.src == join.id]
    assert readers and all(rows[join.id] < rows[r] for r in readers)


def test_a_block_that_passes_its_input_on_still_draws_both_ways():
    """``return x`` has no box: the condition leads straight into the join, x flows into it."""
    view = graph_view(_script(models.MyDecisionGate()))
    drawing, clusters, condition, join = _parts(view)
    negation = next(n for n in drawing.nodes if n.op == "aten::neg")
    data_in = sorted(e.src for e in drawing.edges if e.dst == join.id)
    assert data_in == sorted(["in:x", negation.id])
    edges = [line.strip() for line in view.dot.splitlines() if " -> " in line]
    flow = [line.split(" [")[0] for line in edges if 'class="flow"' in line]
    assert flow == [f'"{condition.id}" -> "{negation.id}"', f'"{condition.id}" -> "{join.id}"']
    then_way = next(line for line in edges if line.startswith(f'"{condition.id}" -> "{join.id}"'))
    assert "then block" in then_way
    pairs = [line.split(" [")[0] for line in edges]
    assert len(pairs) == len(set(pairs)), "an edge drawn twice"
    assert [e.src for e in drawing.edges if e.dst == "out"] == [join.id]


def test_nested_ifs_merge_inner_into_outer():
    view = graph_view(_script(Nested()))
    joins = [n for n in view.drawing.nodes if n.kind == "join"]
    assert len(joins) == 2
    inner, outer = sorted(joins, key=lambda n: n.cluster.count("/"), reverse=True)
    assert (inner.id, outer.id) in {(e.src, e.dst) for e in view.drawing.edges}
    add = next(n.id for n in view.drawing.nodes if n.op == "aten::add")
    assert [e.src for e in view.drawing.edges if e.dst == add] == [outer.id]
    # The dashed leads: the inner join is fed inside the outer block, so no lead crosses the inner
    # if from the outer condition; each condition leads only into its own blocks (or join).
    ifs = {n.cluster: n.id for n in view.drawing.nodes if n.kind == "if"}
    outer_condition = ifs[outer.cluster]
    leads = [line.split(" [")[0].strip() for line in view.dot.splitlines() if 'class="flow"' in line]
    assert leads and f'"{outer_condition}" -> "{inner.id}"' not in leads, leads
    inner_condition = ifs[inner.cluster]
    assert all(lead.startswith((f'"{outer_condition}" ->', f'"{inner_condition}" ->')) for lead in leads)


def test_a_block_that_raises_gives_nothing_to_the_join():
    view = graph_view(_script(RaisesOrDoubles()))
    drawing, clusters, condition, join = _parts(view)
    into = [e.src for e in drawing.edges if e.dst == join.id]
    mul = next(n.id for n in drawing.nodes if n.op == "aten::mul")
    assert into == [mul]  # the else way raises: it never arrives
    assert condition.id not in into


def test_an_if_with_no_outputs_has_no_join():
    view = graph_view(_script(OnlyChecks()))
    assert any(n.kind == "if" for n in view.drawing.nodes)
    assert not any(n.kind == "join" for n in view.drawing.nodes)
    assert "shape=point" not in view.dot


def test_the_join_is_drawn_but_counts_as_no_box():
    view = graph_view(_script(models.BothBranches()))
    drawing = view.drawing
    points = sum(1 for n in drawing.nodes if n.kind == "join")
    assert points == 1 and drawing.box_count() == len(drawing.nodes) - points
    options = DotOptions(depth=None)
    assembled = assemble_dot(dot_statements(drawing, options), Collapse(drawing, options, closes_control_flow=True))
    assert assembled.drawn == assembled.total == count_boxes(drawing, options) == drawing.box_count()
    assert 'class="node-join"' in assembled.dot
    levels = depth_levels(drawing, options)
    assert levels[-1]["boxes"] == drawing.box_count()
    # a closed if says how many boxes it holds: the condition and four ops, not the join
    key = next(c.key for c in drawing.clusters if c.kind == "if")
    closed = dot_statements(drawing, options).closed[key][1]
    assert "5 nodes" in closed


def test_a_closed_if_swallows_its_join_and_its_reader_reads_the_closed_box():
    view = graph_view(_script(models.MyCell3(models.MyDecisionGate())))
    drawing, clusters, condition, join = _parts(view)
    options = DotOptions(collapsed=frozenset({join.cluster}))
    collapse = Collapse(drawing, options, closes_control_flow=True)
    assert collapse.representatives[join.id] == join.cluster
    dot = assemble_dot(dot_statements(drawing, options), collapse).dot
    assert f'"{join.id}"' not in dot and 'class="node-join"' not in dot
    add = next(n.id for n in drawing.nodes if n.op == "aten::add")
    assert f'"{join.cluster}" -> "{add}"' in dot
    assert collapse.drawn_count == count_boxes(drawing, options)


def test_a_library_fold_swallows_the_joins_of_its_ifs():
    scripted = _script(GatedRelu())
    drawing = graph_view(scripted).drawing
    joins = [n for n in drawing.nodes if n.kind == "join"]
    library_joins = [n for n in joins if n.library]
    assert library_joins, "F.relu / F.dropout script library ifs with results"
    folds = find_library_folds(drawing)
    assert folds
    folded = Collapse(drawing, DotOptions(), folds=folds, closes_control_flow=True)
    fold_keys = {f.key for f in folds}
    assert all(folded.representatives[n.id] in fold_keys for n in library_joins)
    dot = assemble_dot(dot_statements(drawing, DotOptions(), folds=folds), folded).dot
    assert 'class="node-join"' not in dot
    shown = folded.with_options(DotOptions(internals=True))
    assert all(shown.representatives[n.id] == n.id for n in library_joins)


def test_identical_gates_still_fold_with_their_joins():
    drawing = graph_view(_script(Gates())).drawing
    assert sum(1 for n in drawing.nodes if n.kind == "join") == 2
    (fold,) = find_folds(drawing)
    assert fold.members == ("m:first", "m:second")
    collapse = Collapse(drawing, DotOptions(), folds=all_folds(drawing))
    assert {collapse.representatives[n.id] for n in drawing.nodes if n.kind == "join"} == {fold.key}


def test_the_join_of_an_exported_cond_merges_its_branches():
    class CondCell(nn.Module):
        def forward(self, x):
            return torch.cond(x.sum() > 0, lambda t: t.cos(), lambda t: t.sin(), (x,)) + 1

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        program = torch.export.export(CondCell(), (torch.rand(3, 4),))
    view = graph_view(program)
    drawing, clusters, condition, join = _parts(view)
    assert clusters[condition.cluster].label == "torch.cond"
    into = sorted(n.op for e in drawing.edges if e.dst == join.id for n in drawing.nodes if n.id == e.src)
    assert into == ["aten::cos", "aten::sin"]
    assert {e.label for e in drawing.edges if e.dst == join.id} == {"3×4"}  # each labelled with its shape
    add = next(n.id for n in drawing.nodes if n.op == "aten::add")
    assert [e.src for e in drawing.edges if e.dst == add] == [join.id]


def test_clicking_a_join_shows_what_it_is():
    view = graph_view(_script(models.BothBranches()))
    join = next(n for n in view.drawing.nodes if n.kind == "join")
    payload = graph_payload(view)
    details = payload["details"][join.id]
    assert details["kind"] == "join"
    condition = next(n for n in view.drawing.nodes if n.kind == "if")
    assert payload["python"]["links"][join.id] == payload["python"]["links"][condition.id]  # the if's own line
    assert any("where the then and else results meet" in str(value) for _, value in details["attributes"])


def _tensor(name: str) -> Value:
    return Value(name=name, debug_name=name, type="Tensor", dtype="float32", shape=(2, 3))


@needs_dot
def test_hostile_names_and_conditions_are_escaped_in_the_join():
    evil = 'y" ] & <b>\\N\x07'
    then = Block(id="n1.b0", inputs=(), nodes=(
        Node(id="n1.b0.n0", kind=NodeKind.OP, op="aten::relu", inputs=("x",), outputs=(_tensor("r"),)),
    ), outputs=("r",))
    other = Block(id="n1.b1", inputs=(), nodes=(), outputs=("x",))
    nodes = (
        Node(id="n0", kind=NodeKind.OP, op="aten::gt", inputs=("x",), outputs=(Value(name="c", debug_name="c", type="bool"),)),
        Node(id="n1", kind=NodeKind.IF, op="prim::If", inputs=("c",), outputs=(_tensor(evil),), blocks=(then, other),
             source=SourceLocation(file='ev"il</title>.py', line=3, text='if x["\\N" & </title><b>\x07]:')),
        Node(id="n2", kind=NodeKind.OP, op="aten::neg", inputs=(evil,), outputs=(_tensor("z"),)),
    )
    graph = Graph(name="Evil.forward", origin=Origin.SCRIPTED, inlined=True,
                  top=Block(id="top", inputs=(_tensor("x"),), nodes=nodes, outputs=("z",)))
    drawing = build_drawing(graph)
    join = next(n for n in drawing.nodes if n.kind == "join")
    assert evil in join.tooltip and "</title><b>" in join.tooltip  # the condition's text reaches the join's hover
    svg = dot_to_svg(write_dot(drawing))
    root = ET.fromstring(svg)  # well-formed: nothing a name or the condition holds broke out of its attribute
    assert "&amp;" in svg and "\x07" not in svg
    assert not [e for e in root.iter() if e.tag.rsplit("}", 1)[-1] == "b"], "markup in the condition became an element"
    titles = [e.text or "" for e in root.iter() if e.tag.rsplit("}", 1)[-1] == "title"]
    assert any("</title><b>" in t for t in titles)  # shown as text, where the student hovers
    assert ("n1.join", "n2") in {(e.src, e.dst) for e in drawing.edges}


def test_the_synthetic_library_module_folds_its_joins_too():
    drawing = graph_view(_script(synthetic.LibraryCalls())).drawing
    library_joins = [n.id for n in drawing.nodes if n.kind == "join" and n.library]
    folds = find_library_folds(drawing)
    collapse = Collapse(drawing, DotOptions(), folds=folds, closes_control_flow=True)
    assert library_joins and all(collapse.representatives[j] != j for j in library_joins)


def test_a_join_stands_for_its_if_node():
    scripted = _script(models.MyDecisionGate())
    view = graph_view(scripted)
    join = next(n for n in view.drawing.nodes if n.kind == "join")
    assert view.graph.node(ir_node_id(join.id)).op == "prim::If"
    assert all(ir_node_id(n.id) == n.id for n in view.drawing.nodes if n.kind != "join")
