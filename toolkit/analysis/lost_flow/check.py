"""``check_trace``: find the behaviour ``torch.jit.trace`` loses, prove it, name the line, say the fix.

Why: a trace records the one path the example took. A module with data-dependent control
flow, shape logic, Python state or a baked-in device silently gives wrong answers on other
inputs, and torch's own signals catch only part of it (TracerWarnings about half, default
``check_trace`` under a quarter; ``../shared/notes/lost-by-tracing.md``). The user gives the
module and the example, as a student would; the check finds problems *without* being handed a
failing input, combining, from cheap to expensive:

1. a static lint of ``forward`` and what it calls (:mod:`toolkit.analysis.lost_flow.lint`);
2. an instrumented trace recording every TracerWarning (torch-internal ones too) and every
   tensor -> Python escape with its value and the user's frame (:mod:`.escapes`);
3. a structural comparison with the scripted graph, where scripting works
   (:func:`toolkit.analysis.diff.diff_graphs`);
4. differential testing on generated inputs: inputs moved across each decision's boundary
   (:mod:`.boundary`), then values, sizes, rank, another device, optional arguments,
   repeated calls and the train -> eval flip (:mod:`.variants`);
5. localisation by diffing escape values between the example and the counterexample
   (:mod:`.localise`);
6. how torch.export sees each finding: the model exported once (``strict=False``), run on the
   same counterexample and compared with eager, the fix said in export terms (:mod:`.export_view`).

A finding is ``proven`` only with a counterexample on which eager and traced outputs differ
(or the trace fails where eager works); everything else that looks risky is ``suspected``.
Safe code that merely looks suspicious (``math.sqrt(head_dim)``, a shape ``assert``) is
therefore never reported as proven.

Nothing here changes the user's module: all runs use deep copies, and every RNG is restored,
as are the module globals the model's code names (``python_state``); what cannot be put back
is named in ``TraceReport.notes``.
"""

from __future__ import annotations

import dataclasses
import inspect
import linecache
import math
import os
import sys
import time
import warnings
from dataclasses import dataclass, field
from types import FrameType
from typing import Any, Mapping, Sequence

import torch
from torch.utils import _pytree as pytree

from toolkit.analysis.lost_flow.boundary import boundary_inputs
from toolkit.analysis.diff import diff_graphs, is_decided_by_configuration
from toolkit.analysis.lost_flow.variants import (
    CannotCopyModel,
    Outcome,
    Variant,
    VariantKind,
    Workbench,
    cloned,
    error_line,
    generate_variants,
    other_device,
    preserved_global_state,
    run_variant,
    seed_everything,
)
from toolkit.analysis.lost_flow.escapes import Escape, InstrumentedTrace, record_trace
from toolkit.analysis.lost_flow.export_view import export_views
from toolkit.capture import TracerWarningRecord
from toolkit.frames import is_library_path, is_torch_path, user_location_text
from toolkit.analysis.lost_flow.findings import CATEGORIES, PROVEN, SUSPECTED, Counterexample, Finding
from toolkit.analysis.lost_flow.lint import LintHit, decorated_forwards, lint_model
from toolkit.analysis.lost_flow.python_state import GlobalsGuard
from toolkit.analysis.lost_flow.localise import Evidence, entry_location, explain_divergence, suspected_findings
from toolkit.errors import CheckOptionsError, MissingExampleInputsError, TracingError, message_first
from toolkit.ir import build
from toolkit.ir.model import Graph, Node, NodeKind

__all__ = [
    "CATEGORIES",
    "CheckOptions",
    "CheckRun",
    "Counterexample",
    "Finding",
    "Highlight",
    "Highlights",
    "TraceFailure",
    "TraceReport",
    "check_trace",
]

_JIT_DEPRECATION = r"`torch\.jit\.[\w.]+` is deprecated"
_PROGRESS_DELAY_S = 2.0


