"""Activation checkpointing in ``forward`` (``torch.utils.checkpoint.checkpoint``).

timm and transformers blocks call ``checkpoint`` when ``grad_checkpointing`` is on; the compiler
then tries to compile torch's own ``checkpoint`` (which takes ``**kwargs``) and torch's message
points into torch/utils, not at the student's line. The training-only path is marked
``@torch.jit.unused``. timm ``checkpoint_seq`` / ``if self.grad_checkpointing and not
torch.jit.is_scripting()``; pytorch/pytorch#50751 DynamicBehaviors.
"""

import torch
import torch.utils.checkpoint
from torch import Tensor, nn

CATEGORY = "dynamic_behaviour"
FIX_KIND = "ignore_or_unused"
CONSTRUCT = "a call to torch.utils.checkpoint.checkpoint"
CITE = "timm models (grad_checkpointing, checkpoint_seq); pytorch/pytorch#50751 (TSRootCause:DynamicBehaviors)"


class Broken(nn.Module):
    def __init__(self):
        super().__init__()
        self.block = nn.Linear(2, 2)
        self.grad_checkpointing = False

    def forward(self, x: Tensor) -> Tensor:
        if self.grad_checkpointing:
            return torch.utils.checkpoint.checkpoint(self.block, x, use_reentrant=False)  # construct
        return self.block(x)


class Fixed(nn.Module):
    def __init__(self):
        super().__init__()
        self.block = nn.Linear(2, 2)
        self.grad_checkpointing = False

    @torch.jit.unused
    def checkpointed(self, x: Tensor) -> Tensor:
        return torch.utils.checkpoint.checkpoint(self.block, x, use_reentrant=False)

    def forward(self, x: Tensor) -> Tensor:
        if self.grad_checkpointing:
            return self.checkpointed(x)
        return self.block(x)


def inputs():
    return (torch.arange(4.0).reshape(2, 2),)
