"""T13: one traced size passed where torch expects ``int[]`` (or converted inside torch) is baked in."""

import torch
import torch.nn.functional as F
from torch import nn

from tests.lost_flow_cases import case, seeded


class FftShift1d(nn.Module):
    def forward(self, x):
        return x.roll(x.size(-1) // 2, -1)  # LOST: fftshift_roll


@case(
    category="T13",
    source="hand-written fftshift with roll (tomrunia/PyTorchSteerablePyramid PR #1; PaddlePaddle/Paddle PR #36748"
    " on roll shifts); the note's `x.roll(x.size(-1)//2, -1)` traces to `roll(x, [2], [-1])`",
)
def fftshift_roll():
    return FftShift1d(), (seeded(2, 4, seed=110),)


class GatedActivation(nn.Module):
    def forward(self, x):
        xa, xb = x.split(x.size(1) // 2, dim=1)  # LOST: gated_split_half
        return torch.tanh(xa) * torch.sigmoid(xb)


@case(
    category="T13",
    source="the gated activation of kan-bayashi/ParallelWaveGAN ResidualBlock (`xa, xb = x.split(x.size(1) // 2,"
    " dim=1)`) applied to inputs whose width varies; the int conversion happens inside torch, where its"
    " TracerWarning is hidden by default",
)
def gated_split_half():
    return GatedActivation(), (seeded(1, 4, 5, seed=111),)


class GlobalAvgPool(nn.Module):
    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.fc = nn.Linear(2, 3)

    def forward(self, x):
        x = F.avg_pool2d(x, x.size(2))  # LOST: global_avg_pool_kernel
        return self.fc(x.view(x.size(0), -1))


@case(
    category="T13",
    source="global average pooling written `F.avg_pool2d(x, x.size(2))` (RevNet/CIFAR ResNet code); the kernel"
    " becomes a constant `kernel_shape=[32, 32]` in pytorch/pytorch#34743, fixed by HRNet PR #13",
)
def global_avg_pool_kernel():
    return GlobalAvgPool(), (seeded(1, 2, 4, 4, seed=112),)
