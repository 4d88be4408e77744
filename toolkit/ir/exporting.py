"""Run ``torch.export`` on a model, and when it refuses, say why in a student's words.

Why here: torch.export's refusals are long (a guard on ``Eq(u0, 1)``, a page of advice and a
framework stack). A student porting a TorchScript model needs three facts: which line of theirs,
what export cannot do there, and what to write instead (``torch.cond``, a ``Dim`` range,
``strict=False``). This module gets those facts from torch's own tools rather than guessing:
the exception's type and its innermost user frame, and ``torch.export.draft_export``'s report,
which lists every problem the export would meet, each with the user's stack.

Torch prints part of its advice to the process's logs as it fails; the export runs with that
output held back, so a notebook cell shows only the explanation.
"""

from __future__ import annotations

import contextlib
import io
import linecache
import logging
import re
from dataclasses import dataclass
from typing import Any, Iterator, Mapping

import torch

from toolkit.errors import ExportError
from toolkit.frames import innermost_user_frame, is_library_path

__all__ = ["ExportFailure", "explain_export_failure", "export_program", "try_export"]

_CALL_FRAME = re.compile(r'File "(?P<file>[^"]+)", line (?P<line>\d+), in ')


@dataclass(frozen=True)
class ExportFailure:
    """Why torch.export refused a model, for a student.

    Attributes:
        model: the class name of the model.
        construct: what export met, in words (``a Python `if` on a tensor's value``).
        file, line, source_line: the user's line that holds it (``None`` when torch named none).
        reason: why export refuses it.
        fix: what to write instead, in export terms.
        torch_message: the first line of torch's own message.
        draft_findings: the problems ``torch.export.draft_export`` reports, one line each.
    """

    model: str
    construct: str
    file: str | None
    line: int | None
    source_line: str | None
    reason: str
    fix: str
    torch_message: str
    draft_findings: tuple[str, ...] = ()

    @property
    def where(self) -> str:
        """``models.py:33 `if x.sum() > 0:``` or ``""``."""
        if self.file is None or self.line is None:
            return ""
        base = self.file.replace("\\", "/").rsplit("/", 1)[-1]
        return f"{base}:{self.line}" + (f" `{self.source_line}`" if self.source_line else "")

    def message(self) -> str:
        """The whole explanation: our words first, torch's first line last."""
        at = f" at {self.where}" if self.where else ""
        text = (
            f"torch.export cannot export {self.model}: {self.construct}{at}. {self.reason}"
            f" Fix: {self.fix} (torch says: {self.torch_message})"
        )
        if self.draft_findings:
            text += " draft_export found: " + "; ".join(self.draft_findings) + "."
        return text


def export_program(
    model: Any, example_inputs: Any, *, strict: bool = False, dynamic_shapes: Any = None, draft: bool = True
) -> torch.export.ExportedProgram:
    """``torch.export.export(model, example_inputs)``, its refusal explained.

    Args:
        model: an eager ``nn.Module``.
        example_inputs: one input or a tuple of positional inputs.
        strict: export's own ``strict`` flag (the default, ``False``, runs the model as Python).
        dynamic_shapes: export's ``dynamic_shapes`` (``Dim`` per input dimension).
        draft: on a refusal, also run ``torch.export.draft_export`` for its list of problems.

    Raises:
        ExportError: export refused; the message names the line, the cause and the fix.
    """
    result = try_export(model, example_inputs, strict=strict, dynamic_shapes=dynamic_shapes, draft=draft)
    if isinstance(result, ExportFailure):
        raise ExportError(result.message())
    return result


def try_export(
    model: Any,
    example_inputs: Any,
    *,
    kwargs: Mapping[str, Any] | None = None,
    strict: bool = False,
    dynamic_shapes: Any = None,
    draft: bool = True,
) -> torch.export.ExportedProgram | ExportFailure:
    """The exported program, or the :class:`ExportFailure` that explains why there is none.

    Takes :func:`export_program`'s arguments, and ``kwargs``: keyword inputs of ``forward``.
    """
    inputs = example_inputs if isinstance(example_inputs, tuple) else (example_inputs,)
    if isinstance(model, (torch.jit.ScriptModule, torch.jit.ScriptFunction)):
        return ExportFailure(
            model=_name_of(model),
            construct="a TorchScript module",
            file=None,
            line=None,
            source_line=None,
            reason="torch.export reads Python code and cannot read a compiled ScriptModule.",
            fix="export the eager nn.Module the script was made from.",
            torch_message="(not attempted)",
        )
    try:
        with _quiet():
            return torch.export.export(
                model, inputs, kwargs=dict(kwargs) if kwargs else None, dynamic_shapes=dynamic_shapes, strict=strict
            )
    except Exception as exc:  # torch raises many types here; each is explained below
        return explain_export_failure(exc, model, inputs, draft=draft)


def explain_export_failure(exc: BaseException, model: Any, inputs: tuple, *, draft: bool = True) -> ExportFailure:
    """The :class:`ExportFailure` for ``exc``, raised by ``torch.export.export(model, inputs)``."""
    message = str(exc)
    file, line = _user_line(exc, message)
    source_line = linecache.getline(file, line).strip() or None if file and line else None
    construct, reason, fix = _classify(type(exc).__name__, message, source_line or "")
    findings = _draft_findings(model, inputs) if draft else ()
    first = next((text.strip() for text in message.splitlines() if text.strip()), type(exc).__name__)
    return ExportFailure(
        model=_name_of(model),
        construct=construct,
        file=file,
        line=line,
        source_line=source_line,
        reason=reason,
        fix=fix,
        torch_message=f"{type(exc).__name__}: {first}",
        draft_findings=findings,
    )


