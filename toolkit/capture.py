"""Trace, script, and mix the two, keeping everything torch said on the way.

Why: ``torch.jit.trace`` tells you it may have recorded the wrong program only through
``TracerWarning``s, and torch *hides* the ones raised from inside its own modules (iterating
a tensor, ``len(tensor)``, ...) with a default warning filter. The warnings that do show point
at whatever line raised them. Here every TracerWarning is recorded, hidden ones included, with
the user's own file and line found by walking the Python stack at the moment it is raised.

TorchScript itself is deprecated in recent torch releases: every ``torch.jit.*`` call warns. Inside these
helpers that warning is filtered (explicitly, for those calls only) and replaced by one quiet note
per session (:func:`show_deprecation_note`), so lessons are not flooded.

Mixing, as the tutorials do:

- ``trace(model, inputs, script_submodules=("dg",))``: script the named submodules first, so
  their control flow survives, then trace the whole (Intro tutorial, ``MyCell3`` with a scripted
  ``MyDecisionGate``).
- ``script(model, trace_submodules={"linear": (x,)})``: trace the named submodules, then script
  the whole (a scripted loop calling traced layers).

The user's module is never changed: mixing works on a deep copy.

This is the one tracing entry point of the package: ``check_trace``'s instrumented trace, the
pipeline's InferenceOp and the partitioner all call :func:`trace`, naming themselves with
``caller=`` so every trace failure reads the same way and says which public call it came from.
"""

from __future__ import annotations

import contextlib
import copy
import difflib
import html
import inspect
import linecache
import logging
import os
import re
import sys
import traceback
import warnings
from dataclasses import dataclass, field
from types import FrameType
from typing import Any, Callable, Iterator, Mapping, Sequence

import torch

from toolkit.errors import (
    MissingExampleInputsError,
    NotTorchScriptError,
    ScriptingError,
    TracingError,
    message_first,
)
from toolkit.frames import (
    display_file_name,
    is_library_path,
    is_torch_path,
    library_rule,
    user_location_text,
)

__all__ = [
    "Captured",
    "TracerWarningRecord",
    "DEPRECATION_NOTE",
    "recording_tracer_warnings",
    "release_compile_frames",
    "script",
    "short_path",
    "show_deprecation_note",
    "trace",
    "trace_failure_message",
]

_JIT_DEPRECATION = r"`torch\.jit\.[\w.]+` is deprecated"


DEPRECATION_NOTE = (
    "Note: TorchScript (torch.jit) is deprecated in recent torch releases and warns on every call; it still"
    " works, and it is what this toolkit teaches. The toolkit hides that warning in its own calls (shown once)."
)

_LOG = logging.getLogger("toolkit")


class _OncePerSession:
    """Remembers whether the deprecation note was shown in this Python process."""

    shown = False

    @classmethod
    def note(cls) -> None:
        if not cls.shown:
            cls.shown = True
            show_deprecation_note()


def show_deprecation_note() -> None:
    """Show :data:`DEPRECATION_NOTE` quietly: a small grey line in a notebook, one log line elsewhere.

    Not a warning: ``warnings`` prints it as a red stderr box prefixed with the warning's file
    (``toolkit:0:``) in Jupyter. In a kernel it is a display output (``text/html`` in grey,
    ``text/plain`` the same sentence), the same text every run, so executed notebooks stay
    deterministic; elsewhere it is one record on the ``toolkit`` logger (level INFO is too quiet
    for Python's default handler, so WARNING: one line on stderr, silenced with
    ``logging.getLogger("toolkit").setLevel(logging.ERROR)``).
    """
    shell = _kernel_shell()
    if shell is None:
        _LOG.warning(DEPRECATION_NOTE)
        return
    from IPython.display import display  # only inside a kernel, where IPython is loaded already

    quiet = f"<div style='color:#777;font-size:11px;font-style:italic'>{html.escape(DEPRECATION_NOTE)}</div>"
    display({"text/plain": DEPRECATION_NOTE, "text/html": quiet}, raw=True)


