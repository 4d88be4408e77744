"""T10: arguments the example left out are specialised away by the trace."""

import torch
from torch import nn

from tests.lost_flow_cases import case, seeded


class MaskedAttentionScores(nn.Module):
    def forward(self, query, key, attention_mask=None):
        scores = query @ key.transpose(-1, -2)
        if attention_mask is not None:  # LOST: attention_mask_none
            scores = scores + (1.0 - attention_mask[:, None, :]) * -1e4
        return scores.softmax(-1)


@case(
    category="T10",
    source="pytorch/pytorch PR #81623 (tracing forward(key1=None, ...) with only part of the arguments);"
    " transformers attention `if attention_mask is not None`",
)
def attention_mask_none():
    return MaskedAttentionScores(), (seeded(2, 3, 4, seed=80), seeded(2, 3, 4, seed=81))


class TinyRNN(nn.Module):
    def __init__(self, n=3):
        super().__init__()
        torch.manual_seed(0)
        self.cell = nn.RNNCell(n, n)
        self.n = n

    def forward(self, x, hx=None):
        if hx is None:  # LOST: rnn_hx_none
            hx = x.new_zeros(x.size(0), self.n)
        return self.cell(x, hx)


@case(
    category="T10",
    source="torch.nn.RNNBase.forward: `if hx is None:` creates a zero state (torch/nn/modules/rnn.py);"
    " a trace without hx cannot take one",
)
def rnn_hx_none():
    return TinyRNN(), (seeded(2, 3, seed=82),)


class ActorCritic(nn.Module):
    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.actor = nn.Linear(3, 2)
        self.critic = nn.Linear(3, 1)

    def forward(self, x, with_value: bool = False):
        action = self.actor(x)
        if with_value:  # LOST: actor_critic_flag
            return action, self.critic(x)
        return action, torch.zeros(x.size(0), 1)


@case(category="T10", source="pytorch/pytorch#18850: actor-critic forward(x, test_mode: bool) traced with one flag value")
def actor_critic_flag():
    return ActorCritic(), (seeded(2, 3, seed=83),)
