"""A ``Dict`` annotation without its key and value types (``features: Dict``).

A bare ``typing.Dict`` is fine for Python's type checkers but TorchScript needs the contained
types; pytorch/pytorch#78486 ("wasted half a day") reports the resulting "Attempted to use Dict
without contained types" with no hint of where the annotation is, and pytorch/pytorch#96420 asks
for the location. Annotate ``Dict[str, Tensor]``. TypeChecking, pytorch/pytorch#50751.
"""

from typing import Dict

import torch
from torch import Tensor, nn

CATEGORY = "type_checking"
FIX_KIND = "annotate_types"
CONSTRUCT = "a Dict annotation without contained types"
CITE = "pytorch/pytorch#78486; pytorch/pytorch#96420; pytorch/pytorch#50751 (TSRootCause:TypeChecking)"


def head(features: Dict) -> Tensor:  # construct
    return features["p3"].mean() + features["p4"].mean()


def head_fixed(features: Dict[str, Tensor]) -> Tensor:
    return features["p3"].mean() + features["p4"].mean()


class Broken(nn.Module):
    def forward(self, p3: Tensor, p4: Tensor) -> Tensor:
        return head({"p3": p3, "p4": p4})


class Fixed(nn.Module):
    def forward(self, p3: Tensor, p4: Tensor) -> Tensor:
        return head_fixed({"p3": p3, "p4": p4})


def inputs():
    return torch.ones(1, 2), torch.full((1, 3), 2.0)
