"""T7: a module traced in training mode keeps training behaviour after ``.eval()``."""

import torch
from torch import nn

from tests.lost_flow_cases import case, seeded


class DropoutHead(nn.Module):
    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.flatten = nn.Flatten()
        self.linear = nn.Linear(16, 4)
        self.dropout = nn.Dropout(0.5)

    def forward(self, x):
        return self.dropout(self.linear(self.flatten(x)))  # LOST: dropout_train_trace


@case(category="T7", source="pytorch/pytorch#71929: Dropout traced in train mode stays on after .eval()")
def dropout_train_trace():
    return DropoutHead().train(), (seeded(2, 1, 4, 4, seed=50),)


class BatchNormNet(nn.Module):
    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.linear = nn.Linear(5, 5)
        self.bn = nn.BatchNorm1d(5)

    def forward(self, x):
        return self.bn(self.linear(x))  # LOST: batchnorm_train_trace


@case(
    category="T7",
    source="mlr-org/mlr3torch#354 (BatchNorm traced in training mode ignores eval) and pytorch/pytorch#15216",
)
def batchnorm_train_trace():
    return BatchNormNet().train(), (seeded(3, 5, seed=51),)


class GaussianNoise(nn.Module):
    def __init__(self, sigma=0.1):
        super().__init__()
        self.sigma = sigma

    def forward(self, x):
        if self.training:  # LOST: gaussian_noise_training
            return x + torch.randn(x.size()) * self.sigma
        return x


@case(
    category="T7",
    source="lrhm/facial-expression-recognition dl/base_torch_modules/gaussian_noise.py"
    " (`if self.training: return x + t.randn(x.size()) * self.sigma`)",
)
def gaussian_noise_training():
    return GaussianNoise().train(), (seeded(2, 3, seed=52),)
