"""A ``bytes`` literal in ``forward`` (a tag compared against a header).

Code that checks binary headers or magic numbers writes ``b"..."`` literals; TorchScript has no
``bytes`` type, and the message is the bare "Unknown Constant expression type". Use a ``str``.
pytorch/pytorch#30344 (``AnyStr``/bytes unsupported); #50751 UnsupportedConstructs.
"""

import torch
from torch import Tensor, nn

CATEGORY = "unsupported_construct"
FIX_KIND = "rewrite_construct"
CONSTRUCT = "a bytes literal"
CITE = "pytorch/pytorch#30344 (TorchScript does not support bytes); pytorch/pytorch#50751 (TSRootCause:UnsupportedConstructs)"


class Broken(nn.Module):
    def forward(self, x: Tensor) -> Tensor:
        tag = b"v1"  # construct
        return x * len(tag)


class Fixed(nn.Module):
    def forward(self, x: Tensor) -> Tensor:
        tag = "v1"
        return x * len(tag)


def inputs():
    return (torch.arange(3.0),)
