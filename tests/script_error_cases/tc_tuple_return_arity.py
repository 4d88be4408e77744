"""A forward annotated ``-> Tuple[Tensor, Tensor]`` that returns three values.

Recurrent blocks often grow an extra output (the cell state next to output and hidden state, as
in ``nn.LSTM``'s ``output, (h_n, c_n)``) while the annotation stays behind; the message names the
two tuple types. TypeChecking in pytorch/pytorch#50751.
"""

from typing import Tuple

import torch
from torch import Tensor, nn

CATEGORY = "type_checking"
FIX_KIND = "annotate_types"
CONSTRUCT = "a return annotated Tuple[Tensor, Tensor] that returns three tensors"
CITE = "pytorch/pytorch#50751 (TSRootCause:TypeChecking); torch.nn.LSTM returns output, (h_n, c_n)"


class Broken(nn.Module):
    def forward(self, x: Tensor) -> Tuple[Tensor, Tensor]:
        hidden = torch.tanh(x)
        cell = torch.sigmoid(x)
        return x + hidden, hidden, cell  # construct


class Fixed(nn.Module):
    def forward(self, x: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
        hidden = torch.tanh(x)
        cell = torch.sigmoid(x)
        return x + hidden, hidden, cell


def inputs():
    return (torch.linspace(-1.0, 1.0, 6).reshape(2, 3),)
