"""An ``Optional`` field of a NamedTuple checked and then used: ``if out.index is not None``.

TorchScript refines local variables, not fields read through an object: after ``out.index is not
None`` the next ``out.index`` is still ``Optional[int]``. Copy the field into a local first.
pytorch/pytorch#29573 ("No flow-sensitive typing for torchscript class elements"); #50751 TypeRefinement.
"""

from typing import NamedTuple, Optional

import torch
from torch import Tensor, nn


class Pick(NamedTuple):
    index: Optional[int]


CATEGORY = "optional_refinement"
FIX_KIND = "refine_optional"
CONSTRUCT = "an Optional NamedTuple field used after an `is not None` check on the field"
CITE = "pytorch/pytorch#29573; pytorch/pytorch#50751 (TSRootCause:TypeRefinement)"


class Broken(nn.Module):
    def forward(self, x: Tensor) -> Tensor:
        out = Pick(1)
        if out.index is not None:
            return x[out.index]  # construct
        return x[0]


class Fixed(nn.Module):
    def forward(self, x: Tensor) -> Tensor:
        out = Pick(1)
        index = out.index
        if index is not None:
            return x[index]
        return x[0]


def inputs():
    return (torch.arange(3.0),)
