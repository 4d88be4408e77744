"""``trace``, ``analyze_model`` and ``plan_of``: torch-neuron's trace API on CUDA and the CPU.

``trace`` keeps torch-neuron's signature (``compiler_args``, ``compiler_timeout``,
``compiler_workdir``, ``subgraph_builder_function``, ``minimum_segment_size``, ``fallback``,
``dynamic_batch_size``, other keywords to ``torch.jit.trace``) and adds ``supported`` (what the
accelerator can run) and ``device``. Inside, the options are grouped in two frozen
dataclasses, :class:`PartitionOptions` and :class:`~toolkit.partition.backends.CompilerOptions`;
:func:`partition_options` is the one place the first is made from the keywords, and both
``trace`` and ``analyze_model`` also take a ready one as ``options=``.

The plan is a constructor argument of the generated module (its ``partition_plan`` string), so
a partitioned module carries its plan from the moment it exists and nothing is set on it later.
"""

from __future__ import annotations

from dataclasses import MISSING, dataclass, fields
from typing import Any, Callable, Sequence

import torch

from toolkit.analysis.partition.plan import BatchReport, PartitionPlan, plan_in, remember_plan
from toolkit.analysis.partition.plan_codec import plan_to_json
from toolkit.analysis.partition.proposal import Proposal, Role, Target, propose
from toolkit.analysis.partition.support import NodeInfo, Reason, SupportRule, UserSelection, as_rule, profile
from toolkit.capture import Captured
from toolkit.analysis.partition.plan_report import accelerator_name
from toolkit.errors import FallbackError, PartitionError, message_first
from toolkit.ir.model import Graph
from toolkit.partition.apply import GeneratedSources, apply_proposal, generated_sources
from toolkit.partition.backends import CompilerOptions, magnitude, max_abs_diff
from toolkit.partition.batch import check_batches, find_baked_constants, require_batch_major, traced_batch
from toolkit.partition.capture import capture
from toolkit.partition.codegen import chunked_batch_source, in_place_plan, unfaithful_writes_message
from toolkit.partition.compiler_args import parse_compiler_args
from toolkit.partition import logs
from toolkit.partition.diagnostics import CodeOwner, Notes, code_owner
from toolkit.words import plural

__all__ = ["PartitionOptions", "partition_options", "trace", "analyze_model", "plan_of", "resolve_device"]


@dataclass(frozen=True)
class PartitionOptions:
    """How to split the model (torch-neuron's partitioning knobs plus ``supported``).

    Attributes:
        supported: what the accelerator can run: ``None`` (the backend's real coverage), a
            profile name (``"cuda"``, ``"cpu"``, ``"neuron-like"``), a collection of op kinds,
            a support rule, or a predicate ``node -> bool``.
        subgraph_builder_function: ``node -> bool``, torch-neuron's selection: True puts the node
            on the accelerator (overriding ``supported``, within the backend's real coverage),
            False keeps it on the CPU (see :class:`~toolkit.analysis.partition.support.UserSelection`).
        minimum_segment_size: accelerator segments with fewer compute ops fall back to the CPU.
        fallback: allow CPU fallback at all.
        dynamic_batch_size: accept any batch size on dimension 0.
    """

    supported: Any = None
    subgraph_builder_function: Callable[[NodeInfo], object] | None = None
    minimum_segment_size: int = 2
    fallback: bool = True
    dynamic_batch_size: bool = False

    def __post_init__(self) -> None:
        size = self.minimum_segment_size
        if isinstance(size, bool) or not isinstance(size, int) or size < 0:
            raise PartitionError(
                f"minimum_segment_size must be a non-negative int, not {size!r}. It counts the compute"
                " ops of an accelerator segment; 0 or 1 keeps every supported op on the accelerator."
                " Fix: minimum_segment_size=2 (the default), or another whole number."
            )
        for flag in ("fallback", "dynamic_batch_size"):
            value = getattr(self, flag)
            if not isinstance(value, bool):
                raise PartitionError(
                    f"{flag} must be True or False, not {value!r} ({type(value).__name__}): a value such as"
                    f" 'no' would count as True. Fix: {flag}=True or {flag}=False."
                )
        if self.subgraph_builder_function is not None and not callable(self.subgraph_builder_function):
            raise PartitionError(
                f"subgraph_builder_function must be callable (node -> bool), not"
                f" {type(self.subgraph_builder_function).__name__}. Fix: subgraph_builder_function=lambda"
                " node: 'aten::linear' in node.kind (or leave it None)."
            )

    def rule(self, device: torch.device) -> SupportRule:
        """The support rule these options describe for ``device``."""
        base = as_rule(self.supported, default=device.type)
        if self.subgraph_builder_function is None:
            return base
        return UserSelection(self.subgraph_builder_function, coverage=profile(device.type), default=base)


