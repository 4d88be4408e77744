"""The graph widget on an exported program: the same shell, its code the program's readable form."""

from __future__ import annotations

import json

import pytest
import torch

import toolkit
import toolkit.widgets
from tests.fixtures import models
from tests.ir import export_models
from toolkit.render.export_compare import ExportCompareView
from toolkit.widgets.shells import GraphWidget


@pytest.fixture
def in_kernel(monkeypatch):
    monkeypatch.setattr(toolkit.widgets, "in_live_kernel", lambda: True)


@pytest.fixture(scope="module")
def program():
    return torch.export.export(export_models.CondGate(), (models.example_inputs("MyDecisionGate")[0],), strict=False)


def test_show_in_a_kernel_is_the_graph_widget_with_the_programs_code(in_kernel, program):
    widget = toolkit.show(program)
    assert isinstance(widget, GraphWidget)
    data = json.loads(json.dumps(widget._data))
    (section,) = data["code"]["sections"]
    assert section["title"] == "CondGate.forward (torch.export)"
    cond = next(n for n in data["drawing"]["nodes"] if n["op"] == "higher_order::cond")
    _, line = data["code"]["links"][cond["id"]]
    assert section["lines"][line - 1].strip().startswith("cond = torch.ops.higher_order.cond(")
    assert set(data["details"]) == {n["id"] for n in data["drawing"]["nodes"]}


def test_the_export_comparison_stays_static_in_a_kernel(in_kernel):
    view = toolkit.compare(models.MyDecisionGate(), (models.example_inputs("MyDecisionGate")[0],), against="export")
    assert isinstance(view, ExportCompareView)
    assert "text/html" in view._repr_mimebundle_()
