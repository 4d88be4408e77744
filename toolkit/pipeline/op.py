"""InferenceOp: a TorchScript model packed with the device it runs on, and ``script()``.

Matx's ``matx.script(model)`` returns an op that moves its inputs to the model's device, runs
the model without gradients, and hands back contiguous outputs, on the CPU by default. We keep
that user-facing shape on modern PyTorch:

* ``script(obj, device=..., output_to_cpu=True)`` accepts a ScriptModule or ScriptFunction
  (used as it is), an ``nn.Module`` or a plain function (traced with ``torch.jit.trace`` from
  ``example_inputs`` or at the first call, or scripted with ``trace_func=torch.jit.script``),
  or the path of a saved TorchScript file.
* Calling the op eagerly takes torch tensors, numpy arrays or DLPack objects and returns torch
  tensors. Unlike Matx, where eager calls ran Python torch and traced pipelines ran libtorch,
  both run the same generated TorchScript (see :mod:`toolkit.pipeline.emit`).
* Inside ``toolkit.pipeline.trace`` the op is not run but recorded as one node.

Where Matx had undefined or missing behaviour we give errors: a module with no parameters and
no device, a device that does not exist, and (with a warning) devices baked into a trace.
"""

from __future__ import annotations

import inspect
import os
import re
import threading
import warnings
from pathlib import Path
from typing import Any, Callable, Sequence, cast

import torch
from torch import Tensor

from toolkit import capture
from toolkit.errors import DeviceError, PipelineError, TracingError, message_first
from toolkit.pipeline.convert import as_input, describe_inputs
from toolkit.pipeline.devices import (
    BakedDeviceWarning,
    DeviceSpec,
    check_device_available,
    device_label,
    find_baked_devices,
    module_device,
    resolve_device,
)
from toolkit.pipeline.emit import OpSignature, build_runner, check_output_type
from toolkit.pipeline.failures import TORCH_FAILURES, torch_message
from toolkit.pipeline.holders import function_module
from toolkit.pipeline.recording import active_recorder

__all__ = ["InferenceOp", "script", "op_name_for"]

TraceFunc = Callable[..., Any]

_PUBLIC_NAME = "toolkit.pipeline.script"
"""The public call that makes an op, named in its trace failures (the trace may run at the first call)."""

SOURCES = ("script_module", "script_function", "nn_module", "function", "file")
"""What an op was made from, as :attr:`InferenceOp.source` reports it."""


def _snake(name: str) -> str:
    name = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name)
    name = re.sub(r"\W+", "_", name).strip("_").lower()
    return name or "op"


def op_name_for(obj: Any) -> str:
    """The op's default name: the model's class or function name in snake_case.

    ``MyCell`` -> ``my_cell``; a ScriptModule keeps its original class name; a file gives its
    stem. The name labels the op in messages, in ``Pipeline.ops`` and as the attribute that
    holds the op inside the pipeline's TorchScript module.
    """
    if isinstance(obj, (str, os.PathLike)):
        raw = Path(obj).stem
    elif isinstance(obj, torch.jit.ScriptFunction):
        raw = cast(str, obj.name)  # torch's stub declares ScriptFunction.name a method; at runtime it is a str property
    elif isinstance(obj, torch.jit.ScriptModule):
        raw = getattr(obj, "original_name", type(obj).__name__)
    elif isinstance(obj, torch.nn.Module):
        raw = type(obj).__name__
    else:
        raw = getattr(obj, "__name__", type(obj).__name__)
        raw = "function" if raw == "<lambda>" else raw
    name = _snake(raw)
    return f"op_{name}" if name[0].isdigit() else name


