"""A module attribute that starts as an empty list (``self.skip_names = []``).

An empty list attribute has no element type to infer ("List trace inputs must have elements");
a class-level annotation gives it one. timm and torchvision models keep such name lists
(``no_weight_decay`` sets, return-layer names). pytorch/pytorch#50751 DefaultTypes.
"""

from typing import List

import torch
from torch import Tensor, nn

CATEGORY = "default_types"
FIX_KIND = "annotate_types"
CONSTRUCT = "an empty list attribute whose element type cannot be inferred"
CITE = "pytorch/pytorch#50751 (TSRootCause:DefaultTypes); torchvision IntermediateLayerGetter return_layers names"


class Broken(nn.Module):
    def __init__(self):
        super().__init__()
        self.skip_names = []

    def forward(self, x: Tensor) -> Tensor:
        for _ in self.skip_names:  # construct
            x = x + 1.0
        return x


class Fixed(nn.Module):
    skip_names: List[str]

    def __init__(self):
        super().__init__()
        self.skip_names = []

    def forward(self, x: Tensor) -> Tensor:
        for _ in self.skip_names:
            x = x + 1.0
        return x


def inputs():
    return (torch.ones(2),)
