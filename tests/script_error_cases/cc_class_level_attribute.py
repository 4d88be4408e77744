"""A TorchScript class that reads a class-level constant (``self.LIMIT``, set in the class body).

Coders and anchor helpers like to keep constants on the class (here the clamp value torchvision's
``BoxCoder`` takes, ``math.log(1000.0 / 16)``, written once for every instance); TorchScript
classes "do not support class attributes" (pytorch/pytorch#53244), only attributes set in
``__init__``. torch compiles the class body and complains about integer division in it, which is
not the problem. InvalidCustomClass, pytorch/pytorch#50751.
"""

import math

import torch
from torch import Tensor, nn


class LogClamp:
    LIMIT = math.log(1000.0 / 16)  # construct

    def __init__(self, scale: float):
        self.scale = scale

    def apply(self, x: Tensor) -> Tensor:
        return torch.clamp(x * self.scale, max=self.LIMIT)


class LogClampFixed:
    def __init__(self, scale: float):
        self.scale = scale
        self.limit = math.log(1000.0 / 16)

    def apply(self, x: Tensor) -> Tensor:
        return torch.clamp(x * self.scale, max=self.limit)


CATEGORY = "invalid_custom_class"
FIX_KIND = "fix_custom_class"
CONSTRUCT = "a class-level attribute read by a TorchScript class"
CITE = "pytorch/pytorch#53244 (TorchScript classes do not support class attributes); torchvision det_utils BoxCoder bbox_xform_clip"


class Broken(nn.Module):
    def forward(self, x: Tensor) -> Tensor:
        return LogClamp(2.0).apply(x)


class Fixed(nn.Module):
    def forward(self, x: Tensor) -> Tensor:
        return LogClampFixed(2.0).apply(x)


def inputs():
    return (torch.tensor([1.0, 5.0]),)