class InferenceOp:
    """A TorchScript model (or function) bound to a device, callable eagerly or inside a trace.

    Build one with :func:`script`. Attributes are read-only: an op's device is part of what a
    pipeline records and saves.

    Calling it:

    * eagerly, ``op(x, h)`` with tensors, numpy arrays or DLPack objects (and ints, floats,
      strings, lists where the model takes those): inputs go to :attr:`device` (type *and*
      index compared), the model runs, tensor outputs come back contiguous and, with
      ``output_to_cpu``, on the CPU. Several outputs come back as a tuple, one output bare.
    * inside :func:`toolkit.pipeline.trace`, the same call is recorded as one node.
    """

    def __init__(
        self,
        *,
        name: str,
        device: torch.device,
        output_to_cpu: bool,
        source: str,
        module: torch.jit.ScriptModule | torch.jit.ScriptFunction | None = None,
        pending: Callable[..., Any] | None = None,
        trace_func: TraceFunc | None = None,
        location: str | None = None,
    ) -> None:
        self._name = name
        self._device = device
        self._output_to_cpu = output_to_cpu
        self._source = source
        self._location = location
        self._pending = pending
        self._trace_func = trace_func
        self._lock = threading.Lock()
        self._module: torch.jit.ScriptModule | None = None
        self._function: torch.jit.ScriptFunction | None = None
        self._signature: OpSignature | None = None
        self._runner: Callable[..., Any] | None = None
        self._baked_devices: tuple[str, ...] = ()
        self.example_inputs: tuple[Any, ...] | None = None
        """The arguments of the first call (or ``example_inputs``), as the op received them."""
        if module is not None:
            self._adopt(module)

    # --- what the op is ---------------------------------------------------------------------
    @property
    def name(self) -> str:
        """The op's name (snake_case model name); unique names are made per pipeline."""
        return self._name

    @property
    def device(self) -> torch.device:
        """Where the model's parameters live and where inputs are moved."""
        return self._device

    @property
    def output_to_cpu(self) -> bool:
        """Whether tensor outputs are brought back to the CPU (Matx's default, True)."""
        return self._output_to_cpu

    @property
    def source(self) -> str:
        """What the op was made from: one of ``SOURCES``."""
        return self._source

    @property
    def location(self) -> str | None:
        """The TorchScript file the op was loaded from (Matx's ``TorchModel.location``), if any."""
        return self._location

    @property
    def is_ready(self) -> bool:
        """False while an ``nn.Module`` or function waits for its first call to be traced."""
        return self._module is not None

    @property
    def module(self) -> torch.jit.ScriptModule:
        """The op's TorchScript module (a ScriptFunction is wrapped in one).

        Raises:
            PipelineError: the op wraps an ``nn.Module`` that has not been traced yet.
        """
        self._require_ready("module")
        assert self._module is not None
        return self._module

    @property
    def function(self) -> torch.jit.ScriptFunction | None:
        """The ScriptFunction the op wraps, when it wraps one (``module`` holds it)."""
        return self._function

    @property
    def signature(self) -> OpSignature:
        """The argument names and TorchScript types of the op's ``forward``."""
        self._require_ready("signature")
        assert self._signature is not None
        return self._signature

    @property
    def baked_devices(self) -> tuple[str, ...]:
        """Device constants found in the op's graph (``("cuda:0",)``), in first-seen order."""
        return self._baked_devices

    @property
    def is_portable(self) -> bool:
        """False when baked device constants may stop the op from running on another device."""
        if self._device.type == "cpu":
            return all(label == "cpu" for label in self._baked_devices)
        return not self._baked_devices

    def __repr__(self) -> str:
        state = "" if self.is_ready else ", not traced yet"
        return (
            f"InferenceOp(name={self._name!r}, device={device_label(self._device)!r}, "
            f"output_to_cpu={self._output_to_cpu}, source={self._source!r}{state})"
        )

    # --- calling ----------------------------------------------------------------------------
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        recorder = active_recorder.get()
        if recorder is not None:
            return recorder.record(self, args, kwargs)
        runner = self._runner
        if runner is None or kwargs:
            return self._call_first(args, kwargs)
        inputs = [value if type(value) is Tensor else as_input(value) for value in args]
        try:
            return runner(*inputs)
        except TORCH_FAILURES as error:
            raise self._failure(error, inputs) from error

    def _call_first(self, args: Sequence[Any], kwargs: dict[str, Any]) -> Any:
        """The slow path: converts, binds keywords, traces and builds the runner if needed."""
        inputs = [as_input(value, what=f"argument {i} of op {self._name!r}") for i, value in enumerate(args)]
        keywords = {key: as_input(value, what=f"argument {key!r} of op {self._name!r}") for key, value in kwargs.items()}
        self._prepare(inputs, keywords)
        assert self._signature is not None and self._runner is not None
        bound = self._signature.bind(inputs, keywords, what=f"InferenceOp {self._name!r}")
        if self.example_inputs is None:
            self.example_inputs = tuple(bound)
        try:
            return self._runner(*bound)
        except TORCH_FAILURES as error:
            raise self._failure(error, bound) from error

    def _failure(self, error: BaseException, inputs: Sequence[Any]) -> PipelineError:
        given = describe_inputs(inputs)
        expected = self._signature.describe() if self._signature is not None else "?"
        examples = ""
        if self.example_inputs is not None:
            examples = f" (it was first called with {describe_inputs(self.example_inputs)})"
        return PipelineError(
            f"InferenceOp {self._name!r} on {device_label(self._device)} failed on ({given}): "
            f"{torch_message(error)}. It takes {expected}{examples}; check the inputs' shapes, dtypes "
            "and count (Fix: pass inputs like those). The TorchScript traceback is in this error's __cause__."
        )

    def warmup(self, *inputs: Any, runs: int = 2) -> tuple[float, ...]:
        """Calls the op ``runs`` times so that the first real call is not the slow one.

        The first calls of a TorchScript graph are profiled and then optimised, and on a GPU
        the first call also loads kernels; ``runs=2`` covers both.

        Args:
            *inputs: the arguments to call with; by default :attr:`example_inputs`.
            runs: how many calls, at least 1.

        Returns:
            Each call's wall time in seconds, in order (GPU work included: it synchronises).

        Raises:
            PipelineError: no inputs and no example inputs yet, ``runs`` is not a positive int,
                or a call failed.
        """
        from toolkit.pipeline.timing import time_runs

        arguments = inputs or self.example_inputs
        if arguments is None:
            raise PipelineError(
                f"InferenceOp {self._name!r}.warmup() has no inputs to run. Fix: pass them (op.warmup(x, h)), or build the "
                "op with script(..., example_inputs=(...)) or call it once first."
            )
        return time_runs(lambda: self(*arguments), runs=runs, what=f"InferenceOp {self._name!r}.warmup()")

    # --- preparing --------------------------------------------------------------------------
    def prepare(self, *example_inputs: Any, **example_keywords: Any) -> "InferenceOp":
        """Traces a pending ``nn.Module``/function on ``example_inputs`` now; returns ``self``.

        Ready ops ignore the call. ``script(..., example_inputs=...)`` calls this for you.
        """
        inputs = [as_input(value, what=f"example input {i} of op {self._name!r}") for i, value in enumerate(example_inputs)]
        keywords = {key: as_input(value, what=f"example input {key!r} of op {self._name!r}") for key, value in example_keywords.items()}
        self._prepare(inputs, keywords)
        if self.example_inputs is None:
            self.example_inputs = tuple(inputs)
        return self

    def _prepare(self, args: Sequence[Any], kwargs: dict[str, Any]) -> None:
        with self._lock:
            if self._module is None:
                positional = self._bind_pending(args, kwargs)
                self._adopt(self._trace_pending(positional))
                self.example_inputs = tuple(positional)
            if self._runner is None:
                assert self._module is not None and self._signature is not None
                self._runner = build_runner(
                    self._module,
                    signature=self._signature,
                    device=self._device,
                    to_cpu=self.moves_outputs_to_cpu,
                    name=self._name,
                )

    @property
    def moves_outputs_to_cpu(self) -> bool:
        """Whether the generated code calls ``.cpu()`` on the op's tensor outputs.

        Only for GPU ops with ``output_to_cpu``: a CPU op never moves (CPU ops stay on the CPU
        under every load rule), so its outputs are on the CPU already.
        """
        return self._output_to_cpu and self._device.type != "cpu"

    def _bind_pending(self, args: Sequence[Any], kwargs: dict[str, Any]) -> tuple[Any, ...]:
        assert self._pending is not None
        target = self._pending.forward if isinstance(self._pending, torch.nn.Module) else self._pending
        signature = inspect.signature(target)
        try:
            bound = signature.bind(*args, **kwargs)
        except TypeError as error:
            raise PipelineError(_mismatch(self._name, signature, args, kwargs, error)) from None
        bound.apply_defaults()
        if bound.kwargs:
            raise PipelineError(
                f"InferenceOp {self._name!r} wraps a model with keyword-only parameters {sorted(bound.kwargs)}; "
                "torch.jit.trace passes inputs by position. Fix: give them defaults or make them positional."
            )
        return tuple(bound.args)

    def _trace_pending(self, inputs: tuple[Any, ...]) -> torch.jit.ScriptModule | torch.jit.ScriptFunction:
        model = self._pending
        moved = tuple(value.to(self._device) if isinstance(value, Tensor) else value for value in inputs)
        subject = f"InferenceOp {self._name!r} with inputs ({describe_inputs(moved)})"
        fix = (
            f"check that the model runs on these inputs on {device_label(self._device)}, "
            "or pass trace_func=torch.jit.script to script it instead"
        )
        how = getattr(self._trace_func, "__name__", "trace_func")
        with torch.no_grad():
            if self._trace_func is None:
                captured = capture.trace(model, moved, caller=_PUBLIC_NAME, subject=subject, fix=fix, strict=False)
                captured.warn_again()
                traced: Any = captured.module
            else:
                try:
                    traced = self._trace_func(model, moved)
                except Exception as error:  # noqa: BLE001 - any failure of the user's model or trace_func
                    raise TracingError(f"{_PUBLIC_NAME}: {how} failed on {subject}: {torch_message(error)}. Fix: {fix}.") from error
        if not isinstance(traced, (torch.jit.ScriptModule, torch.jit.ScriptFunction)):
            raise PipelineError(
                f"trace_func {how!r} returned a {type(traced).__name__} for InferenceOp {self._name!r}; "
                "it must return a ScriptModule or ScriptFunction (as torch.jit.trace and torch.jit.script do). Fix: make it return one."
            )
        self._pending = None
        return traced

    def _adopt(self, compiled: torch.jit.ScriptModule | torch.jit.ScriptFunction) -> None:
        """Takes a compiled model: wraps functions, reads the signature, looks for baked devices."""
        if isinstance(compiled, torch.jit.ScriptFunction):
            self._function = compiled
            compiled = function_module(compiled, name=self._name)
        module = compiled
        signature = OpSignature.of(module)
        check_output_type(signature.returns, what=f"InferenceOp {self._name!r}")
        self._baked_devices = find_baked_devices(module.inlined_graph)
        self._module = module
        self._signature = signature
        if not self.is_portable:
            warnings.warn(
                BakedDeviceWarning(
                    f"InferenceOp {self._name!r} runs on {device_label(self._device)} but its graph has the device "
                    f"constant(s) {', '.join(self._baked_devices)} baked in (torch.jit.trace records x.device and "
                    "device= arguments as constants); on another device it may fail. Fix: create tensors with "
                    "torch.zeros_like / x.new_zeros, or script the model (trace_func=torch.jit.script). "
                    "toolkit.pipeline.load checks such an op on the stored example inputs when it moves it."
                ),
                stacklevel=5,
            )

    def _require_ready(self, what: str) -> None:
        if self._module is None:
            raise PipelineError(
                f"InferenceOp {self._name!r} has no {what} yet: it wraps an nn.Module or function that is traced "
                "at its first call. Fix: call it once, or build it with script(..., example_inputs=(...))."
            )


