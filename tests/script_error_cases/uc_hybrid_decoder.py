"""A model whose top level cannot be scripted but whose decoder loop must stay a loop.

The hybrid-frontend tutorial's shape: the outer model does something only Python can do (here it
flattens through ``math.prod`` of ``x.shape``, a Python builtin TorchScript does not have), while
a small submodule has a data-dependent loop that tracing would unroll once. Script the submodule,
trace the rest. torch.jit docs "Mixing Tracing and Scripting" and pytorch/pytorch#50751
UnsupportedConstructs.
"""

import math

import torch
from torch import Tensor, nn


class Halver(nn.Module):
    """Halves until every value is below one: a loop whose trip count depends on the data."""

    def forward(self, x: Tensor) -> Tensor:
        while bool(x.max() >= 1.0):
            x = x * 0.5
        return x


CATEGORY = "unsupported_construct"
FIX_KIND = "hybrid_script_submodule"
CONSTRUCT = "a Python builtin (math.prod) in the outer forward"
CITE = "torch.jit docs 'Mixing Tracing and Scripting'; pytorch/pytorch#50751 (TSRootCause:UnsupportedConstructs)"


class Broken(nn.Module):
    def __init__(self):
        super().__init__()
        self.halver = Halver()

    def forward(self, x: Tensor) -> Tensor:
        flat = x.reshape(math.prod(x.shape))  # construct
        return self.halver(flat)


Fixed = Broken


def inputs():
    return (torch.tensor([[3.0, 0.5], [1.5, 0.25]]),)


def convert(fixed, example):
    fixed.halver = torch.jit.script(fixed.halver)
    return torch.jit.trace(fixed, example)


def more_inputs():
    """A second input with a different trip count: the loop must have survived the conversion."""
    return [(torch.tensor([[40.0, 0.5], [1.5, 0.25]]),)]
