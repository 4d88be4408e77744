"""Apply a proposal: generate the segment modules, check them on the CPU, compile the
accelerator segments, and stitch everything into one scripted module.

Steps, each a function below:

1. :func:`load_generated` writes the generated source to a file (``torch.jit.script`` needs
   real source) and imports it.
2. :func:`run_on_cpu` scripts every segment on the CPU and runs the orchestrator eagerly
   with recorders around the segments: this checks the generated program against the traced
   model, and records each segment's inputs and outputs for the compile check.
3. Each accelerator segment is compiled; a failure moves that segment to the CPU with a
   warning (torch-neuron's per-subgraph fallback), and the orchestrator is regenerated so the
   copies match the new placement.
4. The orchestrator is scripted around the compiled segments, once per plan text: the plan
   is a constructor argument of the generated class, so a module carries its plan from the
   moment it exists (:meth:`Applied.stitch`).

The generated files live in a :func:`generated_sources` folder for the whole of one
``toolkit.partition.trace`` call, because scripting a generated class reads its source file.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib.util
import os
import sys
import tempfile
import time
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, Callable, Iterator

import torch

from toolkit.analysis.partition.plan_report import accelerator_name
from toolkit.analysis.partition.proposal import Proposal, Target, with_cpu_segments
from toolkit.capture import Captured
from toolkit.errors import PartitionError
from toolkit.files import write_atomically
from toolkit.partition.backends import CompileFailure, CompilerOptions, CompileTimeout, TorchScriptCompiler, magnitude, max_abs_diff
from toolkit.partition.capture import attribute_tensor, tensor_constants
from toolkit.partition.codegen import GeneratedModule, generate_module

__all__ = ["Applied", "GeneratedSources", "apply_proposal", "generated_sources", "load_generated", "run_on_cpu", "workdir"]


@dataclass
class Applied:
    """The applied partition, ready to be stitched into one module, and what happened on the way.

    Attributes:
        proposal: the proposal as finally applied (failed segments moved to the CPU).
        compiled: per segment, True/False for accelerator segments, None for CPU ones.
        segments: per segment, the compiled module or its CPU ScriptModule.
        orchestrator: the generated ``nn.Module`` class that calls the segments in order.
        failures: segment index -> why it did not compile.
        source: the generated Python source of ``orchestrator``.
    """

    proposal: Proposal
    compiled: tuple[bool | None, ...]
    segments: list[torch.jit.ScriptModule]
    orchestrator: type[torch.nn.Module]
    failures: dict[int, str] = field(default_factory=dict)
    source: str = ""

    def stitch(self, plan: str = "") -> torch.jit.ScriptModule:
        """The scripted orchestrator around the segments, carrying ``plan`` (a plan's JSON text).

        Call it while the :func:`generated_sources` folder it came from is open.

        Raises:
            PartitionError: the generated orchestrator does not script (a code-generator gap).
        """
        try:
            return torch.jit.script(self.orchestrator(self.segments, plan))
        except Exception as error:  # noqa: BLE001
            raise PartitionError(f"scripting the generated orchestrator failed: {error}") from None


@contextlib.contextmanager
def workdir(path: str | None) -> Iterator[str]:
    """The folder for generated files: ``path`` (created, kept) or a temporary one."""
    if path is not None:
        if not isinstance(path, (str, os.PathLike)) or not os.fspath(path):
            raise PartitionError(
                f"compiler_workdir= must be a folder path (a non-empty string), not {path!r}."
                " Fix: compiler_workdir='partition_work', or leave it out for a temporary folder."
            )
        try:
            os.makedirs(path, exist_ok=True)
        except OSError as error:
            raise _write_failed(os.fspath(path), error, "create the folder") from None
        yield os.path.abspath(path)
        return
    try:
        temporary = tempfile.TemporaryDirectory(prefix="tsk_partition_")
    except OSError as error:
        raise _write_failed(tempfile.gettempdir(), error, "create a temporary folder in") from None
    with temporary as tmp:
        yield tmp


def _write_failed(path: str, error: OSError, action: str) -> PartitionError:
    return PartitionError(
        f"toolkit.partition could not {action} {path!r}: {error.strerror or error}. Nothing half-written"
        " was left there. Fix: free some space or choose a writable folder (compiler_workdir=...)."
    )


def write_text(folder: str, name: str, text: str) -> str:
    """Write ``text`` to ``folder/name`` atomically (temp file, then ``os.replace``).

    Raises:
        PartitionError: the write failed (full disk, read-only folder); no temporary file is left.
    """
    target = os.path.join(folder, name)
    try:
        return write_atomically(target, text)
    except OSError as error:
        raise _write_failed(target, error, "write") from None


def load_generated(text: str, folder: str) -> ModuleType:
    """Write the generated source to ``folder`` and import it under a name derived from its
    content (deterministic, and distinct for distinct partitions)."""
    name = "tsk_partition_" + hashlib.sha1(text.encode()).hexdigest()[:12]
    path = write_text(folder, name + ".py", text)
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


class GeneratedSources:
    """The folder of one trace's generated files, and the Python modules imported from it."""

    def __init__(self, folder: str) -> None:
        self.folder = folder
        self._imported: list[ModuleType] = []

    def load(self, text: str) -> ModuleType:
        """Write ``text`` to the folder and import it (see :func:`load_generated`)."""
        module = load_generated(text, self.folder)
        self._imported.append(module)
        return module

    def write(self, name: str, text: str) -> str:
        """Write a file (``plan.txt``, ``compile.log``) next to the generated source."""
        return write_text(self.folder, name, text)

    def forget(self) -> None:
        """Drop the imported modules from ``sys.modules``: scripted classes need them no more."""
        for module in self._imported:
            sys.modules.pop(module.__name__, None)
        self._imported.clear()


@contextlib.contextmanager
def generated_sources(path: str | None) -> Iterator[GeneratedSources]:
    """Generated files in ``path`` (kept) or a temporary folder, importable until the block ends."""
    with workdir(path) as folder:
        sources = GeneratedSources(folder)
        try:
            yield sources
        finally:
            sources.forget()


class _Recorder(torch.nn.Module):
    """Wraps a scripted segment in the eager orchestrator to record its inputs and outputs."""

    def __init__(self, inner: torch.jit.ScriptModule):
        super().__init__()
        self.inner = inner
        self.register_buffer("anchor", inner.anchor)
        self.args: tuple = ()
        self.result: Any = None

    def forward(self, *args: Any) -> Any:
        self.args = args
        self.result = self.inner(*args)
        return self.result


def segment_factory(generated: GeneratedModule, python_module: ModuleType, captured: Captured, constants: dict) -> Callable[[int], torch.nn.Module]:
    """A function building a fresh eager instance of segment ``i`` with its buffers on the CPU."""

    def make(index: int) -> torch.nn.Module:
        buffers = {}
        for spec in generated.buffers[index]:
            if spec.kind == "param":
                # A snapshot, as a compiled artifact is: later changes to the model's weights
                # (an optimizer step, model.cuda()) do not leak into some segments only.
                buffers[spec.name] = attribute_tensor(captured.module, spec.key).clone()
            else:
                buffers[spec.name] = constants[spec.key[0]]
        return getattr(python_module, generated.segment_classes[index])(buffers)

    return make


def run_on_cpu(
    generated: GeneratedModule,
    python_module: ModuleType,
    scripted: list[torch.jit.ScriptModule],
    inputs: tuple,
) -> tuple[Any, list[tuple], list[Any]]:
    """Run the orchestrator eagerly around the CPU segments; return its outputs and, per
    segment, the recorded inputs and outputs."""
    recorders = [_Recorder(m) for m in scripted]
    orchestrator = getattr(python_module, generated.orchestrator_class)(recorders, "")
    with torch.no_grad():
        outputs = orchestrator(*inputs)
    return outputs, [r.args for r in recorders], [r.result for r in recorders]


def apply_proposal(
    captured: Captured,
    proposal: Proposal,
    *,
    device: torch.device,
    compiler_options: CompilerOptions,
    sources: GeneratedSources,
    log: Callable[[str], None],
) -> Applied:
    """Generate, check and compile ``proposal`` (see the module docstring); stitch with
    :meth:`Applied.stitch`.

    Raises:
        PartitionError: the generated program does not script or does not reproduce the
            traced model on the example inputs (a gap in the code generator).
        CompileTimeout: compiling took longer than ``compiler_options.timeout``.
    """
    compiler = TorchScriptCompiler(device, compiler_options.args)
    generated = generate_module(proposal)
    wanted = {spec.key[0] for specs in generated.buffers.values() for spec in specs if spec.kind == "constant"}
    constants = dict(tensor_constants(captured.module, captured.ir, wanted))
    python_module = sources.load(generated.text)
    make = segment_factory(generated, python_module, captured, constants)
    scripted = [_script(make(s.index), s.index, proposal) for s in proposal.segments]
    outputs, seg_inputs, seg_outputs = run_on_cpu(generated, python_module, scripted, captured.example_inputs)
    with torch.no_grad():
        expected = captured.module(*captured.example_inputs)
    diff = max_abs_diff(outputs, expected)
    if not diff <= 1e-5 * max(1.0, magnitude(expected)):
        raise PartitionError(
            f"the partitioned program differs from the traced model by {diff:.3g} on the example"
            " inputs before anything was compiled. This is a toolkit bug; please report it with"
            " the model. (compiler_workdir= keeps the generated source for inspection.)"
        )
    modules: list[torch.jit.ScriptModule] = list(scripted)
    compiled: list[bool | None] = [None] * len(proposal.segments)
    failures: dict[int, str] = {}
    started = time.monotonic()
    for s in proposal.segments:
        if s.target is not Target.ACCELERATOR:
            continue
        ops = tuple(captured.ir.node(n).op for n in s.nodes)
        try:
            modules[s.index] = compiler.compile(
                functools.partial(make, s.index),
                ops,
                seg_inputs[s.index],
                seg_outputs[s.index],
                scripted=scripted[s.index],
            )
            compiled[s.index] = True
            log(f"segment {s.index}: compiled for {accelerator_name(str(device))} ({s.compute_count} compute ops)")
        except CompileFailure as failure:
            compiled[s.index] = False
            failures[s.index] = str(failure)
            log(f"segment {s.index}: compile failed: {failure}")
        elapsed = time.monotonic() - started
        if compiler_options.timeout is not None and elapsed > compiler_options.timeout:
            raise CompileTimeout(compiler_options.timeout, elapsed, s.index)
    final_proposal = with_cpu_segments(proposal, failures) if failures else proposal
    final = generate_module(final_proposal) if failures else generated
    orchestrator_module = sources.load(final.text) if failures else python_module
    return Applied(
        proposal=final_proposal,
        compiled=tuple(compiled),
        segments=modules,
        orchestrator=getattr(orchestrator_module, generated.orchestrator_class),
        failures=failures,
        source=final.text,
    )


def _script(module: torch.nn.Module, index: int, proposal: Proposal) -> torch.jit.ScriptModule:
    try:
        return torch.jit.script(module)
    except Exception as error:  # noqa: BLE001 - the message of torch's frontend is the lead
        ops = sorted({proposal.graph.node(n).op for n in proposal.segments[index].nodes})
        raise PartitionError(
            f"the generated code for segment {index} does not script: {str(error).strip().splitlines()[0]}"
            f" (ops: {', '.join(ops)}). This is a gap in toolkit.partition's code generator; pass"
            " compiler_workdir= to keep the generated source, and report it."
        ) from None
