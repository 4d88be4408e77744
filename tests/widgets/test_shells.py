"""The anywidget shells without a front end: when they are used, what they send, what comes back.

Widgets are built for real (ipywidgets works without a kernel); what a browser would do is
done here by calling the same entry points the comm calls (``set_state``, the custom-message
handler). The browser side itself is tested in ``tests/browser``.
"""

from __future__ import annotations

import base64
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch

import toolkit
import toolkit.widgets
from tests.browser import synthetic
from tests.fixtures import models
from toolkit.render.api import code, graph_view
from toolkit.render.display import CompareView, GraphView
from toolkit.render.opening import LARGE_BOXES
from toolkit.render.saved_picture import image_only
from toolkit.widgets import present
from toolkit.errors import WidgetSelectionError
from toolkit.widgets.payload import WidgetLimits
from toolkit.widgets.shells import BundleHost, CompareWidget, GraphWidget

WIDGETS_DIR = Path(toolkit.widgets.__file__).parent


@pytest.fixture
def in_kernel(monkeypatch):
    """Make present() believe it runs in a live kernel (the only thing a test cannot start)."""
    monkeypatch.setattr(toolkit.widgets, "in_live_kernel", lambda: True)


@pytest.fixture(scope="module")
def cell3():
    torch.manual_seed(0)
    return toolkit.trace(models.MyCell3(models.MyDecisionGate()), models.example_inputs("MyCell3"), script_submodules=("dg",))


@pytest.fixture(scope="module")
def cell3_widget(cell3):
    return GraphWidget(graph_view(cell3), code=code(cell3))


# --- when present() makes a widget ---------------------------------------------------------------


def test_outside_a_kernel_the_static_views_are_returned_unchanged(cell3):
    view = graph_view(cell3)
    assert present(view) is view
    assert isinstance(toolkit.show(cell3), GraphView)
    assert isinstance(toolkit.compare(models.MyCell3(models.MyDecisionGate()), models.example_inputs("MyCell3")), CompareView)
    assert present("not a view") == "not a view"


def test_in_a_kernel_show_and_compare_return_widgets(in_kernel, cell3):
    shown = toolkit.show(cell3)
    assert isinstance(shown, GraphWidget)
    titles = [s["title"] for s in shown._data["code"]["sections"]]
    assert titles == ["MyCell3.forward", "dg (MyDecisionGate).forward", "linear (Linear).forward"]
    compared = toolkit.compare(models.MyCell3(models.MyDecisionGate()), models.example_inputs("MyCell3"))
    assert isinstance(compared, CompareWidget)


def test_without_the_widget_packages_the_static_view_is_returned(in_kernel, monkeypatch, cell3):
    monkeypatch.setattr(toolkit.widgets, "has_widget_packages", lambda: False)
    assert isinstance(toolkit.show(cell3), GraphView)


def test_plain_python_is_not_a_live_kernel():
    from toolkit.widgets.environment import in_live_kernel

    assert in_live_kernel() is False


def test_importing_the_widget_layer_loads_no_notebook_package():
    code_text = (
        "import sys, toolkit.widgets\n"
        "print(' '.join(sorted({m.split('.')[0] for m in sys.modules} & {'anywidget', 'ipywidgets', 'IPython', 'graphviz'})))"
    )
    out = subprocess.run([sys.executable, "-c", code_text], capture_output=True, text=True, check=True).stdout
    assert out.strip() == ""


def test_the_widget_layer_never_imports_torch():
    for path in sorted(WIDGETS_DIR.glob("*.py")):
        text = path.read_text()
        assert "import torch" not in text and "torch._C" not in text, path.name


# --- what the widget sends ---------------------------------------------------------------------------


def test_widgets_share_one_bundle_host_and_carry_only_the_loader(cell3):
    first, second = GraphWidget(graph_view(cell3)), GraphWidget(graph_view(cell3))
    assert first._host is second._host is BundleHost.shared()
    assert first._bundle_problem == ""
    bundle = first._host._esm
    assert bundle.startswith("/* sources-sha256:") and len(bundle) > 500_000
    assert len(first._esm) < 4000
    state = json.dumps(first.get_state())
    assert len(state) < 20_000 and "sources-sha256" not in state


