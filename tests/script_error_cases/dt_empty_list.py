"""An empty list that collects ints: ``sizes = []`` then ``sizes.append(x.size(-1))``.

An empty list literal is ``List[Tensor]`` unless annotated, so appending a size fails. Collecting
output sizes this way is common in FPN/anchor code (torchvision's AnchorGenerator builds lists of
grid sizes). pytorch/pytorch#50751 DefaultTypes; TorchScript docs on empty containers.
"""

from typing import List

import torch
from torch import Tensor, nn

CATEGORY = "default_types"
FIX_KIND = "annotate_types"
CONSTRUCT = "an empty list (List[Tensor] by default) that collects ints"
CITE = "pytorch/pytorch#50751 (TSRootCause:DefaultTypes); torchvision AnchorGenerator collects grid sizes in lists"


class Broken(nn.Module):
    def forward(self, features: List[Tensor]) -> int:
        sizes = []
        for f in features:
            sizes.append(f.size(-1))  # construct
        return sum(sizes)


class Fixed(nn.Module):
    def forward(self, features: List[Tensor]) -> int:
        sizes: List[int] = []
        for f in features:
            sizes.append(f.size(-1))
        return sum(sizes)


def inputs():
    return ([torch.zeros(1, 4), torch.zeros(1, 2)],)