def _mismatch(name: str, signature: inspect.Signature, args: Sequence[Any], kwargs: dict[str, Any], error: TypeError) -> str:
    """The whole of an argument mismatch: what the model takes, what it got, every missing and extra name."""
    parameters = list(signature.parameters.values())
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    filled = {p.name for p in positional[: len(args)]} | set(kwargs)
    missing = [p.name for p in parameters if p.default is p.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD) and p.name not in filled]
    takes_rest = any(p.kind == p.VAR_POSITIONAL for p in parameters)
    parts = [f"missing {missing}"] if missing else []
    if len(args) > len(positional) and not takes_rest:
        parts.append(f"{len(args) - len(positional)} positional argument(s) too many")
    unknown = sorted(set(kwargs) - {p.name for p in parameters})
    if unknown and not any(p.kind == p.VAR_KEYWORD for p in parameters):
        parts.append(f"unexpected keyword(s) {unknown}")
    got = f"{len(args)} positional argument(s)" + (f" and the keywords {sorted(kwargs)}" if kwargs else "")
    return (
        f"InferenceOp {name!r} wraps a model that takes ({', '.join(p.name for p in parameters)}), but it got {got}: "
        f"{'; '.join(parts) or error}. Fix: pass one value per parameter, as a tuple example_inputs=(...) or at the call."
    )


