"""T3: a loop whose length depends on tensor values; the trace unrolls the iterations it saw."""

import torch
from torch import nn

from tests.lost_flow_cases import case, seeded


class LoopProduct(nn.Module):
    def forward(self, x):
        z = torch.ones([1], dtype=torch.int64)
        for i in range(int(x)):  # LOST: loop_product
            z = z * (i + 1)
        return z


@case(
    category="T3",
    source="PyTorch hybrid frontend tutorial (seed 001): `for i in range(int(x))` must be scripted, not traced",
)
def loop_product():
    return LoopProduct(), (torch.tensor(3.0),)


class SinkhornEarlyStop(nn.Module):
    def __init__(self, thresh=1e-2, max_iter=50):
        super().__init__()
        self.thresh = thresh
        self.max_iter = max_iter

    def forward(self, K, u, v):
        r = torch.ones_like(u)
        c = torch.ones_like(v)
        for _ in range(self.max_iter):
            r0 = r
            r = u / torch.matmul(K, c.unsqueeze(-1)).squeeze(-1)
            c = v / torch.matmul(K.permute(0, 2, 1).contiguous(), r.unsqueeze(-1)).squeeze(-1)
            err = (r - r0).abs().mean()
            if err.item() < self.thresh:  # LOST: sinkhorn_early_stop
                break
        return torch.matmul(r.unsqueeze(-1), c.unsqueeze(-2)) * K


@case(
    category="T3",
    source="wl-zhao/DIML utilities/diml.py: Sinkhorn loop with `if err.item() < thresh: break`",
)
def sinkhorn_early_stop():
    K = seeded(1, 4, 4, seed=9, low=0.1, high=1.0)
    return SinkhornEarlyStop(), (K, torch.full((1, 4), 0.25), torch.full((1, 4), 0.25))


class SinkhornWhile(nn.Module):
    def __init__(self, stop_thr=1e-3, max_iter=200):
        super().__init__()
        self.stop_thr = stop_thr
        self.max_iter = max_iter

    def forward(self, M, a, b):
        u = torch.ones_like(a) / a.size(0)
        K = torch.exp(-M * 5.0)
        err = torch.ones(())
        it = 0
        while err > self.stop_thr and it < self.max_iter:  # LOST: sinkhorn_while
            v = b / torch.matmul(K.t(), u)
            u = a / torch.matmul(K, v)
            err = (v * torch.matmul(K.t(), u) - b).abs().sum()
            it += 1
        return u


@case(
    category="T3",
    source="BobXWu/TopMost topmost/models/basic/NSTM/auto_diff_sinkhorn.py: `while err > stopThr and cpt < numItermax`",
)
def sinkhorn_while():
    return SinkhornWhile(), (seeded(4, 4, seed=10), torch.full((4,), 0.25), torch.full((4,), 0.25))


class GreedyDecoder(nn.Module):
    def __init__(self, vocab=5, hidden=6, eos=0, max_len=6):
        super().__init__()
        torch.manual_seed(3)
        self.emb = nn.Embedding(vocab, hidden)
        self.cell = nn.GRUCell(hidden, hidden)
        self.out = nn.Linear(hidden, vocab)
        self.eos = eos
        self.max_len = max_len

    def forward(self, h):
        tok = torch.ones(1, dtype=torch.long)
        outs = []
        for _ in range(self.max_len):
            h = self.cell(self.emb(tok), h)
            tok = self.out(h).argmax(-1)
            outs.append(tok)
            if (tok == self.eos).all():  # LOST: greedy_decode_eos
                break
        return torch.stack(outs)


@case(
    category="T3",
    source="greedy decoding that stops at EOS, as in the PyTorch chatbot tutorial's GreedySearchDecoder"
    " (pytorch/pytorch#18320 traced/scripted it)",
)
def greedy_decode_eos():
    return GreedyDecoder(), (seeded(1, 6, seed=11),)


class AdaptiveHalting(nn.Module):
    """Ponder until the accumulated halting probability reaches the threshold."""

    def __init__(self, dim=4, threshold=0.99, max_steps=10):
        super().__init__()
        torch.manual_seed(4)
        self.cell = nn.Linear(dim, dim)
        self.threshold = threshold
        self.max_steps = max_steps

    def forward(self, x):
        halting = torch.zeros(x.shape[0], 1)
        state = x
        steps = 0
        while bool((halting < self.threshold).any()) and steps < self.max_steps:  # LOST: adaptive_halting
            halting = halting + torch.sigmoid(state.sum(-1, keepdim=True))
            state = torch.tanh(self.cell(state))
            steps += 1
        return state


@case(
    category="T3",
    source="Adaptive Computation Time (Graves 2016) halting loop, e.g."
    " maxwells-daemons/pytorch-adaptive-computation-time and clam004/adaptive-computation-time",
)
def adaptive_halting():
    return AdaptiveHalting(), (seeded(2, 4, seed=12),)
