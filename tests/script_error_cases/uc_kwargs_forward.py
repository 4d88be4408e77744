"""``def forward(self, x, **kwargs)``: extra keyword arguments swallowed by ``forward``.

Hugging Face layers accept and ignore ``**kwargs`` so that callers can pass flags meant for other
layers; TorchScript compiles a fixed signature ("Compiled functions can't take variable number of
arguments"). Name the arguments that are used. transformers modeling code ``**kwargs`` in forward;
pytorch/pytorch#50751.
"""

import torch
from torch import Tensor, nn

CATEGORY = "unsupported_construct"
FIX_KIND = "replace_kwargs"
CONSTRUCT = "**kwargs in a compiled signature"
CITE = "transformers modeling_*.py `forward(self, hidden_states, **kwargs)`; pytorch/pytorch#50751 (TSRootCause:UnsupportedConstructs)"


class Broken(nn.Module):
    def forward(self, x: Tensor, **kwargs) -> Tensor:  # construct
        return x * 2.0


class Fixed(nn.Module):
    def forward(self, x: Tensor) -> Tensor:
        return x * 2.0


def inputs():
    return (torch.arange(3.0),)
