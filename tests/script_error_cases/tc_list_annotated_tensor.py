"""Feature maps annotated ``Tensor`` but passed (and used) as a list: ``torch.cat(features, 1)``.

Feature-pyramid heads take several maps at once (torchvision's FeaturePyramidNetwork takes an
ordered dict of maps, segmentation heads concatenate a list); with a ``Tensor`` annotation the
compiler matches ``torch.cat`` against ``List[Tensor]`` and refuses. TypeChecking, pytorch/pytorch#50751.
"""

from typing import List

import torch
from torch import Tensor, nn

CATEGORY = "type_checking"
FIX_KIND = "annotate_types"
CONSTRUCT = "a list of tensors annotated Tensor, passed to torch.cat"
CITE = "pytorch/pytorch#50751 (TSRootCause:TypeChecking); torchvision.ops.FeaturePyramidNetwork takes several feature maps"


class Broken(nn.Module):
    def forward(self, features: Tensor) -> Tensor:
        return torch.cat(features, 1).mean(1)  # construct


class Fixed(nn.Module):
    def forward(self, features: List[Tensor]) -> Tensor:
        return torch.cat(features, 1).mean(1)


def inputs():
    return ([torch.ones(1, 2, 2), torch.zeros(1, 1, 2)],)