def _classify(type_name: str, message: str, source_line: str) -> tuple[str, str, str]:
    """(construct, reason, fix) from the exception's type, its message and the user's line."""
    lowered = message.lower()
    if "aliasing" in lowered:
        return (
            "a torch.cond branch that returns its input itself",
            "The branches of torch.cond must return new tensors, not alias their operands.",
            "return x.clone() instead of x in that branch.",
        )
    if "data-dependent" in lowered or "GuardOnDataDependent" in type_name:
        stripped = source_line.lstrip()
        if stripped.startswith(("for ", "while ")):
            return (
                "a loop whose trip count is a tensor's value",
                "Export records one graph for every input, so it cannot unroll a loop by a value it only"
                " knows at run time.",
                "write the loop with torch._higher_order_ops.while_loop(cond_fn, body_fn, carried_inputs),"
                " or loop over a fixed count",
            )
        if stripped.startswith(("if ", "elif ")) or " if " in stripped:
            return (
                "a Python `if` on a tensor's value",
                "Export records one graph for every input, so it cannot choose a branch by a value it only"
                " knows at run time (a trace would silently keep one branch; a script keeps the `if`).",
                "write both branches as functions and call torch.cond(pred, true_fn, false_fn, (x,));"
                " each branch returns new tensors (x.clone(), not x)",
            )
        return (
            "a Python number read from a tensor's value",
            "Export cannot turn a value it only knows at run time into a Python int, bool or float.",
            "keep the value a tensor, or state what you know with torch._check(...) so export can proceed",
        )
    if "constraint" in lowered or "specializ" in lowered or "ConstraintViolation" in type_name:
        return (
            "a size that the code fixes where a Dim asked for any size",
            "The model's code needs a particular value (or range) for a dimension declared dynamic.",
            "narrow the Dim (torch.export.Dim('batch', min=2, max=1024)), use Dim.AUTO to let export"
            " infer the range, or leave that dimension out of dynamic_shapes",
        )
    if "Unsupported" in type_name or "graph break" in lowered:
        return (
            "Python that torch.export's strict mode (TorchDynamo) cannot trace",
            "Strict export analyses the Python bytecode and refuses what it does not support.",
            "export with strict=False, which runs the model's Python as it is",
        )
    return (
        "an operation torch.export could not record",
        "torch.export stopped while running the model on the example inputs.",
        "run torch.export.draft_export(model, inputs) and read its report (print(ep._report))",
    )


def _user_line(exc: BaseException, message: str) -> tuple[str | None, int | None]:
    """The user's frame: torch's own "The following call raised this error" frame, else the traceback's."""
    named = [
        (m.group("file"), int(m.group("line")))
        for m in _CALL_FRAME.finditer(message)
        if not is_library_path(m.group("file")) and not m.group("file").startswith("<eval_with_key>")
    ]
    if named:
        return named[-1]
    found = innermost_user_frame(exc)
    return found if found is not None else (None, None)


def _draft_findings(model: Any, inputs: tuple) -> tuple[str, ...]:
    """One line per problem in ``draft_export``'s report: its kind and the user's line."""
    draft_export = getattr(torch.export, "draft_export", None)
    if draft_export is None:
        return ()
    try:
        with _quiet(keep_records=True):  # draft_export collects its report from torch's log records
            report = getattr(draft_export(model, inputs), "_report", None)
    except Exception:  # draft_export gives up on some models; its report is an extra, not the answer
        return ()
    lines: list[str] = []
    for failure in getattr(report, "failures", ()) or ():
        kind = str(getattr(failure.failure_type, "name", failure.failure_type)).lower().replace("_", " ")
        where = _draft_location(getattr(failure, "data", {}))
        lines.append(f"{kind}{f' at {where}' if where else ''}")
    return tuple(dict.fromkeys(lines))


def _draft_location(data: Any) -> str:
    """``models.py:33`` for the innermost user frame of a draft_export failure.

    The report's frames name their file by an id into torch's structured-log string table
    (``torch._logging.structured.INTERN_TABLE``); where that table is missing, no location.
    """
    stack = data.get("user_stack", ()) if isinstance(data, dict) else ()
    table = getattr(getattr(torch._logging, "structured", None), "INTERN_TABLE", {}) or {}
    files = {index: name for name, index in table.items()}
    for frame in reversed(list(stack or ())):
        if not isinstance(frame, dict):
            continue
        file = frame.get("filename")
        file = files.get(file) if isinstance(file, int) else file
        line = frame.get("line")
        if isinstance(file, str) and line and not is_library_path(file):
            return f"{file.replace(chr(92), '/').rsplit('/', 1)[-1]}:{line}"
    return ""


def _name_of(model: Any) -> str:
    return getattr(model, "original_name", None) or type(model).__name__


@contextlib.contextmanager
def _quiet(*, keep_records: bool = False) -> Iterator[None]:
    """Hold back what torch prints and logs while it exports (its advice is explained instead).

    Args:
        keep_records: let log records through to torch's own collectors and silence only the
            handlers that print them. ``draft_export`` builds its report from those records
            (torch 2.11 collects none when logging is disabled), so it needs this.
    """
    previous = logging.root.manager.disable
    printing = [h for h in logging.getLogger("torch").handlers + logging.root.handlers if isinstance(h, logging.StreamHandler)]
    levels = [h.level for h in printing]
    if keep_records:
        for handler in printing:
            handler.setLevel(logging.CRITICAL + 1)
    else:
        logging.disable(logging.WARNING)
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            yield
    finally:
        logging.disable(previous)
        for handler, level in zip(printing, levels):
            handler.setLevel(level)
