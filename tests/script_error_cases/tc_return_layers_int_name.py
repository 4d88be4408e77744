"""Output names that are ints in a dict the compiled code fills with str keys.

DETR's backbone passed ``return_layers={'layer4': 0}`` to torchvision's IntermediateLayerGetter,
whose forward writes ``out[out_name] = x`` into a ``Dict[str, Tensor]``; fmassa's fix in
facebookresearch/detr#51 changed it to ``"0"`` and notes the error was "pretty cryptic". The type of
the attribute is inferred from the data, so the mismatch shows at the assignment.
TypeChecking, pytorch/pytorch#50751.
"""

from typing import Dict

import torch
from torch import Tensor, nn

CATEGORY = "type_checking"
FIX_KIND = "rewrite_construct"
CONSTRUCT = "an int key stored into a Dict[str, Tensor]"
CITE = "facebookresearch/detr#51 (return_layers {'layer4': 0} -> '0'); torchvision/models/_utils.py IntermediateLayerGetter"


class Broken(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.ModuleDict({"stem": nn.Identity(), "layer4": nn.ReLU()})
        self.return_layers = {"layer4": 0}

    def forward(self, x: Tensor) -> Tensor:
        out: Dict[str, Tensor] = {}
        for name, module in self.body.items():
            x = module(x)
            if name in self.return_layers:
                out[self.return_layers[name]] = x  # construct
        return torch.stack(list(out.values())).sum(0)


class Fixed(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.ModuleDict({"stem": nn.Identity(), "layer4": nn.ReLU()})
        self.return_layers = {"layer4": "0"}

    def forward(self, x: Tensor) -> Tensor:
        out: Dict[str, Tensor] = {}
        for name, module in self.body.items():
            x = module(x)
            if name in self.return_layers:
                out[self.return_layers[name]] = x
        return torch.stack(list(out.values())).sum(0)


def inputs():
    return (torch.tensor([-1.0, 2.0]),)
