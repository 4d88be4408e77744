"""A recursive helper (tree depth, divide-and-conquer merging).

Recursive helpers such as computing a tree's depth or a recursive pooling pyramid are refused:
"function 'pyramid' is called recursively. Recursive calls are not supported". Rewrite as a loop.
pytorch/pytorch#50751 UnsupportedConstructs.
"""

import torch
from torch import Tensor, nn

CATEGORY = "unsupported_construct"
FIX_KIND = "rewrite_construct"
CONSTRUCT = "a recursive function call"
CITE = "pytorch/pytorch#50751 (TSRootCause:UnsupportedConstructs); recursive pooling pyramids"


def pyramid(x: Tensor, levels: int) -> Tensor:
    if levels == 0:
        return x
    return x + pyramid(x * 0.5, levels - 1)  # construct


def pyramid_fixed(x: Tensor, levels: int) -> Tensor:
    total = x
    scale = 1.0
    for _ in range(levels):
        scale = scale * 0.5
        total = total + x * scale
    return total


class Broken(nn.Module):
    def forward(self, x: Tensor) -> Tensor:
        return pyramid(x, 2)


class Fixed(nn.Module):
    def forward(self, x: Tensor) -> Tensor:
        return pyramid_fixed(x, 2)


def inputs():
    return (torch.tensor([4.0, 8.0]),)
