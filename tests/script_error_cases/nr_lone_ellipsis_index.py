"""Indexing with a lone ellipsis, ``x[...]`` (or its name, ``x[Ellipsis]``).

``x[...]`` is "all of x" in Python and NumPy (used to write into or read a whole buffer, e.g. a
preallocated cache); TorchScript accepts ``...`` only next to other indices and otherwise says
"Cannot emit expr for: (dots)", an internal message that names no construct. No root cause of
pytorch/pytorch#50751 fits it ("Unclassified"); the honest expectation is "not recognised", with
the user's line and torch's message. ``x[..., :]`` (or ``x[:]``) does the same and compiles.
"""

import torch
from torch import Tensor, nn

CATEGORY = "not_recognised"
FIX_KIND = "rewrite_construct"
CONSTRUCT = "a lone ellipsis index x[...]"
CITE = "pytorch/pytorch#50751 (TSRootCause:Unclassified); NumPy-style whole-buffer reads `cache[...]`"


class Broken(nn.Module):
    def forward(self, x: Tensor) -> Tensor:
        return x[...] * 2.0  # construct


class Fixed(nn.Module):
    def forward(self, x: Tensor) -> Tensor:
        return x[..., :] * 2.0


def inputs():
    return (torch.arange(6.0).reshape(2, 3),)
