"""A generator helper (``yield``) called from ``forward``.

Sliding-window code often yields windows from a helper (``def windows(x): ... yield x[i:i+k]``);
TorchScript compiles the helper and refuses ``yield`` ("Yield aren't supported"). Return a list.
pytorch/pytorch#50751 UnsupportedConstructs.
"""

from typing import List

import torch
from torch import Tensor, nn

CATEGORY = "unsupported_construct"
FIX_KIND = "rewrite_construct"
CONSTRUCT = "a generator function (yield)"
CITE = "pytorch/pytorch#50751 (TSRootCause:UnsupportedConstructs); sliding-window helpers that yield windows"


def windows(x: Tensor):
    for start in range(x.size(0) - 1):
        yield x[start : start + 2]  # construct


def windows_fixed(x: Tensor) -> List[Tensor]:
    return [x[start : start + 2] for start in range(x.size(0) - 1)]


class Broken(nn.Module):
    def forward(self, x: Tensor) -> Tensor:
        return torch.stack([w.sum() for w in windows(x)])


class Fixed(nn.Module):
    def forward(self, x: Tensor) -> Tensor:
        return torch.stack([w.sum() for w in windows_fixed(x)])


def inputs():
    return (torch.arange(4.0),)
