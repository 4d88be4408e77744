"""A ``collections.namedtuple`` output with an ``int`` field.

Untyped namedtuple fields get TorchScript's default type, Tensor ("Inferred 'count' to be of
type 'Tensor' because it was not annotated"), so returning a count in one is refused;
``typing.NamedTuple`` with annotations declares the real types. torchvision detection models
moved their outputs to typed containers; pytorch/pytorch#50751 DefaultTypes.
"""

import collections
from typing import NamedTuple

import torch
from torch import Tensor, nn

Detections = collections.namedtuple("Detections", ["boxes", "count"])


class DetectionsFixed(NamedTuple):
    boxes: Tensor
    count: int


CATEGORY = "default_types"
FIX_KIND = "annotate_types"
CONSTRUCT = "an untyped collections.namedtuple holding an int"
CITE = "pytorch/pytorch#50751 (TSRootCause:DefaultTypes); torchvision detection outputs use typed containers"


class Broken(nn.Module):
    def forward(self, boxes: Tensor):
        return Detections(boxes, boxes.size(0))  # construct


class Fixed(nn.Module):
    def forward(self, boxes: Tensor) -> DetectionsFixed:
        return DetectionsFixed(boxes, boxes.size(0))


def inputs():
    return (torch.arange(8.0).reshape(2, 4),)
