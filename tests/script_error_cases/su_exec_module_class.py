"""An ``nn.Module`` class defined by ``exec`` (a model class generated from a template).

Model zoos and search spaces sometimes generate classes from templates; the class is real but its
methods have no source file, and torch says "Can't get source for ... TorchScript requires source
access". Put the class in a file. root-project/root#6934 (the same message for code run with exec);
pytorch/pytorch#50751.
"""

import torch
from torch import Tensor, nn

TEMPLATE = (
    "class Generated(nn.Module):\n"
    "    def forward(self, x):\n"
    "        return x + 1.0\n"
)
_namespace = {"nn": nn, "__name__": __name__}
exec(TEMPLATE, _namespace)  # construct

CATEGORY = "source_unavailable"
FIX_KIND = "move_source_to_file"
CONSTRUCT = "an nn.Module class defined by exec() from a template"
CITE = "root-project/root#6934 (TorchScript code run with exec has no source); NAS/model-zoo code that generates classes"

Broken = _namespace["Generated"]


class Fixed(nn.Module):
    def forward(self, x: Tensor) -> Tensor:
        return x + 1.0


def inputs():
    return (torch.arange(3.0),)