def test_payload_describes_every_drawn_node_and_links_it_to_code(cell3_widget):
    data = json.loads(json.dumps(cell3_widget._data))  # plain JSON, nothing else
    ids = [n["id"] for n in data["drawing"]["nodes"]]
    assert set(data["details"]) == set(ids)
    tanh = next(n for n in data["drawing"]["nodes"] if n["op"] == "aten::tanh")
    details = data["details"][tanh["id"]]
    assert details["op"] == "aten::tanh" and details["outputs"][0][1:] == ["Tensor", "float32", "3×4"]
    section, line = data["code"]["links"][tanh["id"]]
    assert "torch.tanh(" in data["code"]["sections"][section]["lines"][line - 1]
    file_index, py_line = data["python"]["links"][tanh["id"]]
    hunk_lines = {h["start"] + i: text for h in data["python"]["files"][file_index]["hunks"] for i, text in enumerate(h["lines"])}
    assert "new_h = torch.tanh(self.dg(self.linear(x)) + h)" in hunk_lines[py_line]
    neg = next(n for n in data["drawing"]["nodes"] if n["op"] == "aten::neg")
    section, line = data["code"]["links"][neg["id"]]
    assert data["code"]["sections"][section]["title"] == "dg (MyDecisionGate).forward"


def test_a_resnet_opens_at_its_stages_with_repeats_folded(zoo):
    traced = zoo["ResNet50ish"][3]
    widget = GraphWidget(graph_view(traced), code=code(traced))
    assert widget.depth == 2
    assert widget._data["notice"].startswith("177 boxes with everything open: opened at 2 · their children (49 boxes)")
    folds = [(f["label"], f["type"], len(f["members"])) for f in widget._data["folds"]]
    assert folds == [
        ("layer1.1 … 2", "Bottleneck", 2),
        ("layer2.1 … 3", "Bottleneck", 3),
        ("layer3.1 … 5", "Bottleneck", 5),
        ("layer4.1 … 2", "Bottleneck", 2),
    ]
    assert len(json.dumps(widget._data)) < 600_000


def test_an_explicit_depth_is_kept(zoo):
    traced = zoo["ResNet50ish"][3]
    widget = GraphWidget(graph_view(traced, depth=2))
    assert widget.depth == 2 and widget._data["notice"] == ""


def test_huge_graphs_open_small_and_skip_the_static_svg_when_too_big():
    widget = GraphWidget(graph_view(synthetic.wide_graph(100, 200)))
    # 100 identical modules of 200 nodes: folded into one box, so the view opens small.
    assert widget._shown.visible_node_count() <= WidgetLimits().auto_expand_nodes
    assert "image/svg+xml" in widget._repr_mimebundle_()
    flat = GraphWidget(graph_view(synthetic.flat_graph(3000)))
    assert "only the first 1,500 are drawn" in flat._data["notice"]
    bundle = flat._repr_mimebundle_()
    assert "image/svg+xml" not in bundle and "too large for a static picture" in bundle["text/plain"]


# --- the output keeps the static picture ----------------------------------------------------------------


def test_output_has_the_widget_the_static_svg_and_a_stable_text(cell3_widget, cell3):
    bundle = cell3_widget._repr_mimebundle_()
    assert set(bundle) == {"text/plain", "image/svg+xml", "text/html", "application/vnd.jupyter.widget-view+json"}
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == cell3_widget.model_id
    static = graph_view(cell3)
    assert bundle["text/plain"] == static.summary() == repr(cell3_widget)
    assert bundle["image/svg+xml"] == static.svg()
    assert set(cell3_widget._repr_mimebundle_(include={"text/plain"})) == {"text/plain"}


def embedded_svgs(markup: str) -> list[str]:
    """The SVG documents that ``<img src="data:image/svg+xml;base64,...">`` tags in ``markup`` show."""
    return [base64.b64decode(b).decode() for b in re.findall(r'<img src="data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)"', markup)]


def test_the_saved_picture_is_the_svg_as_an_image_with_a_note_to_rerun(cell3_widget, cell3):
    # What an untrusted notebook shows: HTML without inline <svg> (its sanitiser drops that).
    markup = cell3_widget._repr_mimebundle_()["text/html"]
    assert "<svg" not in markup and "<script" not in markup
    assert embedded_svgs(markup) == [image_only(graph_view(cell3).svg())]
    assert "run the cell again for the interactive view" in markup
    assert 'alt="&lt;GraphView MyCell3.forward (traced): ' in markup
    again = GraphWidget(graph_view(cell3), code=code(cell3))
    assert again._repr_mimebundle_()["text/html"] == markup  # deterministic: nbval compares it


def test_html_in_names_is_escaped_in_the_static_output():
    module = synthetic.traced_evil_names()
    widget = GraphWidget(graph_view(module), code=code(module))
    bundle = widget._repr_mimebundle_()
    svg = bundle["image/svg+xml"]
    assert "<script" not in svg and "<img" not in svg
    assert "&lt;script&gt;" in svg
    assert "<script" not in bundle["text/html"] and embedded_svgs(bundle["text/html"]) == [image_only(svg)]
    payload = json.dumps(widget._data)
    assert json.loads(payload)["drawing"]["clusters"][0]["label"].startswith(synthetic.SCRIPT_NAME)


# --- what comes back from the browser -------------------------------------------------------------------


