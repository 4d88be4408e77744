"""A plain config object kept on the module and read in ``forward`` (``self.config.scale``).

Hugging Face modules keep ``self.config`` (a ``PretrainedConfig``) and read fields from it at run
time; TorchScript cannot turn an arbitrary Python object into a TorchScript type. Copy the fields
you need into plain attributes in ``__init__``. transformers modeling code (``self.config.*``);
pytorch/pytorch#49650 and the InvalidCustomClass root cause of pytorch/pytorch#50751.
"""

import torch
from torch import Tensor, nn


class BlockConfig:
    def __init__(self, scale=2.0, **extra):
        self.scale = scale
        self.extra = dict(extra)


CATEGORY = "invalid_custom_class"
FIX_KIND = "fix_custom_class"
CONSTRUCT = "a plain Python config object read in forward (self.config.scale)"
CITE = "pytorch/pytorch#49650; pytorch/pytorch#50751 (TSRootCause:InvalidCustomClass); transformers modules keep self.config"


class Broken(nn.Module):
    def __init__(self):
        super().__init__()
        self.config = BlockConfig(scale=0.5, name="block")

    def forward(self, x: Tensor) -> Tensor:
        return x * self.config.scale  # construct


class Fixed(nn.Module):
    def __init__(self):
        super().__init__()
        config = BlockConfig(scale=0.5, name="block")
        self.scale = config.scale

    def forward(self, x: Tensor) -> Tensor:
        return x * self.scale


def inputs():
    return (torch.arange(3.0),)
