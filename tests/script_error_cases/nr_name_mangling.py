"""A private helper method with a double-underscore name (``self.__helper(x)``).

Python mangles ``__helper`` inside a class to ``_Broken__helper``; TorchScript looks up the
unmangled name and reports "Module 'Broken' has no attribute '__helper'" although the method is
right there. This fits none of the study's root causes (pytorch/pytorch#50751 "Unclassified"): the
honest expectation is "not recognised" with the user's line and torch's message. A single
underscore is the fix.
"""

import torch
from torch import Tensor, nn

CATEGORY = "not_recognised"
FIX_KIND = "rewrite_construct"
CONSTRUCT = "a call to a name-mangled (double underscore) method"
CITE = "pytorch/pytorch#50751 (TSRootCause:Unclassified); Python name mangling of __private methods"


class Broken(nn.Module):
    def __helper(self, x: Tensor) -> Tensor:
        return x * 2.0

    def forward(self, x: Tensor) -> Tensor:
        return self.__helper(x)  # construct


class Fixed(nn.Module):
    def _helper(self, x: Tensor) -> Tensor:
        return x * 2.0

    def forward(self, x: Tensor) -> Tensor:
        return self._helper(x)


def inputs():
    return (torch.arange(3.0),)