@message_first
def script(
    obj: Any,
    *,
    device: DeviceSpec | None = None,
    output_to_cpu: bool = True,
    example_inputs: Any = None,
    trace_func: TraceFunc | None = None,
) -> InferenceOp:
    """Packs a model with a device into an :class:`InferenceOp` (Matx's ``matx.script``).

    Args:
        obj: a ``ScriptModule`` or ``ScriptFunction`` (used as it is); an ``nn.Module`` or a
            plain function (traced with ``torch.jit.trace`` from ``example_inputs`` or at the
            first call; ``trace_func=torch.jit.script`` scripts it now instead); or the path of
            a TorchScript file (loaded with ``torch.jit.load``).
        device: ``-1``/``"cpu"``, ``N``/``"cuda:N"`` or a ``torch.device``. Defaults to the
            device of the module's parameters; functions and parameter-less modules need one.
            The model is moved there (in place, as Matx does), put in ``eval()`` mode and its
            parameters stop requiring gradients.
        output_to_cpu: bring tensor outputs back to the CPU (Matx's default).
        example_inputs: a tuple of arguments (or one tensor) to trace an ``nn.Module`` or
            function now instead of at its first call.
        trace_func: how to compile an ``nn.Module``/function: None for ``torch.jit.trace``,
            ``torch.jit.script``, or any ``f(model, example_inputs)`` returning a ScriptModule
            or ScriptFunction. Ignored for objects that are TorchScript already.

    Raises:
        PipelineError: an unsupported ``obj`` (a class, a non-callable), a missing file.
        DeviceError: no device can be found, or the device does not exist here.
        TracingError: tracing ``example_inputs`` failed.
    """
    if not isinstance(output_to_cpu, bool):
        raise PipelineError(f"script(..., output_to_cpu=) must be True or False, not {output_to_cpu!r}. Fix: pass True or False.")
    if trace_func is not None and not callable(trace_func):
        raise PipelineError(
            f"script(..., trace_func={trace_func!r}): trace_func must be callable, f(model, example_inputs) returning a "
            "ScriptModule. Fix: pass torch.jit.script, torch.jit.trace, or leave it None to trace."
        )
    if isinstance(obj, InferenceOp):
        raise PipelineError(f"script() got {obj!r}, which is an InferenceOp already. Fix: use it as it is.")
    if isinstance(obj, (str, os.PathLike)):
        op = _from_file(obj, device=device, output_to_cpu=output_to_cpu)
    elif isinstance(obj, type):
        raise PipelineError(
            f"script() got the class {obj.__name__}, not an instance. Fix: pass {obj.__name__}(...) (Matx raised "
            "NotImplementedError here)."
        )
    elif isinstance(obj, torch.jit.ScriptFunction):
        op = _from_function_like(obj, device=device, output_to_cpu=output_to_cpu, source="script_function", module=obj)
    elif isinstance(obj, torch.jit.ScriptModule):
        op = _from_module(obj, device=device, output_to_cpu=output_to_cpu, source="script_module")
    elif isinstance(obj, torch.nn.Module):
        op = _from_module(obj, device=device, output_to_cpu=output_to_cpu, source="nn_module", trace_func=trace_func)
    elif callable(obj):
        op = _from_function_like(obj, device=device, output_to_cpu=output_to_cpu, source="function", trace_func=trace_func)
    else:
        raise PipelineError(
            f"script() got a {type(obj).__name__}; it takes a ScriptModule, a ScriptFunction, an nn.Module, a "
            f"function, or the path of a TorchScript file, and a {type(obj).__name__} is not a model, a function or "
            "a file path. Fix: pass one of those."
        )
    if example_inputs is None:
        return op
    positional, keywords = _example_arguments(example_inputs, name=op.name, parameters=_parameter_names(op))
    if not op.is_ready:
        op.prepare(*positional, **keywords)
    elif op.example_inputs is None:
        inputs = [as_input(value, what=f"example input {i} of op {op.name!r}") for i, value in enumerate(positional)]
        named = {key: as_input(value, what=f"example input {key!r} of op {op.name!r}") for key, value in keywords.items()}
        op.example_inputs = tuple(op.signature.bind(inputs, named, what=f"script({op.name}, example_inputs=)"))
    return op