def _kernel_shell() -> Any:
    """The IPython shell of a running Jupyter kernel, or ``None`` (plain Python, terminal IPython)."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return shell if getattr(shell, "kernel", None) is not None else None


@dataclass(frozen=True)
class TracerWarningRecord:
    """One TracerWarning, pinned to the user's line.

    Attributes:
        message: torch's message.
        file, line: the user's frame that led to the warning (first frame outside torch, the
            toolkit and the standard library).
        source_line: the text of that line, stripped, when it can be read.
        raised_at: ``file:line`` where torch raised it (inside torch for the hidden ones).
    """

    message: str
    file: str
    line: int
    source_line: str | None
    raised_at: str

    @property
    def location(self) -> str:
        return f"{self.file}:{self.line}"

    @property
    def hidden_by_torch(self) -> bool:
        """True when torch's default filter would have hidden this warning."""
        return is_torch_path(self.raised_at.rsplit(":", 1)[0])

    def __str__(self) -> str:
        where = f"{os.path.basename(self.file)}:{self.line}"
        code = f"  `{self.source_line}`" if self.source_line else ""
        return f"{where}{code}: {self.message.splitlines()[0]}"


@dataclass(frozen=True)
class Captured:
    """What a trace or script produced, and what torch said while producing it.

    Attributes:
        module: torch's own object (``ScriptModule`` or ``ScriptFunction``).
        how: ``"traced"`` or ``"scripted"``.
        warnings: every distinct TracerWarning, in the order raised.
        example_inputs: the positional inputs a trace ran on, as a tuple (``()`` for a script).
        source: the eager model or function that was traced or scripted (for reference runs).
        method: the method traced (``forward`` unless ``trace(..., method=...)`` named another).
        traced_without_grad: True when the trace was taken under ``torch.no_grad()`` because torch's
            check failed with grad enabled on an eval-mode model (its inference path, e.g.
            ``nn.MultiheadAttention``'s fast path, differs by grad mode); the module then records
            the path inference runs.
    """

    module: Any
    how: str
    warnings: tuple[TracerWarningRecord, ...] = ()
    example_inputs: tuple = field(default=(), repr=False, compare=False)
    source: Any = field(default=None, repr=False, compare=False)
    method: str = "forward"
    traced_without_grad: bool = False
    _irs: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    @property
    def ir(self) -> Any:
        """The inlined IR graph of :attr:`method` (:func:`toolkit.ir.graph`), built once per library rule.

        Its nodes say whether they are library code (``Node.library``) under the rule in force, so
        ``with toolkit.library_code(...)`` around a view of this capture draws by that rule.
        """
        from toolkit.ir import build  # ir sits above capture; imported here to keep capture's import light

        rule = library_rule()
        if rule not in self._irs:
            self._irs[rule] = build.graph(self.module, self.method, inlined=True)
        return self._irs[rule]

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.module(*args, **kwargs)

    def warn_again(self) -> None:
        """Raise again, at the user's line, each TracerWarning torch itself would have shown.

        For callers that trace on the user's behalf without a report of their own (the
        pipeline's InferenceOp): the user sees what a plain ``torch.jit.trace`` shows, and the
        ones torch hides stay hidden.
        """
        for record in self.warnings:
            if not record.hidden_by_torch:
                warnings.warn_explicit(record.message, torch.jit.TracerWarning, record.file, record.line)

    @property
    def graph(self):
        return self.module.graph

    @property
    def code(self) -> str:
        return self.module.code

    def __repr__(self) -> str:
        name = getattr(self.module, "original_name", None) or type(self.module).__name__
        return f"<Captured {self.how} {name}: {len(self.warnings)} TracerWarning(s)>"


@contextlib.contextmanager
def recording_tracer_warnings(
    *, locate: Callable[[FrameType], tuple[str, int] | None] | None = None
) -> Iterator[list[TracerWarningRecord]]:
    """Record every TracerWarning raised in the block, torch-internal ones included.

    Other warnings pass through to the previous handler unchanged, except TorchScript's
    per-call deprecation warning, which is replaced by one note per session.

    Args:
        locate: maps the frame that raised the warning to the user's ``(file, line)``, or to
            ``None`` to drop the warning; the default is the first frame outside torch, the
            toolkit and the standard library.
    """
    locate = locate or first_user_frame
    records: list[TracerWarningRecord] = []
    seen: set[tuple[str, str, int]] = set()
    with warnings.catch_warnings():
        previous = warnings.showwarning
        warnings.simplefilter("always", torch.jit.TracerWarning)
        warnings.filterwarnings("ignore", message=_JIT_DEPRECATION, category=DeprecationWarning)

        def show(message, category, filename, lineno, file=None, line=None):
            if not issubclass(category, torch.jit.TracerWarning):
                previous(message, category, filename, lineno, file, line)
                return
            where = locate(sys._getframe(1))
            if where is None:
                return
            user_file, user_line = where
            key = (str(message), user_file, user_line)
            if key in seen:
                return
            seen.add(key)
            records.append(
                TracerWarningRecord(
                    message=str(message),
                    file=user_file,
                    line=user_line,
                    source_line=linecache.getline(user_file, user_line).strip() or None,
                    raised_at=f"{filename}:{lineno}",
                )
            )

        warnings.showwarning = show
        yield records
    _OncePerSession.note()


