"""A helper annotated ``gain: int`` called with a float expression.

Init and scaling helpers in vision code take a gain (``nn.init.calculate_gain`` returns a float);
annotating the parameter ``int`` while callers pass ``x.size(-1) / 4`` works in eager Python and is
rejected at the call site by TorchScript. TypeChecking, pytorch/pytorch#50751.
"""

import torch
from torch import Tensor, nn

CATEGORY = "type_checking"
FIX_KIND = "annotate_types"
CONSTRUCT = "a float argument passed to a parameter annotated int"
CITE = "pytorch/pytorch#50751 (TSRootCause:TypeChecking); torch.nn.init.calculate_gain returns a float gain"


def scaled(x: Tensor, gain: int) -> Tensor:
    return x * gain


def scaled_fixed(x: Tensor, gain: float) -> Tensor:
    return x * gain


class Broken(nn.Module):
    def forward(self, x: Tensor) -> Tensor:
        return scaled(x, x.size(-1) / 4)  # construct


class Fixed(nn.Module):
    def forward(self, x: Tensor) -> Tensor:
        return scaled_fixed(x, x.size(-1) / 4)


def inputs():
    return (torch.arange(6.0).reshape(2, 3),)