def _example_arguments(example_inputs: Any, *, name: str, parameters: Sequence[str]) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """``example_inputs`` as positional and keyword arguments: a tuple, a dict by parameter name, or one value."""
    if isinstance(example_inputs, tuple):
        return example_inputs, {}
    if isinstance(example_inputs, dict):
        bad = [key for key in example_inputs if not isinstance(key, str)]
        if bad:
            raise PipelineError(
                f"script({name}, example_inputs={{...}}): a dict of example inputs is keyed by the model's parameter "
                f"names, but the keys {bad!r} are not strings. Fix: pass {{'x': x, 'h': h}} or a tuple (x, h)."
            )
        return (), dict(example_inputs)
    if isinstance(example_inputs, list):
        raise PipelineError(
            f"script({name}, example_inputs=[...]): got a list of {len(example_inputs)} value(s), but example_inputs is "
            "a tuple of the model's arguments (example_inputs=(x, h)) or a dict by parameter name "
            "(example_inputs={'x': x, 'h': h}); a list is ambiguous (the model takes "
            f"({', '.join(parameters)}){_missing_words(parameters, len(example_inputs))}). Fix: wrap it: (x, h) for several arguments, "
            "([x, h],) for one argument that is a list."
        )
    return (example_inputs,), {}


def _parameter_names(op: InferenceOp) -> list[str]:
    """The parameter names of the model ``op`` wraps, before or after it is traced."""
    if op.is_ready:
        return list(op.signature.names)
    pending = op._pending
    target = pending.forward if isinstance(pending, torch.nn.Module) else pending
    if target is None:
        return []
    try:
        return list(inspect.signature(target).parameters)
    except (TypeError, ValueError):
        return []


