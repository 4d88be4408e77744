"""Pipeline: one TorchScript module made from a traced function, plus plain data about it.

A ``Pipeline`` is what :func:`toolkit.pipeline.trace` returns and :func:`toolkit.pipeline.load`
gives back. Its :attr:`~Pipeline.module` is an ordinary ``ScriptModule`` (``torch.jit.load``
and libtorch run it without Python); everything else here is plain, frozen data describing it
(inputs, outputs, one :class:`OpCall` per InferenceOp call, one :class:`OpSpec` per op), so the
render layer can draw a pipeline and the saver can write it as JSON.

``run`` is kept to a few Python operations: check the feed's keys against a frozenset, build
the argument list, convert non-tensors where a tensor is expected, and call the module's
``forward`` directly (which skips ``nn.Module.__call__``). Everything else, the device moves
and the output rules included, happens inside TorchScript.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Mapping

import torch
from torch import Tensor

from toolkit.errors import PipelineError
from toolkit.pipeline.convert import as_input, describe, describe_inputs
from toolkit.errors import FeedError
from toolkit.pipeline.failures import TORCH_FAILURES, torch_message

if TYPE_CHECKING:
    from toolkit.pipeline.timing import PipelineSteps, ProfileTable

__all__ = ["Pipeline", "PipelineInput", "PipelineOutput", "OpCall", "OpSpec"]


@dataclass(frozen=True)
class PipelineInput:
    """One input of a pipeline: ``fn``'s parameter name and its TorchScript type (``"Tensor"``)."""

    name: str
    type: str


@dataclass(frozen=True)
class PipelineOutput:
    """One top-level output: its name and the op calls and inputs it is computed from."""

    name: str
    depends_on: tuple[str, ...]


@dataclass(frozen=True)
class OpSpec:
    """One InferenceOp inside a pipeline (however many times it is called).

    Attributes:
        attr: the attribute of :attr:`Pipeline.module` that holds the op's ScriptModule; its
            device is in the attribute ``<attr>_device``.
        source: what the op was made from (``"nn_module"``, ``"script_module"``, ...).
        device: where it runs now (``"cpu"``, ``"cuda:0"``).
        traced_device: where it was when the pipeline was traced.
        output_to_cpu: whether its tensor outputs are brought back to the CPU.
        baked_devices: device constants found in its graph at ``script`` time.
        location: the TorchScript file it was made from, if any.
    """

    attr: str
    source: str
    device: str
    traced_device: str
    output_to_cpu: bool
    baked_devices: tuple[str, ...] = ()
    location: str | None = None

    @property
    def is_portable(self) -> bool:
        """Whether the op can move device without a check (no baked device constants)."""
        if self.traced_device == "cpu":
            return all(label == "cpu" for label in self.baked_devices)
        return not self.baked_devices


@dataclass(frozen=True)
class OpCall:
    """One call of an InferenceOp, in the order the trace recorded it.

    Attributes:
        name: the call's unique name (``my_cell``, ``my_cell_1`` for a second call).
        op: the :attr:`OpSpec.attr` of the op called.
        device: where the op runs now.
        output_to_cpu: the op's output rule.
        inputs: the names of the values passed in (graph value names or constants).
        outputs: the names of the values it returns (``my_cell_out0``, ``my_cell_out1``).
        depends_on: the pipeline inputs and earlier op calls these inputs are computed from,
            looking through pre-processing code: the edges of a one-node-per-op drawing.
    """

    name: str
    op: str
    device: str
    output_to_cpu: bool
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    depends_on: tuple[str, ...]


