"""``inspect.signature`` used in ``forward`` to pass only the keyword arguments a layer accepts.

Wrappers that forward "whatever the inner layer takes" inspect its signature at run time (the
transformers/diffusers pattern of filtering kwargs with ``inspect.signature(...).parameters``).
TorchScript tries to compile ``inspect.signature`` itself and torch's message points into the
standard library. The computation is static per input shape, so tracing records it faithfully.
pytorch/pytorch#50751 DynamicBehaviors; diffusers/transformers signature-based kwarg filtering.
"""

import inspect

import torch
from torch import Tensor, nn


class Inner(nn.Module):
    def forward(self, x: Tensor) -> Tensor:
        return x * 3.0


CATEGORY = "dynamic_behaviour"
FIX_KIND = "trace_instead"
CONSTRUCT = "inspect.signature() called in forward"
CITE = "pytorch/pytorch#50751 (TSRootCause:DynamicBehaviors); diffusers/transformers filter kwargs with inspect.signature"


class Broken(nn.Module):
    def __init__(self):
        super().__init__()
        self.inner = Inner()

    def forward(self, x: Tensor) -> Tensor:
        accepted = len(inspect.signature(self.inner.forward).parameters)  # construct
        return self.inner(x) * accepted


Fixed = Broken


def inputs():
    return (torch.arange(3.0),)


def convert(fixed, example):
    return torch.jit.trace(fixed, example)
