"""``max_steps: Optional[int]`` used directly in ``range(max_steps)``.

Generation loops take an optional length (``max_new_tokens`` / ``max_length`` in transformers'
generate); the loop needs an ``int``, so the Optional must be refined first (an ``assert`` does
it). pytorch/pytorch#50751 TypeRefinement.
"""

from typing import Optional

import torch
from torch import Tensor, nn

CATEGORY = "optional_refinement"
FIX_KIND = "refine_optional"
CONSTRUCT = "an Optional[int] passed to range() without refinement"
CITE = "pytorch/pytorch#50751 (TSRootCause:TypeRefinement); transformers generate(max_new_tokens=None)"


class Broken(nn.Module):
    def forward(self, x: Tensor, max_steps: Optional[int] = None) -> Tensor:
        for _ in range(max_steps):  # construct
            x = x + 1.0
        return x


class Fixed(nn.Module):
    def forward(self, x: Tensor, max_steps: Optional[int] = None) -> Tensor:
        assert max_steps is not None
        for _ in range(max_steps):
            x = x + 1.0
        return x


def inputs():
    return torch.zeros(2), 3
