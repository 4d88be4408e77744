"""A layer that stands in for library code (a test marks this file as a library with
``toolkit.frames.library_code``): it branches on a tensor value inside its own forward."""

from torch import nn


class ClampIfNegative(nn.Module):
    def forward(self, x):
        if x.sum() < 0:
            return x.clamp(min=0)
        return x
