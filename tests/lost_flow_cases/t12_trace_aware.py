"""T12: code that asks whether it is being traced records the tracing path only."""

import torch
from torch import nn

from tests.lost_flow_cases import case, seeded


class TracingPath(nn.Module):
    def forward(self, x):
        if torch.jit.is_scripting() or not torch.jit.is_tracing():  # LOST: tracing_path
            return x + 1
        return x + 2


@case(category="T12", source="pytorch/pytorch#47379: a different code path in tracing mode (`not torch.jit.is_tracing()`)")
def tracing_path():
    return TracingPath(), (seeded(3, seed=100),)


class ExportHead(nn.Module):
    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.fc = nn.Linear(4, 3)

    def forward(self, x):
        scores = self.fc(x)
        if not torch.jit.is_tracing():  # LOST: export_head
            scores = scores.softmax(-1)
        return scores


@case(
    category="T12",
    source="open-mmlab/mmcv PR #1187 (`is_tracing` helper: heads behave differently in test and export)",
)
def export_head():
    return ExportHead(), (seeded(2, 4, seed=101),)