def partition_options(options: PartitionOptions | None = None, **keywords: Any) -> PartitionOptions:
    """The one place a :class:`PartitionOptions` is made from torch-neuron's keyword arguments.

    Args:
        options: a ready options object (``options=PartitionOptions(...)``), or ``None``.
        **keywords: :class:`PartitionOptions` fields spelled as keywords (``supported=``,
            ``minimum_segment_size=``...). With ``options``, a keyword left at its default
            defers to ``options``, and one that agrees with it is accepted.

    Raises:
        PartitionError: ``options`` is not a PartitionOptions, a keyword disagrees with
            ``options``, or a value is invalid (see :class:`PartitionOptions`).
    """
    if options is None:
        return PartitionOptions(**keywords)
    if not isinstance(options, PartitionOptions):
        raise PartitionError(
            f"options= must be a toolkit.partition.PartitionOptions, not {type(options).__name__}."
            " Fix: options=PartitionOptions(minimum_segment_size=..., ...), or pass the keywords alone."
        )
    defaults = {f.name: f.default for f in fields(PartitionOptions) if f.default is not MISSING}
    for name, value in keywords.items():
        chosen = getattr(options, name)
        if _is_default(value, defaults[name]) or value is chosen or _is_default(value, chosen):
            continue
        raise PartitionError(
            f"options= and {name}= disagree: options has {name}={chosen!r}, the keyword says {name}={value!r}."
            f" Fix: give {name} once, either in PartitionOptions(...) or as the keyword."
        )
    return options


def _is_default(value: Any, default: Any) -> bool:
    """``value`` equals ``default`` as a keyword left alone would (same type, equal value)."""
    if value is default:
        return True
    try:
        return type(value) is type(default) and bool(value == default)
    except Exception:  # noqa: BLE001 - a user's object may refuse comparison: then it was given
        return False


def resolve_device(device: Any, notes: Notes) -> torch.device:
    """``device`` as a torch.device; ``None`` means CUDA when available, else the CPU with a note.

    Raises:
        PartitionError: the device is not CUDA or the CPU, or CUDA was asked for but is absent.
    """
    if device is None:
        if torch.cuda.is_available():
            return torch.device("cuda")
        notes.add(
            "CUDA is not available, so the accelerator segments run on the CPU (device='cpu'); the"
            " partition, reasons and transfers are those a GPU would get. Pass device= to choose."
        )
        return torch.device("cpu")
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError):
        raise PartitionError(f"device={device!r} is not a device. Fix: device='cuda', 'cuda:1' or 'cpu'.") from None
    if resolved.type not in ("cuda", "cpu"):
        raise PartitionError(
            f"device={device!r}: toolkit.partition compiles for CUDA or the CPU only. Fix: device='cuda' or 'cpu'."
        )
    if resolved.type == "cpu" and resolved.index not in (None, 0):
        raise PartitionError(
            f"device={device!r}: the CPU is one device, it has no index {resolved.index}."
            " Fix: device='cpu', or device='cuda:N' for the N-th GPU."
        )
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise PartitionError(
            f"device={device!r} but CUDA is not available on this machine. Fix: device='cpu', or"
            " leave device=None to use CUDA only where it exists."
        )
    return resolved


def _check_timeout(timeout: Any) -> None:
    """``compiler_timeout`` is ``None`` or a finite number of seconds, 0 or more (0 stops after the first segment)."""
    if timeout is None:
        return
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
        raise PartitionError(
            f"compiler_timeout must be a number of seconds or None, not {timeout!r} ({type(timeout).__name__})."
            " Fix: compiler_timeout=60, or leave it None for no limit."
        )
    if not 0 <= timeout < float("inf"):
        raise PartitionError(
            f"compiler_timeout={timeout!r} is not a finite number of seconds, 0 or more, so it cannot limit"
            " anything. Fix: compiler_timeout=60, or None for no limit."
        )


