"""The IR's JSON round trip keeps every field of every Graph / Block / Node / Value."""

from __future__ import annotations

import dataclasses
import json
import math

import pytest
import torch

import toolkit
from tests.fixtures import models
from tests.ir import export_models
from toolkit.ir.model import Block, Graph, Node, Value
from toolkit.ir.serialize import graph_from_data, graph_to_data

IR_TYPES = (Graph, Block, Node, Value)


def assert_same(a, b, where="graph"):
    """Equal field by field (dataclasses walked by their declared fields), naming the first difference."""
    assert type(a) is type(b), f"{where}: {type(a).__name__} != {type(b).__name__}"
    if dataclasses.is_dataclass(a):
        for f in dataclasses.fields(a):
            assert_same(getattr(a, f.name), getattr(b, f.name), f"{where}.{f.name}")
    elif isinstance(a, (tuple, list)):
        assert len(a) == len(b), f"{where}: {len(a)} items != {len(b)}"
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same(x, y, f"{where}[{i}]")
    elif isinstance(a, dict):
        assert list(a) == list(b), f"{where}: keys {list(a)} != {list(b)}"
        for k in a:
            assert_same(a[k], b[k], f"{where}[{k!r}]")
    elif isinstance(a, float) and math.isnan(a):
        assert math.isnan(b), f"{where}: nan != {b!r}"
    else:
        assert a == b, f"{where}: {a!r} != {b!r}"


def round_trip(g: Graph) -> Graph:
    return graph_from_data(json.loads(json.dumps(graph_to_data(g))))


@pytest.mark.parametrize("name", ["MyCell1", "MyCell2", "MyCell3", "MyDecisionGate", "MLP", "ConvNet", "GatedLSTMCell", "HybridNet"])
@pytest.mark.parametrize("side", ["scripted", "traced"])
@pytest.mark.parametrize("inlined", [True, False])
def test_zoo_graphs_round_trip_field_by_field(zoo, name, side, inlined):
    _, _, scripted, traced = zoo[name]
    g = toolkit.graph(scripted if side == "scripted" else traced, inlined=inlined)
    back = round_trip(g)
    assert_same(g, back)
    assert back == g


def test_arg_names_survive_the_round_trip(zoo):
    g = toolkit.graph(zoo["MLP"][2])
    named = [n for n in g.walk() if n.arg_names]
    assert named, "the MLP graph should carry schema argument names (aten::linear has input, weight, bias)"
    back = {n.id: n.arg_names for n in round_trip(g).walk()}
    assert all(back[n.id] == n.arg_names for n in named)


def test_exported_program_round_trips_field_by_field():
    torch.manual_seed(0)
    program = torch.export.export(export_models.CondCell(), models.example_inputs("MyCell3"), strict=False)
    g = toolkit.graph(program)
    assert any(v.role or v.target for v in g.inputs), "an export's inputs carry roles/targets"
    assert_same(g, round_trip(g))


def test_every_model_field_is_written_when_set():
    """A field added to the IR model and forgotten by serialize fails here (non-default values everywhere)."""
    from toolkit.ir.model import NodeKind, Origin, Scope, SourceLocation, SymbolicSize

    value = Value(name="v", debug_name="x.1", type="Tensor", dtype="Float", shape=(2, None),
                  symbolic=(SymbolicSize(dim=0, expr="s0", low=2, high=8),), role="parameter", target="w")
    inner = Block(id="n1.b0", inputs=(), nodes=(), outputs=("v",))
    node = Node(id="n1", kind=NodeKind.IF, op="prim::If", inputs=("v",), outputs=(dataclasses.replace(value, name="w"),),
                blocks=(inner,), scope=Scope(path=("layer",), types=("Linear",)),
                attributes={"value": (1, 2.5, "s", None, complex(1, 2))},
                source=SourceLocation(file="m.py", line=3, text="if x:"), arg_names=("cond",), code_line=7, library=True)
    g = Graph(name="M.forward", origin=Origin.SCRIPTED, inlined=False,
              top=Block(id="", inputs=(value,), nodes=(node,), outputs=("w",)),
              module_type="M", code="def forward(self, x): ...", output_roles=("user_output",))
    for obj in (value, node, g):
        defaults = [f.name for f in dataclasses.fields(obj) if getattr(obj, f.name) == f.default]
        assert not defaults, f"the sample leaves {defaults} at their default, so it would not test them"
    assert_same(g, round_trip(g))
