"""toolkit.check_trace: the report, its views, bad input, budgets, and the user's module left alone."""

from __future__ import annotations

import copy
import random
import re
import time
from dataclasses import dataclass

import numpy as np
import pytest
import torch
from torch import nn

from tests.lost_flow_cases import seeded
from tests.lost_flow_cases.t01_data_branch import DecisionGate
from toolkit.analysis.lost_flow.check import (
    CheckOptions,
    Finding,
    TraceReport,
    check_trace,
)
from toolkit.magics import load_ipython_extension
from toolkit.errors import MissingExampleInputsError, ToolkitError, TracingError
from toolkit.ir.model import NodeKind

QUIET = CheckOptions(progress=False)


# --- models used only here (in this file, so TorchScript can read their source) -------------


class StatefulEverything(nn.Module):
    """Touches every kind of state a check could disturb: a Python counter, a buffer re-bound
    in forward, batch-norm statistics (training mode), dropout, and Python/NumPy/torch RNG."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.linear = nn.Linear(4, 4)
        self.bn = nn.BatchNorm1d(4)
        self.dropout = nn.Dropout(0.3)
        self.register_buffer("memory", torch.zeros(4))
        self.calls = 0

    def forward(self, x):
        self.calls += 1
        jitter = random.random() + float(np.random.rand())
        out = self.dropout(self.bn(self.linear(x))) + jitter
        self.memory = self.memory + out.mean(0).detach()
        if out.sum() > 0:
            out = out * 2
        return out + torch.rand(1)


class DoublesInPlace(nn.Module):
    """Writes into its input: runs must not see each other's writes, nor the user's tensor change."""

    def forward(self, x):
        x.mul_(2)
        return x + 1


class Sevens(nn.Module):
    """Diverges only on inputs containing a 7: no generated input finds it, a check input does."""

    def forward(self, x):
        if (x == 7).any():
            return x * 0
        return x


class BoolMaskFill(nn.Module):
    """Fails inside torch.jit.trace itself (an internal assert on fill_ with a bool)."""

    def forward(self, x):
        mask = torch.zeros_like(x, dtype=torch.bool)
        mask[0].narrow(0, 1, 1).fill_(True)
        return x.masked_fill(mask, 0)


class GradConstant(nn.Module):
    """A tensor attribute that requires grad: eager is fine, the tracer refuses it as a constant."""

    def __init__(self):
        super().__init__()
        self.scale = torch.ones(3, requires_grad=True)

    def forward(self, x):
        return x * self.scale


class BrokenOnItsOwnInput(nn.Module):
    def forward(self, x):
        return x @ x  # 3×4 @ 3×4: fails in eager


class DictComprehension(nn.Module):
    def forward(self, x):
        return {f"k{i}": x[i] for i in range(2) if bool(x[i].sum() > 0)}


class ShapeAssert(nn.Module):
    def forward(self, x):
        assert x.shape[-1] == 4, "needs 4 features"
        return x * 2


class BigStack(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = nn.Sequential(*[nn.Linear(64, 64) for _ in range(8)])

    def forward(self, x):
        return self.layers(x)


def _decision_gate_report() -> TraceReport:
    return check_trace(DecisionGate(), (seeded(3, 4),), options=QUIET)


# --- the report -----------------------------------------------------------------------------


def test_a_lost_branch_is_proven_with_the_if_line_and_a_counterexample():
    report = _decision_gate_report()
    assert not report.ok
    [finding] = report.proven
    assert isinstance(finding, Finding)
    assert finding.category == "T1"
    assert finding.severity == "proven"
    assert finding.source_line.startswith("if x.sum() > 0:")
    assert "True" in finding.why and "False" in finding.why
    assert "torch.where" in finding.fix
    assert finding.counterexample is not None
    assert finding.counterexample.eager != finding.counterexample.traced
    assert finding.evidence[:2] == ("differential", "escape")
    # the counterexample really is one: eager and traced disagree on it
    eager = DecisionGate()(*finding.counterexample.args)
    traced = report.traced(*finding.counterexample.args)
    assert not torch.allclose(eager, traced)


def test_safe_code_that_looks_suspicious_is_only_suspected():
    report = check_trace(ShapeAssert(), (seeded(2, 4),), options=QUIET)
    assert report.ok
    assert report.proven == ()
    [finding] = report.suspected
    assert finding.severity == "suspected"
    assert finding.source_line.startswith("assert x.shape[-1] == 4")
    assert finding.counterexample is None


def test_check_inputs_add_to_the_generated_inputs():
    x = seeded(2, 3)
    assert check_trace(Sevens(), (x,), options=QUIET).ok  # nothing generated hits a 7
    with_seven = torch.tensor([[1.0, 7.0, 2.0], [0.0, 1.0, 2.0]])
    report = check_trace(Sevens(), (x,), check_inputs=[(with_seven,)], options=QUIET)
    assert not report.ok
    assert report.runs[0].label == "check_inputs[0]" and report.runs[0].status == "diverged"
    assert report.proven[0].counterexample.input == "check_inputs[0]"


def test_every_axis_of_generated_inputs_is_tried(checked_in_training):
    kinds = {run.kind for run in checked_in_training.report.runs}
    assert {"value", "size", "rank", "repeated calls", "train/eval flip", "device"} <= kinds


def test_the_report_text_and_html_say_what_where_why_and_fix():
    report = _decision_gate_report()
    text = str(report)
    assert "1 proven" in text
    assert "T1 data-dependent branch at t01_data_branch.py:" in text
    assert "counterexample:" in text
    html = report._repr_mimebundle_()["text/html"]
    assert "T1 data-dependent branch" in html and "proven" in html
    assert "<code>torch.where(cond, a, b)</code>" in html
    assert "if x.sum() &gt; 0:" in html  # the code snippet, escaped
    assert "TraceReport DecisionGate: lost behaviour, 1 proven" in repr(report)


def test_views_are_deterministic():
    first, second = _decision_gate_report(), _decision_gate_report()
    assert str(first) == str(second)
    assert first._repr_mimebundle_()["text/html"] == second._repr_mimebundle_()["text/html"]
    assert not re.search(r"0x[0-9a-f]{6,}", first._repr_mimebundle_()["text/html"])


def test_highlights_name_the_scripted_if_the_trace_lost():
    report = _decision_gate_report()
    highlights = report.highlights()
    [item] = highlights.items
    assert item.severity == "proven" and item.category == "T1"
    assert item.traced_nodes == ()  # the condition was computed, used in Python, and dropped
    scripted_if = report.scripted_graph.node(item.scripted_nodes[0])
    assert scripted_if.kind is NodeKind.IF
    assert highlights.scripted_marks()[scripted_if.id] == ("lost",)
    assert highlights.lines() == ((item.file, item.line, "proven"),)


def test_highlights_name_the_traced_nodes_recorded_from_the_lost_line():
    from tests.lost_flow_cases.t13_int_list import FftShift1d

    report = check_trace(FftShift1d(), (seeded(2, 4),), options=QUIET)
    [item] = report.highlights().items
    ops = {report.traced_graph.node(node_id).op for node_id in item.traced_nodes}
    assert "aten::roll" in ops
    assert set(report.highlights().traced_marks().values()) == {("lost",)}


def test_highlights_draw_on_the_render_layer():
    from toolkit.render.api import to_dot

    report = _decision_gate_report()
    dot = to_dot(report.scripted_graph, marks=report.highlights().scripted_marks())
    assert "#c0392b" in dot  # the render layer's colour for "lost"


# --- signals that fail ----------------------------------------------------------------------


def test_scripting_unavailable_is_reported_and_the_other_signals_still_run():
    report = check_trace(
        DictComprehension(), (seeded(2, 3),), options=CheckOptions(progress=False, trace_kwargs={"strict": False})
    )
    assert report.scripted_graph is None
    assert "NotSupportedError" in report.scripting_error
    assert "scripting unavailable" in str(report)
    assert report.proven and report.proven[0].category == "T9"


def test_a_model_that_cannot_be_traced_gets_a_report_with_the_error_and_its_line():
    report = check_trace(GradConstant(), (seeded(2, 3),), options=QUIET)
    assert not report.ok
    assert report.trace_error is not None
    assert "Cannot insert a Tensor that requires grad as a constant" in report.trace_error.message
    assert report.trace_error.source_line == "return x * self.scale"
    assert report.trace_error.file.endswith("test_check.py")
    assert "could not be traced" in str(report)
    assert "tracing failed at test_check.py:" in str(report)
    assert report.findings == ()


def test_a_failure_after_forward_points_at_the_last_line_that_ran():
    report = check_trace(BoolMaskFill(), (seeded(2, 3),), options=QUIET)
    assert "INTERNAL ASSERT" in report.trace_error.message
    assert report.trace_error.source_line == "return x.masked_fill(mask, 0)"


# --- bad input ------------------------------------------------------------------------------


def test_missing_example_inputs_is_a_clear_error():
    with pytest.raises(MissingExampleInputsError, match=r"check_trace\(DecisionGate\) needs example inputs"):
        check_trace(DecisionGate(), ())


def test_a_list_of_inputs_is_read_as_the_arguments_as_torch_jit_trace_reads_it():
    x = seeded(2, 2)
    from_list, from_tuple = check_trace(DecisionGate(), [x]), check_trace(DecisionGate(), (x,))
    assert [f.line for f in from_list.proven] == [f.line for f in from_tuple.proven] != []
    assert from_list.tried == from_tuple.tried


def test_a_model_failing_on_its_own_example_is_a_clear_error():
    with pytest.raises(TracingError, match=r"fails in eager PyTorch on its own example inputs at .*`return x @ x"):
        check_trace(BrokenOnItsOwnInput(), (seeded(3, 4),))


def test_already_torchscript_is_refused():
    scripted = torch.jit.script(DecisionGate())
    with pytest.raises(TracingError, match=r"already TorchScript"):
        check_trace(scripted, (seeded(3, 4),))


def test_not_callable_is_refused():
    with pytest.raises(TracingError, match=r"needs an nn.Module or a function"):
        check_trace(42, (seeded(3, 4),))


def test_errors_are_toolkit_errors():
    assert issubclass(TracingError, ToolkitError) and issubclass(MissingExampleInputsError, ToolkitError)


# --- budget and progress --------------------------------------------------------------------


def test_an_exhausted_budget_gives_a_partial_report():
    report = check_trace(DecisionGate(), (seeded(3, 4),), budget_s=0.0, options=QUIET)
    assert report.partial
    assert report.skipped and report.runs == ()
    assert "PARTIAL" in str(report)


def test_a_bigger_model_respects_the_budget():
    budget = 1.0
    start = time.perf_counter()
    report = check_trace(BigStack(), (seeded(16, 64),), budget_s=budget, options=QUIET)
    elapsed = time.perf_counter() - start
    assert elapsed < budget + 20  # one trace and one run may overrun; nothing else may
    assert report.elapsed_s <= elapsed
    if report.partial:
        assert report.skipped


def test_progress_bar_only_when_asked_or_slow(capsys):
    check_trace(DecisionGate(), (seeded(3, 4),))  # fast: the bar waits 2 s and never shows
    assert "check_trace" not in capsys.readouterr().err
    check_trace(DecisionGate(), (seeded(3, 4),), options=CheckOptions(progress=True))
    assert "check_trace" in capsys.readouterr().err


# --- the user's module is never changed -----------------------------------------------------


def _rng_states():
    return torch.get_rng_state().clone(), random.getstate(), np.random.get_state()[1].copy()


@dataclass(frozen=True)
class CheckedInTraining:
    """One check_trace of a training-mode StatefulEverything, with the user's state on both sides of it."""

    model: StatefulEverything
    report: TraceReport
    state_before: dict
    training_before: list
    rng_before: tuple
    rng_after: tuple
    grad_enabled_after: bool


