"""Timing a pipeline: warm-up runs, and the time of each op call in one run.

Matx's ``gen_step_meta`` and Triton's per-model latency breakdown answer the same question: in
a pipeline of several models, which one costs the time, where does it run, and what does
moving data to it cost? A profiler of ``Pipeline.run`` cannot answer it by op: when TorchScript
optimises the pipeline it inlines every op's module into one graph, so the profiler sees aten
operators, not op calls.

So :func:`profile` steps through the ``torch.fx`` graph that ``trace`` compiled, with
``torch.fx.Interpreter``, one node at a time. Each op call emitted a known run of nodes (the
input moves, the call of the op's ScriptModule, the output rule); their times are that call's
time, and their copies are counted from the values themselves: a move whose result sits on
another device than its input is one copy. Pre- and post-processing between the ops is timed
as one figure. The op modules stepped through are the very ScriptModules the pipeline runs;
the glue between them runs as eager torch here, so the table also shows one real
``Pipeline.run`` on the same feed for comparison.

matplotlib is imported only by :meth:`ProfileTable.plot`, so this module imports with torch alone.
"""

from __future__ import annotations

import html
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Iterator, Mapping

import torch
import torch.fx as fx

from toolkit.errors import PipelineError
from toolkit.pipeline.failures import TORCH_FAILURES, torch_message

if TYPE_CHECKING:
    from toolkit.pipeline.container import Pipeline

__all__ = ["PipelineSteps", "OpTiming", "ProfileTable", "profile", "time_runs"]


@dataclass(frozen=True)
class PipelineSteps:
    """What ``trace`` keeps so that ``profile`` can step through a pipeline.

    Attributes:
        graph_module: the ``torch.fx.GraphModule`` that was compiled into ``Pipeline.module``.
        calls: for each op call (by :attr:`OpCall.name`), the names of the fx nodes it
            emitted, in order, and which of them calls the op's ScriptModule.
    """

    graph_module: fx.GraphModule
    calls: Mapping[str, tuple[tuple[str, ...], str]]


@dataclass(frozen=True)
class OpTiming:
    """One op call of a profiled run.

    Attributes:
        name: the call's name (:attr:`OpCall.name`).
        op: the op it calls (:attr:`OpSpec.attr`).
        device: where the op runs.
        seconds: wall time of the call: its input moves, the op, and its output rule.
        copies_in: inputs that had to move to the op's device.
        copies_out: outputs brought back to the CPU (``output_to_cpu`` on a GPU op).
    """

    name: str
    op: str
    device: str
    seconds: float
    copies_in: int
    copies_out: int


