"""Heads looked up by a computed name: ``getattr(self, f"head_{i}")``.

Multi-head and multi-task models built before ``nn.ModuleList`` was common register
``self.head_0``, ``self.head_1``, ... with ``setattr`` and fetch them back by name (a recurring
forum question, "getattr in TorchScript with a non-constant name", and pytorch/pytorch#50751's
DynamicBehaviors: the attribute cannot be typed statically).
"""

import torch
from torch import Tensor, nn

CATEGORY = "dynamic_behaviour"
FIX_KIND = "rewrite_construct"
CONSTRUCT = "getattr() with a name computed at run time"
CITE = "pytorch/pytorch#50751 (TSRootCause:DynamicBehaviors); discuss.pytorch.org 'getattr with non-constant string in TorchScript'"


class Broken(nn.Module):
    def __init__(self):
        super().__init__()
        for i in range(2):
            setattr(self, f"head_{i}", nn.Linear(3, 2))

    def forward(self, x: Tensor) -> Tensor:
        out = torch.zeros(x.size(0), 2)
        for i in range(2):
            out = out + getattr(self, f"head_{i}")(x)  # construct
        return out


class Fixed(nn.Module):
    def __init__(self):
        super().__init__()
        self.heads = nn.ModuleList([nn.Linear(3, 2) for _ in range(2)])

    def forward(self, x: Tensor) -> Tensor:
        out = torch.zeros(x.size(0), 2)
        for head in self.heads:
            out = out + head(x)
        return out


def inputs():
    return (torch.arange(6.0).reshape(2, 3),)