@pytest.fixture(scope="module")
def checked_in_training() -> CheckedInTraining:
    """The check is the slow part (every axis of inputs): run once, shared by the tests that read it."""
    model = StatefulEverything().train()
    state_before = copy.deepcopy(model.state_dict())
    training_before = [m.training for m in model.modules()]
    rng_before = _rng_states()
    report = check_trace(model, (seeded(3, 4),), options=QUIET)
    rng_after = _rng_states()
    return CheckedInTraining(model, report, state_before, training_before, rng_before, rng_after, torch.is_grad_enabled())


def test_nothing_the_check_does_changes_the_users_module_or_rng(checked_in_training):
    checked = checked_in_training
    model = checked.model
    (torch_rng, py_rng, np_rng), (torch_rng_after, py_rng_after, np_rng_after) = checked.rng_before, checked.rng_after

    assert not checked.report.ok  # it did run everything on its copies
    after_state = model.state_dict()
    assert checked.state_before.keys() == after_state.keys()
    for key, value in checked.state_before.items():
        assert torch.equal(value, after_state[key]), key
    assert [m.training for m in model.modules()] == checked.training_before
    assert model.calls == 0
    assert torch.equal(torch_rng_after, torch_rng)
    assert py_rng_after == py_rng
    assert np.array_equal(np_rng_after, np_rng)
    assert checked.grad_enabled_after