@dataclass(frozen=True)
class ProfileTable:
    """The per-op timing of one run (what :func:`profile` returns).

    Attributes:
        pipeline: the pipeline's name.
        rows: one :class:`OpTiming` per op call, in call order.
        between_seconds: everything outside the op calls (pre- and post-processing).
        stepped_seconds: the whole stepped run (the rows plus ``between_seconds``, plus the
            stepping's own overhead).
        run_seconds: one ``Pipeline.run`` on the same feed, as TorchScript runs it.
        warmup_runs: how many runs came first (not timed).
        outputs: what the stepped run returned (the same as ``Pipeline.run`` on the feed).
    """

    pipeline: str
    rows: tuple[OpTiming, ...]
    between_seconds: float
    stepped_seconds: float
    run_seconds: float
    warmup_runs: int
    outputs: Any = field(default=None, repr=False, compare=False)

    @property
    def op_seconds(self) -> float:
        """The time of all op calls together."""
        return sum(row.seconds for row in self.rows)

    def __str__(self) -> str:
        name_width = max([len("call"), *(len(row.name) for row in self.rows)])
        op_width = max([len("op"), *(len(row.op) for row in self.rows)])
        name_width = max(name_width, len(_FOOTER_LABELS[0]) - op_width - 11)  # the footer's labels fit the first columns
        lines = [
            f"profile of pipeline {self.pipeline!r}: one run after {self.warmup_runs} warm-up run(s)",
            f"{'call':<{name_width}}  {'op':<{op_width}}  {'device':<7}  {'time':>10}  copies in/out",
        ]
        for row in self.rows:
            lines.append(
                f"{row.name:<{name_width}}  {row.op:<{op_width}}  {row.device:<7}  {_ms(row.seconds):>10}  "
                f"{row.copies_in} / {row.copies_out}"
            )
        label_width = name_width + op_width + 13
        lines += [f"{label:<{label_width}}{_ms(seconds):>10}" for label, seconds in zip(_FOOTER_LABELS, self._footer_seconds())]
        return "\n".join(lines)

    def _footer_seconds(self) -> tuple[float, float, float]:
        return (self.between_seconds, self.stepped_seconds, self.run_seconds)

    def to_html(self) -> str:
        """The table as an HTML fragment (every name escaped: names come from users' models)."""
        head = "".join(f"<th>{title}</th>" for title in ("call", "op", "device", "time", "copies in", "copies out"))
        body = "".join(
            "<tr>"
            + "".join(f"<td>{html.escape(text)}</td>" for text in (row.name, row.op, row.device))
            + f"<td style='text-align:right'>{_ms(row.seconds)}</td><td>{row.copies_in}</td><td>{row.copies_out}</td></tr>"
            for row in self.rows
        )
        footer = "".join(
            f"<tr><td colspan='3'>{label}</td><td style='text-align:right'>{_ms(seconds)}</td><td colspan='2'></td></tr>"
            for label, seconds in zip(_FOOTER_LABELS, self._footer_seconds())
        )
        caption = html.escape(f"profile of pipeline {self.pipeline!r}: one run after {self.warmup_runs} warm-up run(s)")
        return f"<table><caption>{caption}</caption><tr>{head}</tr>{body}{footer}</table>"

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        from toolkit.render.mime import filter_bundle

        return filter_bundle({"text/html": self.to_html(), "text/plain": str(self)}, include, exclude)

    def plot(self, ax: Any = None) -> Any:
        """A bar per op call (milliseconds), coloured by device, labelled with its copies.

        Args:
            ax: a matplotlib ``Axes`` to draw on; a new figure when None.

        Returns:
            The ``Axes`` drawn on.

        Raises:
            PipelineError: matplotlib is not installed.
        """
        try:
            import matplotlib.pyplot as plt
        except ImportError:
            raise PipelineError("ProfileTable.plot() needs matplotlib. Fix: install it (pip install matplotlib).") from None
        if ax is None:
            _, ax = plt.subplots(figsize=(7, 0.5 + 0.45 * max(1, len(self.rows))))
        devices = list(dict.fromkeys(row.device for row in self.rows))
        palette = plt.rcParams["axes.prop_cycle"].by_key().get("color", ["tab:blue"])
        colours = {device: palette[index % len(palette)] for index, device in enumerate(devices)}
        labels = [f"{row.name} ({row.device})" for row in self.rows]
        values = [row.seconds * 1e3 for row in self.rows]
        bars = ax.barh(labels, values, color=[colours[row.device] for row in self.rows])
        for bar, row in zip(bars, self.rows):
            ax.annotate(
                f" copies {row.copies_in} in / {row.copies_out} out",
                (bar.get_width(), bar.get_y() + bar.get_height() / 2),
                va="center",
                fontsize="small",
            )
        ax.invert_yaxis()
        ax.set_xlabel("milliseconds per call (one stepped run)")
        ax.set_title(f"pipeline {self.pipeline!r}: time per op call")
        ax.margins(x=0.35)
        return ax


_FOOTER_LABELS = ("between ops (pre/post-processing)", "stepped run, in all", "Pipeline.run (TorchScript)")


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:.3f} ms"


def _synchroniser(pipeline: "Pipeline") -> Callable[[], None]:
    """``torch.cuda.synchronize`` when an op runs on a GPU (so times include GPU work), else nothing."""
    if any(spec.device != "cpu" for spec in pipeline.specs) and torch.cuda.is_available():
        return torch.cuda.synchronize
    return lambda: None


def time_runs(function: Callable[[], Any], *, runs: int, what: str, synchronise: Callable[[], None] | None = None) -> tuple[float, ...]:
    """Calls ``function`` ``runs`` times; returns each call's wall time in seconds.

    The calls run in the caller's grad mode, as the real calls will: TorchScript specialises
    its optimised graph on whether gradients are recorded, so warming up under
    ``torch.no_grad()`` could leave the plan that plain calls use cold.

    Raises:
        PipelineError: ``runs`` is not a positive int.
    """
    if isinstance(runs, bool) or not isinstance(runs, int) or runs < 1:
        raise PipelineError(f"{what}: runs must be a positive int, not {runs!r}. Fix: pass an int such as 10.")
    sync = synchronise or (torch.cuda.synchronize if torch.cuda.is_available() else (lambda: None))
    seconds: list[float] = []
    for _ in range(runs):  # in the caller's grad mode: TorchScript optimises a graph once per grad mode
        sync()
        start = time.perf_counter()
        function()
        sync()
        seconds.append(time.perf_counter() - start)
    return tuple(seconds)


