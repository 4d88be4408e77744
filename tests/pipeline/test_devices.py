"""Device specs (Matx's ints and strings, torch devices) and baked-device detection."""

from __future__ import annotations

import pytest
import torch

from toolkit.errors import DeviceError, PipelineError
from toolkit.pipeline.devices import check_device_available, device_label, find_baked_devices, module_device, resolve_device


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (-1, "cpu"),
        (0, "cuda:0"),
        (3, "cuda:3"),
        ("cpu", "cpu"),
        ("cpu:0", "cpu"),  # Matx's string form
        (" cuda:1 ", "cuda:1"),
        ("cuda", "cuda:0"),  # normalised: metadata never depends on the current device
        (torch.device("cpu"), "cpu"),
        (torch.device("cuda", 2), "cuda:2"),
        (torch.device("cuda"), "cuda:0"),
    ],
)
def test_resolve_device_accepts_matx_and_torch_forms(spec, expected):
    assert device_label(resolve_device(spec)) == expected


@pytest.mark.parametrize(
    ("spec", "match"),
    [
        (-2, r"got -2; negative ids other than -1 mean nothing"),
        (True, r"got True \(bool\)"),
        (1.0, r"got 1.0 \(float\)"),
        ("gpu0", r"the string 'gpu0', which is not a device name"),
        ("meta", r"of type 'meta'; InferenceOps run on the CPU or on CUDA GPUs only"),
        (None, r"got None \(NoneType\)"),
    ],
)
def test_resolve_device_rejects_with_the_fix(spec, match):
    with pytest.raises(DeviceError, match=match) as caught:
        resolve_device(spec, what="script(m, device=)")
    assert "use -1 or 'cpu' for the CPU, N or 'cuda:N' for GPU N" in str(caught.value)
    assert str(caught.value).startswith("script(m, device=)")


def test_device_error_is_a_pipeline_error():
    assert issubclass(DeviceError, PipelineError)


def test_cpu_is_always_available():
    check_device_available(torch.device("cpu"))


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message of a machine without CUDA")
def test_cuda_without_cuda_is_a_device_error():
    with pytest.raises(DeviceError, match=r"asks for cuda:0, but this machine has no usable CUDA .*use -1 or 'cpu'"):
        check_device_available(torch.device("cuda", 0), what="load('p.pt', device=0)")


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_ordinal_beyond_device_count_is_a_device_error():
    count = torch.cuda.device_count()
    with pytest.raises(DeviceError, match=rf"asks for cuda:{count}, but torch sees {count} CUDA device\(s\)"):
        check_device_available(torch.device("cuda", count))


def test_module_device_reads_parameters_and_buffers():
    assert module_device(torch.nn.Linear(2, 2), what="m") == torch.device("cpu")
    assert module_device(torch.nn.BatchNorm1d(2, affine=False), what="m") == torch.device("cpu")  # buffers only
    assert module_device(torch.nn.ReLU(), what="m") is None


def test_module_device_refuses_a_module_on_two_devices():
    module = torch.nn.Module()
    module.a = torch.nn.Linear(1, 1)
    module.register_buffer("b", torch.zeros(1, device="meta"))
    with pytest.raises(DeviceError, match=r"m has parameters on several devices .*pass device= to script\(\)"):
        module_device(module, what="m")


class _MakesZeros(torch.nn.Module):
    def forward(self, x):
        return x + torch.zeros(x.shape, device=x.device)


def test_a_trace_bakes_the_example_device_as_a_constant():
    traced = torch.jit.trace(_MakesZeros(), torch.ones(2))
    assert find_baked_devices(traced.inlined_graph) == ("cpu",)


def test_a_trace_that_names_no_device_has_none_baked():
    traced = torch.jit.trace(torch.nn.Linear(2, 2), torch.ones(1, 2))
    assert find_baked_devices(traced.inlined_graph) == ()


@torch.jit.script
def _branchy(x: torch.Tensor) -> torch.Tensor:
    if bool(x.sum() > 0):
        return x + torch.zeros(1, device=torch.device("cuda:1"))
    return x + torch.zeros(1, device=torch.device("cpu"))


def test_device_constants_inside_blocks_are_all_found_once():
    found = find_baked_devices(_branchy.graph)
    assert sorted(found) == ["cpu", "cuda:1"]
    assert find_baked_devices(_branchy.graph) == found  # graph order: the same every run
