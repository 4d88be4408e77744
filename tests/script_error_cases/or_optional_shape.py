"""``out_shape: Optional[List[int]]`` passed straight to ``reshape``.

Heads that reshape to an optional target shape (``None`` = keep) meet the same refinement rule:
``reshape`` wants ``List[int]``, not ``Optional[List[int]]``. pytorch/pytorch#50751 TypeRefinement;
torchvision's ``_interpolate``-style helpers take ``size: Optional[List[int]]``.
"""

from typing import List, Optional

import torch
from torch import Tensor, nn

CATEGORY = "optional_refinement"
FIX_KIND = "refine_optional"
CONSTRUCT = "an Optional[List[int]] passed to reshape without refinement"
CITE = "pytorch/pytorch#50751 (TSRootCause:TypeRefinement); torchvision transforms size: Optional[List[int]]"


class Broken(nn.Module):
    def forward(self, x: Tensor, out_shape: Optional[List[int]] = None) -> Tensor:
        return x.reshape(out_shape)  # construct


class Fixed(nn.Module):
    def forward(self, x: Tensor, out_shape: Optional[List[int]] = None) -> Tensor:
        if out_shape is None:
            return x
        return x.reshape(out_shape)


def inputs():
    return torch.arange(6.0), [2, 3]
