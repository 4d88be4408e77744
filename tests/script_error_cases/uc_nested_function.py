"""A function defined inside ``forward`` (a closure over the module's scale).

Closures are a natural way to share a small computation in Python; TorchScript cannot compile a
``def`` inside a compiled function. Lift it to module level (or a method). pytorch/pytorch#50751
UnsupportedConstructs.
"""

import torch
from torch import Tensor, nn

CATEGORY = "unsupported_construct"
FIX_KIND = "rewrite_construct"
CONSTRUCT = "a nested function definition"
CITE = "pytorch/pytorch#50751 (TSRootCause:UnsupportedConstructs); closures inside forward"


class Broken(nn.Module):
    def forward(self, x: Tensor) -> Tensor:
        def shifted(t: Tensor) -> Tensor:  # construct
            return t + 1.0

        return shifted(x) * 2.0


class Fixed(nn.Module):
    def shifted(self, t: Tensor) -> Tensor:
        return t + 1.0

    def forward(self, x: Tensor) -> Tensor:
        return self.shifted(x) * 2.0


def inputs():
    return (torch.arange(3.0),)
