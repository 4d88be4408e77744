"""One collapse resolution that every writer reads: which clusters a state opens, what is drawn."""

from __future__ import annotations

from toolkit.render.api import graph_view
from toolkit.render.collapse import Collapse
from toolkit.render.folds import find_folds
from toolkit.render.options import DotOptions


def test_an_outer_closed_module_swallows_everything_inside_it(zoo):
    drawing = graph_view(zoo["ResNet50ish"][3]).drawing
    collapse = Collapse(drawing, DotOptions(depth=0))
    assert collapse.closer("m:layer1/m:0") == "m:layer1" and collapse.closer("m:layer1") == "m:layer1"
    inside = [n for n in drawing.nodes if n.cluster.startswith("m:layer1/")]
    assert inside and {collapse.representatives[n.id] for n in inside} == {"m:layer1"}
    assert "m:layer1/m:0" in collapse.closing_modules  # nested ones count in the summary
    assert collapse.drawn_count == len(collapse.visible_boxes) + len(
        {r for r in collapse.representatives.values() if r.startswith("m:")}
    )


def test_expanded_opens_one_module_and_collapsed_wins_over_it(zoo):
    drawing = graph_view(zoo["ResNet50ish"][3]).drawing
    opened = Collapse(drawing, DotOptions(depth=0, expanded=frozenset({"m:layer1"})))
    assert opened.closer("m:layer1") is None and opened.closer("m:layer1/m:0") == "m:layer1/m:0"
    shut = Collapse(drawing, DotOptions(expanded=frozenset({"m:layer1"}), collapsed=frozenset({"m:layer1"})))
    assert shut.closer("m:layer1") == "m:layer1"


def test_folds_and_control_flow_close_only_when_asked(zoo):
    drawing = graph_view(zoo["ResNet50ish"][3]).drawing
    folds = find_folds(drawing)
    folded = Collapse(drawing, DotOptions(), folds=folds)
    first = folds[0]
    assert all(folded.closer(member) == first.key for member in first.members)
    assert Collapse(drawing, DotOptions(expanded=frozenset({first.key})), folds=folds).closer(first.members[0]) is None
    assert folded.drawn_count < Collapse(drawing, DotOptions()).drawn_count

    gated = graph_view(zoo["GatedLSTMCell"][2]).drawing
    options = DotOptions(collapsed=frozenset({"loop:n7"}))
    assert Collapse(gated, options).closer("loop:n7") is None  # the static views close modules only
    assert Collapse(gated, options, closes_control_flow=True).closer("loop:n7/b:n7.b0") == "loop:n7"


def test_depth_leaves_a_module_of_one_box_open_and_collapsed_still_closes_it(zoo):
    drawing = graph_view(zoo["ResNet50ish"][3]).drawing
    conv = "m:layer1/m:0/m:conv1"
    assert [n.op for n in drawing.nodes if n.cluster == conv] == ["aten::_convolution"]
    at_block = Collapse(drawing, DotOptions(depth=2))
    assert at_block.closer(conv) is None, "closing it would hide the op behind '1 node'"
    assert at_block.closer("m:layer1/m:0/m:downsample") == "m:layer1/m:0/m:downsample"  # two boxes: closes
    assert Collapse(drawing, DotOptions(depth=2, collapsed=frozenset({conv}))).closer(conv) == conv
    assert Collapse(drawing, DotOptions(depth=0)).closer(conv) == "m:layer1", "an outer box still wins"
