"""Input conversion: Matx's ``NDArray.torch()`` behaviours (test_to_torch.py) on numpy and DLPack."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from toolkit.errors import PipelineError
from toolkit.pipeline import to_torch
from toolkit.pipeline.convert import as_input, describe


class DLPackOnly:
    """An array-like that only speaks DLPack (like CuPy or JAX arrays do)."""

    def __init__(self, tensor: torch.Tensor) -> None:
        self._tensor = tensor

    def __dlpack__(self, *args, **kwargs):
        return self._tensor.__dlpack__(*args, **kwargs)

    def __dlpack_device__(self):
        return self._tensor.__dlpack_device__()


def test_to_torch_copies_by_default():
    source = np.arange(6, dtype=np.float32).reshape(2, 3)
    tensor = to_torch(source)
    source[0, 0] = 100.0
    assert tensor[0, 0].item() == 0.0
    assert not np.shares_memory(tensor.numpy(), source)


def test_to_torch_copy_false_shares_memory():
    source = np.arange(6, dtype=np.float32).reshape(2, 3)
    tensor = to_torch(source, copy=False)
    source[1, 2] = -7.0
    assert tensor[1, 2].item() == -7.0
    assert tensor.data_ptr() == source.ctypes.data


@pytest.mark.parametrize("copy", [True, False])
def test_to_torch_keeps_the_values_of_a_non_contiguous_slice(copy):
    source = np.arange(24, dtype=np.float64).reshape(4, 6)
    view = source[::2, 1::2]
    assert not view.flags.c_contiguous
    tensor = to_torch(view, copy=copy)
    assert tensor.tolist() == view.tolist()
    assert tensor.dtype == torch.float64


def test_to_torch_handles_negative_strides_and_read_only_arrays():
    source = np.arange(5, dtype=np.int64)
    reversed_view = source[::-1]
    assert to_torch(reversed_view, copy=False).tolist() == [4, 3, 2, 1, 0]
    frozen = np.arange(3, dtype=np.float32)
    frozen.flags.writeable = False
    assert to_torch(frozen, copy=False).tolist() == [0.0, 1.0, 2.0]


def test_to_torch_swaps_non_native_byte_order():
    big_endian = np.array([1.5, -2.0], dtype=">f4")
    assert to_torch(big_endian).tolist() == [1.5, -2.0]


def test_to_torch_reads_any_dlpack_object_without_copying():
    backing = torch.arange(4.0)
    shared = to_torch(DLPackOnly(backing), copy=False)
    backing[0] = 9.0
    assert shared[0].item() == 9.0
    copied = to_torch(DLPackOnly(backing))
    backing[1] = -1.0
    assert copied[1].item() == 1.0


def test_to_torch_clones_a_tensor_only_when_asked():
    tensor = torch.ones(2)
    assert to_torch(tensor, copy=False) is tensor
    assert to_torch(tensor).data_ptr() != tensor.data_ptr()


def test_to_torch_refuses_what_is_not_an_array():
    with pytest.raises(PipelineError, match=r"feed\['x'\] is a list, not a tensor. Fix: pass a torch.Tensor, a numpy array or an object with __dlpack__"):
        to_torch([1, 2], what="feed['x']")
    with pytest.raises(PipelineError, match=r"input is a numpy array of dtype object, which torch cannot hold .*convert it to a numeric dtype"):
        to_torch(np.array(["a", None], dtype=object), what="input")


def test_as_input_converts_arrays_and_passes_the_rest():
    array = np.ones((2, 2), dtype=np.float32)
    converted = as_input(array)
    assert isinstance(converted, torch.Tensor) and converted.data_ptr() == array.ctypes.data
    assert as_input(3) == 3 and as_input("s") == "s"
    pair = as_input((array, 2))
    assert isinstance(pair, tuple) and isinstance(pair[0], torch.Tensor) and pair[1] == 2


def test_describe_is_short_and_deterministic():
    assert describe(torch.zeros(3, 4)) == "float32[3, 4] on cpu"
    assert describe(np.zeros((2,), dtype=np.int32)) == "numpy int32[2]"
    assert describe(2) == "int 2"
    assert describe([torch.zeros(1)] * 6) == "list[float32[1] on cpu, float32[1] on cpu, float32[1] on cpu, float32[1] on cpu, ...]"
    assert describe(object()) == "object"
