"""``state: Optional[Tuple[Tensor, Tensor]] = None`` unpacked without a check.

``nn.LSTM.forward(input, hx=None)`` starts from zeros when no state is given; a port that forgets
the ``None`` branch unpacks an ``Optional`` tuple. Refining by assigning the zeros state first is
the fix. pytorch/pytorch#50751 TypeRefinement; torch/nn/modules/rnn.py ``hx=None``.
"""

from typing import Optional, Tuple

import torch
from torch import Tensor, nn

CATEGORY = "optional_refinement"
FIX_KIND = "refine_optional"
CONSTRUCT = "an Optional tuple unpacked without an `is None` branch"
CITE = "pytorch/pytorch#50751 (TSRootCause:TypeRefinement); torch/nn/modules/rnn.py LSTM.forward(input, hx=None)"


class Broken(nn.Module):
    def forward(self, x: Tensor, state: Optional[Tuple[Tensor, Tensor]] = None) -> Tensor:
        h, c = state  # construct
        return torch.tanh(x + h) + c


class Fixed(nn.Module):
    def forward(self, x: Tensor, state: Optional[Tuple[Tensor, Tensor]] = None) -> Tensor:
        if state is None:
            state = (torch.zeros_like(x), torch.zeros_like(x))
        h, c = state
        return torch.tanh(x + h) + c


def inputs():
    return torch.ones(2), (torch.zeros(2), torch.ones(2))
