"""IPython line magics: ``%check_trace model, x`` and ``%check_script model`` in a notebook cell.

Registered by ``%load_ext toolkit`` (see :func:`toolkit.load_ipython_extension`), never at
import time. The magic evaluates the rest of the line in the user's namespace as the arguments
of a call: the first expression is the model, the other positional ones the example inputs, and
keywords go to :func:`toolkit.check_trace`. ``%check_script`` takes the model alone (keywords go
to :func:`toolkit.check_script`).
"""

from __future__ import annotations

from typing import Any

from toolkit.analysis.lost_flow.check import TraceReport, check_trace
from toolkit.analysis.script_errors.check import ScriptReport, check_script
from toolkit.errors import MissingExampleInputsError, NotTorchScriptError

__all__ = ["load_ipython_extension"]


def load_ipython_extension(ipython: Any) -> None:
    """Register ``%check_trace`` and ``%check_script`` with ``ipython``.

    Usage: ``%check_trace model, x`` or ``%check_trace model, x, h, budget_s=10``; ``%check_script model``.
    """

    def check_trace_magic(line: str) -> TraceReport:
        namespace = dict(ipython.user_ns)
        namespace["__toolkit_check_trace_call__"] = _check_trace_call
        return eval(f"__toolkit_check_trace_call__({line})", namespace)  # noqa: S307 - the user's own line

    ipython.register_magic_function(check_trace_magic, magic_kind="line", magic_name="check_trace")

    def check_script_magic(line: str) -> ScriptReport:
        namespace = dict(ipython.user_ns)
        namespace["__toolkit_check_script_call__"] = _check_script_call
        return eval(f"__toolkit_check_script_call__({line})", namespace)  # noqa: S307 - the user's own line

    ipython.register_magic_function(check_script_magic, magic_kind="line", magic_name="check_script")


def _check_trace_call(model: Any, *inputs: Any, **kwargs: Any) -> TraceReport:
    if not inputs:
        raise MissingExampleInputsError(
            "%check_trace needs the model and its example inputs. Fix: %check_trace model, x"
            " (or %check_trace model, x, h for several arguments)."
        )
    example = inputs[0] if len(inputs) == 1 else tuple(inputs)
    return check_trace(model, example, **kwargs)


def _check_script_call(*models: Any, **kwargs: Any) -> ScriptReport:
    if len(models) != 1:
        raise NotTorchScriptError(
            f"%check_script needs one model: %check_script model (got {len(models)} positional arguments)."
            " Fix: name the module, the function or the class to check, e.g. %check_script net."
        )
    return check_script(models[0], **kwargs)
