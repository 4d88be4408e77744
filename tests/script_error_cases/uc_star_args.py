"""``def forward(self, *features)``: a variable number of inputs.

Fusion modules take any number of feature maps as ``*xs`` (timm's and mmcv's concat/fusion
blocks accept ``*inputs``); TorchScript needs a fixed signature, so take a ``List[Tensor]``.
pytorch/pytorch#50751 UnsupportedConstructs; torch.jit docs "variable number of arguments".
"""

from typing import List

import torch
from torch import Tensor, nn

CATEGORY = "unsupported_construct"
FIX_KIND = "replace_kwargs"
CONSTRUCT = "*args in a compiled signature"
CITE = "pytorch/pytorch#50751 (TSRootCause:UnsupportedConstructs); mmcv/timm fusion blocks take *inputs"


class Broken(nn.Module):
    def forward(self, *features: Tensor) -> Tensor:  # construct
        return torch.stack(features).sum(0)


class Fixed(nn.Module):
    def forward(self, features: List[Tensor]) -> Tensor:
        return torch.stack(features).sum(0)


def inputs():
    return torch.ones(2), torch.full((2,), 3.0)


def fixed_inputs():
    return ([torch.ones(2), torch.full((2,), 3.0)],)