@dataclass(frozen=True)
class CheckOptions:
    """How thoroughly to check, and how to trace.

    Attributes:
        budget_s: wall-clock budget in seconds. Checks not started when it runs out are
            listed in ``TraceReport.skipped`` and the report is marked ``partial``.
        seed: seed for generated values (and the RNG seeds of each run).
        progress: ``True`` always shows a tqdm bar, ``False`` never, ``None`` shows one only
            when the check takes more than about two seconds.
        script: compare with the scripted graph (skip to save time on big models).
        lint: run the static lint.
        other_device: also run on CUDA (if present) or the ``meta`` device.
        rtol, atol: output tolerances (``atol`` is scaled by the output's magnitude).
        max_localisations: how many diverging inputs to localise (each costs one re-trace).
        export: also ask torch.export (``strict=False``) about each finding, on its counterexample.
        trace_kwargs: extra ``torch.jit.trace`` options (``{"strict": False}`` for dict
            outputs); ``check_trace`` itself is always off.
    """

    budget_s: float = 60.0
    seed: int = 0
    progress: bool | None = None
    script: bool = True
    lint: bool = True
    other_device: bool = True
    rtol: float = 1e-4
    atol: float = 1e-5
    max_localisations: int = 8
    export: bool = True
    trace_kwargs: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CheckRun:
    """One generated input (or call pattern) and what it showed.

    Attributes:
        label: what was changed. kind: which axis. status: ``same``, ``diverged`` or
        ``skipped``. detail: eager vs traced, or why it was skipped.
    """

    label: str
    kind: str
    status: str
    detail: str


@dataclass(frozen=True)
class TraceFailure:
    """Why ``torch.jit.trace`` could not trace the model at all.

    Attributes:
        message: the error's meaningful line. error_type: its class name.
        file, line, source_line: the user's innermost frame in the traceback ("" / 0 if none).
    """

    message: str
    error_type: str
    file: str
    line: int
    source_line: str | None


@dataclass(frozen=True)
class Highlight:
    """One finding placed on the graph and code views.

    Attributes:
        file, line: the user's source line.
        severity, category: as in the finding.
        label: ``T1 data-dependent branch``.
        traced_nodes: ids (``n4``, ``n7.b0.n2``) of ``TraceReport.traced_graph`` nodes
            recorded from that line.
        scripted_nodes: ids of ``TraceReport.scripted_graph`` nodes from that line (the lost
            ``prim::If``/``prim::Loop`` first).
    """

    file: str
    line: int
    severity: str
    category: str
    label: str
    traced_nodes: tuple[str, ...]
    scripted_nodes: tuple[str, ...]


@dataclass(frozen=True)
class Highlights:
    """Plain data for the render layer: which nodes and lines to mark.

    ``marks`` dictionaries use the render layer's mark classes: ``"lost"`` for proven
    findings and ``"highlight"`` for suspected ones, so
    ``toolkit.show(report.traced_graph, marks=report.highlights().traced_marks())`` draws
    them today.
    """

    items: tuple[Highlight, ...]

    def traced_marks(self) -> dict[str, tuple[str, ...]]:
        return self._marks("traced_nodes")

    def scripted_marks(self) -> dict[str, tuple[str, ...]]:
        return self._marks("scripted_nodes")

    def lines(self) -> tuple[tuple[str, int, str], ...]:
        """``(file, line, severity)`` for every highlighted source line, in order."""
        return tuple((h.file, h.line, h.severity) for h in self.items)

    def _marks(self, attribute: str) -> dict[str, tuple[str, ...]]:
        marks: dict[str, tuple[str, ...]] = {}
        for item in self.items:
            mark = "lost" if item.severity == PROVEN else "highlight"
            for node_id in getattr(item, attribute):
                if marks.get(node_id) != ("lost",):
                    marks[node_id] = (mark,)
        return marks