def _propose(captured: Captured, options: PartitionOptions, device: torch.device) -> tuple[Proposal, SupportRule]:
    rule = options.rule(device)
    size = options.minimum_segment_size if options.fallback else 0
    return propose(captured.ir, rule, minimum_segment_size=size), rule


def _cpu_ops(proposal: Proposal, owner: CodeOwner) -> tuple[int, list[str]]:
    """The CPU ops of ``proposal``, one line per distinct cause: op, where its code is, reason.

    MobileNetV3 under a profile without ``hardswish`` has 19 of them inside torch's
    ``Hardswish``: one line says so, with where the first one sits, instead of 19 lines.

    Returns:
        (how many ops run on the CPU, the lines).
    """
    groups: dict[tuple[str, str, bool, str, str], list[str]] = {}
    for node_id, decision in proposal.decisions.items():
        if decision.target is Target.CPU:
            node = proposal.graph.node(node_id)
            where, library = owner(node)
            reason = decision.reason.value if decision.reason else "unsupported"
            groups.setdefault((node.op, where, library, reason, decision.detail), []).append(node_id)
    lines = []
    for (op, where, library, reason, detail), ids in groups.items():
        first = proposal.graph.node(ids[0])
        scope = f", in {first.scope.dotted}" if first.scope.path else ""
        more = f" and {len(ids) - 1} more" if len(ids) > 1 else ""
        count = f"{len(ids)} x " if len(ids) > 1 else ""
        lines.append(
            f"  - {count}{op} ({where}{', library code' if library else ''}{scope}{more}): {reason}: {detail}"
        )
    return sum(len(ids) for ids in groups.values()), lines


def _why_all_on_cpu(proposal: Proposal) -> str:
    """Why a plan has no accelerator segment, by cause, with the fix when there is one.

    A model whose compute ops could all run on the accelerator but are fewer than
    ``minimum_segment_size`` (lesson 05's one-``Linear`` model) says exactly that, so the
    note does not read as if the accelerator could not run it.
    """
    on_cpu = [d for d in proposal.decisions.values() if d.target is Target.CPU]
    compute = [n for n, role in proposal.roles.items() if role is Role.COMPUTE]
    if on_cpu and all(d.reason is Reason.MIN_SEGMENT for d in on_cpu):
        kinds = sorted({proposal.graph.node(n).op for n in compute})
        return (
            f"its {plural(len(compute), 'compute op')} ({', '.join(kinds)}) could run there, but"
            f" {'is' if len(compute) == 1 else 'are'} fewer than minimum_segment_size={proposal.minimum_segment_size},"
            " so the model runs as CPU fallback (the option keeps segments whose copies cost more than"
            " they save off the device)."
            f" Fix: minimum_segment_size={max(1, len(compute))} to compile a segment this small."
        )
    counts: dict[str, int] = {}
    for d in on_cpu:
        key = d.reason.value if d.reason else Reason.UNSUPPORTED.value
        counts[key] = counts.get(key, 0) + 1
    causes = ", ".join(f"{n} {reason}" for reason, n in counts.items())
    return (
        f"the model runs entirely as CPU fallback ({plural(len(on_cpu), 'CPU op')}: {causes})."
        " See toolkit.partition.analyze_model(...) for the reason of each op."
    )


def _describe(model: Any) -> str:
    return getattr(model, "__name__", None) or type(model).__name__


def analyze_model(
    model: Any,
    example_inputs: Any,
    *,
    supported: Any = None,
    subgraph_builder_function: Callable[[NodeInfo], object] | None = None,
    minimum_segment_size: int = 2,
    device: Any = None,
    options: PartitionOptions | None = None,
    **trace_kwargs: Any,
) -> PartitionPlan:
    """Trace and partition without compiling (torch-neuron's ``analyze_model``).

    The arguments are :func:`trace`'s; ``options=`` may replace the partitioning keywords.

    Returns:
        The :class:`~toolkit.analysis.partition.plan.PartitionPlan`: ``print(plan)`` shows the
        neuron-style summary lines and the per-op table (kind, count, placement, and exactly
        one reason code for every op on the CPU); ``plan.op_rows()`` has one row per op.
    """
    chosen = partition_options(
        options,
        supported=supported,
        subgraph_builder_function=subgraph_builder_function,
        minimum_segment_size=minimum_segment_size,
    )
    notes = Notes()
    resolved = resolve_device(device, notes)
    captured = capture(model, example_inputs, **trace_kwargs)
    proposal, rule = _propose(captured, chosen, resolved)
    return PartitionPlan(proposal=proposal, device=str(resolved), profile=rule.label, notes=tuple(notes.lines))


