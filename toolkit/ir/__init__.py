"""A pure-Python, immutable model of TorchScript graphs and exported programs (see :mod:`toolkit.ir.model`)."""

from toolkit.ir.build import graph
from toolkit.ir.lint import lint
from toolkit.ir.model import (
    Block,
    Graph,
    Node,
    NodeKind,
    Origin,
    Scope,
    SourceLocation,
    Value,
)
from toolkit.ir.text import to_text

__all__ = [
    "Block",
    "Graph",
    "Node",
    "NodeKind",
    "Origin",
    "Scope",
    "SourceLocation",
    "Value",
    "graph",
    "lint",
    "to_text",
]
