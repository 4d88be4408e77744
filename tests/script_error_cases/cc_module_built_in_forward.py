"""An ``nn.Module`` constructed inside ``forward`` (``nn.Dropout(p)(x)``).

Building a layer on the fly is ordinary Python; TorchScript instead tries to compile the module's
class, starting with its ``__init__``, and fails there (pytorch/pytorch#58122 lists "attempting to
construct an nn.Module inside TorchScript" as a misuse whose message misses the root cause).
Construct the layer in ``__init__``. InvalidCustomClass, pytorch/pytorch#50751.
"""

import torch
from torch import Tensor, nn

CATEGORY = "invalid_custom_class"
FIX_KIND = "fix_custom_class"
CONSTRUCT = "an nn.Module constructed inside forward"
CITE = "pytorch/pytorch#58122 (constructing an nn.Module inside TorchScript); pytorch/pytorch#50751 (TSRootCause:InvalidCustomClass)"


class Broken(nn.Module):
    def forward(self, x: Tensor) -> Tensor:
        return nn.Softmax(dim=-1)(x)  # construct


class Fixed(nn.Module):
    def __init__(self):
        super().__init__()
        self.softmax = nn.Softmax(dim=-1)

    def forward(self, x: Tensor) -> Tensor:
        return self.softmax(x)


def inputs():
    return (torch.arange(4.0).reshape(2, 2),)
