"""T11: the tracing device is recorded as a constant."""

import math

import torch
from torch import nn

from tests.lost_flow_cases import case, seeded


class TimestepEmbedding(nn.Module):
    def __init__(self, dim=4):
        super().__init__()
        self.dim = dim

    def forward(self, timesteps):
        freqs = torch.exp(-math.log(10000.0) * torch.arange(0, self.dim, dtype=torch.float32, device=timesteps.device) / self.dim)  # LOST: timestep_arange_device
        return timesteps[:, None] * freqs[None]


@case(category="T11", source="pytorch/pytorch#145995: timestep_embedding with `torch.arange(..., device=timesteps.device)`")
def timestep_arange_device():
    return TimestepEmbedding(), (seeded(3, seed=90),)


class AddConstant(nn.Module):
    def forward(self, a):
        b = torch.tensor((1.0,), device=a.device)  # LOST: tensor_device_constant
        return a + b


@case(category="T11", source="pytorch/pytorch#31141: `torch.tensor((1.,), device=a.device)` fixed to the traced device")
def tensor_device_constant():
    return AddConstant(), (seeded(2, seed=91),)


class NoisyLinear(nn.Module):
    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.li = nn.Linear(4, 4)

    def forward(self, x):
        y = x + torch.randn(1).to(x.device)  # LOST: randn_to_device
        return self.li(y)


@case(category="T11", source="pytorch/pytorch#62961: `x + torch.randn(1).to(x.device)` crashes after moving the trace")
def randn_to_device():
    return NoisyLinear(), (seeded(2, 4, seed=92),)
