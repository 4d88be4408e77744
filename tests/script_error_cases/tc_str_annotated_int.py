"""A mode flag annotated ``int`` but compared with a string (``mode == "bilinear"``).

Upsampling blocks take an interpolation mode string (torchvision/timm pass ``mode="bilinear"``
to ``F.interpolate``); annotating it with the wrong type leaves TorchScript comparing an int with
a str. TypeChecking, pytorch/pytorch#50751.
"""

import torch
import torch.nn.functional as F
from torch import Tensor, nn

CATEGORY = "type_checking"
FIX_KIND = "annotate_types"
CONSTRUCT = "an argument annotated int compared with a str"
CITE = "pytorch/pytorch#50751 (TSRootCause:TypeChecking); torchvision/timm upsample blocks take mode='bilinear'"


class Broken(nn.Module):
    def forward(self, x: Tensor, mode: int) -> Tensor:
        if mode == "nearest":  # construct
            return F.interpolate(x, scale_factor=2.0, mode="nearest")
        return F.interpolate(x, scale_factor=2.0, mode="bilinear", align_corners=False)


class Fixed(nn.Module):
    def forward(self, x: Tensor, mode: str) -> Tensor:
        if mode == "nearest":
            return F.interpolate(x, scale_factor=2.0, mode="nearest")
        return F.interpolate(x, scale_factor=2.0, mode="bilinear", align_corners=False)


def inputs():
    return torch.arange(4.0).reshape(1, 1, 2, 2), "nearest"
