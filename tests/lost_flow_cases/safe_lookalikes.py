"""Trace-safe look-alikes: code that looks like a T-category but traces correctly.

A good check must stay quiet (no *proven* finding) on every one of these; suspected notes are
allowed, because they are questions for the student, not alarms.
"""

import math

import torch
import torch.nn.functional as F
from torch import nn

from tests.lost_flow_cases import case, seeded


class BertSelfAttentionScores(nn.Module):
    def __init__(self, hidden=8, heads=2):
        super().__init__()
        torch.manual_seed(0)
        self.attention_head_size = hidden // heads
        self.heads = heads
        self.query = nn.Linear(hidden, hidden)
        self.key = nn.Linear(hidden, hidden)

    def forward(self, x):
        b, t, _ = x.shape
        q = self.query(x).view(b, t, self.heads, self.attention_head_size).transpose(1, 2)
        k = self.key(x).view(b, t, self.heads, self.attention_head_size).transpose(1, 2)
        scores = q @ k.transpose(2, 3) / math.sqrt(self.attention_head_size)
        return scores.softmax(3)


@case(
    category=None,
    resembles="T2",
    source="huggingface/transformers BertSelfAttention: `attention_scores / math.sqrt(self.attention_head_size)`"
    " (a Python int, not a traced value)",
)
def bert_sqrt_head_dim():
    return BertSelfAttentionScores(), (seeded(2, 3, 8, seed=200),)


class PatchEmbed(nn.Module):
    def __init__(self, img_size=8, patch=4):
        super().__init__()
        torch.manual_seed(0)
        self.img_size = (img_size, img_size)
        self.proj = nn.Conv2d(3, 4, patch, patch)

    def forward(self, x):
        B, C, H, W = x.shape
        assert H == self.img_size[0] and W == self.img_size[1], "input size does not match the model"
        return self.proj(x).flatten(2).transpose(1, 2)


@case(
    category=None,
    resembles="T4",
    source="huggingface/pytorch-image-models timm/layers/patch_embed.py PatchEmbed: `assert H == self.img_size[0]`"
    " (other sizes fail in eager too)",
)
def shape_assert():
    return PatchEmbed(), (seeded(1, 3, 8, 8, seed=201),)


