"""``tuple(part for part in ...)``: a tuple built from a generator expression.

Building a tuple of per-level outputs with ``tuple(f(x) for x in xs)`` is idiomatic Python (FPN
and multi-scale heads return tuples of levels); TorchScript has no generators, and its message
("cannot statically infer the expected size of a list") does not mention the generator at all.
pytorch/pytorch#50751 UnsupportedConstructs.
"""

from typing import Tuple

import torch
from torch import Tensor, nn

CATEGORY = "unsupported_construct"
FIX_KIND = "rewrite_construct"
CONSTRUCT = "a tuple built from a generator expression"
CITE = "pytorch/pytorch#50751 (TSRootCause:UnsupportedConstructs); multi-level heads returning tuple(... for level in levels)"


class Broken(nn.Module):
    def forward(self, x: Tensor) -> Tuple[Tensor, Tensor]:
        return tuple(x[i] * 2.0 for i in range(2))  # construct


class Fixed(nn.Module):
    def forward(self, x: Tensor) -> Tuple[Tensor, Tensor]:
        return x[0] * 2.0, x[1] * 2.0


def inputs():
    return (torch.arange(4.0).reshape(2, 2),)
