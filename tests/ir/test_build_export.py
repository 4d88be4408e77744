"""The IR of an exported program against FX's own walk: the zoo and the seeds' models, exported."""

from __future__ import annotations

import pytest
import torch

import toolkit
from tests.fixtures import models
from tests.ir import export_models
from toolkit.errors import NotTorchScriptError
from toolkit.ir import NodeKind, build_export, lint
from toolkit.ir.model import Origin

# MyDecisionGate, MyCell3 and GatedLSTMCell branch on a value, which export refuses: their
# torch.cond rewrites (tests/ir/export_models.py) stand in for them.
ZOO = ["MyCell1", "MyCell2", "MLP", "ConvNet", "ResNet50ish"]


def fx_walk(gm: torch.fx.GraphModule) -> list[str]:
    """FX's depth-first walk written out here: every node but placeholders and outputs, each
    higher-order operator followed by the nodes of the subgraphs it takes."""
    out = []
    for node in gm.graph.nodes:
        if node.op in ("placeholder", "output"):
            continue
        out.append(node.name)
        if isinstance(node.target, torch._ops.HigherOrderOperator):
            for arg in node.args:
                if isinstance(arg, torch.fx.Node) and arg.op == "get_attr":
                    out.extend(fx_walk(getattr(gm, arg.target)))
    return out


@pytest.fixture(scope="module")
def exported(zoo):
    built = {}
    for name in ZOO:
        model, inputs, _, _ = zoo[name]
        built[name] = torch.export.export(model, inputs, strict=False)
    seeds = {
        "CondGate": (export_models.CondGate(), (models.example_inputs("MyDecisionGate")[0],)),
        "CondCell": (export_models.CondCell(), models.example_inputs("MyCell3")),
        "ExportNet": (export_models.ExportNet(), (torch.tensor(5),)),
        "MapRows": (export_models.MapRows(), (torch.rand(3, 4), torch.rand(4))),
    }
    for name, (model, inputs) in seeds.items():
        built[name] = torch.export.export(model, inputs, strict=False)
    return built


@pytest.mark.parametrize("name", ZOO + ["CondGate", "CondCell", "ExportNet", "MapRows"])
def test_every_fx_node_once_and_lint_clean(exported, name):
    program = exported[name]
    g = lint(toolkit.graph(program))
    assert [n.attributes["fx_name"] for n in g.walk()] == fx_walk(program.graph_module)
    assert g.origin is Origin.EXPORTED
    placeholders = [n for n in program.graph.nodes if n.op == "placeholder"]
    assert [v.debug_name for v in g.inputs] == [n.name for n in placeholders]


def test_signature_roles_keep_parameters_apart_from_user_inputs(exported):
    g = toolkit.graph(exported["MyCell2"])
    assert [(v.role, v.target) for v in g.inputs] == [
        ("parameter", "linear.weight"), ("parameter", "linear.bias"), ("user_input", ""), ("user_input", "")
    ]
    assert g.output_roles == ("user_output", "user_output")
    buffers = [v for v in toolkit.graph(exported["ConvNet"]).inputs if v.role == "buffer"]
    assert {v.target for v in buffers} == {"bn1.running_mean", "bn1.running_var", "bn1.num_batches_tracked"}


def test_scopes_from_the_module_stack(exported):
    g = toolkit.graph(exported["ResNet50ish"])
    convs = [n for n in g.walk() if n.op == "aten::conv2d"]
    assert len(convs) == 53
    assert {"layer3.5.conv2", "layer1.0.downsample.0"} <= {n.scope.dotted for n in convs}
    bn = next(n for n in g.walk() if n.scope.dotted == "layer1.0.bn1")
    assert bn.scope.types == ("ResNet50ish", "Sequential", "Bottleneck", "BatchNorm2d")


def test_torch_cond_is_an_if_with_its_branches_as_blocks_and_the_users_line(exported):
    g = lint(toolkit.graph(exported["CondCell"]))
    (cond,) = [n for n in g.walk() if n.kind is NodeKind.IF]
    assert cond.op == "higher_order::cond"
    assert [[n.op for n in b.nodes] for b in cond.blocks] == [["aten::clone"], ["aten::neg"]]
    assert cond.scope.dotted == "dg" and cond.blocks[1].nodes[0].scope.dotted == "dg"
    assert cond.source.file.endswith("export_models.py")
    assert cond.source.text == "return torch.cond(x.sum() > 0, lambda x: x.clone(), lambda x: -x, (x,))"
    linear = next(n for n in g.walk() if n.op == "aten::linear")
    assert linear.source.text == "new_h = torch.tanh(self.dg(self.linear(x)) + h)"  # the user's line, not nn.Linear's


