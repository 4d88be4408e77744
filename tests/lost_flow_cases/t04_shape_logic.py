"""T4: Python logic on shapes (loops over a dimension, rank tests, len, min on sizes)."""

import torch
from torch import nn

from tests.lost_flow_cases import case, seeded


class LSTMCellLoop(nn.Module):
    def __init__(self, n=4):
        super().__init__()
        torch.manual_seed(0)
        self.cell = nn.LSTMCell(n, n)

    def forward(self, xs, h, c):
        outs = []
        for t in range(xs.size(0)):  # LOST: lstm_cell_time_loop
            h, c = self.cell(xs[t], (h, c))
            outs.append(h)
        return torch.stack(outs)


@case(category="T4", source="pytorch/pytorch#59530: batch size / length hardcoded when tracing an LSTMCell loop")
def lstm_cell_time_loop():
    return LSTMCellLoop(), (seeded(3, 2, 4, seed=20), torch.zeros(2, 4), torch.zeros(2, 4))


class CountRows(nn.Module):
    def forward(self, x):
        a = torch.zeros(()).type_as(x)
        for x_ in x:  # LOST: iterate_rows
            a = a + x_.mean()
        return a


@case(category="T4", source="pytorch/pytorch#58225: `for x_ in x:` traced for 20 rows keeps returning 20 iterations")
def iterate_rows():
    return CountRows(), (seeded(4, 3, seed=21),)


class UnbatchedPool(nn.Module):
    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.proj = nn.Linear(3, 3)

    def forward(self, x):
        is_batched = x.dim() == 3  # LOST: unbatched_rank_check
        if not is_batched:
            x = x.unsqueeze(0)
        out = self.proj(x).mean(1)
        return out if is_batched else out.squeeze(0)


@case(
    category="T4",
    source="pytorch/pytorch torch/nn/functional.py multi_head_attention_forward: `is_batched = query.dim() == 3`"
    " then unsqueeze (_mha_shape_check); `dim()` gives no TracerWarning",
)
def unbatched_rank_check():
    return UnbatchedPool(), (seeded(2, 4, 3, seed=22),)


class ScaleByLastDim(nn.Module):
    def forward(self, q, k):
        scale = q.shape[-1] ** -0.5  # LOST: negative_dim_scale
        return (q @ k.transpose(-2, -1)) * scale


@case(
    category="T4",
    source="attention scaled by the last dimension read from the shape (the scaled_dot_product_attention"
    " reference implementation in the torch docs reads `query.size(-1)`); `q.shape[-1]` is recorded as"
    " size(q, 2) for the rank the trace saw",
)
def negative_dim_scale():
    return ScaleByLastDim(), (seeded(2, 3, 4, seed=23), seeded(2, 3, 4, seed=24))


class RoiBatchIndex(nn.Module):
    def forward(self, boxes):
        idx = torch.arange(len(boxes), dtype=boxes.dtype)  # LOST: roi_batch_index
        return torch.cat([idx[:, None], boxes], dim=1)


@case(
    category="T4",
    source="detectron2 convert_boxes_to_pooler_format (`len()` of boxes, facebookresearch/detectron2 PR #4132"
    " discusses `__len__` returning a Tensor in tracing)",
)
def roi_batch_index():
    return RoiBatchIndex(), (seeded(3, 4, seed=25),)


class TruncatedPositions(nn.Module):
    def __init__(self, max_len=6, dim=3):
        super().__init__()
        torch.manual_seed(0)
        self.max_len = max_len
        self.pos = nn.Parameter(torch.randn(max_len, dim))

    def forward(self, x):
        seq_len = min(x.size(1), self.max_len)  # LOST: min_seq_len
        return x[:, :seq_len] + self.pos[:seq_len]


@case(
    category="T4",
    source="the `seq_len = min(x.size(1), self.max_seq_length)` truncation idiom before `self.pe[:, :seq_len]`"
    " (verbatim in many public repositories); like the shape test of pytorch/pytorch#22485 it compares a traced"
    " size in Python",
)
def min_seq_len():
    return TruncatedPositions(), (seeded(2, 4, 3, seed=26),)


class KeepTopBoxes(nn.Module):
    def __init__(self, max_num=4):
        super().__init__()
        self.max_num = max_num

    def forward(self, bboxes, scores):
        if bboxes.shape[0] > self.max_num:  # LOST: max_num_boxes
            _, inds = scores.topk(self.max_num)
            bboxes = bboxes[inds]
        return bboxes


@case(
    category="T4",
    source="mmdetection bbox_nms `if bboxes.shape[0] > max_num:` (TracerWarning log in pytorch/pytorch#23498)",
)
def max_num_boxes():
    return KeepTopBoxes(), (seeded(3, 5, seed=27), seeded(3, seed=28))
