"""An unannotated ``reduction`` argument compared with ``"mean"``.

Loss modules take ``reduction="mean"`` like torch.nn's losses (``nn.CrossEntropyLoss(reduction=...)``);
left unannotated the argument is a Tensor, and ``Tensor == str`` has no overload.
pytorch/pytorch#50751 DefaultTypes.
"""

import torch
from torch import Tensor, nn

CATEGORY = "default_types"
FIX_KIND = "annotate_types"
CONSTRUCT = "an unannotated str argument (a Tensor by default) compared with a string"
CITE = "pytorch/pytorch#50751 (TSRootCause:DefaultTypes); torch.nn losses take reduction='mean'"


class Broken(nn.Module):
    def forward(self, losses: Tensor, reduction) -> Tensor:
        if reduction == "mean":  # construct
            return losses.mean()
        return losses.sum()


class Fixed(nn.Module):
    def forward(self, losses: Tensor, reduction: str) -> Tensor:
        if reduction == "mean":
            return losses.mean()
        return losses.sum()


def inputs():
    return torch.arange(4.0), "mean"
