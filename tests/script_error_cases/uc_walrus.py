"""An assignment expression (``:=``) in an ``if`` condition.

``if (n := x.size(0)) > 1:`` reads well since Python 3.8; TorchScript's frontend predates it
("NamedExpr aren't supported"). Assign first, then test. pytorch/pytorch#50751
UnsupportedConstructs; PEP 572.
"""

import torch
from torch import Tensor, nn

CATEGORY = "unsupported_construct"
FIX_KIND = "rewrite_construct"
CONSTRUCT = "an assignment expression (walrus :=)"
CITE = "pytorch/pytorch#50751 (TSRootCause:UnsupportedConstructs); PEP 572 assignment expressions"


class Broken(nn.Module):
    def forward(self, x: Tensor) -> Tensor:
        if (batch := x.size(0)) > 1:  # construct
            return x * batch
        return x


class Fixed(nn.Module):
    def forward(self, x: Tensor) -> Tensor:
        batch = x.size(0)
        if batch > 1:
            return x * batch
        return x


def inputs():
    return (torch.ones(2, 2),)
