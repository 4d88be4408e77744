"""check_trace on code shaped like real libraries (issue 10, item 5): the right place, possible
inputs only, no alarms about configuration, logging or the mode, state proven over calls, trace
options passed through, and copies that share weights safely."""

from __future__ import annotations

import linecache
import os
from typing import Optional

import pytest
import torch
from torch import nn

from tests.lost_flow_cases import all_cases, seeded
from tests.lost_flow_cases.real_library_shapes import CacheFlagged, DecoratedGate
from toolkit.analysis.lost_flow.check import CheckOptions, check_trace
from toolkit.analysis.lost_flow.lint import function_source
from toolkit.analysis.lost_flow.localise import entry_location
from toolkit.analysis.lost_flow.variants import VariantKind, Workbench, generate_variants

QUIET = CheckOptions(progress=False)
_SHAPES = [c for c in all_cases() if c.build.__module__.endswith("real_library_shapes")]


def _case(name):
    return next(c for c in _SHAPES if c.name == name)


def _report(name):
    model, example = _case(name).build()
    return check_trace(model, example, options=QUIET)


def _lines_containing(case, text):
    with open(case.file, encoding="utf-8") as handle:
        return {i for i, line in enumerate(handle, start=1) if text in line}


# --- the right place --------------------------------------------------------------------------


def test_a_decorated_forward_is_read_from_its_own_file():
    file, start, lines = function_source(DecoratedGate.forward)
    assert file == _case("decorated_forward_branch").file
    assert lines[0].lstrip().startswith("@returns_what_it_returns") or lines[0].lstrip().startswith("def forward")
    assert entry_location(DecoratedGate()) [0] == file


def test_findings_on_a_decorated_forward_name_the_model_file_and_show_that_line():
    case = _case("decorated_forward_branch")
    report = _report(case.name)
    assert report.findings
    for finding in report.findings:
        assert finding.file == case.file, finding
        assert finding.source_line == linecache.getline(finding.file, finding.line).strip()
    assert any(f.line in case.lost_lines for f in report.proven)


@pytest.mark.parametrize(
    "model",
    [nn.TransformerEncoderLayer(16, 2, 32, batch_first=True).eval(), nn.LSTM(16, 32, num_layers=2, batch_first=True)],
    ids=["TransformerEncoderLayer", "LSTM"],
)
def test_no_finding_names_the_line_that_called_check_trace(model):
    report = check_trace(model, (seeded(2, 5, 16, seed=310),), options=QUIET)
    assert all(os.path.abspath(f.file) != os.path.abspath(__file__) for f in report.findings), str(report)
    assert not any(f.counterexample and "leading dimension removed" in f.counterexample.input for f in report.proven)


# --- possible inputs only ---------------------------------------------------------------------


def test_ids_and_their_mask_change_size_together_and_keep_their_rank():
    model, (ids, mask) = _case("ids_with_mask").build()
    variants = generate_variants((ids, mask), {}, forward=type(model).forward, training=False, device=None, seed=0)
    sized = [v for v in variants if v.kind == VariantKind.SIZE]
    assert sized
    for variant in sized:
        assert variant.args[0].shape == variant.args[1].shape, variant.label
    assert not any(v.kind == VariantKind.RANK for v in variants)


def test_arguments_that_are_not_tensors_are_never_given_tensors():
    variants = generate_variants((seeded(2, 4),), {}, forward=CacheFlagged.forward, training=False, device=None, seed=0)
    optional = [v for v in variants if v.kind == VariantKind.OPTIONAL]
    assert not any(isinstance(value, torch.Tensor) for v in optional for value in v.extra_kwargs.values())


class TensorOrNothing(nn.Module):
    def forward(self, x, mask: Optional[torch.Tensor] = None, bias=None):
        return x if mask is None else x * mask


def test_tensor_annotated_and_unannotated_optionals_still_get_tensors():
    variants = generate_variants((seeded(2, 4),), {}, forward=TensorOrNothing.forward, training=False, device=None, seed=0)
    given = {name for v in variants if v.kind == VariantKind.OPTIONAL for name, value in v.extra_kwargs.items() if isinstance(value, torch.Tensor)}
    assert given == {"mask", "bias"}


def test_an_unbatched_input_that_only_torch_handles_is_not_evidence():
    report = _report("downsample_none_block")
    assert report.proven == ()
    removed = [r for r in report.runs if r.kind == VariantKind.RANK and "removed" in r.label]
    assert removed and all(r.status == "skipped" for r in removed)


class IgnoresItsMask(nn.Module):
    def forward(self, x, encoder_mask=None):
        return x * 2


def test_an_argument_eager_ignores_is_not_a_lost_argument():
    report = check_trace(IgnoresItsMask(), (seeded(2, 4),), options=QUIET)
    assert report.proven == ()
    assert any(r.kind == VariantKind.OPTIONAL and "without it" in r.detail for r in report.runs)


# --- no alarms about configuration, logging or the mode ---------------------------------------


