"""The seeds' models rewritten so that torch.export takes them (shared by the export tests).

``MyDecisionGate``'s ``if`` on a tensor's value becomes ``torch.cond`` (a branch may not return
its input itself, hence ``clone``); the hybrid ``Net``'s data-dependent loop becomes
``while_loop``, and its scripted ``if`` a ``torch.cond``.
"""

from __future__ import annotations

import torch
from torch import nn
from torch._higher_order_ops.while_loop import while_loop


class CondGate(nn.Module):
    def forward(self, x):
        return torch.cond(x.sum() > 0, lambda x: x.clone(), lambda x: -x, (x,))


class CondCell(nn.Module):
    """``MyCell3`` with the ``torch.cond`` gate."""

    def __init__(self):
        super().__init__()
        self.dg = CondGate()
        self.linear = nn.Linear(4, 4)

    def forward(self, x, h):
        new_h = torch.tanh(self.dg(self.linear(x)) + h)
        return new_h, new_h


def factorial_loop(x: torch.Tensor) -> torch.Tensor:
    """The hybrid tutorial's ``for i in range(int(x)): z = z * (i + 1)`` as a ``while_loop``."""

    def keep_going(i, z, n):
        return i < n

    def step(i, z, n):
        return i + 1, z * (i + 1), n.clone()

    start = torch.zeros((), dtype=torch.int64)
    one = torch.ones((), dtype=torch.int64)
    return while_loop(keep_going, step, (start, one, x.to(torch.int64).reshape(())))[1]


class ExportNet(nn.Module):
    """The hybrid ``Net``: abs(2x), the factorial loop, floor(sqrt(x)/5), then halve if even."""

    def forward(self, x):
        x = torch.abs(2 * x)
        x = factorial_loop(x)
        x = torch.floor(torch.sqrt(x.to(torch.float32)) / 5.0)
        even = torch.fmod(x, 2.0).sum() == 0
        return torch.cond(even, lambda x: x / 2.0, lambda x: -x, (x,))


class MapRows(nn.Module):
    """``map`` over the rows of ``xs``, each scaled by ``y``: a loop export keeps as one body."""

    def forward(self, xs, y):
        from torch._higher_order_ops.map import map as map_rows

        return map_rows(lambda row, y: row * y + 1, xs, y)
