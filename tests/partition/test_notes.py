"""The note ``trace`` gives when nothing runs on the accelerator says the real cause."""

from __future__ import annotations

import warnings

import torch
from torch import nn

import toolkit.partition as tp


class OneLinear(nn.Module):
    """Lesson 05's Flatten: a single compute op."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(12, 5)

    def forward(self, x):
        return self.fc(x.reshape(x.shape[0], -1))


def notes_of(model, inputs, **options) -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = tp.trace(model, inputs, device="cpu", **options)
    notes = [str(w.message) for w in caught if "no operation of" in str(w.message)]
    assert notes == [n for n in tp.plan_of(result).notes if "no operation of" in n]  # warned and kept in the plan
    return notes


def test_a_model_below_minimum_segment_size_is_told_so_with_the_fix():
    (note,) = notes_of(OneLinear().eval(), torch.rand(2, 3, 4))
    assert "its 1 compute op (aten::linear) could run there" in note
    assert "minimum_segment_size=2" in note
    assert "Fix: minimum_segment_size=1" in note


def test_the_fix_the_note_gives_puts_the_model_on_the_accelerator():
    model = OneLinear().eval()
    assert notes_of(model, torch.rand(2, 3, 4), minimum_segment_size=1) == []
    plan = tp.analyze_model(model, torch.rand(2, 3, 4), device="cpu", minimum_segment_size=1)
    assert [s.target.value for s in plan.proposal.segments] == ["accelerator"]


def test_unsupported_ops_are_counted_by_reason():
    model = nn.Sequential(nn.Linear(4, 4), nn.Tanh()).eval()
    (note,) = notes_of(model, torch.rand(2, 4), supported={"aten::relu"})
    assert "2 CPU ops: 2 unsupported" in note