def first_user_frame(frame: FrameType | None) -> tuple[str, int] | None:
    """``(file, line)`` of the first frame at or outside ``frame`` that is user code."""
    while frame is not None:
        if not is_library_path(frame.f_code.co_filename):
            return frame.f_code.co_filename, frame.f_lineno
        frame = frame.f_back
    return None


@message_first
def trace(
    model: Any,
    example_inputs: Any = None,
    *,
    script_submodules: Sequence[str] = (),
    method: str = "forward",
    caller: str = "toolkit.trace",
    locate: Callable[[FrameType], tuple[str, int] | None] | None = None,
    subject: str | None = None,
    fix: str | None = None,
    **trace_kwargs: Any,
) -> Captured:
    """``torch.jit.trace`` that records every TracerWarning with the user's line.

    Args:
        model: an ``nn.Module`` or a function.
        example_inputs: a tensor or a tuple of arguments, as for ``torch.jit.trace``; ``None``
            is allowed only with ``example_kwarg_inputs`` in ``trace_kwargs``.
        script_submodules: attribute paths (``"dg"``, ``"encoder.gate"``) of submodules to
            script before tracing, so their control flow is kept (on a copy of ``model``).
        method: the method of ``model`` to trace (``torch.jit.trace_module(model, {method: inputs})``
            for one other than ``forward``).
        caller: the public call to name in messages (``"toolkit.partition.trace"``...).
        locate: how to find the user's line of a TracerWarning (see
            :func:`recording_tracer_warnings`); the default is the first frame outside libraries.
        subject: what the caller traces, as its messages name it (``"InferenceOp 'cell' with
            inputs (...)"``); the default is only the model's name.
        fix: the advice a failed run's message ends with, when the caller knows a better one
            than "call the model eagerly".
        **trace_kwargs: passed to ``torch.jit.trace`` (``check_trace``, ``strict``, ...).

    Raises:
        NotTorchScriptError: ``model`` is not something to run (``None``, a tensor, a class).
        MissingExampleInputsError: ``example_inputs`` is missing.
        ScriptingError: a submodule in ``script_submodules`` cannot be scripted.
        TracingError: running the model on the inputs failed, torch's check of the trace failed,
            the tracer refused the model's output, or torch rejected the options (its ``failed``
            says which). The message is a summary of a few hundred characters naming the user's
            line; torch's whole text is its ``torch_message``, torch's error its ``torch_error``
            (and, for callers inside the package, its ``__cause__``: a call from the user's code
            gets the error detached, see :func:`toolkit.errors.message_first`), and the
            TracerWarnings raised before the failure are its ``tracer_warnings`` (a tuple of
            :class:`TracerWarningRecord`), so callers that report failures as data keep them.
    """
    name = _name_of(model)
    if not callable(model) or isinstance(model, type):
        raise NotTorchScriptError(
            f"{caller}: torch.jit.trace needs an nn.Module instance or a function to run, not"
            f" {type(model).__name__} ({_short_repr(model)}). Fix: pass the model itself, built, e.g."
            " toolkit.trace(MyModel(), (torch.rand(3, 4),))."
        )
    if example_inputs is None and trace_kwargs.get("example_kwarg_inputs") is None:
        raise MissingExampleInputsError(
            f"{caller}: tracing {name} needs example inputs: torch.jit.trace runs the model once and records"
            " the operations it sees. Fix: pass them, e.g. toolkit.trace(model, (torch.rand(3, 4),))."
        )
    if method != "forward" and not callable(getattr(model, method, None)):
        raise NotTorchScriptError(
            f"{caller}: {name} has no method {method!r} to trace. Fix: pass method='forward' or the name of"
            " one of its methods."
        )
    rejected = _unknown_trace_options(method, trace_kwargs)
    if rejected:
        failure = TracingError(
            f"{caller}: torch.jit.trace rejected the options for {name}: {rejected}. Fix: {_FIX_OPTIONS}."
        )
        failure.failed = "options"
        raise failure
    if script_submodules:
        model = _with_submodules_replaced(model, script_submodules, lambda path, sub: script(sub).module)

    def run_trace() -> Any:
        if method == "forward":
            return torch.jit.trace(model, example_inputs, **trace_kwargs)
        return torch.jit.trace_module(model, {method: example_inputs}, **trace_kwargs)

    without_grad = False
    with recording_tracer_warnings(locate=locate) as records:
        try:
            try:
                module = run_trace()
            except torch.jit._trace.TracingCheckError:
                if not _checks_again_without_grad(model):
                    raise
                # torch's check traces again under no_grad; an eval-mode model whose path depends
                # on grad mode (nn.MultiheadAttention's fused fast path) can then never pass. Trace
                # it the way inference runs it, so the check compares like with like.
                without_grad = True
                with torch.no_grad():
                    module = run_trace()
        except Exception as exc:  # noqa: BLE001 - tracing runs the user's code: any failure is theirs to read
            message = trace_failure_message(caller, name, exc, subject=subject, fix=fix, traced_without_grad=without_grad)
            failure = TracingError(message)
            failure.tracer_warnings = tuple(records)
            failure.failed = failure_kind(exc)
            failure.torch_message = str(exc)
            raise failure from exc
    inputs = (example_inputs,) if isinstance(example_inputs, torch.Tensor) else tuple(example_inputs or ())
    return Captured(
        module=module, how="traced", warnings=tuple(records), example_inputs=inputs, source=model, method=method,
        traced_without_grad=without_grad,
    )