@dataclass(frozen=True)
class TraceReport:
    """What :func:`check_trace` found.

    Attributes:
        name: the model's class (or function) name.
        findings: proven findings first, then suspected ones, each by file and line.
        runs: every generated input and its result.
        traced: the ``ScriptModule`` traced on the example (``None`` when tracing failed).
            It shares parameters with the check's private copy, never with the user's module.
        traced_graph, scripted_graph: their IR (inlined), for ``toolkit.show``.
        scripting_error: why scripting was unavailable, or ``None``.
        trace_error: why tracing failed, or ``None``.
        partial: the budget ran out before every check ran. skipped: the checks not run.
        notes: what the check could not do or undo, one sentence each (an empty input it
            cannot vary, a global object the model's code changed and the check cannot put back).
        escapes, tracer_warnings: the raw signals of the instrumented trace.
        elapsed_s: how long the check took (not shown, so views stay deterministic).
    """

    name: str
    findings: tuple[Finding, ...]
    runs: tuple[CheckRun, ...] = ()
    traced: Any = field(default=None, repr=False, compare=False)
    traced_graph: Graph | None = field(default=None, repr=False, compare=False)
    scripted_graph: Graph | None = field(default=None, repr=False, compare=False)
    scripting_error: str | None = None
    trace_error: TraceFailure | None = None
    partial: bool = False
    skipped: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    escapes: tuple[Escape, ...] = field(default=(), repr=False)
    tracer_warnings: tuple[TracerWarningRecord, ...] = field(default=(), repr=False)
    elapsed_s: float = field(default=0.0, compare=False)

    @property
    def ok(self) -> bool:
        """True when the model traced and no finding is proven."""
        return self.trace_error is None and not self.proven

    @property
    def proven(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == PROVEN)

    @property
    def suspected(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == SUSPECTED)

    @property
    def tried(self) -> int:
        """How many generated inputs ran (skipped ones included)."""
        return len(self.runs)

    def outcome_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for run in self.runs:
            counts[run.status] = counts.get(run.status, 0) + 1
        return counts

    def highlights(self) -> Highlights:
        """Every finding's line, with the traced and scripted node ids recorded from it."""
        items = []
        for finding in self.findings:
            items.append(
                Highlight(
                    file=finding.file,
                    line=finding.line,
                    severity=finding.severity,
                    category=finding.category,
                    label=finding.title,
                    traced_nodes=_nodes_at(self.traced_graph, finding.file, finding.line),
                    scripted_nodes=_nodes_at(self.scripted_graph, finding.file, finding.line),
                )
            )
        return Highlights(tuple(items))

    def __str__(self) -> str:
        from toolkit.render.report import report_text  # display hook: render draws, analysis finds

        return report_text(self)

    def __repr__(self) -> str:
        if self.trace_error is not None:
            return f"<TraceReport {self.name}: tracing failed>"
        state = "ok" if self.ok else "lost behaviour"
        part = ", partial" if self.partial else ""
        return f"<TraceReport {self.name}: {state}, {len(self.proven)} proven, {len(self.suspected)} suspected{part}>"

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        """The one display path every view uses (HTML with a text fallback), built in render."""
        from toolkit.render.report import report_bundle  # display hook: render draws, analysis finds

        return report_bundle(self, include=include, exclude=exclude)


def _nodes_at(g: Graph | None, file: str, line: int) -> tuple[str, ...]:
    if g is None:
        return ()
    control: list[Node] = []
    others: list[Node] = []
    for node in g.walk():
        if node.source is not None and node.source.line == line and node.source.file == file:
            (control if node.kind.is_control_flow else others).append(node)
    return tuple(n.id for n in control + others if n.kind is not NodeKind.CONSTANT)


# ---------------------------------------------------------------------------------------------
# The check
# ---------------------------------------------------------------------------------------------


