"""``x[: round(n * 0.5)]``: Python's ``round`` gives an int, TorchScript's gives a float.

The eager code slices fine; the scripted ``round(float)`` is typed ``float`` and a slice end must
be an ``int``, so the message lists the three ``aten::slice`` overloads. Keeping a fraction of the
tokens or boxes is common in token-dropping and top-k code (timm's PatchDropout keeps
``int(L * (1 - prob))`` tokens; a port that writes ``round`` instead meets this); the study calls
this class TypeChecking (pytorch/pytorch#50751).
"""

import torch
from torch import Tensor, nn

CATEGORY = "type_checking"
FIX_KIND = "rewrite_construct"
CONSTRUCT = "round() used as an int slice bound (a float in TorchScript)"
CITE = "pytorch/pytorch#50751 (TSRootCause:TypeChecking); timm layers/patch_dropout.py keeps a fraction of the tokens"


class Broken(nn.Module):
    def forward(self, tokens: Tensor) -> Tensor:
        keep = tokens[:, : round(tokens.size(1) * 0.5)]  # construct
        return keep.sum(1)


class Fixed(nn.Module):
    def forward(self, tokens: Tensor) -> Tensor:
        keep = tokens[:, : int(round(tokens.size(1) * 0.5))]
        return keep.sum(1)


def inputs():
    return (torch.arange(12.0).reshape(2, 6),)