def _checks_again_without_grad(model: Any) -> bool:
    """True when a failed trace check is worth one more trace under ``torch.no_grad()``: an
    eval-mode module traced with grad enabled (a training-mode model is traced as it trains)."""
    return isinstance(model, torch.nn.Module) and not model.training and torch.is_grad_enabled()


def _unknown_trace_options(method: str, trace_kwargs: dict[str, Any]) -> str:
    """How torch would reject keywords its trace call cannot take (``""`` when it takes them all).

    Checked against the call's signature before tracing: after the failure, a rejected keyword
    and a ``TypeError`` from the model look alike (the message is free text, and once torch.export
    has run, torch's dynamo wraps ``torch.jit.trace``, so the frames differ too).
    """
    call = torch.jit.trace if method == "forward" else torch.jit.trace_module
    accepted = inspect.signature(call).parameters
    unknown = [k for k in trace_kwargs if k not in accepted]
    if not unknown:
        return ""
    what = "keyword argument" if len(unknown) == 1 else "keyword arguments"
    return f"{call.__name__}() got an unexpected {what} {', '.join(repr(k) for k in unknown)}"


def failure_kind(exc: BaseException) -> str:
    """Which part of ``torch.jit.trace`` ``exc`` came from (:attr:`TracingError.failed`).

    ``"check"``: the trace was recorded but torch's own check of it failed (``check_trace=True``);
    ``"tracer"``: the tracer refused what the model returned or did (a dict output with
    ``strict=True``, ...), raised from torch.jit itself; ``"run"``: running the model on the
    inputs raised (the user's code or a library's). (``"options"``, keywords torch cannot take,
    is found before tracing: :func:`_unknown_trace_options`.)
    """
    if isinstance(exc, torch.jit._trace.TracingCheckError):
        return "check"
    innermost = exc.__traceback__
    while innermost is not None and innermost.tb_next is not None:
        innermost = innermost.tb_next
    if innermost is not None and _is_in(innermost.tb_frame.f_code.co_filename, _TORCH_JIT_DIR):
        return "tracer"
    return "run"


_TORCH_JIT_DIR = os.path.join(os.path.dirname(torch.__file__), "jit") + os.sep


def _is_in(path: str, folder: str) -> bool:
    return os.path.abspath(path).startswith(folder)