def _missing_words(parameters: Sequence[str], given: int) -> str:
    """``; as positional arguments it leaves missing [...]`` when ``given`` values fill too few parameters."""
    missing = list(parameters[given:])
    return f"; as positional arguments it leaves missing {missing}" if missing else ""


def _resolve_given(device: DeviceSpec, *, name: str) -> torch.device:
    resolved = resolve_device(device, what=f"script({name}, device=)")
    check_device_available(resolved, what=f"script({name}, device={device!r})")
    return resolved


def _from_module(
    module: torch.nn.Module,
    *,
    device: DeviceSpec | None,
    output_to_cpu: bool,
    source: str,
    trace_func: TraceFunc | None = None,
    location: str | None = None,
) -> InferenceOp:
    name = op_name_for(module if location is None else location)
    if device is None:
        found = module_device(module, what=f"script({name})")
        if found is None:
            raise DeviceError(
                f"script({name}) cannot tell the op's device: the module has no parameters or buffers "
                "(Matx's PyTorchDeviceNotFoundError). Fix: pass device=-1 or 'cpu' for the CPU, N or 'cuda:N' for a GPU."
            )
        check_device_available(found, what=f"script({name})")
        target = found
    else:
        target = _resolve_given(device, name=name)
    module.to(target)
    module.eval()
    for parameter in module.parameters():  # ScriptModules refuse Module.requires_grad_
        parameter.requires_grad_(False)
    if isinstance(module, torch.jit.ScriptModule):
        return InferenceOp(name=name, device=target, output_to_cpu=output_to_cpu, source=source, module=module, location=location)
    if trace_func is torch.jit.script:
        return InferenceOp(name=name, device=target, output_to_cpu=output_to_cpu, source=source, module=_script_now(module, name))
    return InferenceOp(name=name, device=target, output_to_cpu=output_to_cpu, source=source, pending=module, trace_func=trace_func)