def test_configuration_flags_are_not_data_dependent_branches():
    case = _case("constant_flag_branch")
    flagged = _lines_containing(case, "self.use_res_connect:") | _lines_containing(case, "self.has_skip:")
    report = _report(case.name)
    assert flagged and not {f.line for f in report.findings if f.file == case.file} & flagged, str(report)
    assert report.scripting_error is None  # the flags were seen in the scripted graph, and judged


def test_an_is_tracing_branch_that_only_logs_is_quiet():
    report = _report("tracing_log_branch")
    assert report.findings == (), str(report)


class ModeSwitch(nn.Module):
    def __init__(self):
        super().__init__()
        self.drop = nn.Dropout(0.5)

    def forward(self, x):
        if self.training:
            return self.drop(x)
        return x


def test_a_model_in_eval_mode_has_no_training_mode_suspicion():
    report = check_trace(ModeSwitch().eval(), (seeded(2, 4),), options=QUIET)
    assert not any(f.category == "T7" for f in report.findings), str(report)
    trained = check_trace(ModeSwitch().train(), (seeded(2, 4),), options=QUIET)
    assert any(f.category == "T7" for f in trained.findings)


# --- state, options, shared copies ------------------------------------------------------------


# buffer_rebinding: its buffer is written in place under autograd while tracing, which once left
# the check's private copy impossible to copy again
@pytest.mark.parametrize(
    "case", [c for c in _SHAPES if c.diverges] + [c for c in all_cases() if c.name == "buffer_rebinding"], ids=lambda c: c.name
)
def test_each_real_shaped_loss_is_proven_at_its_line(case):
    model, example = case.build()
    report = check_trace(model, example, options=QUIET)
    assert any(f.file == case.file and f.line in case.lost_lines for f in report.proven), str(report)


class DictOutput(nn.Module):
    def forward(self, x):
        return {"double": x * 2}


def test_options_may_be_the_keyword_arguments_of_torch_jit_trace():
    report = check_trace(DictOutput(), (seeded(2, 3),), options={"strict": False, "check_trace": False})
    assert report.trace_error is None and report.ok
    strict = check_trace(DictOutput(), (seeded(2, 3),), options={"progress": False})
    assert strict.trace_error is not None  # without strict=False torch refuses a dict output


class InPlaceState(nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("seen", torch.zeros(3))
        self.weight = nn.Parameter(torch.ones(3))

    def forward(self, x):
        self.seen.add_(1)
        self.weight.data = self.weight.data * 3
        return x * self.weight + self.seen


def test_a_copy_sharing_the_weights_gives_back_whatever_a_call_changed():
    bench = Workbench(InPlaceState())
    first = bench.shared()(torch.ones(3))
    bench.restore()
    second = bench.shared()(torch.ones(3))
    bench.restore()
    assert torch.equal(first, second)
    assert torch.equal(bench.fresh().seen, torch.zeros(3)) and torch.equal(bench.fresh().weight, torch.ones(3))


class TotalOfWeights(nn.Module):
    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(3))
        self.register_buffer("total", torch.zeros(3))

    def forward(self, x):
        self.total += self.weight  # in place, under autograd while tracing
        return x + self.total


def test_a_buffer_written_under_autograd_while_tracing_leaves_the_copies_usable():
    model = TotalOfWeights()
    report = check_trace(model, (seeded(3),), options=QUIET)
    assert report.trace_error is None
    # the trace records the in-place update, so repeated calls agree; each run starts from zeros
    assert report.ok and any(r.kind == VariantKind.REPEAT and r.status == "same" for r in report.runs), str(report)
    assert torch.equal(model.total, torch.zeros(3))  # the user's module is untouched


class WrapsALibraryLayer(nn.Module):
    def __init__(self):
        super().__init__()
        from tests.lost_flow_cases._vendored_layer import ClampIfNegative

        self.layer = ClampIfNegative()

    def forward(self, x):
        return self.layer(x) * 2  # the user's line that calls the library's branch


def test_a_loss_inside_library_code_is_named_at_the_users_line_that_called_it():
    from tests.lost_flow_cases import _vendored_layer
    from toolkit.frames import library_code

    example = (seeded(2, 3, seed=311),)
    with library_code(library=[_vendored_layer.__file__]):
        report = check_trace(WrapsALibraryLayer(), example, options=QUIET)
    assert report.proven, str(report)
    assert {(os.path.abspath(f.file), f.line) for f in report.proven} == {(os.path.abspath(__file__), _line_of("the user's line that calls"))}
    as_user_code = check_trace(WrapsALibraryLayer(), example, options=QUIET)
    assert any(os.path.abspath(f.file) == os.path.abspath(_vendored_layer.__file__) for f in as_user_code.proven)


def _line_of(text):
    with open(__file__, encoding="utf-8") as handle:
        return next(i for i, line in enumerate(handle, start=1) if text in line and "def " not in line and "_line_of" not in line)


def test_an_output_that_is_none_on_one_side_is_a_structural_difference():
    from toolkit.analysis.lost_flow.variants import compare_outputs

    t = torch.ones(2)
    difference = compare_outputs((t, None), (t, t))  # nn.MultiheadAttention(need_weights=False) gives None
    assert difference is not None and difference.structural and difference.path == "output[1]"
    assert compare_outputs((t, None), (t.clone(), None)) is None
