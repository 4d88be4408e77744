"""A NumPy call inside ``forward`` (``np.percentile`` to pick a clipping threshold).

Quantisation calibrators and robust normalisers compute percentiles with NumPy; TorchScript cannot
compile a call into NumPy. Keeping it as Python with ``@torch.jit.ignore`` is the documented way out
(the function then runs in the Python interpreter). pytorch/pytorch#50751 DynamicBehaviors; forum
threads "Python builtin <function ...> is currently not supported in Torchscript".
"""

import numpy as np
import torch
from torch import Tensor, nn

CATEGORY = "dynamic_behaviour"
FIX_KIND = "ignore_or_unused"
CONSTRUCT = "a NumPy function called in forward"
CITE = "pytorch/pytorch#50751 (TSRootCause:DynamicBehaviors); percentile calibrators in quantisation code call np.percentile"


class Broken(nn.Module):
    def forward(self, x: Tensor) -> Tensor:
        limit = float(np.percentile(x.detach().numpy(), 90.0))  # construct
        return x.clamp(max=limit)


class Fixed(nn.Module):
    @torch.jit.ignore
    def percentile(self, x: Tensor) -> float:
        return float(np.percentile(x.detach().numpy(), 90.0))

    def forward(self, x: Tensor) -> Tensor:
        limit = self.percentile(x)
        return x.clamp(max=limit)


def inputs():
    return (torch.arange(10.0),)
