"""``return out, attn`` or ``return out`` depending on an ``output_attentions`` flag.

Hugging Face attention layers return a tuple whose length depends on ``output_attentions``; with
a plain bool attribute TorchScript types both returns and finds two different types. Declaring
the flag ``Final`` makes it a constant, so the branch not taken is never compiled.
pytorch/pytorch#50751 DynamicBehaviors; transformers' BertSelfAttention ``output_attentions``.
"""

import torch
from torch import Tensor, nn
from torch.jit import Final

CATEGORY = "dynamic_behaviour"
FIX_KIND = "annotate_types"
CONSTRUCT = "returns of different types chosen by a flag (output_attentions)"
CITE = "pytorch/pytorch#50751 (TSRootCause:DynamicBehaviors); transformers BertSelfAttention output_attentions tuples"


class Broken(nn.Module):
    def __init__(self):
        super().__init__()
        self.output_attentions = False

    def forward(self, scores: Tensor):
        attn = scores.softmax(-1)
        if self.output_attentions:
            return attn @ scores, attn
        return attn @ scores  # construct


class Fixed(nn.Module):
    output_attentions: Final[bool]

    def __init__(self):
        super().__init__()
        self.output_attentions = False

    def forward(self, scores: Tensor):
        attn = scores.softmax(-1)
        if self.output_attentions:
            return attn @ scores, attn
        return attn @ scores


def inputs():
    return (torch.arange(4.0).reshape(2, 2) / 4,)
