"""T1: a branch on tensor values; the trace keeps only the branch the example took."""

import torch
from torch import nn

from tests.lost_flow_cases import case, seeded


class DecisionGate(nn.Module):
    def forward(self, x):
        if x.sum() > 0:  # LOST: decision_gate
            return x
        return -x


@case(
    category="T1",
    source="PyTorch 'Introduction to TorchScript' tutorial, MyDecisionGate"
    " (pytorch/tutorials beginner_source/Intro_to_TorchScript_tutorial.py; pytorch/tutorials#1449)",
)
def decision_gate():
    return DecisionGate(), (seeded(3, 4),)


class ClassScoreFilter(nn.Module):
    """Per-class best score, with a placeholder for classes nothing scored above threshold."""

    def __init__(self, num_classes=3, score_thr=0.5):
        super().__init__()
        self.num_classes = num_classes
        self.score_thr = score_thr

    def forward(self, scores):
        best = []
        for c in range(self.num_classes):
            cls_inds = scores[:, c] > self.score_thr
            if not cls_inds.any():  # LOST: class_score_filter
                best.append(scores.new_full((1,), -1.0))
                continue
            best.append(scores[:, c].max().reshape(1))
        return torch.cat(best)


@case(
    category="T1",
    source="mmdetection multiclass_nms `if not cls_inds.any(): continue`, in the TracerWarnings of"
    " pytorch/pytorch#23498 (mmdet/core/post_processing/bbox_nms.py)",
)
def class_score_filter():
    return ClassScoreFilter(), (seeded(6, 3, seed=1),)


class AllOnesMaskShortcut(nn.Module):
    """Skip the padding mask when every position is valid (a transformers SDPA shortcut)."""

    def forward(self, scores, attention_mask):
        if torch.all(attention_mask == 1):  # LOST: all_ones_mask_shortcut
            return scores.softmax(-1)
        bias = (1.0 - attention_mask[:, None, :]) * -1e4
        return (scores + bias).softmax(-1)


@case(
    category="T1",
    source="huggingface/transformers modeling_attn_mask_utils / masking_utils: `torch.all(attention_mask == 1)`"
    " lets SDPA drop the mask (guarded there by an is_tracing check for this reason)",
)
def all_ones_mask_shortcut():
    return AllOnesMaskShortcut(), (seeded(2, 3, 3, seed=2), torch.ones(2, 3))


class FlagSelect(nn.Module):
    def forward(self, x, y, flag):
        if bool(flag):  # LOST: flag_select
            return x * y
        return x - y


@case(category="T1", source="pytorch/pytorch#15383: `if bool(flag): return x * y else: return x - y` traced once")
def flag_select():
    return FlagSelect(), (seeded(3, seed=3), seeded(3, seed=4), torch.tensor([True]))