class Bottleneck(nn.Module):
    def __init__(self, planes=4, downsample=None):
        super().__init__()
        torch.manual_seed(0)
        self.conv1 = nn.Conv2d(planes, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU()
        self.downsample = downsample

    def forward(self, x):
        identity = x
        out = self.bn1(self.conv1(x))
        if self.downsample is not None:
            identity = self.downsample(x)
        return self.relu(out + identity)


@case(
    category=None,
    resembles="T1",
    source="pytorch/vision torchvision/models/resnet.py Bottleneck: `if self.downsample is not None` (a module"
    " attribute, fixed at build time)",
)
def downsample_none():
    return Bottleneck().eval(), (seeded(1, 4, 5, 5, seed=202),)


class FlattenHead(nn.Module):
    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.fc = nn.Linear(12, 2)

    def forward(self, x):
        x = x.view(x.size(0), -1)
        return self.fc(x)


@case(
    category=None,
    resembles="T4",
    source="pytorch/vision torchvision/models/alexnet.py (before 0.4): `x.view(x.size(0), 256 * 6 * 6)`; sizes read"
    " with size() stay dynamic",
)
def view_batch_size():
    return FlattenHead(), (seeded(2, 3, 4, seed=203),)


class Stack(nn.Module):
    def __init__(self, depth=3):
        super().__init__()
        torch.manual_seed(0)
        self.layers = nn.ModuleList(nn.Linear(4, 4) for _ in range(depth))

    def forward(self, x):
        for layer in self.layers:
            x = torch.relu(layer(x))
        return x


@case(
    category=None,
    resembles="T3",
    source="a Python loop over an nn.ModuleList (`for layer in self.layer:` in huggingface/transformers"
    " models/bert/modeling_bert.py BertEncoder): the trip count is fixed by the model, not the data",
)
def modulelist_loop():
    return Stack(), (seeded(2, 4, seed=204),)


class WhereGate(nn.Module):
    def forward(self, x):
        return torch.where(x.sum() > 0, x, -x)


@case(
    category=None,
    resembles="T1",
    source="the fix for MyDecisionGate of the 'Introduction to TorchScript' tutorial"
    " (pytorch/tutorials beginner_source/Intro_to_TorchScript_tutorial.py): the branch written as torch.where",
)
def decision_gate_where():
    return WhereGate(), (seeded(3, 4, seed=205),)


@torch.jit.script_if_tracing
def _count_positive_rows(x: torch.Tensor) -> torch.Tensor:
    total = torch.zeros(1)
    for i in range(x.size(0)):
        if bool(x[i].sum() > 0):
            total = total + 1
    return total


class ScriptedHelper(nn.Module):
    def forward(self, x):
        return _count_positive_rows(x) * x.mean()


@case(
    category=None,
    resembles="T3",
    source="facebookresearch/detectron2 detectron2/layers/wrappers.py move_device_like and"
    " detectron2/layers/mask_ops.py paste_masks_in_image use @torch.jit.script_if_tracing so the trace keeps them",
)
def script_if_tracing_helper():
    return ScriptedHelper(), (seeded(3, 4, seed=206, low=-1.0),)


class ForwardNoise(nn.Module):
    def __init__(self, sigma=0.1):
        super().__init__()
        self.sigma = sigma

    def forward(self, x):
        return x + torch.randn_like(x) * self.sigma


@case(
    category=None,
    resembles="T6",
    source="noise drawn with torch RNG (diffusion forward process); recorded as aten::randn_like. Default"
    " check_trace flags it as nondeterministic (pytorch/pytorch#43765, the note's torch.rand false alarm)",
)
def torch_rng_noise():
    return ForwardNoise(), (seeded(2, 3, seed=207),)


class DropoutHeadEval(nn.Module):
    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.linear = nn.Linear(4, 4)
        self.dropout = nn.Dropout(0.5)

    def forward(self, x):
        return self.dropout(self.linear(x))


@case(
    category=None,
    resembles="T7",
    source="pytorch/pytorch#71929 done right: call .eval() before tracing a model with Dropout",
)
def dropout_eval_trace():
    return DropoutHeadEval().eval(), (seeded(2, 4, seed=208),)


class PreNormBlock(nn.Module):
    def __init__(self, pre_norm=True):
        super().__init__()
        torch.manual_seed(0)
        self.pre_norm = pre_norm
        self.norm = nn.LayerNorm(4)
        self.fc = nn.Linear(4, 4)

    def forward(self, x):
        if self.pre_norm:
            return x + self.fc(self.norm(x))
        return self.norm(x + self.fc(x))


@case(
    category=None,
    resembles="T1",
    source="a config flag branch such as `if self.pre_norm:` (huggingface/pytorch-image-models"
    " timm/models/vision_transformer.py VisionTransformer norm_pre): a Python bool fixed at construction",
)
def config_flag_branch():
    return PreNormBlock().eval(), (seeded(2, 3, 4, seed=209),)


class FftShiftBuiltin(nn.Module):
    def forward(self, x):
        return torch.fft.fftshift(x, dim=-1)


@case(
    category=None,
    resembles="T13",
    source="the fix for the roll-based fftshift of tomrunia/PyTorchSteerablePyramid PR #1: torch.fft.fftshift is"
    " one ATen op, dynamic in a trace",
)
def fftshift_builtin():
    return FftShiftBuiltin(), (seeded(2, 4, seed=210),)


class GluChunk(nn.Module):
    def forward(self, x):
        a, b = x.chunk(2, dim=1)
        return a * torch.sigmoid(b)


@case(
    category=None,
    resembles="T13",
    source="a gated activation written with chunk(2), as pytorch/pytorch torch/nn/functional.py glu computes it,"
    " instead of split(size // 2)",
)
def glu_chunk():
    return GluChunk(), (seeded(2, 6, seed=211),)


class TopDown(nn.Module):
    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.lateral = nn.Conv2d(2, 2, 1)

    def forward(self, top, lateral):
        lateral = self.lateral(lateral)
        return lateral + F.interpolate(top, size=lateral.shape[2:], mode="nearest")


@case(
    category=None,
    resembles="T2",
    source="pytorch/vision torchvision/ops/feature_pyramid_network.py top-down path:"
    " `F.interpolate(last_inner, size=feat_shape)` (written with shape[2:]; a list of traced sizes stays dynamic)",
)
def fpn_interpolate_size():
    return TopDown(), (seeded(1, 2, 2, 2, seed=212), seeded(1, 2, 4, 4, seed=213))


class WindowPad(nn.Module):
    def __init__(self, window_size=4):
        super().__init__()
        self.window_size = window_size

    def forward(self, x):
        B, H, W, C = x.shape
        pad_r = (self.window_size - W % self.window_size) % self.window_size
        pad_b = (self.window_size - H % self.window_size) % self.window_size
        return F.pad(x, (0, 0, 0, pad_r, 0, pad_b))


@case(
    category=None,
    resembles="T13",
    source="Swin Transformer window padding `F.pad(x, (0, 0, pad_l, pad_r, pad_t, pad_b))` from traced sizes"
    " (quoted in pytorch/pytorch#56355); a tuple of traced sizes stays dynamic",
)
def swin_window_pad():
    return WindowPad(), (seeded(1, 5, 6, 2, seed=214),)


class ZeroState(nn.Module):
    def __init__(self, n=3):
        super().__init__()
        torch.manual_seed(0)
        self.cell = nn.GRUCell(n, n)
        self.n = n

    def forward(self, x):
        h = x.new_zeros(x.size(0), self.n)
        return self.cell(x, h)


@case(
    category=None,
    resembles="T11",
    source="an initial state built with `x.new_zeros(...)`, which follows x's device and dtype in a trace"
    " (the fix suggested for pytorch/pytorch#43134-style device constants)",
)
def new_zeros_state():
    return ZeroState(), (seeded(2, 3, seed=215),)


class GatedResidual(nn.Module):
    def __init__(self, channels=4):
        super().__init__()
        torch.manual_seed(0)
        self.conv = nn.Conv1d(channels, channels, 1)

    def forward(self, x):
        x = self.conv(x)
        xa, xb = x.split(x.size(1) // 2, dim=1)
        return torch.tanh(xa) * torch.sigmoid(xb)


@case(
    category=None,
    resembles="T13",
    source="kan-bayashi/ParallelWaveGAN ResidualBlock as written: the split size is baked in, but the conv"
    " fixes the channel count, so no valid input can change it",
)
def split_after_fixed_conv():
    return GatedResidual(), (seeded(1, 4, 5, seed=216),)


class TopHalf(nn.Module):
    def forward(self, scores):
        values, _ = scores.topk(scores.size(-1) // 2)
        return values


@case(
    category=None,
    resembles="T13",
    source="`topk(x.size(-1) // 2)`: topk's k is a single int argument that a trace keeps dynamic"
    " (unlike a single size given for an int[] argument, pytorch/pytorch#12579)",
)
def topk_half_dynamic():
    return TopHalf(), (seeded(2, 6, seed=217),)
