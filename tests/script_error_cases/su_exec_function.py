"""A function created with ``exec`` from a string (code generation, notebook magics).

Generated code (templated kernels, configuration-driven activations, code built in a notebook with
``exec``) has no file behind it, so TorchScript cannot read the source; without a module name in
the exec globals torch's message is about a qualified *class* name instead. Write the function in a
.py file (or a notebook cell) and import it. kubeflow/pipelines#4849 (components run through exec cannot be scripted);
torch/_sources.py needs inspect.getsource.
"""

import torch
from torch import Tensor

SOURCE = "def double(x):\n    return x * 2.0\n"
_generated: dict = {}
exec(SOURCE, _generated)  # construct

CATEGORY = "source_unavailable"
FIX_KIND = "move_source_to_file"
CONSTRUCT = "a function defined by exec() from a string"
CITE = "kubeflow/pipelines#4849 (exec-run code cannot be scripted); torch/_sources.py get_source_lines_and_file"

Broken = _generated["double"]


def double(x: Tensor) -> Tensor:
    return x * 2.0


Fixed = double


def inputs():
    return (torch.arange(3.0),)