class _Budget:
    """Wall-clock budget; checks not started once it is spent are listed as skipped."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.start = time.perf_counter()
        self.skipped: list[str] = []

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self.start

    @property
    def exhausted(self) -> bool:
        return self.elapsed >= self.seconds

    def allows(self, what: str, cost: float = 0.0) -> bool:
        """True while time is left for a step expected to take ``cost`` seconds; otherwise
        records ``what`` as skipped (so a long step is not started just before the end)."""
        if self.elapsed + cost >= self.seconds:
            self.skipped.append(what)
            return False
        return True


@message_first
def check_trace(
    model: Any,
    example_inputs: Any,
    *,
    check_inputs: Sequence[Any] | None = None,
    budget_s: float | None = None,
    options: CheckOptions | Mapping[str, Any] | None = None,
) -> TraceReport:
    """Trace ``model`` on ``example_inputs`` and report the behaviour the trace lost.

    Args:
        model: an ``nn.Module`` or a function, as you would pass to ``torch.jit.trace``.
        example_inputs: a tensor, a tuple (or, as torch.jit.trace reads it, a list) of arguments,
            or a dict of keyword arguments.
        check_inputs: extra inputs of your own (each a tensor or a tuple), tried before the
            generated ones. They only add to what the check generates.
        budget_s: time budget in seconds (overrides ``options.budget_s``).
        options: the other settings (:class:`CheckOptions`), or a dict of ``torch.jit.trace``
            keyword arguments as you would pass them (``{"strict": False, "check_trace": False}``);
            a dict may also set :class:`CheckOptions` fields by name.

    Returns:
        A :class:`TraceReport`; ``report.ok`` is False when a finding is proven or the model
        cannot be traced at all.

    Raises:
        MissingExampleInputsError: no example inputs.
        CheckOptionsError: ``options`` is not a :class:`CheckOptions` or a dict of known keys, or a budget is not a
            number of seconds, not negative (``math.inf``: no budget); ``check_inputs``
            is not a list or tuple.
        TracingError: ``model`` is not callable, is already TorchScript, fails in eager
            PyTorch on its own example inputs, or cannot be copied.
    """
    name = _name(model)
    options = _checked_options(options, budget_s, name)
    if check_inputs is not None and not isinstance(check_inputs, (list, tuple)):
        raise CheckOptionsError(
            f"check_trace({name}) got check_inputs={_short(check_inputs)} ({type(check_inputs).__name__}); it takes"
            " a list of extra inputs, each a tensor or a tuple of arguments. Fix: wrap them, e.g."
            " check_inputs=[(x2,), (x3,)]."
        )
    _validate(model, example_inputs, name)
    args, kwargs = cloned(*_as_args(example_inputs))  # the user's tensors are never written to
    clock = _Budget(options.budget_s)
    outside = _caller_lines(sys._getframe(1))
    python_state = GlobalsGuard(model)
    with warnings.catch_warnings():
        # TorchScript warns on every torch.jit call in 2.13; inside the check that is noise
        warnings.filterwarnings("ignore", message=_JIT_DEPRECATION, category=DeprecationWarning)
        with preserved_global_state():
            torch.set_grad_enabled(True)
            try:
                report = _check(model, name, args, kwargs, tuple(check_inputs or ()), options, clock, outside)
            finally:
                python_state.restore()
    notes = _empty_input_notes(args, kwargs) + python_state.unrestorable_changes()
    return dataclasses.replace(report, notes=report.notes + notes) if notes else report


def _caller_lines(frame: FrameType | None) -> frozenset[tuple[str, int]]:
    """``(file, line)`` of ``frame`` and every frame that called it.

    Why: a traced graph records the whole Python stack of each operation, the lines that
    called ``check_trace`` included; for a model made only of torch code (``nn.LSTM``) those
    are the only lines outside library code, and a finding must never name them.
    """
    lines: set[tuple[str, int]] = set()
    while frame is not None:
        lines.add((frame.f_code.co_filename, frame.f_lineno))
        frame = frame.f_back
    return frozenset(lines)


def _checked_options(options: Any, budget_s: Any, name: str) -> CheckOptions:
    """``options`` with ``budget_s`` applied, or a clear error naming the argument that is wrong."""
    if options is None:
        options = CheckOptions()
    elif isinstance(options, Mapping):
        options = _options_from_mapping(options, name)
    elif not isinstance(options, CheckOptions):
        raise CheckOptionsError(
            f"check_trace({name}) got options={_short(options)} ({type(options).__name__}); it takes a"
            " toolkit CheckOptions, or a dict of torch.jit.trace keyword arguments. Fix: pass"
            " CheckOptions(...) with the settings you want, e.g. options=CheckOptions(script=False),"
            ' or options={"strict": False}, or leave options out for the defaults.'
        )
    for argument, value in (("budget_s", budget_s), ("options.budget_s", options.budget_s)):
        if value is None and argument == "budget_s":
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value) or value < 0:
            raise CheckOptionsError(
                f"check_trace({name}) got {argument}={_short(value)} ({type(value).__name__}); the time"
                " budget must be a number of seconds, not negative (0 traces the example only, math.inf means no budget)."
                f" Fix: pass a number, e.g. {argument.split('.')[-1]}=10."
            )
    return dataclasses.replace(options, budget_s=float(budget_s)) if budget_s is not None else options


def _trace_parameters() -> tuple[str, ...]:
    """The keyword arguments ``torch.jit.trace`` takes besides the function and its inputs."""
    params = inspect.signature(torch.jit.trace).parameters
    return tuple(p for p in params if p not in ("func", "example_inputs", "example_kwarg_inputs"))


def _options_from_mapping(options: Mapping[Any, Any], name: str) -> CheckOptions:
    """``options={"strict": False, "check_trace": False}``: what a ``torch.jit.trace`` call passes.

    Keys that are ``torch.jit.trace`` parameters go to the trace (``check_trace`` is always off
    inside the check: checking is what it does itself); keys that are :class:`CheckOptions`
    fields set those.
    """
    fields = {f.name for f in dataclasses.fields(CheckOptions)} - {"trace_kwargs"}
    trace_names = _trace_parameters()
    trace_kwargs: dict[str, Any] = {}
    settings: dict[str, Any] = {}
    for key, value in options.items():
        if key in trace_names:
            if key != "check_trace":
                trace_kwargs[key] = value
        elif key in fields:
            settings[key] = value
        else:
            raise CheckOptionsError(
                f"check_trace({name}) got options key {_short(key)}, which is neither a torch.jit.trace"
                f" argument ({', '.join(n for n in trace_names if not n.startswith('_'))}) nor a CheckOptions field ({', '.join(sorted(fields))})."
                ' Fix: spell it as torch.jit.trace does, e.g. options={"strict": False}.'
            )
    return CheckOptions(**settings, trace_kwargs=trace_kwargs)


def _short(value: Any) -> str:
    text = " ".join(repr(value).split())
    return text if len(text) <= 60 else text[:57] + "..."


def _empty_input_notes(args: tuple, kwargs: Mapping[str, Any]) -> tuple[str, ...]:
    """A note for each example tensor with no elements: the check cannot vary its values."""
    leaves = [("argument " + str(i), a) for i, a in enumerate(args)] + [(f"argument {k!r}", v) for k, v in kwargs.items()]
    return tuple(
        f"{where} is an empty tensor (shape {tuple(value.shape)}): the check cannot vary the values of an empty"
        " tensor, so only its sizes were changed. Fix: give an example with at least one element."
        for where, value in leaves
        if isinstance(value, torch.Tensor) and value.numel() == 0
    )


def _check(
    model: Any,
    name: str,
    args: tuple,
    kwargs: dict,
    check_inputs: tuple[Any, ...],
    options: CheckOptions,
    clock: _Budget,
    outside: frozenset[tuple[str, int]],
) -> TraceReport:
    bench = _workbench(model, name, args, kwargs, options.seed)

    # 1-2. the instrumented trace, and the lint
    seed_everything(options.seed)
    # traced from a copy that shares the private copy's weights (the traced module keeps them);
    # whatever the traced call wrote into them is put back before anything else runs
    example = record_trace(bench.shared(), *cloned(args, kwargs), trace_kwargs=options.trace_kwargs)
    bench.restore()
    if example.error is not None:
        return _untraceable(name, example, clock)
    traced_graph = _graph(example.module)
    lint = lint_model(model) if options.lint else ()

    # 3. the structural comparison with the scripted graph
    scripted_graph: Graph | None = None
    scripting_error: str | None = "not attempted (options.script is False)"
    lost_control_flow: dict[tuple[str, int], Node] = {}
    if options.script:
        if clock.allows("structural comparison with the scripted graph"):
            scripted_graph, scripting_error, lost_control_flow = _script(bench, traced_graph, decorated_forwards(model))
        else:
            scripting_error = "not attempted: the time budget ran out"

    # 4. differential testing on generated inputs
    variants = _variants(model, bench, args, kwargs, check_inputs, options, clock, _values_matter(example, lint), _repeat_calls(lint))
    outcomes = _run(variants, bench, example.module, options, clock)

    # 5. localisation, then what no input proved
    evidence = Evidence(
        example=example,
        traced_graph=traced_graph,
        lint=lint,
        lost_control_flow=lost_control_flow,
        entry=entry_location(model),
        retrace=lambda variant: _retrace(bench, variant, options, clock),
        graph_of=_graph,
        provided=_provided_arguments(model, args, kwargs),
        outside=outside,
        training=bench.training,
    )
    proven: dict[tuple[str, int], Finding] = {}
    for outcome in _one_of_each_kind_first([o for o in outcomes if o.diverged])[: options.max_localisations]:
        if proven and not clock.allows(f"localising '{outcome.variant.label}'"):
            continue
        finding = explain_divergence(outcome, evidence)
        if finding is not None:
            proven.setdefault((finding.file, finding.line), finding)
        else:
            outcomes[outcomes.index(outcome)] = dataclasses.replace(
                outcome,
                status="skipped",
                detail="only library code took another path on it (torch's handling of an unbatched input,"
                f" say); no line of the model reads the rank. Eager vs traced: {outcome.detail}",
            )
    suspected = suspected_findings(evidence, taken=proven)
    # Sorted, both groups: the order evidence arrives in follows timings, and a report must read the same each run.
    findings = tuple(sorted(proven.values(), key=_reading_order)) + tuple(sorted(suspected, key=_reading_order))

    # 6. how torch.export sees each finding, on the same counterexample
    if options.export and findings and clock.allows("how torch.export sees each finding"):
        views = export_views(bench.fresh, args, kwargs, findings, rtol=options.rtol, atol=options.atol)
        findings = tuple(dataclasses.replace(f, export=v) for f, v in zip(findings, views))
    return TraceReport(
        name=name,
        findings=findings,
        runs=tuple(CheckRun(o.variant.label, o.variant.kind, o.status, o.detail) for o in outcomes),
        traced=example.module,
        traced_graph=traced_graph,
        scripted_graph=scripted_graph,
        scripting_error=scripting_error,
        partial=bool(clock.skipped),
        skipped=tuple(clock.skipped),
        escapes=example.escapes,
        tracer_warnings=example.warnings,
        elapsed_s=clock.elapsed,
    )


def _reading_order(finding: Finding) -> tuple[bool, str, int, str]:
    """The user's lines first, then library code; by file name (never the folder, which depends on
    where the checkout or the kernel's temporary files live), line and category."""
    return (is_library_path(finding.file), os.path.basename(finding.file), finding.line, finding.category)


