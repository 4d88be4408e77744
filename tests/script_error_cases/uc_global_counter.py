"""A module-level counter bumped with ``global`` inside ``forward``.

Debug counters and call tracking (``global _CALLS; _CALLS += 1``) are not compilable: TorchScript
has no ``global`` statement. Keep such bookkeeping out of the compiled code with
``@torch.jit.ignore``. pytorch/pytorch#50751 UnsupportedConstructs.
"""

import torch
from torch import Tensor, nn

CATEGORY = "unsupported_construct"
FIX_KIND = "ignore_or_unused"
CONSTRUCT = "a global statement"
CITE = "pytorch/pytorch#50751 (TSRootCause:UnsupportedConstructs); call counters in debugging code"

_CALLS = 0


class Broken(nn.Module):
    def forward(self, x: Tensor) -> Tensor:
        global _CALLS  # construct
        _CALLS += 1
        return x + 1.0


class Fixed(nn.Module):
    @torch.jit.ignore
    def count_call(self) -> None:
        global _CALLS
        _CALLS += 1

    def forward(self, x: Tensor) -> Tensor:
        self.count_call()
        return x + 1.0


def inputs():
    return (torch.arange(3.0),)
