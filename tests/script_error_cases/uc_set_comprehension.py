"""A set comprehension to count distinct labels: ``len({i for i in labels})``.

Counting distinct ids with a set is the Python habit in decoding and metric code; TorchScript has
no ``set`` type and no set comprehensions. A ``Dict[int, bool]`` stands in.
pytorch/pytorch#50751 UnsupportedConstructs; TorchScript language reference (no set type).
"""

from typing import Dict, List

import torch
from torch import Tensor, nn

CATEGORY = "unsupported_construct"
FIX_KIND = "rewrite_construct"
CONSTRUCT = "a set comprehension"
CITE = "pytorch/pytorch#50751 (TSRootCause:UnsupportedConstructs); distinct-label counting in decoding code"


class Broken(nn.Module):
    def forward(self, x: Tensor, labels: List[int]) -> Tensor:
        distinct = {label for label in labels}  # construct
        return x * len(distinct)


class Fixed(nn.Module):
    def forward(self, x: Tensor, labels: List[int]) -> Tensor:
        distinct: Dict[int, bool] = {}
        for label in labels:
            distinct[label] = True
        return x * len(distinct)


def inputs():
    return torch.ones(2), [1, 2, 2, 3]