class Pipeline:
    """A traced pipeline: run it with a dict, call it with keywords, save it.

    Attributes:
        module: the TorchScript module (``torch.jit.ScriptModule``) that does all the work.
        name: the traced function's name.
        inputs: the inputs, in ``fn``'s parameter order.
        outputs: the top-level outputs.
        specs: one :class:`OpSpec` per InferenceOp.
        path: the file it was loaded from, or None.
        notes: what ``load`` wants you to know without it being an error, such as a GPU load
            device that no op needed (Matx remark 1); empty for a traced pipeline.
    """

    def __init__(
        self,
        *,
        module: torch.jit.ScriptModule,
        name: str,
        inputs: tuple[PipelineInput, ...],
        outputs: tuple[PipelineOutput, ...],
        specs: tuple[OpSpec, ...],
        calls: tuple[OpCall, ...],
        example_inputs: tuple[Any, ...],
        example_outputs: Any,
        path: str | None = None,
        notes: tuple[str, ...] = (),
        steps: "PipelineSteps | None" = None,
    ) -> None:
        self.module = module
        self.name = name
        self.inputs = inputs
        self.outputs = outputs
        self.specs = specs
        self._calls = calls
        self.example_inputs = example_inputs
        """The example inputs ``trace`` ran, in input order (saved with the pipeline)."""
        self.example_outputs = example_outputs
        """What ``fn`` returned eagerly on them (``load`` checks moved ops against these)."""
        self.path = path
        self.notes = notes
        self._steps = steps
        """The ``torch.fx.GraphModule`` that ``trace`` compiled (None after ``load``): what ``profile`` steps through."""
        self._input_names = tuple(item.name for item in inputs)
        self._input_set = frozenset(self._input_names)
        self._tensor_positions = tuple(i for i, item in enumerate(inputs) if item.type == "Tensor")
        self._forward = module.forward

    # --- plain data -------------------------------------------------------------------------
    @property
    def input_names(self) -> tuple[str, ...]:
        """The feed keys ``run`` expects: ``fn``'s parameter names, in order."""
        return self._input_names

    @property
    def output_names(self) -> tuple[str, ...]:
        """The names of the top-level outputs."""
        return tuple(output.name for output in self.outputs)

    @property
    def ops(self) -> tuple[OpCall, ...]:
        """Every InferenceOp call in recorded order: name, op, device, output_to_cpu, inputs, outputs."""
        return self._calls

    def spec(self, attr: str) -> OpSpec:
        """The :class:`OpSpec` whose ``attr`` is ``attr``.

        Raises:
            PipelineError: no op has that name.
        """
        for spec in self.specs:
            if spec.attr == attr:
                return spec
        raise PipelineError(f"pipeline {self.name!r} has no op {attr!r}; its ops are {[s.attr for s in self.specs]}. Fix: use one of those.")

    def op_module(self, attr: str) -> torch.jit.ScriptModule:
        """The ScriptModule of op ``attr`` inside :attr:`module` (Matx's ``TorchInferOp.model``)."""
        return getattr(self.module, self.spec(attr).attr)

    def describe(self) -> dict[str, Any]:
        """Everything above as JSON-ready data (what ``save`` writes as metadata)."""
        return {
            "name": self.name,
            "inputs": [asdict(item) for item in self.inputs],
            "outputs": [asdict(item) for item in self.outputs],
            "ops": [asdict(spec) for spec in self.specs],
            "calls": [asdict(call) for call in self._calls],
        }

    def __repr__(self) -> str:
        ops = ", ".join(f"{spec.attr}@{spec.device}" for spec in self.specs)
        return f"Pipeline({self.name!r}, inputs={self._input_names}, outputs={self.output_names}, ops=[{ops}])"

    # --- running ----------------------------------------------------------------------------
    def run(self, feed: Mapping[str, Any]) -> Any:
        """Runs the pipeline on ``feed``, a dict keyed by ``fn``'s parameter names.

        Returns what ``fn`` returned: one value, or a tuple (list, dict) of values. Tensor
        outputs of every op are contiguous (the output rule), whatever the model returned.

        Raises:
            FeedError: missing or extra keys (the message lists the expected names), or a value
                of the wrong type.
            PipelineError: the TorchScript code failed (the torch error is the ``__cause__``).
        """
        args = self.arguments(feed)
        try:
            return self._forward(*args)
        except TORCH_FAILURES as error:
            raise self._run_error(error, args) from error

    def arguments(self, feed: Mapping[str, Any]) -> list[Any]:
        """``feed`` checked and put in ``forward``'s order, arrays and DLPack objects made tensors.

        Raises:
            FeedError: as :meth:`run`.
        """
        try:
            keys_match = feed.keys() == self._input_set
        except AttributeError:
            raise FeedError(
                f"pipeline {self.name!r}.run() takes a dict of inputs, not a {type(feed).__name__}. "
                f"Fix: pass {{{', '.join(repr(n) + ': ...' for n in self._input_names)}}}."
            ) from None
        if not keys_match:
            raise self._feed_error(feed)
        args = [feed[name] for name in self._input_names]
        for position in self._tensor_positions:
            if type(args[position]) is not Tensor:
                args[position] = self._tensor_input(position, args[position])
        return args

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """``pipeline(x=..., h=...)``: the same as ``run(dict(x=..., h=...))``.

        Raises:
            FeedError: for positional arguments (as Matx's ``JITModule`` raised ``TypeError``).
        """
        if args:
            raise FeedError(
                f"pipeline {self.name!r} takes its inputs by keyword only ({', '.join(n + '=...' for n in self._input_names)}), "
                f"but got {len(args)} positional argument(s). Fix: call it as pipeline({', '.join(n + '=...' for n in self._input_names)}) "
                "or pipeline.run({...})."
            )
        return self.run(kwargs)

    def _tensor_input(self, position: int, value: Any) -> Tensor:
        name = self._input_names[position]
        converted = as_input(value, what=f"input {name!r}")
        if not isinstance(converted, Tensor):
            raise FeedError(
                f"pipeline {self.name!r}: input {name!r} is a {describe(value)}, but the pipeline takes a Tensor there. "
                "Fix: pass a torch.Tensor, a numpy array or an object with __dlpack__."
            )
        return converted

    def _feed_error(self, feed: Mapping[str, Any]) -> FeedError:
        given = sorted(str(key) for key in feed.keys())
        missing = [name for name in self._input_names if name not in feed]
        extra = sorted(str(key) for key in feed.keys() if key not in self._input_set)
        parts = []
        if missing:
            parts.append(f"missing {missing}")
        if extra:
            parts.append(f"unexpected {extra}")
        return FeedError(
            f"pipeline {self.name!r} got the inputs {given}: {' and '.join(parts)}. "
            f"It expects exactly {list(self._input_names)} (the parameter names of the traced function). Fix: pass exactly those."
        )

    def _run_error(self, error: BaseException, args: list[Any]) -> PipelineError:
        message = torch_message(error)
        given = describe_inputs(args, names=self._input_names)
        expected = ", ".join(f"{item.name}: {item.type}" for item in self.inputs)
        if "Expected a value of type" in str(error):
            return FeedError(f"pipeline {self.name!r} got ({given}): {message}. It takes ({expected}). Fix: pass inputs like those.")
        examples = describe_inputs(self.example_inputs, names=self._input_names)
        return PipelineError(
            f"pipeline {self.name!r} failed on ({given}): {message}. It was traced with ({examples}). Fix: check the "
            "inputs' shapes, dtypes and devices. The TorchScript traceback is in this error's __cause__."
        )

    # --- saving -----------------------------------------------------------------------------
    def save(self, path: str | os.PathLike, name: str | None = None) -> str:
        """Writes the pipeline atomically; returns the path of the TorchScript archive written.

        One rule picks the form: **without a name, one file; with a name, Matx's folder.**

        * ``save("p.pt")`` writes the one file ``p.pt`` (an existing directory gets
          ``<dir>/pipeline.pt``);
        * ``save("served", "classify")`` creates the folder ``served`` if needed and writes
          ``served/classify.pt`` (the same archive) and ``served/classify.json`` (its spec).

        The archive is a TorchScript file (``torch.jit.load`` runs it) with the metadata and
        the example inputs as extra files; :func:`toolkit.pipeline.load` reads either form.
        """
        from toolkit.pipeline.saving import save

        return save(self, path, name)

    # --- warming up and profiling -------------------------------------------------------------
    def warmup(self, feed: Mapping[str, Any] | None = None, *, runs: int = 2) -> tuple[float, ...]:
        """Runs the pipeline ``runs`` times so that the first real call is not the slow one.

        TorchScript's profiling executor records the first call of a graph and optimises it on
        a later one; until then calls are slower (and on a GPU the first call also pays for
        the CUDA context and kernel loading). Two runs cover both.

        Args:
            feed: the inputs to run on; by default the example inputs ``trace`` recorded (and
                ``save`` stored).
            runs: how many runs, at least 1.

        Returns:
            Each run's wall time in seconds, in order (GPU work included: it synchronises).

        Raises:
            PipelineError: ``runs`` is not a positive int, or a run failed.
            FeedError: the feed does not fit the pipeline.
        """
        from toolkit.pipeline.timing import time_runs

        chosen = dict(zip(self._input_names, self.example_inputs)) if feed is None else feed
        return time_runs(lambda: self.run(chosen), runs=runs, what=f"pipeline {self.name!r}.warmup()")

    def profile(self, feed: Mapping[str, Any] | None = None, *, warmup: int = 2) -> "ProfileTable":
        """Times each op call of one run: :func:`toolkit.pipeline.profile` (see there)."""
        from toolkit.pipeline.timing import profile

        return profile(self, feed, warmup=warmup)
