"""How views open: library control flow folded, the static view opening where the widget does,
one count of boxes for the banner, the status line and the depth menu."""

from __future__ import annotations

import re
import warnings

import pytest
import torch
from torch import nn

import toolkit
from toolkit.render.api import graph_view
from toolkit.render.collapse import Collapse
from toolkit.render.folds import find_library_folds
from toolkit.render.opening import AUTO_OPEN_BOXES, count_boxes, depth_levels
from toolkit.render.options import DotOptions, ViewOptionError
from toolkit.widgets.payload import graph_payload, initial_options


@pytest.fixture(scope="module")
def encoder_layer():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return torch.jit.script(nn.TransformerEncoderLayer(16, 2, 32, batch_first=True).eval())


def _inside(drawing, key):
    return [n for n in drawing.nodes if n.cluster == key or n.cluster.startswith(key + "/")]


def test_library_control_flow_folds_into_one_box_per_cluster(encoder_layer):
    view = graph_view(encoder_layer)
    library_flow = [c for c in view.drawing.clusters if c.library]
    assert len(library_flow) > 150, "torch's own ifs are in the drawing"
    assert view.visible_node_count() <= AUTO_OPEN_BOXES
    drawn = {n.id for n in view.collapse.visible_boxes}
    folds = [f for f in view.folds if f.kind == "library"]
    assert folds and all(f.key.startswith("lib:") and f.label.startswith("library code") for f in folds)
    assert "functional.py" in folds[0].label
    members = [key for f in folds for key in f.members]
    assert sum(len(_inside(view.drawing, key)) for key in members) > 900
    for key in members:
        assert not drawn & {n.id for n in _inside(view.drawing, key)}, key
    # the library `if` whose branch runs the layer's submodules is structure: open, its work drawn
    [runs_modules] = [c for c in library_flow if c.key not in members and c.parent == ""]
    assert view.collapse.closer(runs_modules.key) is None
    computed = {n.label[0] for n in view.collapse.visible_boxes if n.cluster.startswith(runs_modules.key)}
    assert {"linear", "layer_norm", "relu", "dropout"} <= computed
    assert '"lib:" [label=' in view.dot
    assert "prim::Uninitialized" not in {n.op for n in view.drawing.nodes}, "a raising branch's placeholder"


def test_a_library_fold_takes_the_checks_that_only_feed_it(encoder_layer):
    drawing = graph_view(encoder_layer).drawing
    top = next(f for f in find_library_folds(drawing) if f.key == "lib:")
    assert top.boxes, "the `is None` / dtype checks of the top-level ifs"
    consumers: dict[str, list[str]] = {}
    for e in drawing.edges:
        consumers.setdefault(e.src, []).append(e.dst)
    collapse = Collapse(drawing, DotOptions(), folds=(top,))
    for box in top.boxes:
        assert collapse.representatives[box] == "lib:"
        assert all(collapse.representatives[d] == "lib:" for d in consumers[box]), box
    opened = Collapse(drawing, DotOptions(expanded=frozenset({"lib:"})), folds=(top,))
    assert all(opened.representatives[box] == box for box in top.boxes)


def test_internals_opens_the_library_code(encoder_layer):
    folded = graph_view(encoder_layer, depth=None)
    shown = graph_view(encoder_layer, depth=None, internals=True)
    assert shown.options.internals and not folded.options.internals
    assert shown.visible_node_count() == shown.drawing.box_count() > 4 * folded.visible_node_count()
    library_ifs = [n for n in shown.collapse.visible_boxes if n.kind == "if" and n.library]
    assert len(library_ifs) > 150
    options, _ = initial_options(graph_view(encoder_layer, internals=True))
    assert {f.key for f in shown.folds if f.kind == "library"} <= options.expanded, "the browser sees open folds"


@pytest.mark.parametrize("value", [1, "yes", None])
def test_internals_must_be_a_flag(zoo, value):
    with pytest.raises(ViewOptionError, match=r"option internals=.* is not True or False\. Fix: pass internals=True"):
        toolkit.show(zoo["MyCell1"][2], internals=value)


def test_a_traced_conv_bn_model_has_no_library_folds():
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.ReLU()).eval()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        traced = torch.jit.trace(model, (torch.rand(1, 3, 8, 8),))
    view = graph_view(traced, depth=None)
    assert [f for f in view.folds if f.kind == "library"] == []
    assert view.dot == graph_view(traced, depth=None, internals=True).dot
    assert {n.label[0] for n in view.collapse.visible_boxes} >= {"_convolution", "batch_norm", "relu"}


