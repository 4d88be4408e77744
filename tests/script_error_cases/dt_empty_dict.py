"""An empty dict that counts with ints: ``counts = {}`` then ``counts[name] = 1``.

An empty dict literal is ``Dict[str, Tensor]`` unless annotated. Counting labels or building a
small lookup table in forward (detection post-processing, vocabulary lookups) meets this.
pytorch/pytorch#50751 DefaultTypes.
"""

from typing import Dict, List

import torch
from torch import Tensor, nn

CATEGORY = "default_types"
FIX_KIND = "annotate_types"
CONSTRUCT = "an empty dict (Dict[str, Tensor] by default) that stores ints"
CITE = "pytorch/pytorch#50751 (TSRootCause:DefaultTypes); per-label counting in detection post-processing"


class Broken(nn.Module):
    def forward(self, x: Tensor, names: List[str]) -> Tensor:
        counts = {}
        for name in names:
            counts[name] = len(name)  # construct
        return x * counts["box"]


class Fixed(nn.Module):
    def forward(self, x: Tensor, names: List[str]) -> Tensor:
        counts: Dict[str, int] = {}
        for name in names:
            counts[name] = len(name)
        return x * counts["box"]


def inputs():
    return torch.ones(2), ["box", "label"]
