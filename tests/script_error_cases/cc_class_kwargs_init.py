"""A helper class whose ``__init__`` takes ``**kwargs`` (like a Hugging Face config).

``PretrainedConfig.__init__(self, **kwargs)`` is why scripting a transformers model whose code
builds or annotates a config fails: TorchScript compiles the class and refuses its
``__init__``. Give the class explicit, typed arguments. InvalidCustomClass, pytorch/pytorch#50751;
transformers configuration_utils.PretrainedConfig.
"""

import torch
from torch import Tensor, nn


class NormSettings:
    def __init__(self, **kwargs):  # construct
        self.eps = 1e-5


class NormSettingsFixed:
    def __init__(self, eps: float = 1e-5):
        self.eps = eps


CATEGORY = "invalid_custom_class"
FIX_KIND = "fix_custom_class"
CONSTRUCT = "a class used in forward whose __init__ takes **kwargs"
CITE = "transformers configuration_utils.PretrainedConfig.__init__(**kwargs); pytorch/pytorch#50751 (TSRootCause:InvalidCustomClass)"


class Broken(nn.Module):
    def forward(self, x: Tensor) -> Tensor:
        settings = NormSettings()
        return x / (x.norm() + settings.eps)


class Fixed(nn.Module):
    def forward(self, x: Tensor) -> Tensor:
        settings = NormSettingsFixed()
        return x / (x.norm() + settings.eps)


def inputs():
    return (torch.tensor([3.0, 4.0]),)
