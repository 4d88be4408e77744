"""What ``torch.jit.trace`` loses, proven: the ``check_trace`` analysis.

One concept: a trace records the path the example took, and this package finds the behaviour
that path leaves out. ``check`` runs the steps and builds the :class:`TraceReport`; ``lint``
reads the source, ``escapes`` records tensor -> Python escapes during an instrumented trace,
``variants`` and ``boundary`` generate the inputs that prove a loss, ``localise`` names the
line, and ``findings`` holds the result types. The report's text and HTML live in
:mod:`toolkit.render.report`.
"""

from toolkit.analysis.lost_flow.check import CheckOptions, TraceReport, check_trace
from toolkit.analysis.lost_flow.findings import Finding

__all__ = ["CheckOptions", "Finding", "TraceReport", "check_trace"]
