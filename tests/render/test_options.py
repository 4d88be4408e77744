"""Drawing options: keywords become one frozen value, checked once, with messages that say the fix."""

from __future__ import annotations

import pytest

import toolkit
from toolkit.errors import ToolkitError
from toolkit.render.api import graph_view
from toolkit.render.options import DotOptions, GraphOptions, ViewOptionError


def test_keywords_and_an_options_object_draw_the_same(zoo):
    traced = zoo["ResNet50ish"][3]
    by_keywords = graph_view(traced, depth=0, expanded={"m:layer1"}, rankdir="LR")
    by_options = graph_view(traced, options=DotOptions(depth=0, expanded=frozenset({"m:layer1"}), rankdir="LR"))
    assert by_keywords.options == by_options.options and by_keywords.dot == by_options.dot
    started = GraphOptions.from_keywords(DotOptions(depth=2), edge_labels=False)
    assert started.dot == DotOptions(depth=2, edge_labels=False)


def test_an_unknown_option_names_itself_and_the_nearest_known_one(zoo):
    with pytest.raises(ViewOptionError, match=r"unknown option 'dept'.*Fix: did you mean 'depth'\? remove or rename 'dept'"):
        toolkit.show(zoo["MyCell1"][2], dept=1)


@pytest.mark.parametrize(
    ("keywords", "message"),
    [
        ({"depth": "1"}, r"option depth='1' is not a non-negative int or None\. Fix: pass depth=1"),
        ({"depth": True}, r"option depth=True is not a non-negative int or None"),
        ({"rankdir": "BT"}, r"option rankdir='BT' is not 'TB' or 'LR'\. Fix: pass rankdir='TB'"),
        ({"expanded": "m:layer1"}, r"option expanded='m:layer1' is not a collection of cluster keys\. Fix: pass e\.g\."),
        ({"edge_labels": 1}, r"option edge_labels=1 is not True or False\. Fix: pass edge_labels=True"),
        ({"marks": ["n1"]}, r"option marks=\['n1'\] is not a mapping of node id to classes"),
    ],
)
def test_a_bad_value_is_refused_before_anything_is_drawn(zoo, keywords, message):
    with pytest.raises(ViewOptionError, match=message) as caught:
        toolkit.show(zoo["MyCell1"][2], **keywords)
    assert isinstance(caught.value, ToolkitError)


def test_compare_checks_its_depth_before_running_the_model():
    class Exploding:
        def __call__(self, *args):
            raise AssertionError("the model must not run")

    with pytest.raises(ViewOptionError, match=r"option depth=-1 is not a non-negative int or None"):
        toolkit.compare(Exploding(), (), depth=-1)
