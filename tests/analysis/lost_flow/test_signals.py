"""The signals check_trace combines, one at a time: escapes, lint, and differential testing."""

from __future__ import annotations

import math
import random

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from tests.lost_flow_cases import all_cases, seeded
from toolkit.analysis.lost_flow.variants import (
    VariantKind,
    Workbench,
    compare_outputs,
    generate_variants,
    preserved_global_state,
)
from toolkit.analysis.lost_flow.escapes import first_divergence, record_trace
from toolkit.analysis.lost_flow.lint import lint_model

CASES = {c.name: c for c in all_cases()}


class EveryEscape(nn.Module):
    def forward(self, x, n):
        for _ in range(x.size(0)):  # line +1: index, from a size
            x = x + 1
        if x.dim() == 2:  # line +3: dim
            x = x * 2
        pos = torch.arange(3, device=x.device)  # line +5: device
        if x.sum() > 0:  # line +6: bool, data
            x = -x
        scale = math.ceil(x.size(1) / 3)  # line +8: float, from a size
        a, b = torch.split(x, x.size(1) // 2, 1)  # line +9: converted inside torch (a hidden warning)
        rows = len(x)  # line +10: len
        k = int(n)  # line +11: int, data
        return x + pos.sum() + scale + rows + k + a.sum() + b.sum()


def _line(offset: int) -> int:
    import inspect

    return inspect.getsourcelines(EveryEscape.forward)[1] + offset


# --- escapes --------------------------------------------------------------------------------


def test_every_kind_of_escape_is_recorded_with_its_value_line_and_provenance():
    record = record_trace(EveryEscape(), (seeded(3, 4), torch.tensor(5.0)))
    assert record.error is None
    seen = {(e.line, e.kind): e for e in record.escapes}
    assert seen[(_line(1), "index")].value == 3 and seen[(_line(1), "index")].from_size
    assert seen[(_line(3), "dim")].value == 2
    assert seen[(_line(5), "device")].value == "cpu"
    assert seen[(_line(6), "bool")].value is True and not seen[(_line(6), "bool")].from_size
    assert seen[(_line(8), "float")].from_size
    assert seen[(_line(10), "len")].value == 3
    assert seen[(_line(11), "int")].value == 5 and not seen[(_line(11), "int")].from_size


def test_tracer_warnings_include_the_ones_torch_hides_at_the_users_line():
    record = record_trace(EveryEscape(), (seeded(3, 4), torch.tensor(5.0)))
    hidden = [w for w in record.warnings if w.hidden_by_torch]
    assert any(w.line == _line(9) for w in hidden), record.warnings
    assert all(w.file.endswith("test_signals.py") for w in record.warnings)


def test_first_divergence_names_the_line_and_both_values():
    a = record_trace(EveryEscape(), (seeded(3, 4), torch.tensor(5.0)))
    b = record_trace(EveryEscape(), (-seeded(3, 4) - 5, torch.tensor(5.0)))
    d = first_divergence(a.escapes, b.escapes)
    assert d.at.line == _line(6)
    assert (d.example.value, d.other.value) == (True, False)
    assert first_divergence(a.escapes, a.escapes) is None


def test_escapes_outside_the_model_are_not_recorded():
    record = record_trace(nn.Linear(2, 2), (seeded(1, 2),))
    assert record.escapes == ()


# --- lint -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, rule",
    [
        ("python_random_flip", "python-rng"),
        ("adapter_layerdrop", "python-rng"),
        ("warmup_counter", "python-state"),
        ("gaussian_noise_training", "training-branch"),
        ("data_assignment", "data-assignment"),
        ("buffer_rebinding", "buffer-rebinding"),
        ("attention_mask_none", "optional-argument"),
        ("actor_critic_flag", "optional-argument"),
        ("tracing_path", "trace-aware-branch"),
        ("decision_gate", "branch-on-tensor"),
        ("sinkhorn_while", "data-dependent-loop"),
        ("lstm_cell_time_loop", "loop-over-shape"),
        ("yolo_gain_tensor", "tensor-constructor"),
        ("split_by_lengths", "tensor-to-numpy"),
        ("fftshift_roll", "size-into-int-list"),
        ("timestep_arange_device", "device-constant"),
    ],
)
def test_the_lint_flags_the_lost_line(name, rule):
    case = CASES[name]
    model, _ = case.build()
    hits = [h for h in lint_model(model) if h.rule == rule]
    assert any(h.line in case.lost_lines and h.file == case.file for h in hits), lint_model(model)


