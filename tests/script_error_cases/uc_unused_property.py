"""A ``@property`` that TorchScript cannot compile, even though ``forward`` never reads it.

TorchScript compiles every property of a module; a convenience property (here returning a set of
parameter names, like timm's ``no_weight_decay`` sets) makes the whole module fail. List it in
``__jit_unused_properties__``. pytorch/pytorch#50751 UnsupportedConstructs; timm
``no_weight_decay`` returns a set.
"""

import torch
from torch import Tensor, nn

CATEGORY = "unsupported_construct"
FIX_KIND = "ignore_or_unused"
CONSTRUCT = "a set returned by a property that forward does not use"
CITE = "timm models' no_weight_decay() returns a set; pytorch/pytorch#50751 (TSRootCause:UnsupportedConstructs)"


class Broken(nn.Module):
    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(torch.ones(2))

    @property
    def no_decay(self):
        return {"scale"}  # construct

    def forward(self, x: Tensor) -> Tensor:
        return x * self.scale


class Fixed(nn.Module):
    __jit_unused_properties__ = ["no_decay"]

    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(torch.ones(2))

    @property
    def no_decay(self):
        return {"scale"}

    def forward(self, x: Tensor) -> Tensor:
        return x * self.scale


def inputs():
    return (torch.arange(2.0),)