def test_while_loop_is_a_loop_with_a_condition_and_a_body(exported):
    g = lint(toolkit.graph(exported["ExportNet"]))
    (loop,) = [n for n in g.walk() if n.kind is NodeKind.LOOP]
    assert loop.op == "higher_order::while_loop"
    condition, body = loop.blocks
    assert [n.op for n in condition.nodes] == ["aten::lt"]
    assert [n.op for n in body.nodes] == ["aten::add", "aten::add", "aten::mul", "aten::clone"]
    assert len(loop.outputs) == len(body.outputs) == 3


def test_map_is_a_loop_with_one_body_over_a_row(exported):
    g = lint(toolkit.graph(exported["MapRows"]))
    (loop,) = [n for n in g.walk() if n.kind is NodeKind.LOOP]
    assert loop.op == "higher_order::map_impl"
    (body,) = loop.blocks
    assert [n.op for n in body.nodes] == ["aten::mul", "aten::add"]
    assert body.inputs[0].shape == (4,) and loop.outputs[0].shape == (3, 4)


def test_symbolic_sizes_and_their_ranges(zoo):
    model, inputs, _, _ = zoo["MyCell2"]
    batch = torch.export.Dim("batch", min=2, max=64)
    program = torch.export.export(model, inputs, dynamic_shapes=({0: batch}, {0: batch}), strict=False)
    g = lint(toolkit.graph(program))
    x = g.inputs[2]
    assert x.shape == (None, 4)
    (size,) = x.symbolic
    assert (size.dim, size.low, size.high) == (0, 2, 64)
    assert x.shape_text == f"{size.expr}×4"
    assert size.range_text == f"{size.expr} in [2, 64]"
    assert g.value(g.outputs[0]).shape_text == f"{size.expr}×4"


def test_data_dependent_size_is_unbacked(zoo):
    class Positive(torch.nn.Module):
        def forward(self, x):
            return x[x > 0]

    program = torch.export.export(Positive(), (torch.tensor([1.0, -1.0, 2.0]),), strict=False)
    g = lint(toolkit.graph(program))
    out = g.value(g.outputs[0])
    (size,) = out.symbolic
    assert size.expr.startswith("u") and size.low == 0


def test_code_lines_point_at_the_assignment(exported):
    g = toolkit.graph(exported["CondCell"])
    lines = g.code.splitlines()
    for n in g.walk():
        assert n.code_line is not None, n.id
        assert lines[n.code_line - 1].lstrip().startswith(f"{n.attributes['fx_name']} = "), n.id
    assert "# true_graph_0: the then branch of cond" in lines
    assert "# false_graph_0: the else branch of cond" in lines


def test_walk_fx_agrees_with_the_test_walk(exported):
    program = exported["ExportNet"]
    assert [n.name for n in build_export.walk_fx(program.graph_module)] == fx_walk(program.graph_module)


def test_neither_torchscript_nor_exported_names_both():
    with pytest.raises(NotTorchScriptError, match=r"expected TorchScript .* or a torch.export.ExportedProgram"):
        toolkit.graph(42)
    with pytest.raises(NotTorchScriptError, match=r"int is not a torch.export.ExportedProgram"):
        build_export.graph(42)


def test_json_round_trip_keeps_the_signature_and_the_symbols(zoo):
    import json

    from toolkit.ir.serialize import graph_from_data, graph_to_data

    model, inputs, _, _ = zoo["MyCell2"]
    batch = torch.export.Dim("batch", min=2, max=64)
    g = toolkit.graph(torch.export.export(model, inputs, dynamic_shapes=({0: batch}, {0: batch}), strict=False))
    back = graph_from_data(json.loads(json.dumps(graph_to_data(g))))
    assert back.inputs == g.inputs and back.output_roles == g.output_roles  # (the codec keeps no arg_names)
    assert [n.op for n in back.walk()] == [n.op for n in g.walk()]
    assert back.inputs[2].symbolic[0].high == 64 and back.inputs[0].role == "parameter"
