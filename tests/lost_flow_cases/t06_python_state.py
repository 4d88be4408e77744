"""T6: Python RNG draws and Python attributes read or written in forward."""

import random

import numpy as np
import torch
from torch import nn

from tests.lost_flow_cases import case, seeded


class AdapterLayerDrop(nn.Module):
    def __init__(self, dim=4, layers=2, layerdrop=0.5):
        super().__init__()
        torch.manual_seed(0)
        self.layers = nn.ModuleList(nn.Linear(dim, dim) for _ in range(layers))
        self.layerdrop = layerdrop

    def forward(self, hidden_states):
        for layer in self.layers:
            layerdrop_prob = np.random.random()  # LOST: adapter_layerdrop
            if not self.training or layerdrop_prob > self.layerdrop:  # LOST: adapter_layerdrop
                hidden_states = layer(hidden_states)
        return hidden_states


@case(
    category="T6",
    source="huggingface/transformers Wav2Vec2Adapter: `layerdrop_prob = np.random.random()` in forward"
    " (models/wav2vec2/modeling_wav2vec2.py)",
)
def adapter_layerdrop():
    return AdapterLayerDrop().train(), (seeded(2, 4, seed=40),)


class RandomFlip(nn.Module):
    def __init__(self, p=0.5):
        super().__init__()
        self.p = p

    def forward(self, x):
        if random.random() < self.p:  # LOST: python_random_flip
            x = x.flip(-1)
        return x


@case(
    category="T6",
    source="augmentation decided with Python `random` in forward; kornia/kornia#477 (jit.trace of"
    " RandomResizedCrop) and pytorch/pytorch#25803 (`random` module in TorchScript)",
)
def python_random_flip():
    return RandomFlip(), (seeded(2, 5, seed=41),)


class RotaryCache(nn.Module):
    def __init__(self, dim=4, max_positions=4):
        super().__init__()
        self.dim = dim
        self.inv_freq = 1.0 / (10000 ** (torch.arange(0, dim, 2).float() / dim))
        self._set_cache(max_positions)

    def _set_cache(self, seq_len):
        self.max_seq_len_cached = seq_len
        t = torch.arange(seq_len, dtype=torch.float32)
        freqs = torch.outer(t, self.inv_freq)
        self.cos_cached = torch.cat([freqs, freqs], -1).cos()

    def forward(self, x):
        seq_len = x.shape[1]
        if seq_len > self.max_seq_len_cached:  # LOST: rotary_cache
            self._set_cache(seq_len)
        return x * self.cos_cached[:seq_len]


@case(
    category="T6",
    source="rotary embedding cos/sin cache grown in forward (`if seq_len > self.max_seq_len_cached`), e.g."
    " volcengine/verl Qwen2RotaryEmbedding quoted in NVIDIA/Megatron-LM#1646; EleutherAI/gpt-neox PR #241",
)
def rotary_cache():
    return RotaryCache(), (seeded(2, 3, 4, seed=42),)


class CallCounter(nn.Module):
    def __init__(self, warmup=4):
        super().__init__()
        self.warmup = warmup
        self.num_calls = 0

    def forward(self, x):
        self.num_calls += 1  # LOST: warmup_counter
        ramp = min(1.0, self.num_calls / self.warmup)
        return x * ramp


@case(
    category="T6",
    source="a Python step counter driving a warm-up ramp inside forward (the EMA/warm-up `num_updates` idiom);"
    " pytorch/pytorch#140539 shows module state updated in forward and lost by the trace",
)
def warmup_counter():
    return CallCounter(), (seeded(2, 3, seed=43),)