def _workbench(model: Any, name: str, args: tuple, kwargs: dict, seed: int) -> Workbench:
    """Copy the model once, and make sure it runs on its own example in eager PyTorch."""
    try:
        bench = Workbench(model)
    except CannotCopyModel as exc:
        raise TracingError(
            f"check_trace({name}) must work on a copy so that your module is never changed, but"
            f" copy.deepcopy failed: {exc}. Fix: make the module deep-copyable (drop open files, locks or"
            " generators held as attributes), or check a freshly built instance."
        ) from None
    seed_everything(seed)
    try:
        with torch.no_grad():
            run_args, run_kwargs = cloned(args, kwargs)
            bench.shared()(*run_args, **run_kwargs)
    except Exception as exc:  # noqa: BLE001 - the user's model failing on its own input
        raise TracingError(
            f"{name} fails in eager PyTorch on its own example inputs{user_location_text(exc)}: {error_line(exc)}."
            " Fix: call the model on these inputs directly and make that work first; a trace can only"
            " record a run that succeeds."
        ) from exc
    finally:
        bench.restore()
    return bench


def _variants(
    model: Any,
    bench: Workbench,
    args: tuple,
    kwargs: dict,
    check_inputs: tuple[Any, ...],
    options: CheckOptions,
    clock: _Budget,
    values_matter: bool = True,
    repeat_calls: int = 3,
) -> list[Variant]:
    """The user's check inputs, inputs moved across decision boundaries, then generated ones."""
    targeted: list[Variant] = []
    if clock.allows("inputs moved across decision boundaries"):
        seed_everything(options.seed)
        targeted = [
            Variant(label, VariantKind.BOUNDARY, moved_args, moved_kwargs)
            for label, moved_args, moved_kwargs in boundary_inputs(bench.shared(), args, kwargs)
        ]
        bench.restore()
    variants = generate_variants(
        args,
        kwargs,
        forward=_forward_of(model),
        training=bench.training,
        device=other_device(_example_device(args, kwargs)) if options.other_device else None,
        seed=options.seed,
        check_inputs=check_inputs,
        values_matter=values_matter,
        repeat_calls=repeat_calls,
    )
    variants[len(check_inputs):len(check_inputs)] = targeted
    return variants


