"""The IR against torch's own graph walk, on every model of the zoo."""

from __future__ import annotations

import re
import subprocess
import warnings

import pytest
import torch

import toolkit
from toolkit.errors import GraphLintError, NotTorchScriptError
from toolkit.ir import NodeKind, build, graph, lint, to_text
from toolkit.ir.lint import problems
from toolkit.ir.model import Block, Graph, Node, Value

ZOO = ["MyCell1", "MyCell2", "MyCell3", "MyDecisionGate", "MLP", "ConvNet", "GatedLSTMCell", "ResNet50ish", "HybridNet"]


def torch_walk(block) -> list[str]:
    """torch's own depth-first walk: every node's kind, blocks included, in order."""
    out = []
    for n in block.nodes():
        out.append(n.kind())
        for b in n.blocks():
            out.extend(torch_walk(b))
    return out


def torch_graph(obj, inlined):
    if not inlined:
        return obj.graph
    g = obj.graph.copy()
    torch._C._jit_pass_inline(g)
    return g


@pytest.mark.parametrize("inlined", [True, False])
@pytest.mark.parametrize("how", ["scripted", "traced"])
@pytest.mark.parametrize("name", ZOO)
def test_every_node_once_and_lint_clean(zoo, name, how, inlined):
    _, _, scripted, traced = zoo[name]
    obj = scripted if how == "scripted" else traced
    g = lint(graph(obj, inlined=inlined))
    assert [n.op for n in g.walk()] == torch_walk(torch_graph(obj, inlined))
    assert len({n.id for n in g.walk()}) == sum(1 for _ in g.walk())
    assert len(g.inputs) == len(list(obj.graph.inputs()))


def test_script_function_with_loop(zoo):
    _, _, script_fn, _ = zoo["loop_product"]
    g = lint(graph(script_fn))
    loops = [n for n in g.walk() if n.kind is NodeKind.LOOP]
    assert len(loops) == 1
    body = loops[0].blocks[0]
    assert [n.op for n in body.nodes] == ["aten::add", "aten::mul"]
    assert loops[0].source.text == "for i in range(int(x)):"
    assert g.origin.value == "function"


def test_decision_gate_if_has_two_blocks_and_its_source_line(zoo):
    g = graph(zoo["MyDecisionGate"][2])  # the session's scripted copy
    ifs = [n for n in g.walk() if n.kind is NodeKind.IF]
    assert len(ifs) == 1
    assert len(ifs[0].blocks) == 2
    assert ifs[0].source.text == "if x.sum() > 0:"
    assert ifs[0].source.file.endswith("models.py")
    assert [n.op for n in ifs[0].blocks[1].nodes] == ["aten::neg"]


def test_scopes_traced_and_scripted_agree_on_module_grouping(zoo):
    _, _, scripted, traced = zoo["ResNet50ish"]
    for obj in (scripted, traced):
        g = graph(obj)
        convs = [n for n in g.walk() if n.op in ("aten::conv2d", "aten::_convolution")]
        assert len(convs) == 53
        scopes = {n.scope.dotted for n in convs}
        assert "layer3.5.conv2" in scopes and "layer1.0.downsample.0" in scopes
        bn = next(n for n in g.walk() if n.scope.dotted == "layer1.0.bn1" and n.kind is NodeKind.OP)
        assert bn.scope.types == ("ResNet50ish", "Sequential", "Bottleneck", "BatchNorm2d")


def test_not_inlined_scripted_graph_scopes_call_methods(zoo):
    g = graph(zoo["MyCell3"][2], inlined=False)
    calls = {n.scope.dotted: n for n in g.walk() if n.kind is NodeKind.CALL_METHOD}
    assert set(calls) == {"linear", "dg"}
    assert calls["dg"].scope.types == ("MyCell3", "MyDecisionGate")


def test_traced_shapes_and_dtypes(zoo):
    g = graph(zoo["ConvNet"][3])
    x = g.inputs[1]
    assert (x.dtype, x.shape) == ("float32", (1, 3, 16, 16))
    conv = next(n for n in g.walk() if n.op == "aten::_convolution")
    assert conv.outputs[0].shape == (1, 8, 16, 16)
    assert conv.arg_names[:3] == ("input", "weight", "bias")


