"""A ``for`` ... ``else`` loop (the ``else`` runs when the loop did not ``break``).

Early-exit searches (find the first layer whose output is small enough, else fall back) use
``for/else``; TorchScript does not support ``else`` on loops. pytorch/pytorch#50751
UnsupportedConstructs.
"""

import torch
from torch import Tensor, nn

CATEGORY = "unsupported_construct"
FIX_KIND = "rewrite_construct"
CONSTRUCT = "an else branch on a for loop"
CITE = "pytorch/pytorch#50751 (TSRootCause:UnsupportedConstructs); early-exit (adaptive depth) loops"


class Broken(nn.Module):
    def forward(self, x: Tensor) -> Tensor:
        for _ in range(3):  # construct
            x = x * 0.5
            if float(x.max()) < 1.0:
                break
        else:
            x = x * 0.0
        return x


class Fixed(nn.Module):
    def forward(self, x: Tensor) -> Tensor:
        stopped = False
        for _ in range(3):
            x = x * 0.5
            if float(x.max()) < 1.0:
                stopped = True
                break
        if not stopped:
            x = x * 0.0
        return x


def inputs():
    return (torch.tensor([4.0, 2.0]),)
