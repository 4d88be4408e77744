"""A dict built with ``{**defaults, "logits": x}``.

Merging a dict of defaults into an output dict with ``**`` is everyday Python; TorchScript's
parser rejects dict unpacking, and (pytorch/pytorch#50821) the message it gives is about a
``None`` key rather than about ``**``. Write the entries one by one.
"""

from typing import Dict

import torch
from torch import Tensor, nn

CATEGORY = "unsupported_construct"
FIX_KIND = "rewrite_construct"
CONSTRUCT = "a dict unpacking {**d}"
CITE = "pytorch/pytorch#50821 (`{**d}` in TorchScript)"


class Broken(nn.Module):
    def forward(self, x: Tensor, extra: Dict[str, Tensor]) -> Dict[str, Tensor]:
        return {**extra, "logits": x}  # construct


class Fixed(nn.Module):
    def forward(self, x: Tensor, extra: Dict[str, Tensor]) -> Dict[str, Tensor]:
        out: Dict[str, Tensor] = {}
        for key, value in extra.items():
            out[key] = value
        out["logits"] = x
        return out


def inputs():
    return torch.ones(2), {"hidden": torch.zeros(2)}