def trace_failure_message(
    caller: str,
    name: str,
    exc: BaseException,
    *,
    subject: str | None = None,
    fix: str | None = None,
    traced_without_grad: bool = False,
) -> str:
    """The one wording of a failed trace: who called, what failed, the user's line, the fix.

    A few hundred characters at most, whatever torch said (a failed check's graph diff runs to
    hundreds of kilobytes on a vision transformer): the error keeps torch's whole text.

    Args:
        caller: the public call (``"toolkit.trace"``).
        name: the traced model's or function's name.
        exc: what tracing raised.
        subject: the caller's own name for what it traced, put first when given
            (``"... failed on InferenceOp 'cell' with inputs (...): could not run MyCell ..."``).
        fix: the closing advice for a model that could not run, replacing the default one
            (keywords torch cannot take are refused before tracing, with their own advice).
        traced_without_grad: the trace that failed was the second one, already under
            ``torch.no_grad()``, so a failed check is not told to try that.
    """
    opening = f"{caller}: torch.jit.trace" if subject is None else f"{caller}: torch.jit.trace failed on {subject}:"
    kind = failure_kind(exc)
    if kind == "check":
        return f"{opening} recorded {name}, but {check_failure_text(str(exc), caller=caller, traced_without_grad=traced_without_grad)}"
    if kind == "tracer":
        advice = _FIX_STRICT if "strict=False" in str(exc) else _FIX_TRACER
        return f"{opening} refused what {name} did: {_sentence(_clipped(_first_line(exc), 220))} Fix: {advice}."
    inputs = "check inputs" if _passed_through(exc, "_check_trace") else "example inputs"
    return (
        f"{opening} could not run {name} on the {inputs}{user_location_text(exc)}:"
        f" {type(exc).__name__}: {_first_line(exc)}. Fix: {fix or _FIX_RUN}."
    )


_FIX_OPTIONS = "pass only torch.jit.trace's keyword arguments (check_trace, strict, ...)"
_FIX_RUN = "call the model eagerly with the same inputs to find the problem, then trace again"
_FIX_STRICT = (
    "return a tuple (or a NamedTuple) instead of a list or dict, or pass strict=False when that"
    " container's structure never changes with the inputs"
)
_FIX_TRACER = "change what forward returns or does there, as torch's sentence says (its whole message is .torch_message)"

# ---------------------------------------------------------------------------------------------
# A failed trace check, in a sentence
#
# With check_trace=True (the default), torch traces the model again under torch.no_grad(), runs
# both, and raises TracingCheckError when the two graphs differ, when tensor constants differ,
# or when a run raises. Its message is the whole graph diff (21 kB for one attention layer); the
# summary names the first operation that differs on each side, its line, and the user's line.
# ---------------------------------------------------------------------------------------------

_DIFF_LINE = re.compile(r"^\t\t(?P<side>[-+ ]) (?P<text>.*)$")
_OP = re.compile(r"=\s*(?P<op>[A-Za-z_][\w:.]*)(?P<attrs>\[(?:[^\[\]]|\[[^\]]*\])*\])?\(")
_SOURCE = re.compile(r"#\s*(?P<file>\S+?):(?P<line>\d+)(?::\d+)?\s*$")
_SCOPE = re.compile(r"scope:\s*__module\.(?P<scope>\S+?)(?:\s|$)")
_STACK_FRAME = re.compile(r"^\t\t(?P<file>.+?)\((?P<line>\d+)\): \w+")
_BOOKKEEPING = frozenset(
    {"prim::GetAttr", "prim::ListConstruct", "prim::TupleConstruct", "prim::NumToTensor", "aten::Int",
     "prim::ListUnpack", "prim::TupleUnpack"}
)


@dataclass(frozen=True)
class _DiffOp:
    """One operation line of a graph in torch's check diff."""

    op: str
    key: str
    file: str | None
    line: int | None
    scope: str | None

    @property
    def where(self) -> str:
        if self.file is None:
            return ""
        return f"{short_path(self.file)}:{self.line}"

    @property
    def is_user(self) -> bool:
        return self.file is not None and not is_library_path(self.file)


def check_failure_text(message: str, *, caller: str = "toolkit.trace", traced_without_grad: bool = False) -> str:
    """What torch's trace check found, the first difference and the line, and the fix (no graph dump).

    Args:
        message: torch's ``TracingCheckError`` text.
        caller: the public call the fix names (``with torch.no_grad(): toolkit.compare(...)``).
        traced_without_grad: this trace already ran under ``torch.no_grad()`` (the retry for an
            eval-mode model), so grad mode is not the cause: only a second call can differ.
    """
    if "encountered an exception while running the" in message:
        return _check_run_failure(message)
    ran, rerun = _first_difference(message, compute_only=True)
    if ran is None and rerun is None:
        if "Tensor-valued Constant nodes differed" in message:
            return (
                "its check found a tensor constant with other values in a second trace: forward turns"
                " outside data (NumPy, Python random, a file) into a tensor, which a trace freezes."
                f"{_user_line(message, ())} Fix: make that value an input or a buffer, or pass check_trace=False."
                f" {_WHOLE}"
            )
        ran, rerun = _first_difference(message, compute_only=False)
    if ran is None and rerun is None:
        return f"its check failed: {message.strip().splitlines()[0]} Fix: pass check_trace=False to keep this trace. {_WHOLE}"

    def said(op: _DiffOp | None, what: str) -> str:
        if op is None:
            return f"{what} has nothing there"
        scope = f" in {op.scope}" if op.scope else ""
        where = f" ({op.where})" if op.where else ""
        return f"{what} has `{op.op}`{scope}{where}"

    if traced_without_grad:
        return (
            "its check (tracing again under torch.no_grad() and comparing), with both traces already under"
            f" torch.no_grad(), gave another graph: {said(ran, 'the trace')}, {said(rerun, 'the re-trace')}."
            f"{_user_line(message, (ran, rerun))} {_CAUSE_SECOND_CALL} Fix: pass check_trace=False to keep this"
            f" trace as recorded, if that path is the one you want. {_WHOLE}"
        )
    library = not any(op is not None and op.is_user for op in (ran, rerun))
    cause = _CAUSE_LIBRARY if library else _CAUSE_USER
    return (
        "its check (tracing again under torch.no_grad() and comparing) gave another graph: "
        f"{said(ran, 'the trace')}, {said(rerun, 'the re-trace')}.{_user_line(message, (ran, rerun))}"
        f" {cause} Fix: trace the way you will run it, e.g. `with torch.no_grad(): {caller}(model, x)`, or pass"
        f" check_trace=False to keep this trace as recorded. {_WHOLE}"
    )


