"""IPython line magics: ``%check_trace model, x`` in a notebook cell.

Registered by ``%load_ext toolkit`` (see :func:`toolkit.load_ipython_extension`), never at
import time. The magic evaluates the rest of the line in the user's namespace as the arguments
of a call: the first expression is the model, the other positional ones the example inputs, and
keywords go to :func:`toolkit.check_trace`.
"""

from __future__ import annotations

from typing import Any

from toolkit.analysis.lost_flow.check import TraceReport, check_trace
from toolkit.errors import MissingExampleInputsError

__all__ = ["load_ipython_extension"]


def load_ipython_extension(ipython: Any) -> None:
    """Register ``%check_trace`` with ``ipython``.

    Usage: ``%check_trace model, x`` or ``%check_trace model, x, h, budget_s=10``.
    """

    def check_trace_magic(line: str) -> TraceReport:
        namespace = dict(ipython.user_ns)
        namespace["__toolkit_check_trace_call__"] = _check_trace_call
        return eval(f"__toolkit_check_trace_call__({line})", namespace)  # noqa: S307 - the user's own line

    ipython.register_magic_function(check_trace_magic, magic_kind="line", magic_name="check_trace")


def _check_trace_call(model: Any, *inputs: Any, **kwargs: Any) -> TraceReport:
    if not inputs:
        raise MissingExampleInputsError(
            "%check_trace needs the model and its example inputs. Fix: %check_trace model, x"
            " (or %check_trace model, x, h for several arguments)."
        )
    example = inputs[0] if len(inputs) == 1 else tuple(inputs)
    return check_trace(model, example, **kwargs)
