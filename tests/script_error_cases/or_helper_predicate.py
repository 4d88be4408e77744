"""The ``None`` check hidden in a helper: ``if exists(bias): x = x + bias``.

lucidrains-style code defines ``def exists(val): return val is not None`` and uses it everywhere;
TorchScript refines ``Optional`` only on a literal ``is not None`` / ``is None`` test in the same
function, so ``bias`` stays ``Optional[Tensor]`` after the helper returns True (documented in
pytorch/pytorch#16380). pytorch/pytorch#50751 TypeRefinement; lucidrains x-transformers ``exists``.
"""

from typing import Optional

import torch
from torch import Tensor, nn

CATEGORY = "optional_refinement"
FIX_KIND = "refine_optional"
CONSTRUCT = "an Optional refined through a helper predicate (exists(bias))"
CITE = "pytorch/pytorch#16380 (docs: a None check outside the condition does not refine); pytorch/pytorch#50751; lucidrains x-transformers `def exists(val)`"


def exists(value: Optional[Tensor]) -> bool:
    return value is not None


class Broken(nn.Module):
    def forward(self, x: Tensor, bias: Optional[Tensor] = None) -> Tensor:
        if exists(bias):
            x = x + bias  # construct
        return x


class Fixed(nn.Module):
    def forward(self, x: Tensor, bias: Optional[Tensor] = None) -> Tensor:
        if bias is not None:
            x = x + bias
        return x


def inputs():
    return torch.ones(2), torch.tensor([1.0, 2.0])
