"""In-place writes whose tensor is read again: called in place inside one segment, refused
with one line per cause when the partition splits the tensor between segments."""

from __future__ import annotations

import pytest
import torch
from torch import nn

import toolkit.partition as tp
from toolkit.errors import PartitionError
from toolkit.frames import library_code


class MaskWrites(nn.Module):
    """Swin's attention mask in small: writes into slices of a fresh tensor, then reads it."""

    def forward(self, x):
        mask = x.new_zeros((4, 3))
        for i in range(3):
            mask[i : i + 1].fill_(i)
        return torch.relu(x) + mask


def test_writes_into_a_fresh_tensor_match_the_eager_model():
    model = MaskWrites()
    result = tp.trace(model, torch.rand(4, 3), device="cpu")
    x = torch.rand(4, 3)
    assert torch.equal(result(x), model(x))
    assert [s.target.value for s in tp.plan_of(result).proposal.segments] == ["accelerator"]


def split_mask(**options):
    """The mask made on the accelerator, its writes on the CPU: the tensor is split."""
    return tp.trace(MaskWrites(), torch.rand(4, 3), device="cpu", supported={"aten::new_zeros", "aten::relu", "aten::add"},
                    minimum_segment_size=1, **options)


def test_a_split_tensor_is_refused_with_one_line_per_cause():
    with pytest.raises(PartitionError) as caught:
        split_mask()
    message = str(caught.value)
    assert message.count("\n  - ") == 1
    assert "3 in-place writes (aten::fill_) in test_in_place.py:" in message
    assert "out-of-place form" in message
    assert len(message) < 900


def test_library_code_is_named_and_never_asked_to_change():
    with library_code(library=(__file__,)):
        with pytest.raises(PartitionError) as caught:
            split_mask()
    message = str(caught.value)
    assert "in MaskWrites (test_in_place.py) (library code)" in message
    assert "out-of-place" not in message
    assert "supported=" in message


class WriteEscapes(nn.Module):
    """A view taken before two writes, and what the first write returns (the tensor itself) read
    between them: the trace names that value ``buffer_2``, but it is still ``buffer``'s storage."""

    def forward(self, x):
        buffer = x.new_zeros((4, 3))
        row = buffer[0]
        first = buffer.fill_(0.25)
        seen = torch.erfinv(first)
        buffer.add_(x)
        return seen + row + torch.relu(buffer)


def test_the_value_an_in_place_op_returns_is_the_same_tensor():
    model = WriteEscapes()
    x = torch.rand(4, 3)
    assert torch.equal(tp.trace(model, x, device="cpu")(x), model(x))  # one segment: both writes in place, in order
    with pytest.raises(PartitionError, match=r"cannot run 1 in-place write faithfully"):
        tp.trace(model, x, device="cpu", supported=lambda node: node.kind != "aten::erfinv", minimum_segment_size=1)