# counterexamples kept per axis (values, sizes...) before that axis stops: localising costs a
# re-trace each, and a third value change almost never points at a line the first two missed
_ENOUGH_PER_AXIS = 3
_VALUE_LINT = frozenset({"T1", "T2", "T3", "T5", "T6", "T9", "T12", "T13"})


def _values_matter(example: InstrumentedTrace, lint: tuple[LintHit, ...]) -> bool:
    """Whether the example's trace read any tensor *value* into Python (see ``generate_variants``).

    A rank read (``dim``, as batch-norm does) or a device read is not a value; sizes are not.
    """
    if example.warnings or any(hit.category in _VALUE_LINT for hit in lint):
        return True
    return any(not e.from_size and e.kind not in ("dim", "device") for e in example.escapes)


def _repeat_calls(lint: tuple[LintHit, ...]) -> int:
    """Calls in a row for the repeated-call variant: state a call leaves shows on the next one,
    so two do; three where the lint saw Python state, RNG or re-bound buffers (a counter that
    only matters past its first step)."""
    return 3 if any(hit.category in ("T6", "T8") for hit in lint) else 2


def _run(variants: list[Variant], bench: Workbench, traced: Any, options: CheckOptions, clock: _Budget) -> list[Outcome]:
    """Run every variant in time, with a progress bar when that takes a while.

    Variants of one group are alternatives (candidate values for one optional argument): the
    first that eager PyTorch accepts and does not ignore stands for the group; if none does,
    the last refusal (or the last ignored value) does.
    """
    outcomes: list[Outcome] = []
    settled: set[str] = set()
    unsettled: dict[str, Outcome] = {}
    diverged: dict[str, int] = {}
    durations: list[float] = []
    with _progress(len(variants), options.progress) as bar:
        for variant in variants:
            bar.update(1)
            if variant.group is not None and variant.group in settled:
                continue
            if diverged.get(variant.kind, 0) >= _ENOUGH_PER_AXIS:
                continue  # this axis is proven; more counterexamples of it rarely name another line
            if not clock.allows(variant.label, cost=max(durations[-3:], default=0.0)):
                continue
            started = time.perf_counter()
            outcome = run_variant(variant, bench, traced, seed=options.seed + 1, rtol=options.rtol, atol=options.atol)
            durations.append(time.perf_counter() - started)
            if outcome.diverged:
                diverged[variant.kind] = diverged.get(variant.kind, 0) + 1
            if variant.group is None:
                outcomes.append(outcome)
            elif outcome.status != "skipped" and not outcome.ignored:
                settled.add(variant.group)
                unsettled.pop(variant.group, None)
                outcomes.append(outcome)
            else:
                unsettled[variant.group] = outcome
    outcomes.extend(unsettled.values())
    return outcomes