def _leaves(value: Any) -> Iterator[torch.Tensor]:
    if isinstance(value, torch.Tensor):
        yield value
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _leaves(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _leaves(item)


class _Stepper(fx.Interpreter):
    """Runs the graph node by node, adding each node's time (and copies) to its op call."""

    def __init__(self, steps: PipelineSteps, synchronise: Callable[[], None]) -> None:
        super().__init__(steps.graph_module)
        self.synchronise = synchronise
        self.owner: dict[str, tuple[str, int]] = {}
        for call, (nodes, raw) in steps.calls.items():
            position = nodes.index(raw)
            for index, node in enumerate(nodes):
                self.owner[node] = (call, (index > position) - (index < position))
        self.seconds = dict.fromkeys(steps.calls, 0.0)
        self.copies_in = dict.fromkeys(steps.calls, 0)
        self.copies_out = dict.fromkeys(steps.calls, 0)
        self.between = 0.0

    def run_node(self, n: fx.Node) -> Any:
        self.synchronise()
        start = time.perf_counter()
        result = super().run_node(n)
        self.synchronise()
        elapsed = time.perf_counter() - start
        owner = self.owner.get(n.name)
        if owner is None:
            if n.op not in ("placeholder", "output"):
                self.between += elapsed
            return result
        call, phase = owner
        self.seconds[call] += elapsed
        if phase != 0 and n.args and isinstance(n.args[0], fx.Node):
            moved = sum(a.device != b.device for a, b in zip(_leaves(self.env[n.args[0]]), _leaves(result)))
            if phase < 0:
                self.copies_in[call] += moved
            else:
                self.copies_out[call] += moved
        return result


def profile(pipeline: "Pipeline", feed: Mapping[str, Any] | None = None, *, warmup: int = 2) -> ProfileTable:
    """Times each op call of one run of ``pipeline`` (see the module docstring for how).

    Args:
        pipeline: a pipeline returned by :func:`toolkit.pipeline.trace`.
        feed: the inputs, as ``Pipeline.run`` takes them; by default the example inputs.
        warmup: untimed runs first (both the stepped run and ``Pipeline.run``), so the table
            shows steady-state times rather than first-call costs.

    Returns:
        A :class:`ProfileTable`: printed as text, displayed as HTML in Jupyter, and drawn by
        its ``plot()`` method.

    Raises:
        PipelineError: the pipeline came from ``load`` (it does not carry the fx graph), a
            warm-up count that is not an int >= 0, or the run failed.
        FeedError: the feed does not fit the pipeline.
    """
    from toolkit.pipeline.container import Pipeline

    if not isinstance(pipeline, Pipeline):
        raise PipelineError(
            f"profile() takes a Pipeline (what toolkit.pipeline.trace returns), not a {type(pipeline).__name__}. "
            "Fix: trace the function first: profile(toolkit.pipeline.trace(fn, *examples))."
        )
    steps: PipelineSteps | None = getattr(pipeline, "_steps", None)
    if steps is None:
        raise PipelineError(
            f"profile(pipeline {pipeline.name!r}): this pipeline was loaded from {pipeline.path!r}, and profile steps "
            "through the torch.fx graph that trace() compiled, which a saved file does not carry (TorchScript inlines "
            "the ops when it optimises, so a profiler of the loaded module sees aten operators, not op calls). Fix: profile "
            "the pipeline that trace() returned, or use torch.profiler on pipeline.module for an operator-level view."
        )
    if isinstance(warmup, bool) or not isinstance(warmup, int) or warmup < 0:
        raise PipelineError(f"profile(pipeline {pipeline.name!r}): warmup must be an int >= 0, not {warmup!r}. Fix: pass 0 or more, such as 3.")
    chosen = dict(zip(pipeline.input_names, pipeline.example_inputs)) if feed is None else feed
    arguments = pipeline.arguments(chosen)
    synchronise = _synchroniser(pipeline)
    what = f"profile(pipeline {pipeline.name!r})"
    if warmup:
        time_runs(lambda: pipeline.run(chosen), runs=warmup, what=what, synchronise=synchronise)
        time_runs(lambda: _Stepper(steps, synchronise).run(*arguments), runs=warmup, what=what, synchronise=synchronise)
    (run_seconds,) = time_runs(lambda: pipeline.run(chosen), runs=1, what=what, synchronise=synchronise)
    stepper = _Stepper(steps, synchronise)
    outputs: list[Any] = []
    try:
        (stepped_seconds,) = time_runs(lambda: outputs.append(stepper.run(*arguments)), runs=1, what=what, synchronise=synchronise)
    except TORCH_FAILURES as error:
        raise PipelineError(f"{what}: the stepped run failed: {torch_message(error)}. Fix: check that pipeline.run(feed) works first.") from error
    by_name = {call.name: call for call in pipeline.ops}
    rows = tuple(
        OpTiming(
            name=name,
            op=by_name[name].op,
            device=by_name[name].device,
            seconds=stepper.seconds[name],
            copies_in=stepper.copies_in[name],
            copies_out=stepper.copies_out[name],
        )
        for name in steps.calls
    )
    return ProfileTable(
        pipeline=pipeline.name,
        rows=rows,
        between_seconds=stepper.between,
        stepped_seconds=stepped_seconds,
        run_seconds=run_seconds,
        warmup_runs=warmup,
        outputs=outputs[0],
    )