@message_first
def trace(
    model: Any,
    example_inputs: Any,
    *,
    supported: Any = None,
    subgraph_builder_function: Callable[[NodeInfo], object] | None = None,
    minimum_segment_size: int = 2,
    fallback: bool = True,
    dynamic_batch_size: bool = False,
    device: Any = None,
    compiler_args: Sequence[str] | None = None,
    compiler_timeout: float | None = None,
    compiler_workdir: str | None = None,
    options: PartitionOptions | None = None,
    **trace_kwargs: Any,
) -> torch.jit.ScriptModule:
    """Trace ``model``, run what the accelerator supports there and the rest on the CPU.

    Args:
        model: an ``nn.Module``, a bound ``forward``, or a function of tensors.
        example_inputs: a tensor or a tuple of tensors.
        supported: what the accelerator can run: ``None`` for the backend's real coverage (any
            ``aten::`` op with tensor outputs on CUDA), a profile name (``"cuda"``, ``"cpu"``,
            ``"neuron-like"``), a set of op kinds (``{"aten::_convolution", ...}``), a rule from
            :mod:`toolkit.analysis.partition.support`, or a predicate ``node -> bool``.
        subgraph_builder_function: called on every compute node, it *is* the selection, as in
            torch-neuron: True puts the node on the accelerator (even one ``supported`` leaves
            out), False keeps it on the CPU (reason ``user-excluded``). Why: the seed defines it as
            "whether it should be included in the fused Neuron graph", with the supported ops
            only the default; a filter that could only exclude would make ``True`` a no-op. The
            backend's real coverage still holds (a ``prim::`` op, or one with no tensor output,
            stays on the CPU as ``unsupported``), and a node the device then fails on falls back
            with its segment (``compile-failed``). ``node.name`` is the tuple of module class
            names it sits in, root first, so ``'ExampleConvolutionLayer' in node.name`` works;
            ``node.kind``, ``node.scope``, ``node.path`` and ``node.source`` are there too.
        minimum_segment_size: an accelerator segment with fewer *compute ops* runs on the CPU.
            Compute ops are ``aten`` operators that read or write tensor data. Views
            (``view``, ``reshape``, ``flatten``, ``permute``...), shape and scalar ops
            (``aten::size``, ``aten::Int``, ``prim::NumToTensor``), constants, attribute reads
            and list/tuple packing do not count.
        fallback: with False, any op that cannot run on the accelerator (or a segment that
            fails to compile) raises :class:`~toolkit.errors.FallbackError` listing each op and
            its reason, and ``minimum_segment_size`` is ignored. FallbackError is a
            ``PartitionError`` and also the ``AttributeError`` torch-neuron documents.
        dynamic_batch_size: accept any batch size on dimension 0; checked against the eager
            model at batches 1, B, B+3 and 2B+1. Batch-baked constants are reported and the
            model then runs in chunks of the traced batch, as torch-neuron does.
        device: the accelerator: ``None`` is CUDA when available, else the CPU with a note.
        compiler_args: a list of strings for the segment compiler. The TorchScript compiler acts
            on ``["--reject-op", "aten::tanh"]`` (refuse segments containing that op, to see the
            compile-failure fallback on any machine). neuron-cc's flags (the seed's
            ``['--neuroncore-pipeline-cores', '4']``, ``--fast-math``...; the table is
            :data:`toolkit.partition.compiler_args.NEURON_CC_FLAGS`) are accepted with a
            note that they do not apply here; only malformed input is an error.
        compiler_timeout: seconds for compiling all segments; exceeding it raises
            :class:`~toolkit.partition.backends.CompileTimeout` (a ``subprocess.TimeoutExpired``).
        compiler_workdir: keep the generated source (``tsk_partition_*.py``), ``plan.txt`` and
            ``compile.log`` in this folder.
        options: a :class:`PartitionOptions` in place of ``supported`` ...
            ``dynamic_batch_size``; a keyword that disagrees with it is an error.
        **trace_kwargs: passed to ``torch.jit.trace`` (``strict=False``, ``check_trace=False``...).

    Returns:
        A ``torch.jit.ScriptModule``: saves with ``torch.jit.save`` and loads with
        ``torch.jit.load`` in any process, with no import needed; segments follow their weights,
        so ``map_location="cpu"`` runs a CUDA-partitioned model on a CPU-only machine.
        ``toolkit.partition.plan_of(result)`` gives the plan.

    Raises:
        FallbackError: ``fallback=False`` and an op or segment would fall back to the CPU.
        PartitionError: bad options (malformed ``compiler_args`` too), a dynamic-batch check
            that fails, or in-place writes the partition would split (a tensor updated in place
            and read again must live in one segment; the message has one line per cause and says
            when the code is a library's).
        TracingError: ``torch.jit.trace`` failed.
    """
    chosen = partition_options(
        options,
        supported=supported,
        subgraph_builder_function=subgraph_builder_function,
        minimum_segment_size=minimum_segment_size,
        fallback=fallback,
        dynamic_batch_size=dynamic_batch_size,
    )
    _check_timeout(compiler_timeout)
    parsed_args = parse_compiler_args(compiler_args)
    compiler = CompilerOptions(args=tuple(compiler_args or ()), timeout=compiler_timeout, workdir=compiler_workdir)
    logs.show_in_notebooks()
    notes = Notes()
    resolved = resolve_device(device, notes)
    accelerator = accelerator_name(str(resolved))
    for line in parsed_args.notes(str(resolved)):
        notes.add(line)
    captured = capture(model, example_inputs, **trace_kwargs)
    if chosen.dynamic_batch_size:
        with torch.no_grad():
            require_batch_major(captured.module(*captured.example_inputs), traced_batch(captured.example_inputs))
    proposal, rule = _propose(captured, chosen, resolved)
    compute = [n for n, role in proposal.roles.items() if role is Role.COMPUTE]
    logs.log_start(
        _describe(model),
        compute_ops=len(compute),
        kinds=len({proposal.graph.node(n).op for n in compute}),
        device=str(resolved),
    )
    if not chosen.fallback:
        count, cpu = _cpu_ops(proposal, code_owner(captured.source))
        if cpu:
            raise FallbackError(
                f"fallback=False, but {count} operation(s) of {_describe(model)} cannot run on {accelerator}:\n"
                + "\n".join(cpu)
                + "\nFix: allow CPU fallback (fallback=True), or widen supported= / subgraph_builder_function."
            )
    if not proposal.segments_on(Target.ACCELERATOR):
        notes.add(f"no operation of {_describe(model)} runs on {accelerator}: {_why_all_on_cpu(proposal)}")
    compile_log: list[str] = []

    def log_compile(line: str) -> None:
        compile_log.append(line)
        logs.logger.info("%s", line)

    _, refused = in_place_plan(proposal)
    if refused:
        raise PartitionError(unfaithful_writes_message(refused, code_owner(captured.source)))
    with generated_sources(compiler.workdir) as sources:
        applied = apply_proposal(
            captured, proposal, device=resolved, compiler_options=compiler, sources=sources, log=log_compile
        )
        if applied.failures:
            if not chosen.fallback:
                raise FallbackError(
                    f"fallback=False, but {len(applied.failures)} segment(s) failed to compile for {accelerator}: "
                    + "; ".join(f"segment {i}: {why}" for i, why in sorted(applied.failures.items()))
                    + ". Fix: allow CPU fallback (fallback=True), or drop the op the compiler refuses."
                )
            for index, why in sorted(applied.failures.items()):
                notes.add(f"segment {index} failed to compile for {accelerator}: {why}; it runs as CPU fallback")
        build: Callable[[str], torch.jit.ScriptModule] = applied.stitch
        batch_report = None
        if chosen.dynamic_batch_size:
            build, batch_report = _dynamic_batch(captured, build, sources, resolved, notes, trace_kwargs)
        else:
            _check_result(build(""), captured, resolved, notes)
        plan = PartitionPlan(
            proposal=applied.proposal,
            device=str(resolved),
            profile=rule.label,
            compiled=applied.compiled,
            notes=tuple(notes.lines),
            batch=batch_report,
        )
        plan_text = plan_to_json(plan)
        module = build(plan_text)
        if compiler.workdir is not None:
            sources.write("plan.txt", plan.report() + "\n")
            sources.write("compile.log", "\n".join(compile_log) + "\n")
    remember_plan(module, plan, text=plan_text)
    logs.log_result(plan)
    return module