def _retrace(bench: Workbench, variant: Variant, options: CheckOptions, clock: _Budget) -> InstrumentedTrace | None:
    """An instrumented trace of a fresh copy on a variant's inputs (for localisation)."""
    if clock.exhausted:
        return None
    try:
        module = bench.fresh(device=variant.device)
    except Exception:  # noqa: BLE001 - cannot move it there: no re-trace, other evidence is used
        return None
    seed_everything(options.seed)
    args, kwargs = cloned(variant.args, variant.kwargs)
    return record_trace(module, args, kwargs, trace_kwargs=options.trace_kwargs)


def _one_of_each_kind_first(outcomes: list[Outcome]) -> list[Outcome]:
    """Diverging outcomes reordered round-robin by axis, so that the localisations spent go to
    different axes (a size change and a value change usually point at different lines)."""
    by_kind: dict[str, list[Outcome]] = {}
    for outcome in outcomes:
        by_kind.setdefault(outcome.variant.kind, []).append(outcome)
    ordered: list[Outcome] = []
    for depth in range(max((len(group) for group in by_kind.values()), default=0)):
        ordered += [group[depth] for group in by_kind.values() if depth < len(group)]
    return ordered


def _untraceable(name: str, example: InstrumentedTrace, clock: _Budget) -> TraceReport:
    exc = example.error
    assert exc is not None
    file, line = example.error_frame or ("", 0)
    failure = TraceFailure(
        message=error_line(exc),
        error_type=type(exc).__name__,
        file=file,
        line=line,
        source_line=(linecache.getline(file, line).strip() or None) if file else None,
    )
    return TraceReport(
        name=name,
        findings=(),
        trace_error=failure,
        escapes=example.escapes,
        tracer_warnings=example.warnings,
        elapsed_s=clock.elapsed,
    )


