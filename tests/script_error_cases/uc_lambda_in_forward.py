"""A ``lambda`` defined inside ``forward``.

Small activations written inline (``act = lambda t: t * torch.sigmoid(t)``, the swish of early
EfficientNet ports) are not compilable: TorchScript has no lambdas. Use a named function (or a
module). pytorch/pytorch#50751 UnsupportedConstructs.
"""

import torch
from torch import Tensor, nn

CATEGORY = "unsupported_construct"
FIX_KIND = "rewrite_construct"
CONSTRUCT = "a lambda expression"
CITE = "pytorch/pytorch#50751 (TSRootCause:UnsupportedConstructs); early EfficientNet ports' inline swish lambda"


def swish(t: Tensor) -> Tensor:
    return t * torch.sigmoid(t)


class Broken(nn.Module):
    def forward(self, x: Tensor) -> Tensor:
        act = lambda t: t * torch.sigmoid(t)  # noqa: E731  # construct
        return act(x)


class Fixed(nn.Module):
    def forward(self, x: Tensor) -> Tensor:
        return swish(x)


def inputs():
    return (torch.linspace(-1.0, 1.0, 5),)
