"""T2: a tensor turned into a Python number; the number is a constant in the trace."""

import math

import torch
import torch.nn.functional as F
from torch import nn

from tests.lost_flow_cases import case, seeded


class SequenceMask(nn.Module):
    def forward(self, lengths):
        maxlen = int(lengths.max())  # LOST: sequence_mask
        return torch.arange(maxlen)[None, :] < lengths[:, None]


@case(
    category="T2",
    source="ray-project/ray#30684: `maxlen = int(lengths.max())` in a sequence mask raised"
    " 'Converting a tensor to a Python integer' under torch.jit.trace",
)
def sequence_mask():
    return SequenceMask(), (torch.tensor([5, 3, 2]),)


class MaxPool2dStaticSamePadding(nn.Module):
    def __init__(self, kernel_size=3, stride=2):
        super().__init__()
        self.pool = nn.MaxPool2d(kernel_size, stride)
        self.stride = [stride, stride]
        self.kernel_size = [kernel_size, kernel_size]

    def forward(self, x):
        h, w = x.shape[-2:]
        extra_h = (math.ceil(w / self.stride[1]) - 1) * self.stride[1] - w + self.kernel_size[1]  # LOST: same_padding_ceil
        extra_v = (math.ceil(h / self.stride[0]) - 1) * self.stride[0] - h + self.kernel_size[0]  # LOST: same_padding_ceil
        left = extra_h // 2
        top = extra_v // 2
        x = F.pad(x, [left, extra_h - left, top, extra_v - top])
        return self.pool(x)


@case(
    category="T2",
    source="bubbliiiing/efficientdet-pytorch#12: `math.ceil(w / self.stride[1])` in static SAME padding"
    " (nets/layers.py) warned 'Converting a tensor to a Python float'",
)
def same_padding_ceil():
    return MaxPool2dStaticSamePadding(), (seeded(1, 2, 7, 7, seed=5),)


class PosEmbedInterpolate(nn.Module):
    def __init__(self, grid=4, dim=4):
        super().__init__()
        torch.manual_seed(0)
        self.grid = grid
        self.pos = nn.Parameter(torch.randn(1, dim, grid, grid))

    def forward(self, x):
        h, w = x.shape[-2], x.shape[-1]
        pos = F.interpolate(self.pos, scale_factor=(float(h / self.grid), float(w / self.grid)), mode="bilinear")  # LOST: pos_embed_scale_factor
        return x + pos


@case(
    category="T2",
    source="ViT interpolate_pos_encoding with a float scale_factor: huggingface/transformers PR #33226"
    " (switched to size=), facebookresearch/dinov2 PR #247, pytorch/pytorch#36596",
)
def pos_embed_scale_factor():
    return PosEmbedInterpolate(), (seeded(1, 4, 4, 4, seed=6),)


class Upsample2x(nn.Module):
    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.conv = nn.Conv2d(2, 2, 1)

    def forward(self, x):
        x = self.conv(x)
        return F.interpolate(x, size=(int(x.shape[2] * 2), int(x.shape[3] * 2)), mode="nearest")  # LOST: upsample_int_size


@case(
    category="T2",
    source="hpc203/yolov5-dnn-cpp-python-v2#11: `F.interpolate(x, size=(int(x.shape[2] * 2), int(x.shape[3] * 2)))`"
    " warned 'Converting a tensor to a Python integer'",
)
def upsample_int_size():
    return Upsample2x(), (seeded(1, 2, 3, 3, seed=7),)


class MaskConv(nn.Module):
    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.conv = nn.Conv1d(2, 2, 3, padding=1)

    def forward(self, x, lengths):
        x = self.conv(x)
        mask = torch.zeros_like(x)
        for i, length in enumerate(lengths):
            length = length.item()  # LOST: mask_conv_item
            if (mask[i].size(1) - length) > 0:
                mask[i].narrow(1, length, mask[i].size(1) - length).fill_(1.0)
        return x.masked_fill(mask > 0, 0)


@case(
    category="T2",
    source="SeanNaren/deepspeech.pytorch#599 and #600 (MaskConv: `length = length.item()` then narrow/fill_)",
)
def mask_conv_item():
    return MaskConv(), (seeded(3, 2, 6, seed=8), torch.tensor([6, 4, 3]))
