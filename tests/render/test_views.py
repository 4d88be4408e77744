"""Static views: DOT that dot accepts, collapse by depth, control-flow clusters, compare, code."""

from __future__ import annotations

import re

import pytest
import torch

import toolkit
from tests.fixtures import models
from toolkit.errors import MissingDependencyError, NotTorchScriptError
from toolkit.render.api import graph_view
from toolkit.render.svg import dot_to_svg

ZOO = ["MyCell1", "MyCell2", "MyCell3", "MyDecisionGate", "MLP", "ConvNet", "GatedLSTMCell", "ResNet50ish", "HybridNet"]


@pytest.mark.parametrize("how", ["scripted", "traced"])
@pytest.mark.parametrize("name", ZOO)
def test_dot_accepts_every_view(zoo, name, how):
    _, _, scripted, traced = zoo[name]
    view = graph_view(scripted if how == "scripted" else traced, depth=1 if name == "ResNet50ish" else None)
    svg = view.svg()
    assert svg.startswith("<svg") and "</svg>" in svg
    drawn_ids = set(re.findall(r'id="node:([^"]+)"', svg))
    assert drawn_ids, "node ids must reach the SVG for the widget"


@pytest.mark.parametrize("name", ["MyCell1", "MyCell3", "MyDecisionGate", "GatedLSTMCell"])
def test_dot_snapshots(zoo, snapshot, name):
    _, _, scripted, traced = zoo[name]
    snapshot(f"{name}.scripted.dot", toolkit.to_dot(scripted))
    snapshot(f"{name}.traced.dot", toolkit.to_dot(traced))


def test_if_and_loop_become_labelled_clusters(zoo):
    dot = toolkit.to_dot(zoo["GatedLSTMCell"][2])
    assert 'label="for t in range(xs.size(0))" id="cluster:loop:n7"' in dot
    assert 'label="if h.sum() > 0" id="cluster:loop:n7/b:n7.b0/if:n7.b0.n24"' in dot
    assert 'label="then"' in dot and 'label="else"' in dot


def test_loop_with_constant_trip_count_shows_it():
    fn = torch.jit.script(models.loop_product)
    g = toolkit.graph(fn)
    assert g.count(toolkit.NodeKind.LOOP) == 1
    assert 'label="for i in range(int(x))"' in toolkit.to_dot(fn)


def test_constants_folded_and_parameters_as_badges(zoo):
    view = graph_view(zoo["ResNet50ish"][3])
    kinds = {n.op for n in view.drawing.nodes}
    assert "prim::Constant" not in kinds and "prim::GetAttr" not in kinds and "prim::ListConstruct" not in kinds
    conv = next(n for n in view.drawing.nodes if n.scope == "conv1")
    assert conv.label == ("_convolution", "⚙ weight")
    assert "stride=[2, 2], padding=[3, 3]" in conv.tooltip and "⚙ weight" in conv.tooltip.splitlines()
    assert max(len(n.label) for n in view.drawing.nodes) <= 2, "the op and at most one short line"
    assert all(len(line) <= 28 for n in view.drawing.nodes if n.kind == "op" for line in n.label[1:])
    assert view.visible_node_count() < 200


def test_depth_collapses_modules(zoo):
    traced = zoo["ResNet50ish"][3]
    full = graph_view(traced)
    top = graph_view(traced, depth=0)
    one = graph_view(traced, depth=1)
    assert top.visible_node_count() < one.visible_node_count() < full.visible_node_count()
    assert '"m:layer1" [label="layer1 (Sequential)\\n' in top.dot
    assert '"m:layer1/m:0" [label="layer1.0 (Bottleneck)\\n' in one.dot
    opened = graph_view(traced, depth=0, expanded={"m:layer1"})
    assert '"m:layer1/m:0" [label=' in opened.dot and '"m:layer2" [label=' in opened.dot


def test_edges_carry_shapes(zoo):
    dot = toolkit.to_dot(zoo["ConvNet"][3])
    assert 'label="1×8×16×16"' in dot


def test_source_line_in_tooltip(zoo):
    dot = toolkit.to_dot(zoo["MyDecisionGate"][2])
    assert "models.py:33: if x.sum() > 0:" in dot


def test_compare_marks_what_the_trace_lost():
    # The gate's branch depends on MyCell3's random weights: seed so the trace takes the `return x`
    # path (seed 1), whatever ran before in this worker, and `neg` exists only in the script.
    torch.manual_seed(1)
    view = toolkit.compare(models.MyCell3(), models.example_inputs("MyCell3"))
    [lost] = view.diff.lost_control_flow
    assert lost.op == "prim::If" and lost.source.text == "if x.sum() > 0:"
    assert 'class="cluster-if lost"' in view.scripted.dot
    neg = next(n for n in view.scripted.drawing.nodes if n.op == "aten::neg")
    assert "only-script" in neg.marks
    dg = next(s for s in view.scripted_code.sections if s.path == ("dg",))
    line = dg.text.splitlines()[min(dg.marks) - 1]
    assert line.strip().startswith("if bool(torch.gt(torch.sum(x), 0))")
    bundle = view._repr_mimebundle_()
    assert "The trace lost 1 control-flow node(s)" in bundle["text/plain"]
    assert "mark-lost" in bundle["text/html"] and "<svg" in view.html()
    # in the bundle the graphs are images, which an untrusted notebook's sanitiser keeps
    assert "<svg" not in bundle["text/html"] and bundle["text/html"].count("data:image/svg+xml;base64,") == 2


