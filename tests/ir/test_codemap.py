"""Each IR node's line in the TorchScript ``.code`` of its module (toolkit/ir/codemap.py)."""

from __future__ import annotations

import dataclasses
import re

import pytest
import torch

import toolkit
from tests.fixtures import models
from toolkit.ir.codemap import CodeLine, map_code_lines, with_code_lines
from toolkit.ir.model import NodeKind
from toolkit.render.drawing import build_drawing


def module_codes(module) -> dict[tuple[str, ...], str]:
    codes = {}
    for name, sub in module.named_modules():
        try:
            codes[tuple(p for p in name.split(".") if p)] = sub.code
        except (AttributeError, RuntimeError):
            pass
    return codes


def line_text(codes, at: CodeLine) -> str:
    return codes[at.path].splitlines()[at.line - 1]


TOKEN = {
    NodeKind.IF: r"^\s*if\b",
    NodeKind.LOOP: r"^\s*(for|while)\b",
}


def expected_token(node) -> str:
    if node.kind in TOKEN:
        return TOKEN[node.kind]
    if node.short_op in ("Bool", "Int", "Float"):
        return rf"\b{node.short_op.lower()}\("
    return rf"\btorch\.{re.escape(node.short_op)}\("


@pytest.fixture(scope="module")
def hybrid_cell():
    torch.manual_seed(0)
    return toolkit.trace(models.MyCell3(models.MyDecisionGate()), models.example_inputs("MyCell3"), script_submodules=("dg",)).module


def test_each_node_of_a_hybrid_module_lands_on_its_statement(hybrid_cell):
    g = toolkit.graph(hybrid_cell)
    codes = module_codes(hybrid_cell)
    mapping = map_code_lines(g, codes)
    by_op = {g.node(i).op: at for i, at in mapping.lines.items()}
    assert by_op["aten::tanh"] == CodeLine((), 7) and "torch.tanh(_0)" in line_text(codes, by_op["aten::tanh"])
    assert by_op["aten::add"] == CodeLine((), 6)
    assert by_op["aten::linear"] == CodeLine(("linear",), 5)
    for op in ("aten::sum", "aten::gt", "aten::Bool", "prim::If"):
        assert by_op[op] == CodeLine(("dg",), 3), op  # `if bool(torch.gt(torch.sum(x), 0)):`
    assert by_op["aten::neg"] == CodeLine(("dg",), 6)
    assert set(mapping.nodes_at(("dg",), 3)) == {i for i, at in mapping.lines.items() if at == CodeLine(("dg",), 3)}
    assert len(mapping.nodes_at(("dg",), 3)) == 4


@pytest.mark.parametrize("name, kind", [("GatedLSTMCell", 2), ("GatedLSTMCell", 3), ("ConvNet", 3), ("ResNet50ish", 3), ("MyCell3", 2)])
def test_every_drawn_compute_node_is_matched_to_a_line_with_its_token(zoo, name, kind):
    module = zoo[name][kind]  # 2: scripted, 3: traced
    g = toolkit.graph(module)
    codes = module_codes(module)
    mapping = map_code_lines(g, codes)
    drawn = [n for n in build_drawing(g).nodes if n.kind in ("op", "if", "loop")]
    unmatched = []
    for view_node in drawn:
        node = g.node(view_node.id)
        at = mapping.line_of(node.id)
        if at is None:
            unmatched.append(node.op)
            continue
        assert re.search(expected_token(node), line_text(codes, at)), (node.id, node.op, line_text(codes, at))
    assert unmatched == [], unmatched


def test_a_module_called_several_times_maps_every_call(zoo):
    traced = zoo["ResNet50ish"][3]
    g = toolkit.graph(traced)
    mapping = map_code_lines(g, module_codes(traced))
    relus = [n for n in g.walk() if n.op == "aten::relu_" and n.scope.path == ("layer1", "0", "relu")]
    assert len(relus) == 3  # one ReLU module, called three times in the block
    assert {mapping.line_of(n.id) for n in relus} == {CodeLine(("layer1", "0", "relu"), 3)}


def test_library_helpers_inlined_into_a_scripted_module_never_steal_a_line(zoo):
    scripted = zoo["ResNet50ish"][2]
    g = toolkit.graph(scripted)
    codes = module_codes(scripted)
    mapping = map_code_lines(g, codes)
    for node_id, at in mapping.lines.items():
        node = g.node(node_id)
        assert node.source is None or node.source.file.endswith("models.py") or at.path != (), node
        assert re.search(expected_token(node), line_text(codes, at)) or node.kind is NodeKind.GET_ATTR
    adds = [g.node(i) for i, at in mapping.lines.items() if g.node(i).op == "aten::add"]
    assert len(adds) == 16  # the residual add of each of the 16 bottlenecks, on its own line


def test_with_code_lines_fills_the_graphs_own_code_lines(hybrid_cell):
    g = toolkit.graph(hybrid_cell)
    filled = with_code_lines(g)
    lines = {(n.op, n.attributes.get("name", "")): n.code_line for n in filled.walk() if n.code_line is not None}
    assert lines == {("prim::GetAttr", "dg"): 4, ("prim::GetAttr", "linear"): 5, ("aten::add", ""): 6, ("aten::tanh", ""): 7}
    assert all(n.code_line is None for n in filled.walk() if n.scope.path)  # submodule nodes: other code
    toolkit.lint(filled)
    assert [n.id for n in filled.walk()] == [n.id for n in g.walk()]


def test_a_graph_without_code_is_returned_unchanged(zoo):
    g = toolkit.graph(zoo["MyCell1"][3])  # the session's traced copy
    no_code = dataclasses.replace(g, code="")
    assert with_code_lines(no_code) is no_code
    assert map_code_lines(no_code).lines == {}
