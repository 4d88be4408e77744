"""The TorchScript toolkit: see, check and ship TorchScript from notebook cells.

The public API, re-exported here and nowhere else. Importing ``toolkit`` imports torch but
none of the notebook packages (ipywidgets, anywidget, graphviz); those load on first use.

    >>> import toolkit
    >>> g = toolkit.graph(torch.jit.script(model))   # immutable IR
    >>> toolkit.show(g)                               # graph view
    >>> toolkit.code(scripted)                        # highlighted TorchScript
    >>> toolkit.compare(model, example_inputs)        # trace vs script, lost branches marked
"""

from toolkit.capture import Captured, TracerWarningRecord, script, trace
from toolkit.errors import (
    DeviceError,
    GraphLintError,
    MissingDependencyError,
    MissingExampleInputsError,
    NotTorchScriptError,
    PartitionError,
    PipelineError,
    ScriptingError,
    ToolkitError,
    TracingError,
)
from toolkit.ir import Graph, Node, NodeKind, graph, lint, to_text
from toolkit.render import code, compare, show, to_dot

__version__ = "0.1.0"

__all__ = [
    "Captured",
    "DeviceError",
    "Graph",
    "GraphLintError",
    "MissingDependencyError",
    "MissingExampleInputsError",
    "Node",
    "NodeKind",
    "NotTorchScriptError",
    "PartitionError",
    "PipelineError",
    "ScriptingError",
    "ToolkitError",
    "TracerWarningRecord",
    "TracingError",
    "code",
    "compare",
    "graph",
    "lint",
    "script",
    "show",
    "to_dot",
    "to_text",
    "trace",
]
