"""A TorchScript class that creates an attribute outside ``__init__``.

TorchScript builds a class's schema from ``__init__`` alone ("must initialize all its instance
attributes in __init__()", TorchScript type-system docs, pytorch/pytorch#53244), so a running
statistics helper that sets ``self.last`` in ``update`` is refused. InvalidCustomClass,
pytorch/pytorch#50751.
"""

import torch
from torch import Tensor, nn


class RunningMax:
    def __init__(self, start: Tensor):
        self.best = start

    def update(self, value: Tensor) -> Tensor:
        self.best = torch.maximum(self.best, value)
        self.last = value  # construct
        return self.best


class RunningMaxFixed:
    def __init__(self, start: Tensor):
        self.best = start
        self.last = start

    def update(self, value: Tensor) -> Tensor:
        self.best = torch.maximum(self.best, value)
        self.last = value
        return self.best


CATEGORY = "invalid_custom_class"
FIX_KIND = "fix_custom_class"
CONSTRUCT = "a class attribute first assigned outside __init__"
CITE = "pytorch/pytorch#53244 (type-system docs: attributes must be set in __init__); pytorch/pytorch#50751 (TSRootCause:InvalidCustomClass)"


class Broken(nn.Module):
    def forward(self, x: Tensor) -> Tensor:
        tracker = RunningMax(x[0])
        return tracker.update(x[1])


class Fixed(nn.Module):
    def forward(self, x: Tensor) -> Tensor:
        tracker = RunningMaxFixed(x[0])
        return tracker.update(x[1])


def inputs():
    return (torch.tensor([[1.0, 5.0], [3.0, 2.0]]),)