def test_names_are_deterministic_across_runs():
    code = (
        "import torch, toolkit\n"
        "from tests.fixtures.models import GatedLSTMCell\n"
        "torch.manual_seed(0)\n"
        "print(toolkit.to_text(toolkit.graph(torch.jit.script(GatedLSTMCell()))))\n"
    )
    runs = {
        subprocess.run(["python", "-c", code], capture_output=True, text=True, check=True, env=_env()).stdout
        for _ in range(2)
    }
    assert len(runs) == 1 and "prim::Loop" in runs.pop()


def _env():
    import os
    import sys

    env = dict(os.environ)
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    env["PYTHONPATH"] = os.getcwd()
    return env


@pytest.mark.parametrize("name", ["MyCell1", "MyCell3", "MyDecisionGate", "GatedLSTMCell"])
def test_text_snapshots(zoo, snapshot, name):
    _, _, scripted, traced = zoo[name]
    snapshot(f"{name}.scripted.txt", to_text(graph(scripted)))
    snapshot(f"{name}.traced.txt", to_text(graph(traced)))


def test_raw_torch_graph(zoo):
    g = lint(graph(zoo["MyCell3"][2].graph))
    assert g.origin.value == "raw_graph"
    assert any(n.kind is NodeKind.CALL_METHOD for n in g.walk())


def test_graph_is_immutable(zoo):
    g = graph(zoo["MyCell1"][2])
    with pytest.raises(AttributeError, match="cannot assign"):
        g.nodes[0].op = "aten::mul"  # type: ignore[misc]


def test_navigation(zoo):
    g = graph(zoo["MyCell1"][2])
    add = next(n for n in g.walk() if n.op == "aten::add")
    assert g.producer(add.outputs[0].name) is add
    assert [u.op for u in g.users(add.outputs[0].name)] == ["aten::tanh"]
    assert g.producer("x") is None
    with pytest.raises(KeyError, match="no node 'n99'"):
        g.node("n99")


def test_lint_reports_broken_invariants():
    v = Value(name="y", debug_name="y", type="Tensor")
    bad = Graph(
        name="bad",
        origin=toolkit.ir.Origin.RAW_GRAPH,
        inlined=False,
        top=Block(
            id="top",
            inputs=(),
            nodes=(Node(id="n1", kind=NodeKind.IF, op="prim::If", inputs=("x",), outputs=(v,)),),
            outputs=("z",),
        ),
    )
    found = problems(bad)
    assert "node n1 sits at position n0" in found
    assert "node n1 (prim::If) uses %x before it is defined" in found
    assert "prim::If n1 has 0 blocks, expected 2" in found
    assert "block top returns %z, which is not defined there" in found
    with pytest.raises(GraphLintError, match=r"graph 'bad' is not well-formed \(4 problem"):
        lint(bad)


def test_eager_module_is_a_clear_error(zoo):
    with pytest.raises(NotTorchScriptError, match=r"MyCell1 is an eager nn.Module, not TorchScript.*torch.jit.script\(model\)"):
        graph(zoo["MyCell1"][0])


def test_non_torchscript_object_is_a_clear_error():
    with pytest.raises(NotTorchScriptError, match=r"cannot read a graph from str object 'hello'.*TorchScript.*torch.export.ExportedProgram"):
        graph("hello")


def test_missing_method_is_a_clear_error(zoo):
    with pytest.raises(NotTorchScriptError, match=r"MyCell1 has no TorchScript method 'backward'; it has \['forward'\]"):
        graph(zoo["MyCell1"][2], "backward")


@pytest.mark.parametrize("method", [3, None, "", b"forward"])
def test_a_method_that_is_not_a_name_is_a_clear_error(zoo, method):
    with pytest.raises(NotTorchScriptError, match=rf"method={re.escape(repr(method))} is not a method name.* Fix: pass the method's name"):
        graph(zoo["MyCell1"][2], method)


def test_library_control_flow_is_grouped_with_its_module(zoo):
    """torch leaves the hierarchy empty on inlined library checks (BatchNorm's input-dim If)."""
    from toolkit.frames import is_library_path

    g = graph(zoo["ResNet50ish"][2])
    library_ifs = [n for n in g.walk() if n.kind is NodeKind.IF and n.source and is_library_path(n.source.file)]
    assert len(library_ifs) >= 100
    assert all(n.scope.path for n in library_ifs)
    bn1 = [n for n in library_ifs if n.scope.dotted == "layer1.0.bn1"]
    assert bn1 and all(n.scope.types[-1] == "BatchNorm2d" for n in bn1)
    nested = [inner for n in bn1 for b in n.blocks for inner in b.walk()]
    assert nested and all(inner.scope.dotted == "layer1.0.bn1" for inner in nested)
    user_relu = next(n for n in graph(zoo["ConvNet"][2]).walk() if n.op == "aten::relu")
    assert user_relu.scope.path == (), "user code at the root module stays at the root"


