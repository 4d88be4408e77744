"""Counting what a call makes the GPU do: kernels, memory copies, and host-device syncs.

The pipeline promises that, with ``output_to_cpu=False`` and inputs already on the op's GPU,
``Pipeline.run`` launches exactly what a direct ScriptModule call launches: the emitted
``x.to(device)`` and ``.contiguous()`` are no-ops there. This module counts, with
``torch.profiler``, so the bench, the GPU tests and the notebook check the same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import torch

from toolkit.errors import DeviceError

__all__ = ["GpuActivity", "count_gpu_activity", "SYNC_CALLS"]

SYNC_CALLS = frozenset({"cudaDeviceSynchronize", "cudaStreamSynchronize", "cudaEventSynchronize", "cudaMemcpy"})
"""CUDA runtime calls that block the host until the GPU catches up."""


@dataclass(frozen=True)
class GpuActivity:
    """What ``calls`` calls of a function did on the GPU, in total.

    Attributes:
        calls: how many calls were profiled.
        kernels: kernel launches (memory copies and sets excluded).
        copies: memory copies (host to device, device to host, device to device).
        syncs: blocking CUDA runtime calls (``SYNC_CALLS``).
    """

    calls: int
    kernels: int
    copies: int
    syncs: int

    def per_call(self) -> tuple[float, float, float]:
        """(kernels, copies, syncs) per call."""
        return (self.kernels / self.calls, self.copies / self.calls, self.syncs / self.calls)


def count_gpu_activity(function: Callable[[], Any], *, calls: int = 10, warmup: int = 5) -> GpuActivity:
    """Profiles ``calls`` calls of ``function`` and counts GPU work.

    The ``warmup`` calls first let TorchScript's profiling executor settle: it profiles the
    first runs of a graph and then optimises (and may fuse) it, which changes what is launched.

    Raises:
        DeviceError: there is no CUDA device to profile.
    """
    if not torch.cuda.is_available():
        raise DeviceError("count_gpu_activity needs CUDA (torch.cuda.is_available() is False). Fix: run it on a GPU machine.")
    from torch.autograd import DeviceType
    from torch.profiler import ProfilerActivity, profile

    for _ in range(warmup):
        function()
    torch.cuda.synchronize()
    with profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as profiler:
        for _ in range(calls):
            function()
    kernels = copies = syncs = 0
    for event in profiler.events():
        if event.device_type == DeviceType.CUDA:
            if event.name.startswith("Memcpy"):
                copies += 1
            elif not event.name.startswith("Memset"):
                kernels += 1
        elif event.name in SYNC_CALLS:
            syncs += 1
    return GpuActivity(calls=calls, kernels=kernels, copies=copies, syncs=syncs)
