"""T8: in-place changes and re-bindings the tracer cannot see."""

import torch
from torch import nn

from tests.lost_flow_cases import case, seeded


class DataSwap(nn.Module):
    def forward(self, x):
        y0 = x * 0
        y1 = x * 1
        y0.data = y1  # LOST: data_assignment
        return y0


@case(category="T8", source="pytorch/pytorch#48477: `y0.data = y1` breaks jit.trace (traced output is x * 0)")
def data_assignment():
    return DataSwap(), (seeded(3, seed=60),)


class Accumulator(nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("accumulator", torch.ones(3))

    def forward(self, x):
        self.accumulator += x
        output = self.accumulator * 2
        self.accumulator = self.accumulator * self.accumulator  # LOST: buffer_rebinding
        return output


@case(
    category="T8",
    source="pytorch/pytorch#140539: `self.accumulator = self.accumulator * self.accumulator` is lost by the trace",
)
def buffer_rebinding():
    return Accumulator().eval(), (seeded(3, seed=61),)


class MemoryCache(nn.Module):
    def __init__(self, mem_len=2, dim=3):
        super().__init__()
        self.mem_len = mem_len
        self.register_buffer("mems", torch.zeros(mem_len, dim))

    def forward(self, h):
        out = h + self.mems.mean(0)
        self.mems = torch.cat([self.mems, h], 0)[-self.mem_len:].detach()  # LOST: memory_rebinding
        return out


@case(
    category="T8",
    source="Transformer-XL / XLNet memory: `new_mem = torch.cat([prev_mem, curr_out], dim=0)[-self.mem_len:]`"
    " (XLNet cache_mem in huggingface/transformers), kept on the module between calls",
)
def memory_rebinding():
    return MemoryCache().eval(), (seeded(2, 3, seed=62),)
