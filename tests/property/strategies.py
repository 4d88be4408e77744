"""Random small modules for the property tests: Linear/Conv/ReLU stacks, config branches on
constant attributes, loops over a ModuleList, and submodule/parameter names drawn from a hostile
alphabet (markup, quotes, entities, keywords, unicode).

Why: issue 11 found escaping and code-generation bugs only for names nobody had tried; drawing
names and shapes at random tries the ones nobody thought of.
"""

from __future__ import annotations

import keyword
import os

import torch
from hypothesis import settings
from hypothesis import strategies as st
from torch import nn

LONG = os.environ.get("TOOLKIT_FUZZ") == "long"
settings.register_profile("bounded", max_examples=6, deadline=None, derandomize=True, print_blob=True)
settings.register_profile("long", max_examples=int(os.environ.get("TOOLKIT_FUZZ_EXAMPLES", "150")), deadline=None, print_blob=True)
PROFILE = "long" if LONG else "bounded"

HOSTILE_NAMES = [
    "&;", "&x;", "&nbsp;", "&#0;", "&#x110000;", "<script>", '"', "'", '" onclick="x', "javascript:x",
    "\\", "{}", "a\nb", "__import__", "class", "def", "None", "ünïcødé", "名前", "x" * 300, "1abc", "a b", "a.b",
]
_NAME_CHARS = st.characters(blacklist_categories=("Cs",), blacklist_characters=".\x00")


def _clean(name: str) -> str:
    return name.replace(".", "_").replace("\x00", "_") or "_"


names = st.one_of(st.sampled_from([n for n in HOSTILE_NAMES]), st.text(_NAME_CHARS, min_size=1, max_size=12), st.sampled_from(keyword.kwlist)).map(_clean)


class Stack(nn.Module):
    """A Linear/ReLU stack with hostile-named submodules, an optional constant-attribute branch,
    and an optional loop over a ModuleList of Linear layers."""

    def __init__(self, width: int, layer_names: list[str], *, branch: bool, flag: bool, loop: int) -> None:
        super().__init__()
        self.width = width
        self.layers = nn.ModuleDict({n: nn.Linear(width, width) for n in layer_names})
        self.repeat = nn.ModuleList([nn.Linear(width, width) for _ in range(loop)])
        self.branch = branch
        self.flag = flag
        self.act = nn.ReLU()

    def forward(self, x):
        for layer in self.layers.values():
            x = self.act(layer(x))
        for layer in self.repeat:
            x = layer(x)
        if self.branch:
            if self.flag:
                x = x * 2.0
            else:
                x = x - 1.0
        return x


class ConvStack(nn.Module):
    """Conv2d/ReLU layers, channel counts drawn, then a flatten and a Linear head."""

    def __init__(self, channels: list[int], size: int) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        for c_in, c_out in zip(channels, channels[1:]):
            layers += [nn.Conv2d(c_in, c_out, 3, padding=1), nn.ReLU()]
        self.features = nn.Sequential(*layers)
        self.head = nn.Linear(channels[-1] * size * size, 3)

    def forward(self, x):
        return self.head(torch.flatten(self.features(x), 1))


identifiers = st.from_regex(r"\A[a-z_][a-z0-9_]{0,10}\Z").filter(lambda n: not keyword.iskeyword(n) and n not in ("None", "True", "False"))
"""Names torch.jit.save/load itself round-trips (its archive re-parses names as Python identifiers)."""


@st.composite
def models(draw, layer_name=names) -> tuple[nn.Module, tuple[torch.Tensor, ...]]:
    """A random small module and example inputs for it (seeded: a failure replays)."""
    torch.manual_seed(draw(st.integers(0, 2**16)))
    if draw(st.booleans()):
        width = draw(st.integers(1, 6))
        layer_names = draw(st.lists(layer_name, min_size=1, max_size=3, unique=True))
        model = Stack(width, layer_names, branch=draw(st.booleans()), flag=draw(st.booleans()), loop=draw(st.integers(0, 2)))
        return model.eval(), (torch.randn(draw(st.integers(1, 3)), width),)
    channels = draw(st.lists(st.integers(1, 3), min_size=2, max_size=3))
    size = draw(st.integers(2, 4))
    return ConvStack(channels, size).eval(), (torch.randn(1, channels[0], size, size),)