def test_the_selection_is_the_ir_node_and_observers_fire(cell3):
    widget = GraphWidget(graph_view(cell3))
    seen = []
    widget.observe(lambda change: seen.append(change["new"]), names="selected")
    tanh = next(n for n in widget.graph.walk() if n.op == "aten::tanh")
    widget.set_state({"selected_id": tanh.id})  # what the comm does when the student clicks
    assert widget.selected is tanh and seen == [tanh]
    widget.select(None)
    assert widget.selected is None and widget.selected_id == "" and seen == [tanh, None]
    widget.select(tanh)
    assert widget.selected_id == tanh.id
    widget.selected_id = "m:linear"  # a box is selectable but is not an IR node
    assert widget.selected is None


def test_selecting_what_the_widget_does_not_draw_is_a_clear_error(cell3):
    widget = GraphWidget(graph_view(cell3))
    with pytest.raises(WidgetSelectionError, match=r"cannot select 'n999': MyCell3\.forward draws no node.*Fix: pass an IR node"):
        widget.select("n999")
    assert widget.selected_id == ""


def test_the_expansion_state_maps_to_static_options(cell3):
    widget = GraphWidget(graph_view(cell3))
    widget.set_state({"depth": 0, "collapsed": ["m:dg/if:n10"], "expanded": []})
    options = widget.options()
    assert options.depth == 0 and options.collapsed == frozenset({"m:dg/if:n10"})
    assert widget.static.options == options


def _reply(widget, request):
    replies = []
    original = widget.send
    widget.send = replies.append
    try:
        widget._on_front_end_message(widget, request, [])
    finally:
        widget.send = original
    assert len(replies) == 1
    return replies[0]


def test_the_front_end_can_ask_for_the_static_picture_of_its_state(cell3):
    widget = GraphWidget(graph_view(cell3))
    reply = _reply(widget, {"type": "static-svg", "request": 7, "state": {"depth": 0, "expanded": [], "collapsed": []}})
    assert reply["type"] == "static-svg" and reply["request"] == 7
    assert '<g id="node:m:dg" class="node node&#45;collapsed">' in reply["svg"]
    ignored = []  # unknown messages are ignored
    widget.send = ignored.append
    widget._on_front_end_message(widget, {"type": "unknown"}, [])
    assert ignored == []


def test_without_dot_the_static_picture_request_says_why(cell3, monkeypatch):
    monkeypatch.setattr("toolkit.render.svg.shutil.which", lambda name: None)
    widget = GraphWidget(graph_view(cell3))
    reply = _reply(widget, {"type": "static-svg", "request": 1, "state": {}})
    assert "svg" not in reply
    assert "the Graphviz `dot` binary is not on PATH" in reply["error"] and "<GraphView MyCell3.forward" in reply["error"]
    saved = widget._repr_mimebundle_()  # the saved output says why it holds no picture
    assert "image/svg+xml" not in saved and "text/html" not in saved
    assert saved["text/plain"].startswith("<GraphView MyCell3.forward") and "(no picture: the Graphviz `dot` binary" in saved["text/plain"]


def test_a_missing_bundle_is_reported_to_the_front_end(cell3, tmp_path):
    widget = GraphWidget(graph_view(cell3), bundle_dir=tmp_path)
    assert widget._host is None
    assert widget._bundle_problem.startswith(f"the widget bundle {tmp_path / 'toolkit-widgets.js'} is missing")
    assert "Fix: reinstall torchscript-toolkit" in widget._bundle_problem


# --- compare -------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def comparison():
    torch.manual_seed(0)
    return CompareWidget(toolkit.compare(models.MyCell3(models.MyDecisionGate()), models.example_inputs("MyCell3")))


def test_compare_pairs_the_two_sides_and_marks_what_one_side_has(comparison):
    trace_ops = {n["id"]: n["op"] for n in comparison._trace["drawing"]["nodes"]}
    script_ops = {n["id"]: n["op"] for n in comparison._script["drawing"]["nodes"]}
    assert comparison._pairs and all(trace_ops[t] == script_ops[s] for t, s in comparison._pairs)
    marks = {n["op"]: n["marks"] for n in comparison._script["drawing"]["nodes"]}
    assert marks["prim::If"] == ["lost"] and marks["aten::sum"] == ["only-script"]
    bundle = comparison._repr_mimebundle_()
    assert set(bundle) == {"text/plain", "text/html", "application/vnd.jupyter.widget-view+json"}
    assert bundle["text/plain"].startswith("The trace lost 1 control-flow node(s)")


