"""Labels a student can read: enum arguments by name, parameters with their shapes in details."""

from __future__ import annotations

import warnings

import pytest
import torch
from torch import nn

from toolkit.render.api import graph_view
from toolkit.render.enums import enum_argument
from toolkit.widgets.payload import graph_payload

# Every dtype torch can trace a cast to on CPU (quantized and bit types cannot be made this way).
TRACEABLE = [
    "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64", "complex32",
    "complex64", "complex128", "bool", "bfloat16", "float8_e5m2", "float8_e4m3fn",
    "float8_e5m2fnuz", "float8_e4m3fnuz", "uint16", "uint32", "uint64",
]


def _traced(fn, *inputs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return torch.jit.trace(fn, inputs, check_trace=False)


@pytest.mark.parametrize("name", TRACEABLE)
def test_a_dtype_argument_is_named_as_torch_names_it(name):
    dtype = getattr(torch, name)
    view = graph_view(_traced(lambda x: x.to(dtype), torch.rand(2)))
    to = next(n for n in view.drawing.nodes if n.op == "aten::to")
    assert f"dtype={name}" in to.tooltip  # the graph holds torch's number; the view names it


@pytest.mark.parametrize(
    ("fmt", "name"), [(torch.contiguous_format, "contiguous_format"), (torch.channels_last, "channels_last")]
)
def test_a_memory_format_argument_is_named(fmt, name):
    view = graph_view(_traced(lambda x: x.contiguous(memory_format=fmt) * 2, torch.rand(1, 2, 3, 4)))
    assert any(f"memory_format={name}" in n.tooltip for n in view.drawing.nodes)


def test_enum_argument_leaves_other_arguments_and_unknown_numbers_alone():
    assert enum_argument("dim", 6) is None
    assert enum_argument("dtype", 999) is None and enum_argument("dtype", "None") is None
    assert enum_argument("dtype", True) is None
    assert enum_argument("layout", "0") == "strided"


def test_the_details_name_the_dtype_and_give_each_parameter_its_shape():
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4)).eval()
    view = graph_view(_traced(model, torch.rand(1, 3, 8, 8)))
    details = graph_payload(view)["details"]
    conv = next(d for d in details.values() if d.get("op") == "aten::_convolution")
    assert conv["parameters"] == [["0.weight", "float32", "4×3×3×3"], ["0.bias", "float32", "4"]]
    norm = next(d for d in details.values() if d.get("op") == "aten::batch_norm")
    assert ["1.running_var", "float32", "4"] in norm["parameters"]
    cast = graph_view(_traced(lambda x: x.to(torch.float64), torch.rand(2)))
    row = next(r for d in graph_payload(cast)["details"].values() for r in d.get("inputs", ()) if r[4] == "dtype")
    assert row[5] == "float64"


def test_a_notebook_cell_is_named_as_a_cell_not_as_its_hash_file():
    from toolkit.ir.model import Block, Graph, Node, NodeKind, Origin, SourceLocation, Value

    cell = "/tmp/ipykernel_4242/2850891416.py"  # what ipykernel compiles a cell to
    tensor = {name: Value(name=name, debug_name=name, type="Tensor", dtype="float32", shape=(2,)) for name in "xy"}
    relu = Node(
        id="n1", kind=NodeKind.OP, op="aten::relu", inputs=("x",), outputs=(tensor["y"],),
        source=SourceLocation(file=cell, line=3, text="y = x.relu()"),
    )
    graph = Graph(
        name="Cell.forward", origin=Origin.TRACED, inlined=True,
        top=Block(id="top", inputs=(tensor["x"],), nodes=(relu,), outputs=("y",)),
    )
    view = graph_view(graph)
    box = next(n for n in view.drawing.nodes if n.id == "n1")
    assert "notebook cell:3: y = x.relu()" in box.tooltip and "2850891416" not in box.tooltip
    payload = graph_payload(view)
    assert payload["details"]["n1"]["source"] == ["notebook cell", 3, "y = x.relu()"]
    assert "2850891416" not in payload["dot"]["boxes"]["n1"]