def _tolerance(device: torch.device) -> float:
    """Relative tolerance against the eager model: exact on the CPU; TF32 rounding on CUDA."""
    return 1e-5 if device.type == "cpu" else 1e-2


def _check_result(module: torch.jit.ScriptModule, captured: Captured, device: torch.device, notes: Notes) -> None:
    with torch.no_grad():
        want = captured.module(*captured.example_inputs)
        got = module(*captured.example_inputs)
    diff = max_abs_diff(got, want)
    scale = max(1.0, magnitude(want))
    if not diff <= _tolerance(device) * scale:
        notes.add(f"the partitioned model differs from the traced model by {diff:.3g} on the example inputs")


def _dynamic_batch(
    captured: Captured,
    build: Callable[[str], torch.jit.ScriptModule],
    sources: GeneratedSources,
    device: torch.device,
    notes: Notes,
    trace_kwargs: dict,
) -> tuple[Callable[[str], torch.jit.ScriptModule], BatchReport]:
    """Check the partitioned model at other batch sizes, wrapping it in chunks when the trace
    baked the batch in; return how to build the final module from the plan text, and the report."""
    inputs = captured.example_inputs
    batch = traced_batch(inputs)

    def graph_at(resized: tuple) -> Graph:
        return capture(captured.source, resized, **trace_kwargs).ir

    baked = find_baked_constants(graph_at, captured.ir, inputs, captured.source)
    chunked = bool(baked)
    if chunked:
        notes.add(
            "dynamic_batch_size=True: the trace depends on the batch size, so the model runs in chunks of"
            f" the traced batch ({batch}), as torch-neuron does:\n  - " + "\n  - ".join(baked)
        )
        build = _in_chunks(captured, build(""), batch, sources)
    sizes, diffs = check_batches(build(""), captured.source, inputs, chunked=chunked, rtol=_tolerance(device))
    report = BatchReport(
        mode="chunked" if chunked else "native",
        traced_batch=batch,
        checked=sizes,
        max_abs_diff=diffs,
        baked=tuple(baked),
    )
    return build, report


