"""Every view on an exported program, through the one dispatch: show, to_dot, code, the widget's links."""

from __future__ import annotations

import json
import shutil

import pytest
import torch

import toolkit
from tests.fixtures import models
from tests.ir import export_models
from toolkit.render.api import graph_view
from toolkit.render.display import GraphView


@pytest.fixture(scope="module")
def program():
    torch.manual_seed(0)
    return torch.export.export(export_models.CondCell(), models.example_inputs("MyCell3"), strict=False)


@pytest.fixture(scope="module")
def loop_program():
    return torch.export.export(export_models.ExportNet(), (torch.tensor(5),), strict=False)


@pytest.mark.skipif(
    shutil.which("dot") is None,
    reason="the static SVG needs Graphviz's dot (apt-get install graphviz; make test installs it, the GPU machine has none)",
)
def test_show_outside_a_kernel_is_the_static_view_with_the_branches_as_clusters(program):
    view = toolkit.show(program)
    assert isinstance(view, GraphView)
    assert view.summary() == "<GraphView CondCell.forward (exported): 11 nodes drawn, 1 prim::If/prim::Loop>"
    clusters = {c.key: (c.kind, c.label) for c in view.drawing.clusters}
    assert clusters["m:dg/if:n5"] == ("if", "torch.cond")
    assert clusters["m:dg/if:n5/b:n5.b0"] == ("then", "then")
    assert clusters["m:dg/if:n5/b:n5.b1"] == ("else", "else")
    svg = view._repr_mimebundle_()["image/svg+xml"]
    assert "torch.cond" in svg and "cluster:m:dg/if:n5/b:n5.b1" in svg


def test_parameters_are_badges_and_only_user_inputs_are_input_boxes(program):
    drawing = graph_view(program).drawing
    assert [b.id for b in drawing.nodes if b.kind == "input"] == ["in:x", "in:h"]
    linear = next(b for b in drawing.nodes if b.op == "aten::linear")
    assert linear.label == ("linear", "⚙ linear.weight +1")  # one short line; the rest hovers
    assert "⚙ linear.weight, linear.bias" in linear.tooltip.splitlines()


def test_branch_parameters_are_wired_to_the_operand(program):
    drawing = graph_view(program).drawing
    edges = {(e.src, e.dst) for e in drawing.edges}
    assert ("n0", "n5.b0.n0") in edges and ("n0", "n5.b1.n0") in edges  # linear -> clone, linear -> neg
    assert ("n2", "n5") in edges  # the predicate feeds the decision
    assert ("n5.b0.n0", "n5.join") in edges and ("n5.b1.n0", "n5.join") in edges  # either branch -> the join
    assert ("n5.join", "n7") in edges  # the join -> add
    assert not any(e.dst == "n7" and e.src.startswith("n5.b") for e in drawing.edges)  # no branch skips the join


def test_to_dot_is_the_same_writer(program):
    dot = toolkit.to_dot(program, rankdir="LR")
    assert dot.startswith('digraph "CondCell.forward"') and "rankdir=LR" in dot
    assert 'label="then"' in dot and 'label="else"' in dot


def test_while_loop_draws_a_condition_and_a_body(loop_program):
    drawing = graph_view(loop_program).drawing
    labels = {c.label for c in drawing.clusters}
    assert {"while_loop", "condition", "body", "torch.cond"} <= labels
    mul = next(b for b in drawing.nodes if b.op == "aten::mul" and b.cluster.endswith("b:n9.b1"))
    assert ("n9", mul.id) in {(e.src, e.dst) for e in drawing.edges}


def test_code_is_the_programs_readable_form_and_the_nodes_line(program):
    view = toolkit.code(program)
    (section,) = view.sections
    g = toolkit.graph(program)
    assert section.text == g.code
    assert section.text.startswith(program.graph_module.code.strip("\n").splitlines()[0])
    assert program.graph_module.true_graph_0.code.strip().splitlines()[1].strip() in section.text
    lines = section.text.splitlines()
    cond = next(n for n in g.walk() if n.op == "higher_order::cond")
    assert lines[cond.code_line - 1].strip().startswith("cond = torch.ops.higher_order.cond(gt, true_graph_0")
    assert "data-line" in view._repr_mimebundle_()["text/html"]


def test_widget_links_nodes_to_code_and_python(program):
    pytest.importorskip("anywidget")
    from toolkit.widgets.payload import graph_payload

    view = graph_view(program)
    data = json.loads(json.dumps(graph_payload(view, toolkit.code(program).sections)))
    assert data["origin"] == "exported"
    neg = next(n for n in data["drawing"]["nodes"] if n["op"] == "aten::neg")
    section, line = data["code"]["links"][neg["id"]]
    assert data["code"]["sections"][section]["lines"][line - 1].strip().startswith("neg = torch.ops.aten.neg.default(")
    file_index, py_line = data["python"]["links"][neg["id"]]
    hunks = data["python"]["files"][file_index]["hunks"]
    text = {h["start"] + i: t for h in hunks for i, t in enumerate(h["lines"])}
    assert "torch.cond(x.sum() > 0" in text[py_line]


def test_an_object_that_is_neither_names_both():
    with pytest.raises(toolkit.NotTorchScriptError, match=r"expected TorchScript .* or a torch.export.ExportedProgram"):
        toolkit.show(3.5)
    with pytest.raises(toolkit.NotTorchScriptError, match=r"float has no TorchScript code.*torch.export.ExportedProgram"):
        toolkit.code(3.5)


def test_map_draws_one_body_fed_by_the_map_box():
    program = torch.export.export(export_models.MapRows(), (torch.rand(3, 4), torch.rand(4)), strict=False)
    drawing = graph_view(program).drawing
    assert {(c.kind, c.label) for c in drawing.clusters} == {("loop", "map"), ("body", "body")}
    edges = {(e.src, e.dst) for e in drawing.edges}
    assert {("in:xs", "n1"), ("in:y", "n1"), ("n1", "n1.b0.n0"), ("n1.b0.n1", "out")} <= edges
