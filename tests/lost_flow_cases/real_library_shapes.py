"""Cases shaped like real library code that check_trace once got wrong (issue 10, item 5).

Each one stands for a pattern seen on torchvision, timm or transformers models: a decorated
``forward``; configuration flags and optional submodules tested in ``forward``; an
``is_tracing()`` branch that only logs; a buffer re-bound on each call; token ids with their
mask; a convolution that torch would also run on unbatched input. The look-alikes must draw no
proven finding; the diverging ones must be proven at their marked line.
"""

from typing import Optional

import torch
import torch.nn.functional as F
from torch import nn

from tests.lost_flow_cases import case, seeded
from tests.lost_flow_cases._library_decorators import returns_what_it_returns


class DecoratedGate(nn.Module):
    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.proj = nn.Linear(4, 4)

    @returns_what_it_returns
    def forward(self, x, scale: Optional[torch.Tensor] = None):
        """A docstring, so that a line number read in the wrong file lands on text."""
        h = self.proj(x)
        if h.sum() > 0:  # LOST: decorated_forward_branch
            h = h * 2
        return h


@case(
    category="T1",
    source="huggingface/transformers 5.x: every model's forward is wrapped (`@can_return_tuple`,"
    " `@auto_docstring` in utils/generic.py); findings must name the model's file, not the decorator's",
)
def decorated_forward_branch():
    return DecoratedGate(), (seeded(2, 4, seed=300, low=0.5, high=1.0),)


class BasicBlockNoNorm(nn.Module):
    def __init__(self, channels=4, downsample=False):
        super().__init__()
        torch.manual_seed(0)
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1)
        self.downsample = nn.Conv2d(channels, channels, 1) if downsample else None

    def forward(self, x):
        identity = x
        out = torch.relu(self.conv1(x))
        out = self.conv2(out)
        if self.downsample is not None:
            identity = self.downsample(x)
        return torch.relu(out + identity)


@case(
    category=None,
    resembles="T4",
    source="pytorch/vision models/resnet.py BasicBlock: `if self.downsample is not None:` (fixed when built);"
    " torch's convolution also accepts an unbatched input, which is not the block's own decision",
)
def downsample_none_block():
    return nn.Sequential(BasicBlockNoNorm(downsample=True), BasicBlockNoNorm()).eval(), (seeded(2, 4, 6, 6, seed=301),)


class InvertedResidual(nn.Module):
    def __init__(self, stride=1, channels=4):
        super().__init__()
        torch.manual_seed(0)
        self.use_res_connect = stride == 1
        self.has_skip = self.use_res_connect and True
        self.block = nn.Sequential(nn.Conv2d(channels, channels, 3, stride, 1), nn.BatchNorm2d(channels), nn.ReLU())

    def forward(self, x):
        if self.use_res_connect:
            return x + self.block(x)
        if self.has_skip:
            return x
        return self.block(x)


@case(
    category=None,
    resembles="T1",
    source="pytorch/vision models/mobilenetv2.py `if self.use_res_connect:`; timm `if self.has_skip:`"
    " (module attributes fixed at construction)",
)
def constant_flag_branch():
    return nn.Sequential(InvertedResidual(1), InvertedResidual(2)).eval(), (seeded(1, 4, 8, 8, seed=302),)


def _log_api_usage_once(obj):
    """Stands in for torchvision's usage logger."""
    return None


class LoggedWhenEager(nn.Module):
    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.proj = nn.Linear(4, 4)

    def forward(self, x):
        if not torch.jit.is_scripting() and not torch.jit.is_tracing():
            _log_api_usage_once(self)
        return self.proj(x)


@case(
    category=None,
    resembles="T12",
    source="pytorch/vision ops/stochastic_depth.py: `if not torch.jit.is_scripting() and not"
    " torch.jit.is_tracing(): _log_api_usage_once(...)` (only logs)",
)
def tracing_log_branch():
    return LoggedWhenEager(), (seeded(2, 4, seed=303),)


class RunningCentre(nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("centre", torch.zeros(4))

    def forward(self, x):
        out = x - self.centre
        self.centre = 0.5 * self.centre + 0.5 * x.mean(0)  # LOST: rebound_running_buffer
        return out


@case(
    category="T8",
    source="running statistics kept by re-binding a buffer (pytorch/pytorch#140539 shape): the first"
    " call agrees, every later call of the traced module reuses the first centre",
)
def rebound_running_buffer():
    return RunningCentre(), (seeded(3, 4, seed=304),)


class PaddedMaskPool(nn.Module):
    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.embed = nn.Embedding(10, 4)

    def forward(self, input_ids, attention_mask):
        h = self.embed(input_ids)
        missing = h.shape[1] - attention_mask.shape[1]
        if missing > 0:
            attention_mask = F.pad(attention_mask, (0, missing))
        return (h * attention_mask[..., None]).sum(1)


@case(
    category=None,
    resembles="T4",
    source="huggingface/transformers masking_utils: `padding_length = kv_length - attention_mask.shape[-1]`"
    " (ids and their mask always agree; only an impossible input makes them differ)",
)
def ids_with_mask():
    ids = torch.tensor([[1, 2, 3, 4, 5], [5, 4, 3, 2, 1]])
    return PaddedMaskPool(), (ids, torch.ones(2, 5))


class CacheFlagged(nn.Module):
    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.proj = nn.Linear(4, 4)

    def forward(self, x, use_cache: Optional[bool] = None, output_scale: Optional[float] = None):
        h = self.proj(x)
        if use_cache:
            h = h + 0.0
        return h


@case(
    category=None,
    resembles="T10",
    source="huggingface/transformers `use_cache: bool | None = None`: an optional argument that is not a tensor"
    " (and changes no result here)",
)
def non_tensor_optional():
    return CacheFlagged(), (seeded(2, 4, seed=305),)
