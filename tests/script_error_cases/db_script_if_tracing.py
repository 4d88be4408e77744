"""A model exported by tracing whose helper has a data-dependent loop (``script_if_tracing``).

torchvision decorates helpers such as ``batched_nms``'s coordinate trick with
``@torch.jit._script_if_tracing`` so a traced detector keeps their data-dependent parts. Here the
model keeps Python-only bookkeeping in ``forward`` (a ``print`` to ``sys.stderr`` when asked), so
scripting fails; tracing the model with the loop helper under ``@torch.jit.script_if_tracing``
keeps the loop. torchvision/ops/boxes.py ``_batched_nms_coordinate_trick``; pytorch/pytorch#50751.
"""

import sys

import torch
from torch import Tensor, nn


def halve_until_small(x: Tensor) -> Tensor:
    while bool(x.max() >= 1.0):
        x = x * 0.5
    return x


# The fix: the same helper, compiled when (and only when) it is called under a trace.
halve_until_small_scripted = torch.jit.script_if_tracing(halve_until_small)


CATEGORY = "dynamic_behaviour"
FIX_KIND = "script_if_tracing"
CONSTRUCT = "a Python object (sys.stderr) used in forward"
CITE = "torchvision/ops/boxes.py @torch.jit._script_if_tracing helpers; pytorch/pytorch#50751 (TSRootCause:DynamicBehaviors)"


class Broken(nn.Module):
    def __init__(self):
        super().__init__()
        self.verbose = False

    def forward(self, x: Tensor) -> Tensor:
        if self.verbose:
            print("halving", x.shape, file=sys.stderr)  # construct
        return halve_until_small(x)


class Fixed(nn.Module):
    def __init__(self):
        super().__init__()
        self.verbose = False

    def forward(self, x: Tensor) -> Tensor:
        if self.verbose:
            print("halving", x.shape, file=sys.stderr)
        return halve_until_small_scripted(x)


def inputs():
    return (torch.tensor([3.0, 0.5]),)


def convert(fixed, example):
    return torch.jit.trace(fixed, example)


def more_inputs():
    """A second input with a different trip count: the loop must have survived the conversion."""
    return [(torch.tensor([40.0, 0.5]),)]
