"""An accumulator that starts as ``0`` (an int) and becomes a tensor.

``total = 0; for part in parts: total = total + part`` is the Python idiom for summing losses or
residual branches; TorchScript gives every variable one static type, so the int turns into a
"previously had type int" error. pytorch/pytorch#50751 DynamicBehaviors.
"""

from typing import List

import torch
from torch import Tensor, nn

CATEGORY = "dynamic_behaviour"
FIX_KIND = "rewrite_construct"
CONSTRUCT = "a variable that changes type from int to Tensor"
CITE = "pytorch/pytorch#50751 (TSRootCause:DynamicBehaviors); the `total = 0` loss-summing idiom"


class Broken(nn.Module):
    def forward(self, parts: List[Tensor]) -> Tensor:
        total = 0  # construct
        for part in parts:
            total = total + part
        return total


class Fixed(nn.Module):
    def forward(self, parts: List[Tensor]) -> Tensor:
        total = torch.zeros_like(parts[0])
        for part in parts:
            total = total + part
        return total


def inputs():
    return ([torch.ones(2), torch.full((2,), 2.0)],)
