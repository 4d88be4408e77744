"""check_trace's "how torch.export sees this line": the same counterexample, run on the exported program."""

from __future__ import annotations

import pytest
import torch
from torch import nn

import toolkit
from tests.fixtures import models
from toolkit.analysis.lost_flow.export_view import export_fix
from toolkit.render.report import report_html


class MeanOverBatch(nn.Module):
    def forward(self, x):
        n = int(x.shape[0])
        return x.sum(0) / n


@pytest.fixture(scope="module")
def gate_report():
    torch.manual_seed(0)
    return toolkit.check_trace(models.MyDecisionGate(), (torch.rand(3, 4),))


def test_a_branch_export_refuses_is_explained_at_its_line(gate_report):
    (finding,) = gate_report.proven
    view = finding.export
    assert view.exports is False and view.keeps is None
    assert view.detail == "torch.export (strict=False) refuses the model at this line: a Python `if` on a tensor's value."
    assert view.fix.startswith("write both branches as functions and call torch.cond(pred, true_fn, false_fn, (x,))")
    assert "torch.export: torch.export (strict=False) refuses the model at this line" in str(gate_report)
    assert "how torch.export sees this line" in report_html(gate_report)


def test_a_size_export_fixes_refuses_the_same_counterexample():
    report = toolkit.check_trace(MeanOverBatch(), (torch.rand(3, 4),))
    finding = next(f for f in report.proven if f.category in ("T2", "T4"))
    view = finding.export
    assert view.exports is True and view.keeps is False
    assert view.detail.startswith("torch.export exports the model, but the exported program refuses the counterexample")
    assert view.fix == export_fix(finding.category)


def test_the_export_question_can_be_turned_off():
    report = toolkit.check_trace(models.MyDecisionGate(), (torch.rand(3, 4),), options=toolkit.CheckOptions(export=False))
    assert all(f.export is None for f in report.findings)


def test_every_category_has_an_export_fix_or_the_generic_one():
    assert "torch.cond" in export_fix("T1") and "while_loop" in export_fix("T3") and "Dim" in export_fix("T4")
    assert export_fix("T99").startswith("export the eager module with torch.export.export")
