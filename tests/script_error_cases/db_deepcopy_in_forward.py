"""``copy.deepcopy`` of a tensor inside ``forward``.

EMA and teacher-student code deep-copies tensors and modules; inside ``forward`` TorchScript tries
to compile ``copy.deepcopy`` from the standard library and stops at its ``id(x)`` memo, with a
message about ``prim::id`` that says nothing about copying. ``x.clone()`` is the tensor copy.
pytorch/pytorch#50751 DynamicBehaviors (Python object semantics that cannot be typed).
"""

import copy

import torch
from torch import Tensor, nn

CATEGORY = "dynamic_behaviour"
FIX_KIND = "rewrite_construct"
CONSTRUCT = "copy.deepcopy() of a tensor in forward"
CITE = "pytorch/pytorch#50751 (TSRootCause:DynamicBehaviors); EMA/teacher code that deep-copies tensors"


class Broken(nn.Module):
    def forward(self, x: Tensor) -> Tensor:
        saved = copy.deepcopy(x)  # construct
        return x * 2.0 + saved


class Fixed(nn.Module):
    def forward(self, x: Tensor) -> Tensor:
        saved = x.clone()
        return x * 2.0 + saved


def inputs():
    return (torch.arange(3.0),)