def test_the_traced_module_in_the_report_does_not_share_the_users_parameters():
    model = StatefulEverything().eval()
    report = check_trace(model, (seeded(3, 4),), options=QUIET)
    assert report.traced.linear.weight.data_ptr() != model.linear.weight.data_ptr()


# --- notebook entry point -------------------------------------------------------------------


def test_importing_the_module_registers_no_magic():
    import sys

    import toolkit.analysis.lost_flow  # noqa: F401

    shell = sys.modules.get("IPython")
    assert shell is None or shell.get_ipython() is None or "check_trace" not in shell.get_ipython().magics_manager.magics["line"]


def test_check_trace_magic():
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    try:
        load_ipython_extension(shell)
        shell.user_ns.update(gate=DecisionGate(), x=seeded(3, 4))
        shell.user_ns["QUIET"] = QUIET
        report = shell.run_line_magic("check_trace", "gate, x, options=QUIET")
        assert isinstance(report, TraceReport) and not report.ok
        with pytest.raises(MissingExampleInputsError, match=r"%check_trace model, x"):
            shell.run_line_magic("check_trace", "gate")
    finally:
        InteractiveShell.clear_instance()


# --- GPU (run by the lead on the accelerator machine) -----------------------------------------


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_device_constants_are_proven_on_cuda():
    from tests.lost_flow_cases.t11_device import TimestepEmbedding

    report = check_trace(TimestepEmbedding(), (seeded(3),), options=QUIET)
    [finding] = report.proven
    assert finding.category == "T11"
    assert "cuda" in finding.counterexample.shapes
    assert "cuda" in finding.why


