"""Starred assignment: ``batch, *spatial = x.shape``.

Splitting a shape into the batch size and "the rest" with a starred target is common in
vision transformers' patch code; TorchScript does not support starred assignment targets.
pytorch/pytorch#50751 UnsupportedConstructs.
"""

import torch
from torch import Tensor, nn

CATEGORY = "unsupported_construct"
FIX_KIND = "rewrite_construct"
CONSTRUCT = "a starred assignment target (a, *rest = ...)"
CITE = "pytorch/pytorch#50751 (TSRootCause:UnsupportedConstructs); ViT patch code `B, *spatial = x.shape`"


class Broken(nn.Module):
    def forward(self, x: Tensor) -> Tensor:
        batch, *spatial = x.shape  # construct
        return x.reshape(batch, -1).sum(1) / len(spatial)


class Fixed(nn.Module):
    def forward(self, x: Tensor) -> Tensor:
        batch = x.size(0)
        spatial = x.shape[1:]
        return x.reshape(batch, -1).sum(1) / len(spatial)


def inputs():
    return (torch.arange(12.0).reshape(2, 3, 2),)