def test_the_static_view_opens_where_the_widget_opens(zoo):
    traced = zoo["ResNet50ish"][3]
    static = graph_view(traced)
    assert static.options.depth is not None and not static.options.auto
    assert static.visible_node_count() <= AUTO_OPEN_BOXES
    widget_options, notice = initial_options(static)
    assert widget_options == static.options and notice == static.notice
    # repeats are folded in the picture as in the widget: one box for layer1.1 … 2
    assert re.search(r'"fold:m:layer1/m:1" \[label="layer1\.1 … 2', static.dot)
    assert "m:layer1/m:2" not in static.dot
    # an explicit depth=None is every module open: not auto
    assert graph_view(traced, depth=None).options.depth is None


def test_one_count_for_banner_status_and_menu(zoo):
    view = graph_view(zoo["ResNet50ish"][3])
    payload = graph_payload(view, notice=view.notice)
    drawn = view.visible_node_count()
    assert f"({drawn} boxes)" in payload["notice"]
    levels = {(lv["depth"], lv["expanded_all"]): lv for lv in payload["depth_levels"]}
    assert levels[(view.options.depth, False)]["boxes"] == drawn
    every = levels[(None, True)]
    assert every["name"] == "every node" and every["boxes"] == view.drawing.box_count()
    assert payload["notice"].startswith(f"{every['boxes']} boxes with everything open")
    assert [lv["name"] for lv in payload["depth_levels"]][:3] == ["0 · top level", "1 · top modules", "2 · their children"]
    assert levels[(None, False)]["name"] == "all · every module"
    assert levels[(None, False)]["boxes"] < every["boxes"], "repeats stay folded at depth all"
    assert count_boxes(view.drawing, DotOptions(depth=0), view.folds) == levels[(0, False)]["boxes"]


def test_the_payload_lists_the_library_folds_for_the_internals_toggle(encoder_layer):
    view = graph_view(encoder_layer)
    payload = graph_payload(view)
    library = payload["library_folds"]
    assert library and payload["internals"] is False
    kinds = {f["key"]: f["kind"] for f in payload["folds"]}
    assert all(kinds[key] == "library" for key in library)
    opened = view.options.with_state(depth=view.options.depth, expanded=library, collapsed=())
    assert count_boxes(view.drawing, opened, view.folds) == count_boxes(
        view.drawing, DotOptions(depth=view.options.depth, internals=True), view.folds
    )
    levels = depth_levels(view.drawing, view.options, view.folds)
    assert all(lv["boxes"] <= lv["boxes_internals"] for lv in levels)


def test_tensor_number_conversions_are_drawn_as_edges():
    class Sizes(nn.Module):
        def forward(self, x):
            return x.view(x.size(0), -1) * x.size(1)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        traced = torch.jit.trace(Sizes(), (torch.rand(2, 3),))
    graph = toolkit.graph(traced)
    assert any(n.op == "prim::NumToTensor" for n in graph.walk())
    view = graph_view(traced)
    ops = {n.op for n in view.drawing.nodes}
    assert "prim::NumToTensor" not in ops and "aten::Int" not in ops
    by_id = {n.id: n for n in view.drawing.nodes}
    sizes = {n.id for n in view.drawing.nodes if n.op == "aten::size"}
    assert any(e.src in sizes and by_id[e.dst].op in ("aten::view", "aten::mul") for e in view.drawing.edges)


def test_fold_repeats_off_draws_each_repeat_and_every_node_with_internals(zoo):
    traced = zoo["ResNet50ish"][3]
    folded = graph_view(traced, depth=None)
    each = graph_view(traced, depth=None, fold_repeats=False)
    assert folded.visible_node_count() < each.visible_node_count() == each.drawing.box_count()
    assert "fold:" not in each.dot and "fold:m:layer1/m:1" in folded.dot
    options, _ = initial_options(each)
    assert {f.key for f in each.folds if f.kind == "repeat"} <= options.expanded
    with pytest.raises(ViewOptionError, match=r"option fold_repeats='no' is not True or False"):
        graph_view(traced, fold_repeats="no")


def test_a_marked_library_if_stays_open_to_be_seen():
    from tests.browser import synthetic
    from toolkit.render.drawing import build_drawing

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        graph = toolkit.graph(torch.jit.script(synthetic.LibraryCalls().eval()))
    library_ifs = [n.id for n in graph.walk() if n.kind is toolkit.NodeKind.IF and n.library]
    assert len(library_ifs) >= 2
    [unmarked] = find_library_folds(build_drawing(graph))
    [marked] = find_library_folds(build_drawing(graph, marks={library_ifs[0]: ["lost"]}))
    assert len(marked.members) == len(unmarked.members) - 1
    assert not any(key.endswith(f"if:{library_ifs[0]}") for key in marked.members)