_CAUSE_LIBRARY = (
    "Library code takes another path on a second run or without autograd (nn.TransformerEncoderLayer"
    " and nn.MultiheadAttention take a fused fast path in eval mode under torch.no_grad())."
)
_CAUSE_USER = "Your forward takes another path on a second call or without autograd (state that changes, a random choice)."
_CAUSE_SECOND_CALL = "The model takes another path on a second call (state that changes, a random choice)."
_WHOLE = "(torch's whole report: .torch_message.)"


def _check_run_failure(message: str) -> str:
    which = re.search(r"while running the (?P<what>.+?) with test inputs", message)
    what = which.group("what") if which else "model"
    lines = message.split("Exception:", 1)[-1].strip().splitlines()
    said = lines[0].strip() if lines else "an error"
    if what == "Python function":
        return (
            f"its check could not run the model on the check inputs: {_clipped(said)}."
            f"{_user_line(message, ())} Fix: pass check_inputs the model accepts, or check_trace=False. {_WHOLE}"
        )
    return (
        f"its check could not run the {what} on the check inputs: {_clipped(said)}. A trace freezes"
        f" shapes and branches of the example inputs. Fix: trace with inputs like the check inputs, or pass"
        f" check_trace=False. {_WHOLE}"
    )


def _diff_ops(message: str) -> tuple[list[_DiffOp], list[_DiffOp], list[_DiffOp], list[_DiffOp]]:
    """The trace's and the re-trace's operations (bookkeeping left out), and all their lines, from torch's diff."""
    section = message.split("Graph diff:", 1)[-1].split("First diverging operator:", 1)[0]
    ran: list[_DiffOp] = []
    rerun: list[_DiffOp] = []
    ran_all: list[_DiffOp] = []
    rerun_all: list[_DiffOp] = []
    for raw in section.splitlines():
        matched = _DIFF_LINE.match(raw)
        if matched is None or matched.group("side") == "?" or "Graph diff" in raw:
            continue
        op = _diff_op(matched.group("text"))
        if op is None:
            continue
        side = matched.group("side")
        is_compute = op.op not in _BOOKKEEPING and op.op != "prim::Constant"
        if side in " -":
            ran_all.append(op)
            ran.extend([op] if is_compute else [])
        if side in " +":
            rerun_all.append(op)
            rerun.extend([op] if is_compute else [])
    return ran, rerun, ran_all, rerun_all


def _diff_op(text: str) -> _DiffOp | None:
    found = _OP.search(text)
    if found is None:
        return None
    source = _SOURCE.search(text)
    scope = _SCOPE.search(text)
    op = found.group("op")
    attrs = found.group("attrs") or ""
    return _DiffOp(
        op=op,
        key=op + attrs,
        file=source.group("file") if source else None,
        line=int(source.group("line")) if source else None,
        scope=scope.group("scope") if scope else None,
    )


def _first_difference(message: str, *, compute_only: bool) -> tuple[_DiffOp | None, _DiffOp | None]:
    """The first operation each side has and the other does not: among compute operations, or any line."""
    ran, rerun, ran_all, rerun_all = _diff_ops(message)
    a, b = (ran, rerun) if compute_only else (ran_all, rerun_all)
    matcher = difflib.SequenceMatcher(a=[op.key for op in a], b=[op.key for op in b], autojunk=False)
    for tag, i1, _, j1, _ in matcher.get_opcodes():
        if tag != "equal":
            return (a[i1] if i1 < len(a) else None), (b[j1] if j1 < len(b) else None)
    return None, None


