"""compare(..., against="export"): trace / script / export side by side, each failure explained."""

from __future__ import annotations

import pytest
import torch

import toolkit
from tests.fixtures import models
from tests.ir import export_models
from toolkit.errors import ViewOptionError
from toolkit.render.export_compare import ExportCompareView


@pytest.fixture(scope="module")
def gate_input():
    return (models.example_inputs("MyDecisionGate")[0],)


@pytest.fixture(scope="module")
def refused(gate_input):
    return toolkit.compare(models.MyDecisionGate(), gate_input, against="export")


@pytest.fixture(scope="module")
def rewritten(gate_input):
    return toolkit.compare(models.MyDecisionGate(), gate_input, against="export", exported=export_models.CondGate())


def test_a_refused_export_shows_the_other_sides_and_the_failure_explained(refused):
    assert isinstance(refused, ExportCompareView)
    assert refused.traced is not None and refused.scripted is not None and refused.exported is None
    failure = refused.export_failure
    assert failure.construct == "a Python `if` on a tensor's value"
    assert failure.where == "models.py:33 `if x.sum() > 0:`"
    assert "torch.cond(pred, true_fn, false_fn, (x,))" in failure.fix
    assert "data dependent error at models.py:33" in failure.draft_findings
    page = refused.html()
    assert "Traceback" not in page and "torch.export refused it: rewrite it with torch.cond" in page
    assert "models.py:33 `if x.sum() &gt; 0:`" in page


def test_the_script_if_export_refuses_is_marked_needs_cond_and_lost(refused):
    (if_node,) = [n for n in refused.scripted.graph.walk() if n.kind is toolkit.NodeKind.IF]
    box = next(b for b in refused.scripted.drawing.nodes if b.id == if_node.id)
    assert box.marks == ("lost", "needs-cond")
    assert 'class="node-if lost needs-cond"' in refused.scripted.dot


def test_the_rewrite_with_torch_cond_is_kept_on_the_export_side(rewritten):
    (cond,) = rewritten.export_diff.kept_control_flow
    assert cond.op == "higher_order::cond"
    assert rewritten.exported.drawing.clusters[0].marks == ("kept",)
    (section,) = rewritten.exported_code.sections
    assert section.marks == {cond.code_line: ("kept",)}
    rows = {r.side: r for r in rewritten.rows}
    assert rows["torch.jit.trace"].loses.startswith("1 control-flow node(s), frozen to the example's path: `if x.sum() > 0:`")
    assert rows["torch.jit.script"].keeps == "every if and loop (1 If, 0 Loop)"
    assert rows["torch.export"].keeps == "1 torch.cond / while_loop / map with their subgraphs"
    assert "(x: 3×4)" in rows["torch.export"].loses
    sums = [(e, s) for e, s in rewritten.export_diff.matched if rewritten.exported.graph.node(e).op == "aten::sum"]
    assert [rewritten.scripted.graph.node(s).op for _, s in sums] == ["aten::sum"]  # aligned with the script


def test_a_model_only_export_takes_shows_both_torchscript_failures(gate_input):
    view = toolkit.compare(export_models.CondGate(), gate_input, against="export")
    assert view.traced is None and view.scripted is None and view.exported is not None
    assert "could not run CondGate" in view.trace_error
    assert "a `lambda` (unsupported construct)" in view.scripting_error
    assert view.summary().splitlines()[1].startswith("  torch.jit.trace: keeps nothing (it failed)")


def test_an_exported_program_can_be_the_export_side(gate_input):
    program = torch.export.export(export_models.CondGate(), gate_input, strict=False)
    view = toolkit.compare(models.MyDecisionGate(), gate_input, against="export", exported=program)
    assert view.exported.graph.count(toolkit.NodeKind.IF) == 1


def test_bad_against_is_a_clear_error(gate_input):
    with pytest.raises(ViewOptionError, match=r"compare\(against='onnx'\) is not a side.*against='export'"):
        toolkit.compare(models.MyDecisionGate(), gate_input, against="onnx")
    with pytest.raises(ViewOptionError, match=r"compare\(exported=\.\.\.\) is the export side. Fix: pass against='export'"):
        toolkit.compare(models.MyDecisionGate(), gate_input, exported=export_models.CondGate())


def test_hostile_names_are_escaped(gate_input):
    hostile = type("<b>Gate</b>", (models.MyDecisionGate,), {})
    view = toolkit.compare(hostile(), gate_input, against="export")
    page = view.html()
    assert "<b>Gate</b>" not in page and "&lt;b&gt;Gate&lt;/b&gt;" in page
