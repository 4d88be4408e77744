"""Ordinary mistakes at the view entry points give a ToolkitError naming the input, the cause and the fix."""

from __future__ import annotations

import pytest
import torch
from torch import nn

import toolkit
from toolkit.errors import NotTorchScriptError, ToolkitError, ViewOptionError


class BuiltinForward(nn.Module):
    """A module whose ``forward`` is a builtin (no Python source for TorchScript to read)."""

    forward = torch.relu


@pytest.fixture(scope="module")
def scripted():
    return torch.jit.script(nn.Linear(2, 2))


def test_graph_of_none():
    with pytest.raises(NotTorchScriptError, match=r"cannot read a graph from NoneType object None: expected TorchScript.*Fix: trace or script it first"):
        toolkit.graph(None)


def test_show_with_a_depth_that_is_not_a_number(scripted):
    with pytest.raises(ViewOptionError, match=r"option depth='a' is not a non-negative int or None\. Fix: pass depth=1"):
        toolkit.show(scripted, depth="a")


def test_to_dot_with_an_unknown_option(scripted):
    with pytest.raises(ViewOptionError, match=r"unknown option 'unknown': the graph views take .*depth.*\. Fix: remove or rename 'unknown'"):
        toolkit.to_dot(scripted, unknown=1)


def test_to_dot_with_a_misspelt_option_suggests_the_name(scripted):
    with pytest.raises(ViewOptionError, match=r"unknown option 'rankdr'.*Fix: did you mean 'rankdir'\?"):
        toolkit.to_dot(scripted, rankdr="LR")


@pytest.mark.parametrize("call", [toolkit.show, toolkit.graph, toolkit.to_dot])
def test_a_module_with_a_builtin_forward_is_named_with_the_fix(call):
    with pytest.raises(NotTorchScriptError, match=r"BuiltinForward is an eager nn\.Module, not TorchScript.*Fix: pass torch\.jit\.script\(model\)"):
        call(BuiltinForward())


def test_compare_of_a_builtin_forward_shows_the_trace_with_the_reason():
    view = toolkit.compare(BuiltinForward(), (torch.ones(3),))
    assert view.scripted is None
    assert "BuiltinForward does not script" in view.scripting_error
    assert "Fix:" in view.scripting_error


def test_every_option_error_is_a_toolkit_error(scripted):
    for bad in ({"depth": -1}, {"rankdir": "up"}, {"edge_labels": "yes"}, {"marks": {"n0": "lost"}}, {"method": ""}):
        with pytest.raises(ToolkitError, match=r"option .* Fix: "):
            toolkit.to_dot(scripted, **bad)
