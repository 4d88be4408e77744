"""The TorchScript toolkit: see, check and ship TorchScript from notebook cells.

The public API, re-exported here and nowhere else. Importing ``toolkit`` imports torch but
none of the notebook packages (ipywidgets, anywidget, graphviz); those load on first use.

    >>> import toolkit
    >>> g = toolkit.graph(torch.jit.script(model))   # immutable IR
    >>> toolkit.show(g)                               # graph view
    >>> toolkit.code(scripted)                        # highlighted TorchScript
    >>> toolkit.compare(model, example_inputs)        # trace vs script, your lost branches first
    >>> toolkit.compare(hf_model, (ids,), strict=False, check_trace=False)  # trace options pass through
    >>> toolkit.compare(model, x, against="export")   # trace / script / torch.export side by side
    >>> toolkit.graph(torch.export.export(model, (x,)))  # the same IR from an ExportedProgram
    >>> toolkit.check_script(model)                   # every construct torch.jit.script refuses, explained
    >>> toolkit.check_trace(model, example_inputs)    # what tracing loses, proven, with the line
    >>> pipe = toolkit.pipeline.trace(fn, x)          # Matx-style InferenceOp pipeline
    >>> part = toolkit.partition.trace(model, x)      # torch-neuron-style trace: CUDA + CPU fallback
"""

from toolkit.analysis.lost_flow.check import CheckOptions, Finding, TraceReport, check_trace
from toolkit.analysis.script_errors.check import ScriptReport, check_script
from toolkit.capture import Captured, TracerWarningRecord, script, trace
from toolkit.errors import (
    CheckOptionsError,
    DeviceError,
    ExportError,
    FallbackError,
    GraphLintError,
    MissingDependencyError,
    MissingExampleInputsError,
    NotebookStateError,
    NotTorchScriptError,
    PartitionError,
    PipelineError,
    ScriptingError,
    ToolkitError,
    TracingError,
    ViewOptionError,
    WidgetSelectionError,
)
from toolkit.frames import library_code
from toolkit.ir import Graph, Node, NodeKind, graph, lint, to_text
from toolkit.render import code, to_dot
from toolkit.views import compare, show
from toolkit import partition, pipeline
from toolkit.pipeline import InferenceOp, Pipeline

__version__ = "0.1.0"

__all__ = [
    "Captured",
    "CheckOptions",
    "DeviceError",
    "ExportError",
    "FallbackError",
    "Finding",
    "Graph",
    "GraphLintError",
    "InferenceOp",
    "MissingDependencyError",
    "MissingExampleInputsError",
    "Node",
    "NodeKind",
    "NotebookStateError",
    "NotTorchScriptError",
    "PartitionError",
    "Pipeline",
    "PipelineError",
    "ScriptReport",
    "ScriptingError",
    "ToolkitError",
    "TraceReport",
    "TracerWarningRecord",
    "TracingError",
    "CheckOptionsError",
    "ViewOptionError",
    "WidgetSelectionError",
    "code",
    "check_script",
    "check_trace",
    "compare",
    "graph",
    "library_code",
    "lint",
    "load_ipython_extension",
    "partition",
    "pipeline",
    "script",
    "show",
    "to_dot",
    "to_text",
    "trace",
]


def load_ipython_extension(ipython):
    """``%load_ext toolkit``: registers the ``%check_trace`` and ``%check_script`` line magics (nothing at import time)."""
    from toolkit.magics import load_ipython_extension as register_magics

    register_magics(ipython)
