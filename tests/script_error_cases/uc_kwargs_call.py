"""Keyword-argument expansion at a call: ``F.softmax(x, **opts)``.

Options kept in a dict and splatted into a functional call (``F.interpolate(x, **self.up_kwargs)``
in segmentation decoders, e.g. PyTorch-Encoding's ``_up_kwargs``) are refused: "keyword-arg expansion
is not supported". Pass the arguments by name. pytorch/pytorch#50751 UnsupportedConstructs.
"""

import torch
import torch.nn.functional as F
from torch import Tensor, nn

CATEGORY = "unsupported_construct"
FIX_KIND = "replace_kwargs"
CONSTRUCT = "keyword-argument expansion f(**opts) at a call"
CITE = "pytorch/pytorch#50751 (TSRootCause:UnsupportedConstructs); zhanghang1989/PyTorch-Encoding `F.interpolate(x, size, **self._up_kwargs)`"


class Broken(nn.Module):
    def forward(self, x: Tensor) -> Tensor:
        opts = {"scale_factor": 2.0, "mode": "nearest"}
        return F.interpolate(x, **opts)  # construct


class Fixed(nn.Module):
    def forward(self, x: Tensor) -> Tensor:
        return F.interpolate(x, scale_factor=2.0, mode="nearest")


def inputs():
    return (torch.arange(4.0).reshape(1, 1, 2, 2),)