def gate_function(x):
    if x.sum() > 0:
        return x
    return -x


def test_a_plain_function_is_checked_too():
    report = check_trace(gate_function, (seeded(3, 4),), options=QUIET)
    [finding] = report.proven
    assert finding.category == "T1" and finding.source_line == "if x.sum() > 0:"
    assert report.name == "gate_function"


def test_keyword_example_inputs():
    report = check_trace(DecisionGate(), {"x": seeded(3, 4)}, options=QUIET)
    [finding] = report.proven
    assert finding.category == "T1"
    assert finding.counterexample.kwargs.keys() == {"x"}


def test_a_trace_wrong_on_every_input_is_not_blamed_on_state_or_training_mode():
    from tests.lost_flow_cases.t12_trace_aware import TracingPath

    model = TracingPath()  # in training mode, as built: the train/eval flip diverges too
    report = check_trace(model, (seeded(3),), options=QUIET)
    assert {f.category for f in report.proven} == {"T12"}
    assert len(report.proven) == 1


def test_a_forward_that_writes_into_its_inputs_is_not_a_false_alarm_and_the_input_is_kept():
    x = seeded(2, 3)
    before = x.clone()
    report = check_trace(DoublesInPlace(), (x,), options=QUIET)
    assert report.ok, str(report)
    assert torch.equal(x, before)
