"""``super().forward(x)`` in a subclass of ``nn.Linear``.

Subclassing a torch layer to add a tweak and then calling the parent's ``forward`` (weight-norm or
LoRA-style wrappers over ``nn.Linear``) fails to compile: TorchScript does not support ``super()``
calls. pytorch/pytorch#42885; #50751 UnsupportedConstructs.
"""

import torch
import torch.nn.functional as F
from torch import Tensor, nn

CATEGORY = "unsupported_construct"
FIX_KIND = "rewrite_construct"
CONSTRUCT = "a super() call"
CITE = "pytorch/pytorch#42885 (super() in TorchScript); pytorch/pytorch#50751 (TSRootCause:UnsupportedConstructs)"


class Broken(nn.Linear):
    def __init__(self):
        super().__init__(3, 2)

    def forward(self, x: Tensor) -> Tensor:
        return super().forward(x) * 0.5  # construct


class Fixed(nn.Linear):
    def __init__(self):
        super().__init__(3, 2)

    def forward(self, x: Tensor) -> Tensor:
        return F.linear(x, self.weight, self.bias) * 0.5


def inputs():
    return (torch.arange(6.0).reshape(2, 3),)
