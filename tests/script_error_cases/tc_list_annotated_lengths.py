"""Sequence lengths annotated as ``List[int]`` but used as a tensor (``lengths.max()``).

Modelled on the packed-sequence pattern of torch.nn.utils.rnn users (pack_padded_sequence takes
a lengths *tensor*) and on the type-checking root cause of the TorchScript usability study,
pytorch/pytorch#50751: the annotation says one type, the body uses another, and the message
only lists what a ``List[int]`` does not have.
"""

from typing import List

import torch
from torch import Tensor, nn

CATEGORY = "type_checking"
FIX_KIND = "annotate_types"
CONSTRUCT = "a List[int] argument used as a Tensor (lengths.max())"
CITE = "pytorch/pytorch#50751 (TSRootCause:TypeChecking); torch.nn.utils.rnn.pack_padded_sequence lengths"


class Broken(nn.Module):
    def forward(self, x: Tensor, lengths: List[int]) -> Tensor:
        longest = lengths.max()  # construct
        return x[:, :longest].sum(1)


class Fixed(nn.Module):
    def forward(self, x: Tensor, lengths: Tensor) -> Tensor:
        longest = int(lengths.max())
        return x[:, :longest].sum(1)


def inputs():
    return torch.arange(12.0).reshape(2, 6), torch.tensor([3, 4])