def test_the_lint_leaves_python_constants_alone():
    for name in ("bert_sqrt_head_dim", "downsample_none", "config_flag_branch", "modulelist_loop"):
        model, _ = CASES[name].build()
        assert lint_model(model) == (), name


def test_the_lint_skips_scripted_helpers():
    model, _ = CASES["script_if_tracing_helper"].build()
    assert all(h.function != "_count_positive_rows" for h in lint_model(model))


def test_in_place_buffer_updates_are_not_flagged():
    model, _ = CASES["buffer_rebinding"].build()
    lines = {h.line for h in lint_model(model)}
    assert CASES["buffer_rebinding"].lost_lines[0] in lines
    assert CASES["buffer_rebinding"].lost_lines[0] - 2 not in lines  # `self.accumulator += x`


# --- differential testing -------------------------------------------------------------------


class TwoInputs(nn.Module):
    def forward(self, x, lengths, mask=None):
        return x


def test_variants_cover_every_axis():
    x, lengths = seeded(3, 4), torch.tensor([3, 1, 2])
    variants = generate_variants(
        (x, lengths), {}, forward=TwoInputs.forward, training=True, device="meta", seed=0, check_inputs=[(x, lengths)]
    )
    kinds = [v.kind for v in variants]
    assert kinds[0] == VariantKind.USER
    for kind in (VariantKind.VALUE, VariantKind.SIZE, VariantKind.RANK, VariantKind.OPTIONAL, VariantKind.REPEAT, VariantKind.MODE, VariantKind.DEVICE):
        assert kind in kinds, kind
    labels = [v.label for v in variants]
    assert len(labels) == len(set(labels))
    assert any("lengths: reversed" in label for label in labels)  # integer inputs get their own changes
    assert all(v.group == "optional:mask" for v in variants if v.kind == VariantKind.OPTIONAL)


def test_matching_dimensions_change_together():
    x, h = seeded(3, 4), seeded(3, 4)
    variants = generate_variants((x, h), {}, forward=None, training=False, device=None, seed=0)
    coupled = next(v for v in variants if v.label == "every dimension of size 3 made 4")
    assert [tuple(a.shape) for a in coupled.args] == [(4, 4), (4, 4)]


def test_compare_outputs():
    a = torch.tensor([1.0, 2.0, 3.0])
    assert compare_outputs(a, a + 1e-7) is None
    assert compare_outputs((a, a), (a, a.clone())) is None
    assert "shape" in compare_outputs(a, a[:2]).eager
    assert compare_outputs({"x": a}, {"y": a}).structural
    assert compare_outputs([a, a], [a]).structural
    difference = compare_outputs(a, torch.tensor([1.0, 2.5, 3.0]))
    assert difference.path == "output[1]" and difference.eager == "2"
    assert compare_outputs(torch.full((2,), float("nan")), torch.full((2,), float("nan"))) is None


def test_workbench_copies_never_touch_the_original():
    model = nn.BatchNorm1d(3).train()
    bench = Workbench(model)
    copy = bench.fresh(mode="eval")
    copy(seeded(4, 3))
    assert model.training and not copy.training
    assert torch.equal(model.running_mean, torch.zeros(3))


def test_preserved_global_state_restores_every_rng():
    torch.manual_seed(1)
    random.seed(1)
    expected = (torch.rand(1), random.random())
    torch.manual_seed(1)
    random.seed(1)
    with preserved_global_state():
        torch.manual_seed(99)
        random.seed(99)
        torch.rand(10)
    assert (torch.rand(1), random.random()) == expected


def test_meta_device_replay_keeps_the_recorded_device_constants():
    class Positions(nn.Module):
        def forward(self, x):
            return x + torch.arange(x.size(1), device=x.device)

    model = Positions()
    traced = torch.jit.trace(model, (seeded(2, 3),), check_trace=False)
    moved = Workbench(model).traced_on(traced, "meta")
    with pytest.raises(RuntimeError, match="device"):
        moved(torch.empty(2, 3, device="meta"))
    assert F.relu(model(torch.empty(2, 3, device="meta"))).device.type == "meta"
