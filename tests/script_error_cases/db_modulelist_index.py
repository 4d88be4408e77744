"""A ``nn.ModuleList`` indexed by a loop variable: ``self.layers[i](x)``.

Encoder stacks written as ``for i in range(n): x = self.layers[i](x)`` (also to pair layers with
norms by index) hit "Expected integer literal for index", because each submodule may have a
different type. pytorch/pytorch#47496; DynamicBehaviors in pytorch/pytorch#50751.
"""

import torch
from torch import Tensor, nn

CATEGORY = "dynamic_behaviour"
FIX_KIND = "rewrite_construct"
CONSTRUCT = "a ModuleList indexed with a variable"
CITE = "pytorch/pytorch#47496; pytorch/pytorch#39165 (HRNet branches[i]); pytorch/pytorch#50751 (TSRootCause:DynamicBehaviors)"


class Broken(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = nn.ModuleList([nn.Linear(2, 2), nn.Linear(2, 2)])
        self.norms = nn.ModuleList([nn.LayerNorm(2), nn.LayerNorm(2)])

    def forward(self, x: Tensor) -> Tensor:
        for i in range(2):
            x = self.norms[i](self.layers[i](x))  # construct
        return x


class Fixed(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = nn.ModuleList([nn.Linear(2, 2), nn.Linear(2, 2)])
        self.norms = nn.ModuleList([nn.LayerNorm(2), nn.LayerNorm(2)])

    def forward(self, x: Tensor) -> Tensor:
        for layer, norm in zip(self.layers, self.norms):
            x = norm(layer(x))
        return x


def inputs():
    return (torch.arange(4.0).reshape(2, 2),)