def test_compare_of_a_faithful_model():
    view = toolkit.compare(models.MLP(), models.example_inputs("MLP"))
    assert view.diff.lost_control_flow == () and view.diff.is_faithful
    assert view.summary() == "The trace kept every prim::If / prim::Loop the script has."


def test_compare_when_scripting_fails_shows_the_trace_and_why():
    namespace: dict = {}
    exec("import torch\nclass Hidden(torch.nn.Module):\n    def forward(self, x):\n        return x * 2\n", namespace)
    view = toolkit.compare(namespace["Hidden"](), (torch.rand(2),))
    assert view.scripted is None
    # the scripting error's own wording belongs to capture.script; the view shows it whole
    assert view.summary().startswith("Hidden: scripting failed (") and view.scripting_error in view.summary()
    assert "source" in view.scripting_error
    assert "<svg" in view.html()


def test_code_view_is_numbered_and_highlighted(zoo):
    view = toolkit.code(zoo["MyCell3"][2])
    assert [s.title for s in view.sections] == ["MyCell3.forward", "dg (MyDecisionGate).forward", "linear (Linear).forward"]
    bundle = view._repr_mimebundle_()
    assert "3 |   if bool(torch.gt(torch.sum(x), 0)):" in bundle["text/plain"]
    assert '<span style="color:#7b52ab;font-weight:bold">if</span>' in bundle["text/html"]
    assert bundle == {k: v for k, v in view._repr_mimebundle_(include=None, exclude=None).items()}
    assert set(view._repr_mimebundle_(exclude=["text/html"])) == {"text/plain"}


def test_code_of_a_non_torchscript_object():
    with pytest.raises(NotTorchScriptError, match=r"dict has no TorchScript code. Fix: pass a ScriptModule"):
        toolkit.code({})


def test_missing_graphviz_binary_falls_back_to_text(zoo, monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    view = graph_view(zoo["MyCell1"][2])
    with pytest.raises(MissingDependencyError, match=r"`dot` binary is not on PATH.*apt-get install graphviz"):
        view.svg()
    bundle = view._repr_mimebundle_()
    assert set(bundle) == {"text/plain"}
    assert bundle["text/plain"].startswith("<GraphView MyCell1.forward (scripted): 5 nodes drawn>")
    assert "apt-get install graphviz" in bundle["text/plain"]


def test_dot_rejects_garbage_with_a_clear_error():
    with pytest.raises(MissingDependencyError, match=r"Graphviz `dot` rejected the graph"):
        dot_to_svg("digraph { this is not dot")


def test_html_and_quotes_in_names_are_escaped():
    namespace: dict = {}
    source = (
        "import torch\n"
        "class Evil(torch.nn.Module):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self.add_module('<script>alert(1)</script>', torch.nn.Linear(2, 2))\n"
        "    def forward(self, x):\n"
        "        return getattr(self, '<script>alert(1)</script>')(x)\n"
    )
    exec(source, namespace)
    traced = torch.jit.trace(namespace["Evil"](), (torch.rand(1, 2),))
    view = graph_view(traced)
    svg = view.svg()
    assert "<script>" not in svg and "&lt;script&gt;alert(1)&lt;/script&gt; (Linear)" in svg
    cluster = next(c for c in view.drawing.clusters if c.kind == "module")
    assert cluster.label == "<script>alert(1)</script> (Linear)"


def test_pipeline_is_drawn_one_node_per_op_call():
    import toolkit.pipeline as tp

    cell = tp.script(models.MyCell1(), device="cpu")
    mlp = tp.script(models.MLP(sizes=(4, 8, 4)), device="cpu")

    def process(x, h):
        a, b = cell(x, h)
        return mlp(a * 2.0) + mlp(b)

    pipe = tp.trace(process, torch.rand(3, 4), torch.rand(3, 4))
    view = graph_view(pipe)
    assert [n.id for n in view.drawing.nodes if n.kind == "call"] == ["my_cell1", "mlp", "mlp_1"]
    edges = {(e.src, e.dst) for e in view.drawing.edges}
    assert {("in:x", "my_cell1"), ("in:h", "my_cell1"), ("my_cell1", "mlp"), ("my_cell1", "mlp_1")} <= edges
    assert view.svg().startswith("<svg")
    whole = graph_view(pipe, per_op=False)
    assert whole.visible_node_count() > view.visible_node_count()


def test_partitioned_model_is_drawn_with_placement_reasons_and_transfers():
    import warnings as _warnings

    import toolkit.partition as tpart

    model = models.ConvNet().eval()
    with _warnings.catch_warnings():
        _warnings.simplefilter("ignore")
        part = tpart.trace(model, (torch.rand(2, 3, 16, 16),), supported=lambda n: n.kind != "aten::relu", minimum_segment_size=1, device="cpu")
    view = graph_view(part)
    relus = [n for n in view.drawing.nodes if n.op == "aten::relu"]
    assert len(relus) == 2
    assert all("target-cpu" in n.marks and n.label[-1] == "cpu: unsupported" for n in relus)
    convs = [n for n in view.drawing.nodes if n.op == "aten::_convolution"]
    assert all("target-accelerator" in n.marks for n in convs)
    # on device="cpu" the segments hand tensors over without a copy: boundaries, not transfers
    boundaries = [e for e in view.drawing.edges if "boundary" in e.marks]
    assert len(boundaries) == tpart.plan_of(part).transfers
    assert not [e for e in view.drawing.edges if "transfer" in e.marks]
    assert all("→" not in e.label for e in boundaries)
    assert 'class="boundary"' in view.dot and view.svg().startswith("<svg")
    assert graph_view(tpart.plan_of(part)).dot == view.dot
