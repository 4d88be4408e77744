"""Unannotated padding amounts passed to ``F.pad``.

"Same" padding helpers (timm's ``pad_same``, TF-style padding) compute a list of four ints and
pass it to ``F.pad``; unannotated, the argument is a Tensor where ``List[int]`` is expected.
pytorch/pytorch#50751 DefaultTypes.
"""

from typing import List

import torch
import torch.nn.functional as F
from torch import Tensor, nn

CATEGORY = "default_types"
FIX_KIND = "annotate_types"
CONSTRUCT = "an unannotated list argument (a Tensor by default) passed to F.pad"
CITE = "pytorch/pytorch#50751 (TSRootCause:DefaultTypes); timm layers/padding.py pad_same"


class Broken(nn.Module):
    def forward(self, x: Tensor, pad) -> Tensor:
        return F.pad(x, pad)  # construct


class Fixed(nn.Module):
    def forward(self, x: Tensor, pad: List[int]) -> Tensor:
        return F.pad(x, pad)


def inputs():
    return torch.ones(1, 1, 2, 2), [1, 0, 0, 1]