def _in_chunks(
    captured: Captured, inner: torch.jit.ScriptModule, batch: int, sources: GeneratedSources
) -> Callable[[str], torch.jit.ScriptModule]:
    """How to build torch-neuron's chunked dynamic batch around ``inner``, given the plan text."""
    source = (
        '"""Generated by toolkit.partition: dynamic batch by chunks."""\n\n'
        "from typing import List\n\nimport torch\nfrom torch import Tensor\n\n\n"
        + chunked_batch_source(captured.ir)
    )
    chunked_batch = sources.load(source).ChunkedBatch

    def build(plan: str) -> torch.jit.ScriptModule:
        return torch.jit.script(chunked_batch(inner, batch, plan))

    return build


def plan_of(module: Any) -> PartitionPlan:
    """The :class:`~toolkit.analysis.partition.plan.PartitionPlan` of a module made by :func:`trace`,
    also after ``torch.jit.save``/``torch.jit.load`` (it travels as JSON in the module).

    Raises:
        PartitionError: ``module`` was not made by ``toolkit.partition.trace``.
    """
    plan = plan_in(module)
    if plan is not None:
        return plan
    raise PartitionError(
        f"{getattr(module, 'original_name', type(module).__name__)} carries no partition plan: it was"
        " not made by toolkit.partition.trace. Fix: partition it with toolkit.partition.trace(model,"
        " example_inputs), or use toolkit.partition.analyze_model(model, example_inputs) to inspect"
        " an eager model."
    )