def _user_line(message: str, ops: Sequence[_DiffOp | None]) -> str:
    """`` Your line: file:line `code`.`` from the differing operations or torch's stacks, or ``""``."""
    candidates = [(op.file, op.line) for op in ops if op is not None and op.is_user and op.line is not None]
    for raw in message.splitlines():
        frame = _STACK_FRAME.match(raw)
        if frame and not is_library_path(frame.group("file")):
            candidates.append((frame.group("file"), int(frame.group("line"))))
        source = _SOURCE.search(raw) if raw.startswith("\t\t") else None
        if source and not is_library_path(source.group("file")):
            candidates.append((source.group("file"), int(source.group("line"))))
    if not candidates:
        return ""
    file, line = candidates[0]
    code = linecache.getline(file, line).strip() if file and line else ""
    return f" Your line: {short_path(file)}:{line}" + (f" `{_clipped(code)}`" if code else "") + "."


def short_path(path: str | None) -> str:
    """A file as messages name it: an installed package's from the package (``torch/nn/functional.py``),
    the user's as :func:`toolkit.frames.display_file_name` does (``models.py``, ``cell [3]``)."""
    if path is None:
        return ""
    if is_library_path(path):
        for marker in ("site-packages" + os.sep, "dist-packages" + os.sep):
            if marker in path:
                return path.split(marker, 1)[1]
        return os.path.basename(path)
    return display_file_name(path)


def _passed_through(exc: BaseException, function: str) -> bool:
    """True when ``exc`` was raised under a call of torch's ``function`` (``_check_trace``: the check inputs ran)."""
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_name == function and is_torch_path(tb.tb_frame.f_code.co_filename):
            return True
        tb = tb.tb_next
    return False


def _sentence(text: str) -> str:
    return text if text.endswith((".", "!", "?")) else text + "."


def _clipped(text: str, limit: int = 160) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


@message_first
def script(obj: Any, *, trace_submodules: Mapping[str, Any] | None = None) -> Captured:
    """``torch.jit.script`` with errors that say what, where, why and what to do.

    Args:
        obj: an ``nn.Module``, a function or a class (its source must be in a file or notebook cell).
        trace_submodules: ``{attribute path: example inputs}`` of submodules to trace before
            scripting (on a copy of ``obj``), as in the hybrid-frontend tutorial.

    Raises:
        NotTorchScriptError: ``obj`` is not a module, a function or a class.
        ScriptingError: TorchScript cannot compile ``obj``. Its message leads with the
            explanation (the construct, its category, the user's ``file:line`` and that line, the
            reason, the fix); its fields ``category``, ``construct``, ``file``, ``line``,
            ``source_line``, ``reason``, ``fix`` hold the same, and ``torch_message`` (and the
            ``__cause__``) torch's own error.
    """
    name = _name_of(obj)
    if not _is_scriptable_kind(obj):
        raise NotTorchScriptError(
            f"toolkit.script needs an nn.Module, a function or a class, not {type(obj).__name__}"
            f" ({_short_repr(obj)}). Fix: pass the model (or the function) itself, e.g. toolkit.script(model)."
        )
    records: list[TracerWarningRecord] = []
    if trace_submodules:

        def traced(path: str, sub: Any) -> Any:
            captured = trace(sub, trace_submodules[path])
            records.extend(captured.warnings)
            return captured.module

        obj = _with_submodules_replaced(obj, tuple(trace_submodules), traced)
    with recording_tracer_warnings():
        try:
            with _forgetting_failed_types():
                module = torch.jit.script(obj)
        except Exception as exc:  # noqa: BLE001 - compiling runs torch's frontend on the user's code: any failure is explained
            release_compile_frames(exc)
            raise _explained_scripting_error(obj, name, exc) from exc
    return Captured(module=module, how="scripted", warnings=tuple(records), source=obj)


def _is_scriptable_kind(obj: Any) -> bool:
    return isinstance(obj, (torch.nn.Module, type)) or inspect.isroutine(obj)


def _short_repr(obj: Any) -> str:
    text = repr(obj)
    return text if len(text) <= 40 else text[:37] + "..."