def test_clicking_an_ifs_join_selects_the_if_on_either_widget(comparison, cell3_widget):
    joins = [n["id"] for n in comparison._script["drawing"]["nodes"] if n["kind"] == "join"]
    assert len(joins) == 1 and joins[0].endswith(".join")
    comparison.selected_side = "script"
    comparison.selected_script_id = joins[0]
    assert comparison.selected_script is not None and comparison.selected_script.op == "prim::If"
    comparison.selected_script_id = ""
    join = next(n["id"] for n in cell3_widget._data["drawing"]["nodes"] if n["kind"] == "join")
    cell3_widget.selected_id = join
    assert cell3_widget.selected is not None and cell3_widget.selected.op == "prim::If"
    assert cell3_widget._data["code"]["links"][join] == cell3_widget._data["code"]["links"][cell3_widget.selected.id]
    cell3_widget.selected_id = ""


def test_the_saved_comparison_draws_both_sides_as_images(comparison):
    markup = comparison._repr_mimebundle_()["text/html"]
    static = comparison._compare
    assert "<svg" not in markup
    assert [s.strip() for s in embedded_svgs(markup)] == [image_only(static.traced.svg()).strip(), image_only(static.scripted.svg()).strip()]
    assert "MyCell3.forward" in markup and "run the cell again for the interactive view" in markup


def test_compare_selection_follows_to_the_other_side(comparison):
    tanh = next(n for n in comparison._compare.traced.graph.walk() if n.op == "aten::tanh")
    comparison.select(tanh, side="trace")
    assert comparison.selected is tanh and comparison.selected_side == "trace"
    assert comparison.selected_script.op == "aten::tanh"
    lost = comparison._compare.diff.lost_control_flow[0]
    comparison.select(lost.id, side="script")
    assert comparison.selected is lost and comparison.selected_trace is None and comparison.selected_trace_id == ""
    with pytest.raises(WidgetSelectionError, match=r"side must be 'trace' or 'script', not 'left'"):
        comparison.select(lost.id, side="left")
    with pytest.raises(WidgetSelectionError, match=r"cannot select 'n999' on the trace side of MyCell3"):
        comparison.select("n999", side="trace")


def test_compare_when_scripting_fails_shows_the_trace_alone():
    class Unscriptable(torch.nn.Module):
        def forward(self, x):
            double = lambda t: t * 2  # noqa: E731  TorchScript has no lambdas
            return double(x)

    widget = CompareWidget(toolkit.compare(Unscriptable(), (torch.rand(2),)))
    assert widget._script == {} and widget._scripting_error
    assert "scripting failed" in widget._repr_mimebundle_()["text/plain"]


# --- partitioned models and pipelines ---------------------------------------------------------------


def test_a_partitioned_model_is_a_widget_with_its_placement_colours_and_transfers():
    import warnings

    import toolkit.partition as tpart

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        part = tpart.trace(
            models.ConvNet().eval(), (torch.rand(2, 3, 16, 16),),
            supported=lambda n: n.kind != "aten::relu", minimum_segment_size=1, device="cpu",
        )
    view = graph_view(part)
    widget = GraphWidget(view)
    marks = {n["id"]: n["marks"] for n in widget._data["drawing"]["nodes"]}
    relu = next(n for n in view.graph.walk() if n.op == "aten::relu")
    assert "target-cpu" in marks[relu.id]
    # The browser draws each box with the static picture's own statement: the same colours.
    assert "target-cpu" in widget._data["dot"]["boxes"][relu.id] and widget._data["dot"]["boxes"][relu.id] in view.dot
    widget.select(relu)
    assert widget.selected is relu  # its boxes are IR nodes, re-coloured
    assert embedded_svgs(widget._repr_mimebundle_()["text/html"]) == [image_only(view.svg())]


def test_a_widget_opened_on_a_thousand_boxes_saves_the_picture_of_its_default_opening():
    # 2.8 MB of SVG and base64 for 1,002 boxes would be a sliver at a notebook's width, and every
    # front end decodes, stores and sanitises it again; the saved picture is the default opening.
    graph = synthetic.wide_graph(10, 100, name="Thousand")
    widget = GraphWidget(graph_view(graph, expanded=["fold:m:block0"]))
    bundle = widget._repr_mimebundle_()
    opening = graph_view(graph)
    assert widget._shown.collapse.drawn_count == 1002 > LARGE_BOXES >= opening.collapse.drawn_count
    assert bundle["text/plain"] == widget._shown.summary()  # the text names what the widget shows
    assert bundle["image/svg+xml"] == opening.svg()
    assert embedded_svgs(bundle["text/html"]) == [image_only(opening.svg())]
    assert f"Saved picture of the default opening ({opening.collapse.drawn_count:,} of the 1,002 boxes shown)" in bundle["text/html"]
    assert len(bundle["text/html"]) + len(bundle["image/svg+xml"]) < 50_000


def test_a_widget_under_the_large_size_saves_exactly_what_it_shows(cell3_widget, cell3):
    bundle = cell3_widget._repr_mimebundle_()
    assert bundle["image/svg+xml"] == cell3_widget._shown.svg()
    assert "default opening" not in bundle["text/html"]