def _name(model: Any) -> str:
    if isinstance(model, torch.nn.Module):
        return type(model).__name__
    return getattr(model, "__qualname__", None) or getattr(model, "__name__", None) or type(model).__name__


def _as_args(example_inputs: Any) -> tuple[tuple, dict]:
    if isinstance(example_inputs, dict):
        return (), dict(example_inputs)
    if isinstance(example_inputs, (tuple, list)):  # torch.jit.trace reads a list [x, h] as two arguments too
        return tuple(example_inputs), {}
    return (example_inputs,), {}


def _validate(model: Any, example_inputs: Any, name: str) -> None:
    if isinstance(model, (torch.jit.ScriptModule, torch.jit.ScriptFunction)):
        raise TracingError(
            f"{name} is already TorchScript, so there is no Python code left to check."
            " Fix: pass the original nn.Module (or function) that you trace."
        )
    if not callable(model):
        raise TracingError(
            f"check_trace needs an nn.Module or a function to trace, not a {type(model).__name__}."
            " Fix: pass the model itself, e.g. toolkit.check_trace(model, (x,))."
        )
    if example_inputs is None or (isinstance(example_inputs, (tuple, list, dict)) and len(example_inputs) == 0):
        raise MissingExampleInputsError(
            f"check_trace({name}) needs example inputs: torch.jit.trace runs the model once on them and the"
            " check generates its other inputs from them. Fix: pass them, e.g."
            " toolkit.check_trace(model, (torch.rand(3, 4),))."
        )


def _graph(module: Any) -> Graph | None:
    try:
        return build.graph(module, inlined=True)
    except Exception:  # noqa: BLE001 - a view is a bonus; the check does not depend on it
        return None


def _script(
    bench: Workbench, traced_graph: Graph | None, decorated: tuple[tuple[str, str, int, int], ...] = ()
) -> tuple[Graph | None, str | None, dict[tuple[str, int], Node]]:
    """Script a fresh copy; the lost control flow by ``(file, line)``, or why scripting failed.

    ``decorated`` (:func:`~toolkit.analysis.lost_flow.lint.decorated_forwards`) puts nodes that
    TorchScript filed under a decorator's file back in the decorated function's file.
    """
    try:
        scripted = torch.jit.script(bench.shared())  # compiled, never run
    except Exception as exc:  # noqa: BLE001 - scripting is best effort by design
        return None, error_line(exc), {}
    scripted_graph = _graph(scripted)
    if scripted_graph is None or traced_graph is None:
        return scripted_graph, None, {}
    lost: dict[tuple[str, int], Node] = {}
    for node in diff_graphs(traced_graph, scripted_graph).lost_control_flow:
        if node.source is None or is_decided_by_configuration(scripted_graph, node):
            continue
        if node.source.file == "<string>" or is_torch_path(node.source.file):
            continue  # control flow inside torch's own functions (F.interpolate, TorchScript's built-ins) is not the user's
        lost.setdefault(_own_file(node.source.file, node.source.line, decorated), node)
    return scripted_graph, None, lost


def _own_file(file: str, line: int, decorated: tuple[tuple[str, str, int, int], ...]) -> tuple[str, int]:
    for wrapper_file, own_file, first, last in decorated:
        if file == wrapper_file and first <= line <= last:
            return own_file, line
    return file, line


def _progress(total: int, enabled: bool | None):
    from tqdm.auto import tqdm  # imported when a check runs: tqdm.auto looks at the notebook

    return tqdm(
        total=total,
        desc="check_trace",
        unit="input",
        leave=False,
        disable=enabled is False,
        delay=0.0 if enabled else _PROGRESS_DELAY_S,
    )


def _provided_arguments(model: Any, args: tuple, kwargs: Mapping[str, Any]) -> frozenset[str]:
    try:
        params = [p for p in inspect.signature(_forward_of(model)).parameters if p != "self"]
    except (TypeError, ValueError):
        return frozenset(kwargs)
    return frozenset(params[: len(args)]) | frozenset(kwargs)


def _forward_of(model: Any) -> Any:
    if isinstance(model, torch.nn.Module):
        return type(model).forward
    return model


def _example_device(args: tuple, kwargs: Mapping[str, Any]) -> str:
    for leaf in pytree.tree_leaves((args, dict(kwargs))):
        if isinstance(leaf, torch.Tensor):
            return leaf.device.type
    return "cpu"
