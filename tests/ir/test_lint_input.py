"""``lint`` names what it was given when that is not an IR graph, and says how to get one."""

from __future__ import annotations

import pytest
from torch import nn

import toolkit
from toolkit.errors import NotTorchScriptError
from toolkit.ir.lint import lint, problems


@pytest.mark.parametrize("check", [lint, problems])
def test_lint_of_none_names_the_input_and_the_fix(check):
    with pytest.raises(NotTorchScriptError, match=r"lint\(\) checks a toolkit IR Graph, but got NoneType None\. Fix: build the graph first, e\.g\. lint\(toolkit\.graph\("):
        check(None)


def test_lint_of_an_eager_module_names_its_type_and_the_fix():
    with pytest.raises(NotTorchScriptError, match=r"but got Linear Linear\(in_features=2.*Fix: build the graph first.*toolkit\.script\(model\)"):
        lint(nn.Linear(2, 2))


def test_lint_still_passes_a_real_graph(zoo):
    g = toolkit.graph(zoo["MyCell3"][2])
    assert lint(g) is g
