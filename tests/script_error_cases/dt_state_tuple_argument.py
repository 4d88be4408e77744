"""An unannotated recurrent state unpacked as ``h, c = state``.

LSTM-style cells take ``(h, c)`` as one argument (``nn.LSTMCell(input, (h_0, c_0))``); left
unannotated, ``state`` is a single Tensor and cannot be unpacked into two names at compile time.
pytorch/pytorch#50751 DefaultTypes.
"""

from typing import Tuple

import torch
from torch import Tensor, nn

CATEGORY = "default_types"
FIX_KIND = "annotate_types"
CONSTRUCT = "an unannotated tuple argument (a Tensor by default) unpacked into two names"
CITE = "pytorch/pytorch#50751 (TSRootCause:DefaultTypes); torch.nn.LSTMCell takes the state as (h_0, c_0)"


class Broken(nn.Module):
    def forward(self, x: Tensor, state) -> Tensor:
        h, c = state  # construct
        return torch.tanh(x + h) * torch.sigmoid(c)


class Fixed(nn.Module):
    def forward(self, x: Tensor, state: Tuple[Tensor, Tensor]) -> Tensor:
        h, c = state
        return torch.tanh(x + h) * torch.sigmoid(c)


def inputs():
    return torch.zeros(2), (torch.ones(2), torch.full((2,), 0.5))
