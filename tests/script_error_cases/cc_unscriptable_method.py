"""A helper class with a ``to_dict`` method TorchScript cannot compile (``vars(self)``).

TorchScript compiles every method of a class it meets, not only the ones ``forward`` calls; a
settings or box-list class with a convenience ``to_dict`` built on ``vars(self)`` (a pattern of
config and structure classes such as detectron2's ``Instances.get_fields``) makes the whole class
invalid. Mark the Python-only method ``@torch.jit.unused``. pytorch/pytorch#50751
InvalidCustomClass; pytorch/pytorch#53244 ("all methods must be valid TorchScript functions").
"""

import torch
from torch import Tensor, nn


class Boxes:
    def __init__(self, data: Tensor):
        self.data = data

    def area(self) -> Tensor:
        return (self.data[:, 2] - self.data[:, 0]) * (self.data[:, 3] - self.data[:, 1])

    def to_dict(self):
        return dict(vars(self))  # construct


class BoxesFixed:
    def __init__(self, data: Tensor):
        self.data = data

    def area(self) -> Tensor:
        return (self.data[:, 2] - self.data[:, 0]) * (self.data[:, 3] - self.data[:, 1])

    @torch.jit.unused
    def to_dict(self):
        return dict(vars(self))


CATEGORY = "invalid_custom_class"
FIX_KIND = "fix_custom_class"
CONSTRUCT = "a class method that is not valid TorchScript (vars(self))"
CITE = "pytorch/pytorch#53244 (every method of a TorchScript class is compiled); detectron2 Instances.get_fields; pytorch/pytorch#50751"


class Broken(nn.Module):
    def forward(self, boxes: Tensor) -> Tensor:
        return Boxes(boxes).area()


class Fixed(nn.Module):
    def forward(self, boxes: Tensor) -> Tensor:
        return BoxesFixed(boxes).area()


def inputs():
    return (torch.tensor([[0.0, 0.0, 2.0, 3.0], [1.0, 1.0, 2.0, 2.0]]),)