def _from_function_like(
    function: Callable[..., Any],
    *,
    device: DeviceSpec | None,
    output_to_cpu: bool,
    source: str,
    module: torch.jit.ScriptFunction | None = None,
    trace_func: TraceFunc | None = None,
) -> InferenceOp:
    name = op_name_for(function)
    if device is None:
        raise DeviceError(
            f"script({name}) needs device= for a function: a function has no parameters to take a device from "
            "(Matx's PyTorchDeviceNotSetError). Fix: pass device=-1 or 'cpu' for the CPU, N or 'cuda:N' for a GPU."
        )
    target = _resolve_given(device, name=name)
    if module is not None:
        return InferenceOp(name=name, device=target, output_to_cpu=output_to_cpu, source=source, module=module)
    if trace_func is torch.jit.script:
        return InferenceOp(name=name, device=target, output_to_cpu=output_to_cpu, source=source, module=_script_now(function, name))
    return InferenceOp(name=name, device=target, output_to_cpu=output_to_cpu, source=source, pending=function, trace_func=trace_func)


def _script_now(obj: Any, name: str) -> torch.jit.ScriptModule | torch.jit.ScriptFunction:
    from toolkit.errors import ScriptingError

    try:
        return torch.jit.script(obj)
    except Exception as error:  # noqa: BLE001 - TorchScript's frontend raises several types
        raise ScriptingError(
            f"torch.jit.script could not compile {name!r}: {torch_message(error)}. Fix the construct it names, or "
            "leave trace_func=None to trace it on example inputs instead."
        ) from error


def _from_file(path: str | os.PathLike, *, device: DeviceSpec | None, output_to_cpu: bool) -> InferenceOp:
    name = op_name_for(path)
    location = os.fspath(path)
    if not os.path.isfile(location):
        raise PipelineError(f"script({location!r}): no such file. Fix: pass the path of a file saved with torch.jit.save.")
    target = None if device is None else _resolve_given(device, name=name)
    try:
        module = torch.jit.load(location, map_location=target)
    except RuntimeError as error:
        message = torch_message(error)
        if target is None and "cuda" in message.lower():
            raise DeviceError(
                f"script({location!r}) could not load the file on the devices it was saved from ({message}); "
                "Fix: pass device=-1 or 'cpu' (or a GPU that exists) to load it there."
            ) from error
        raise PipelineError(
            f"script({location!r}): the file is not a TorchScript archive torch.jit.load can read ({message}); "
            "Fix: save models with torch.jit.save."
        ) from error
    return _from_module(module, device=device, output_to_cpu=output_to_cpu, source="file", location=location)
