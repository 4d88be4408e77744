"""A TorchScript class that inherits from a Python base class.

Box-coder helpers are often written as a small class hierarchy (a base coder with shared maths,
subclasses per encoding, as in torchvision's ``det_utils.BoxCoder`` family and mmdet's
``BaseBBoxCoder``); TorchScript classes "do not support subclassing except for subclassing an
interface type or object" (pytorch/pytorch#53244). InvalidCustomClass, pytorch/pytorch#50751.
"""

import torch
from torch import Tensor, nn


class BaseCoder:
    def __init__(self, scale: float):
        self.scale = scale


class DeltaCoder(BaseCoder):  # construct
    def encode(self, x: Tensor) -> Tensor:
        return x * self.scale


class DeltaCoderFixed:
    def __init__(self, scale: float):
        self.scale = scale

    def encode(self, x: Tensor) -> Tensor:
        return x * self.scale


CATEGORY = "invalid_custom_class"
FIX_KIND = "fix_custom_class"
CONSTRUCT = "a TorchScript class that subclasses another class"
CITE = "pytorch/pytorch#53244 (TorchScript classes do not support subclassing); mmdet BaseBBoxCoder; pytorch/pytorch#50751"


class Broken(nn.Module):
    def forward(self, x: Tensor) -> Tensor:
        return DeltaCoder(0.5).encode(x)


class Fixed(nn.Module):
    def forward(self, x: Tensor) -> Tensor:
        return DeltaCoderFixed(0.5).encode(x)


def inputs():
    return (torch.arange(3.0),)
