"""Graphs the widget tests need that the model zoo does not have.

- :class:`EvilNames`: a real module whose submodule and buffer names are HTML and quotes, so
  the tests can check that nothing a user names can run in the page.
- :class:`LibraryCalls`: a module whose scripted graph holds library control flow (folded).
- :func:`wide_graph` / :func:`flat_graph`: IR graphs of any size (20,000 nodes in well under a
  second), built directly from the IR dataclasses since tracing that much would take minutes.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from toolkit.ir.model import Block, Graph, Node, NodeKind, Origin, Scope, SourceLocation, Value

# Module names cannot contain dots, hence window['__pwned'].
SCRIPT_NAME = "<script>window['__pwned'] = 1</script>"
IMG_NAME = "\"'><img src=x onerror=\"window['__pwned'] = 2\">"


class EvilNames(nn.Module):
    """A submodule called ``<script>…`` and a buffer whose name breaks out of HTML attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.add_module(SCRIPT_NAME, nn.Linear(4, 4))
        self.register_buffer(IMG_NAME, torch.ones(4))

    def forward(self, x):
        return getattr(self, SCRIPT_NAME)(x) * getattr(self, IMG_NAME)


def traced_evil_names():
    return torch.jit.trace(EvilNames().eval(), torch.rand(2, 4))


def _tensor(name: str) -> Value:
    return Value(name=name, debug_name=name, type="Tensor", dtype="float32", shape=(1, 8))


def wide_graph(modules: int, ops_per_module: int, *, name: str = "Wide") -> Graph:
    """``modules`` sibling submodules ``block0`` … , each a chain of ``ops_per_module`` ops."""
    nodes = []
    current = "x"
    ops = ("aten::linear", "aten::relu", "aten::add", "aten::mul")
    for m in range(modules):
        scope = Scope(path=(f"block{m}",), types=(name, "Block"))
        for k in range(ops_per_module):
            index = len(nodes)
            out = f"v{index}"
            op = ops[k % len(ops)]
            nodes.append(
                Node(
                    id=f"n{index}",
                    kind=NodeKind.OP,
                    op=op,
                    inputs=(current,),
                    outputs=(_tensor(out),),
                    scope=scope,
                    source=SourceLocation(file="synthetic.py", line=10 + k % 7, text=None),
                )
            )
            current = out
    top = Block(id="top", inputs=(_tensor("x"),), nodes=tuple(nodes), outputs=(current,))
    return Graph(name=f"{name}.forward", origin=Origin.TRACED, inlined=True, top=top, module_type=name)


def flat_graph(count: int, *, name: str = "Flat") -> Graph:
    """One chain of ``count`` ops with no submodules at all (nothing to collapse)."""
    nodes = []
    current = "x"
    for index in range(count):
        out = f"v{index}"
        nodes.append(Node(id=f"n{index}", kind=NodeKind.OP, op="aten::relu", inputs=(current,), outputs=(_tensor(out),)))
        current = out
    top = Block(id="top", inputs=(_tensor("x"),), nodes=tuple(nodes), outputs=(current,))
    return Graph(name=f"{name}.forward", origin=Origin.RAW_GRAPH, inlined=False, top=top)


class LibraryCalls(nn.Module):
    """Calls into ``torch.nn.functional`` whose own ``if`` statements script into the graph.

    Scripted, ``F.relu``, ``F.dropout`` and ``F.gelu`` bring the library's control flow with
    them (``if inplace:``, ``if training:``): the widget folds it into one library box until
    the student turns the internals on.
    """

    def __init__(self) -> None:
        super().__init__()
        self.lin = nn.Linear(4, 4)

    def forward(self, x):
        y = F.relu(self.lin(x))
        return F.dropout(y, 0.1, self.training) + F.gelu(y)