# --- the single facts other layers read through ir.build ----------------------------------------------------
def test_baked_devices_lists_each_device_constant_once_nested_blocks_included():
    @torch.jit.script
    def both_branches(x: torch.Tensor) -> torch.Tensor:
        if bool(x.sum() > 0):
            return x + torch.zeros(2, device=torch.device("cpu"))
        return x - torch.zeros(2, device=torch.device("cpu"))

    assert build.baked_devices(both_branches.graph) == (torch.device("cpu"),)
    assert build.baked_devices(torch.jit.script(adds_one).graph) == ()


def adds_one(x: torch.Tensor) -> torch.Tensor:
    return x + 1


def test_infer_jit_type_gives_the_type_or_torchs_reason():
    assert build.infer_jit_type([1, 2]).annotation_str == "List[int]"
    assert build.infer_jit_type([]) == "List trace inputs must have elements"


def test_tracing_paused_keeps_a_read_out_of_the_trace():
    def reads_its_input(x):
        with build.tracing_paused():
            x.sum().item()  # seen by the tracer, this read would raise a TracerWarning
        return x + 1

    with warnings.catch_warnings(record=True) as shown:
        warnings.simplefilter("always", torch.jit.TracerWarning)
        traced = torch.jit.trace(reads_its_input, torch.ones(2), check_trace=False)
    assert not [w for w in shown if issubclass(w.category, torch.jit.TracerWarning)]
    assert torch.equal(traced(torch.zeros(2)), torch.ones(2))  # the trace still recorded the rest


# --- overloaded methods, callers' scopes and compiler-made nodes (built-in and library modules) -------------
@pytest.fixture(scope="module")
def scripted_lstm():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return torch.jit.script(torch.nn.LSTM(4, 6, num_layers=2, batch_first=True))


def test_an_overloaded_forward_reads_the_plain_tensor_overload(scripted_lstm):
    assert build.method_overloads(scripted_lstm, "forward") == ("forward__0", "forward__1")
    drawn = graph(scripted_lstm)
    assert drawn.name == "LSTM.forward__0", "the name says which overload was read"
    assert drawn.top.inputs[1].type == "Tensor"
    other = graph(scripted_lstm, "forward__1")
    assert other.name == "LSTM.forward__1"
    assert "PackedSequence" in other.top.inputs[1].type
    assert [name for name, _ in build.method_code(scripted_lstm)] == ["forward__0", "forward__1"]
    assert all("def forward" in text for _, text in build.method_code(scripted_lstm))
    with pytest.raises(NotTorchScriptError, match=r"LSTM has no TorchScript method 'backward'; it has \[.*'forward__0'"):
        graph(scripted_lstm, "backward")


class _NormThenScale(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.norm = torch.nn.BatchNorm1d(3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.norm(x)
        if y.sum() > 0:
            y = y * 2
        return torch.relu(y)


def test_a_library_modules_own_code_stays_at_its_root_after_a_child_call():
    """A root written in library code (torchvision's GeneralizedRCNN) keeps the lines after a
    child's call: only lines the child's methods hold join the child."""
    from toolkit.frames import library_code

    with library_code(library=[__file__]):
        g = graph(torch.jit.script(_NormThenScale()))
    relu = next(n for n in g.walk() if n.op == "aten::relu")
    branch = next(n for n in g.walk() if n.kind is NodeKind.IF and n.source and n.source.file == __file__)
    assert relu.scope.path == () and branch.scope.path == ()
    assert all(inner.scope.path == () for b in branch.blocks for inner in b.walk())
    norm_checks = [n for n in g.walk() if n.source and n.source.file.endswith("functional.py")]
    assert norm_checks and all(n.scope.path == ("norm",) for n in norm_checks)


def test_an_if_torchscript_generated_for_an_early_return_in_library_code_is_library():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        layer = torch.jit.script(torch.nn.TransformerEncoderLayer(8, 2, 16, batch_first=True))
    ifs = [n for n in graph(layer).walk() if n.kind is NodeKind.IF]
    generated = [n for n in ifs if n.source is None]
    assert generated, "TransformerEncoderLayer's fast-path return no longer makes a sourceless If"
    assert all(n.library for n in ifs)
