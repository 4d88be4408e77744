"""Accelerator trace with CPU fallback: torch-neuron's ``trace`` API, on CUDA and the CPU.

``trace(model, example_inputs, ...)`` traces the model, proposes segments
(:mod:`toolkit.analysis.partition`), generates one TorchScript module per segment, compiles the
accelerator segments, and returns a ScriptModule that ``torch.jit.save``/``load`` round-trip
with no import. ``analyze_model`` explains the same decisions without compiling, and
``plan_of(module)`` returns the plan of a partitioned module (also after loading it).

``trace`` logs what it compiled and what falls back on the ``"toolkit.partition"`` logger (shown
by default in a notebook kernel only; the rule is in :mod:`toolkit.partition.logs`), accepts
neuron-cc's ``compiler_args`` with a note (:mod:`toolkit.partition.compiler_args`), and raises
``toolkit.errors.FallbackError`` (also an ``AttributeError``) for ``fallback=False``.

Imports torch only (no jupyter, widgets or graphviz): it runs on the GPU machines as is.
"""

from toolkit.analysis.partition.support import (
    NodeInfo,
    Reason,
    allow_ops,
    chain,
    exclude_modules,
    exclude_ops,
    profile,
)
from toolkit.partition.api import PartitionOptions, analyze_model, plan_of, trace
from toolkit.partition.backends import CompilerOptions, CompileTimeout
from toolkit.partition.diagnostics import PartitionWarning
from toolkit.analysis.partition.plan import BatchReport, NodePlacement, PartitionPlan

__all__ = [
    "trace",
    "analyze_model",
    "plan_of",
    "PartitionPlan",
    "NodePlacement",
    "BatchReport",
    "PartitionOptions",
    "CompilerOptions",
    "CompileTimeout",
    "PartitionWarning",
    "NodeInfo",
    "Reason",
    "allow_ops",
    "exclude_ops",
    "exclude_modules",
    "chain",
    "profile",
]