@contextlib.contextmanager
def _forgetting_failed_types() -> Iterator[None]:
    """Undo what a failed ``torch.jit.script`` left in torch's cache of module types.

    A failed compile leaves the module's half-built type in torch's concrete-type store; scripting
    the same class again then fails with "Can't redefine method: forward" instead of the real error.
    On failure, the store is put back as it was before the call (entries added by it removed).
    """
    store = torch.jit._recursive.concrete_type_store.type_store
    before = {key: len(types) for key, types in store.items()}
    try:
        yield
    except BaseException:
        for key in list(store):
            if key not in before:
                del store[key]
            else:
                del store[key][before[key] :]
        raise


def release_compile_frames(exc: BaseException) -> None:
    """Let go of the frames a failed ``torch.jit.script`` left in ``exc``'s traceback (and its chain's).

    Why: torch's ``_recursive_compile_class`` pushes an entry on its compiler's error call stack
    with a guard object held in a local variable; the entry is popped when that frame's locals
    die. A kept exception keeps the frame, so the entry stays pushed, and the *next* scripting
    error (of another model) quotes a stale "called from" frame of this one, at this one's file
    and line: explanations leaked into each other. Clearing the frames' locals pops the entry
    now; the traceback's files, lines and code (all a message or ``cause_text`` reads) stay.
    """
    seen: set[int] = set()
    error: BaseException | None = exc
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        traceback.clear_frames(error.__traceback__)
        error = error.__cause__ or error.__context__


def fresh_script_error(obj: Any) -> BaseException | None:
    """What ``torch.jit.script(obj)`` raises with torch's cached types for ``obj``'s classes set aside.

    After a failed ``torch.jit.script`` outside the toolkit, torch keeps the half-built type and the
    next attempt on the same class says only "Can't redefine method: forward". The explainer calls
    this to see the real error. Torch's cache is put back as it was afterwards, so explaining an
    error changes nothing for later calls. Returns ``None`` when ``obj`` then scripts.
    """
    store = torch.jit._recursive.concrete_type_store.type_store
    classes = {type(module) for module in obj.modules()} if isinstance(obj, torch.nn.Module) else set()
    cached = {cls: store.pop(cls) for cls in classes if cls in store}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with _forgetting_failed_types():
                torch.jit.script(obj)
    except Exception as exc:  # noqa: BLE001 - the error itself is the answer
        release_compile_frames(exc)
        return exc
    finally:
        store.update(cached)
    return None


def _explained_scripting_error(obj: Any, name: str, exc: BaseException) -> ScriptingError:
    """Our explanation first, torch's message kept on the error."""
    from toolkit.analysis.script_errors.explain import explain_failure  # error hook: analysis explains a failed compile

    failure = explain_failure(obj, exc)
    where = f" at {failure.file}:{failure.line}" if failure.line is not None else ""
    code = f"\n    {failure.source_line}" if failure.source_line else ""
    torch_headline = _first_line(exc)
    error = ScriptingError(
        f"toolkit.script: {name} does not script: {failure.construct} ({failure.category_label}){where}{code}"
        f"\n{failure.reason}\nFix: {failure.fix}"
        f"\ntorch said: {torch_headline} (the whole message is in .torch_message)"
    )
    error.category = failure.category
    error.construct = failure.construct
    error.file = failure.file
    error.line = failure.line
    error.source_line = failure.source_line
    error.reason = failure.reason
    error.fix = failure.fix
    error.torch_message = failure.torch_message
    error.fix_kind = failure.fix_kind
    return error


def _with_submodules_replaced(model: Any, paths: Sequence[str], convert) -> Any:
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"submodules can only be replaced on an nn.Module, not {type(model).__name__}")
    model = copy.deepcopy(model)
    for path in paths:
        parent_path, _, attr = path.rpartition(".")
        try:
            parent = model.get_submodule(parent_path) if parent_path else model
            sub = getattr(parent, attr)
        except AttributeError:
            children = sorted(n for n, _ in model.named_modules() if n)
            raise ScriptingError(
                f"{_name_of(model)} has no submodule {path!r}. Fix: use one of {children}."
            ) from None
        setattr(parent, attr, convert(path, sub))
    return model


def _name_of(obj: Any) -> str:
    if isinstance(obj, torch.nn.Module):
        return type(obj).__name__
    return getattr(obj, "__qualname__", None) or type(obj).__name__


def _first_line(exc: BaseException) -> str:
    """Torch's first line, clipped: a few hundred characters whatever torch wrote."""
    text = str(exc).strip()
    return _clipped(text.splitlines()[0], 300) if text else type(exc).__name__
