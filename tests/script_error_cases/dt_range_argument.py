"""An unannotated step count used in ``range(steps)``.

Iterative refinement modules (RAFT-style update loops, diffusion samplers) take ``iters`` as an
argument; without an annotation TorchScript makes it a Tensor and ``range`` refuses it
(pytorch/pytorch#41281 is the same inference on an index). The DefaultTypes root cause of
pytorch/pytorch#50751.
"""

import torch
from torch import Tensor, nn

CATEGORY = "default_types"
FIX_KIND = "annotate_types"
CONSTRUCT = "an unannotated argument (a Tensor by default) passed to range()"
CITE = "pytorch/pytorch#41281 (an unannotated index inferred as Tensor); pytorch/pytorch#50751 (TSRootCause:DefaultTypes); RAFT `for itr in range(iters)`"


class Broken(nn.Module):
    def forward(self, x: Tensor, iters) -> Tensor:
        for _ in range(iters):  # construct
            x = x * 0.5 + 1.0
        return x


class Fixed(nn.Module):
    def forward(self, x: Tensor, iters: int) -> Tensor:
        for _ in range(iters):
            x = x * 0.5 + 1.0
        return x


def inputs():
    return torch.zeros(2), 3
