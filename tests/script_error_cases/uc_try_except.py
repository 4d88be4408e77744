"""``try`` / ``except`` around a reshape, falling back on failure.

Defensive code that tries a fast path and falls back on an exception (``try: x.view(...) except
RuntimeError: x.reshape(...)``, common around non-contiguous tensors) cannot be compiled:
TorchScript has no exception handling. pytorch/pytorch#50751 UnsupportedConstructs; the
TorchScript language reference lists try/except as unsupported.
"""

import torch
from torch import Tensor, nn

CATEGORY = "unsupported_construct"
FIX_KIND = "rewrite_construct"
CONSTRUCT = "a try/except statement"
CITE = "pytorch/pytorch#50751 (TSRootCause:UnsupportedConstructs); view-or-reshape fallbacks on non-contiguous tensors"


class Broken(nn.Module):
    def forward(self, x: Tensor) -> Tensor:
        try:  # construct
            flat = x.view(-1)
        except RuntimeError:
            flat = x.reshape(-1)
        return flat * 2.0


class Fixed(nn.Module):
    def forward(self, x: Tensor) -> Tensor:
        flat = x.reshape(-1)
        return flat * 2.0


def inputs():
    return (torch.arange(6.0).reshape(2, 3).t(),)
