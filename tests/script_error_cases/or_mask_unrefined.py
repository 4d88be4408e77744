"""An ``Optional[Tensor]`` attention mask added to the scores without a ``None`` check.

Eager code gets away with it because callers always pass a mask; TorchScript types
``attention_mask: Optional[Tensor] = None`` and refuses ``Tensor + Optional[Tensor]``. Every
transformers attention layer takes such a mask; pytorch/pytorch#44077 and the TypeRefinement root
cause of pytorch/pytorch#50751.
"""

from typing import Optional

import torch
from torch import Tensor, nn

CATEGORY = "optional_refinement"
FIX_KIND = "refine_optional"
CONSTRUCT = "an Optional[Tensor] used without an `is not None` check"
CITE = "pytorch/pytorch#44077; pytorch/pytorch#50751 (TSRootCause:TypeRefinement); transformers attention_mask arguments"


class Broken(nn.Module):
    def forward(self, scores: Tensor, attention_mask: Optional[Tensor] = None) -> Tensor:
        scores = scores + attention_mask  # construct
        return scores.softmax(-1)


class Fixed(nn.Module):
    def forward(self, scores: Tensor, attention_mask: Optional[Tensor] = None) -> Tensor:
        if attention_mask is not None:
            scores = scores + attention_mask
        return scores.softmax(-1)


def inputs():
    return torch.arange(4.0).reshape(2, 2), torch.tensor([[0.0, -1.0], [0.0, 0.0]])
