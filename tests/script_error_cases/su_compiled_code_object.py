"""A function built from a code object compiled with a fake file name (``compile(..., "<cell>")``).

REPLs and notebook front ends compile each cell under a pseudo file name; a function made that way
has a ``__code__`` but no readable file, and torch's message ("could not get source code") comes
from ``inspect``. Move it into a real file. pytorch/tutorials#1284 ("could not get source code" when the tutorial is
run line by line in a REPL); torch/_sources.py.
"""

import types

import torch
from torch import Tensor

_code = compile("def shift(x):\n    return x - 1.0\n", "<cell>", "exec")
_scope: dict = {"__name__": __name__}
exec(_code, _scope)
Broken = types.FunctionType(_scope["shift"].__code__, _scope, "shift")  # construct

CATEGORY = "source_unavailable"
FIX_KIND = "move_source_to_file"
CONSTRUCT = "a function whose code was compiled from a string under a pseudo file name"
CITE = "pytorch/tutorials#1284 (OSError: could not get source code in a REPL); torch/_sources.py"


def shift(x: Tensor) -> Tensor:
    return x - 1.0


Fixed = shift


def inputs():
    return (torch.arange(3.0),)
