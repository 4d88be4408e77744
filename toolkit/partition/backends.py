"""Compile accelerator segments, and say precisely when a segment cannot be compiled.

Our accelerator compiler is TorchScript on a device: a segment "compiles" when it scripts,
moves to the device, runs there on the inputs it saw during tracing, and reproduces the CPU
result. Any failure is a :class:`CompileFailure`, which the caller turns into a CPU fallback
with a warning, as torch-neuron does per subgraph ("falling back to native python function
call").

``compiler_args`` are read by :mod:`toolkit.partition.compiler_args`: this compiler acts on
``--reject-op KIND`` (refuse any segment containing op ``KIND``, a teaching aid that shows the
compile-failure fallback on any machine); neuron-cc's own flags are accepted there with a note.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import torch

from toolkit.errors import PartitionError
from toolkit.partition.compiler_args import parse_compiler_args

__all__ = [
    "CompilerOptions",
    "CompileFailure",
    "CompileTimeout",
    "TorchScriptCompiler",
    "move_to",
    "max_abs_diff",
    "magnitude",
]


class CompileFailure(Exception):
    """One segment could not be compiled; the message says why (internal, never escapes)."""


class CompileTimeout(PartitionError, subprocess.TimeoutExpired):
    """Compiling took longer than ``compiler_timeout`` (torch-neuron raises
    ``subprocess.TimeoutExpired``; this is both that and a toolkit error)."""

    def __init__(self, timeout: float, elapsed: float, segment: int):
        subprocess.TimeoutExpired.__init__(self, cmd=f"toolkit.partition compile segment {segment}", timeout=timeout)
        self.elapsed = elapsed
        self.segment = segment

    def __str__(self) -> str:
        return (
            f"compiling the accelerator segments took {self.elapsed:.2f} s, over compiler_timeout="
            f"{self.timeout} s (stopped after segment {self.segment}). Fix: raise compiler_timeout,"
            " or leave it None for no limit."
        )


@dataclass(frozen=True)
class CompilerOptions:
    """torch-neuron's compiler plumbing, grouped.

    Attributes:
        args: compiler arguments, already checked by
            :func:`~toolkit.partition.compiler_args.parse_compiler_args`.
        timeout: seconds allowed for compiling all segments; ``None`` for no limit.
        workdir: a folder to keep the generated source, the plan and the compile log in;
            ``None`` uses a temporary folder that is removed afterwards.
    """

    args: tuple[str, ...] = ()
    timeout: float | None = None
    workdir: str | None = None


def move_to(value: Any, device: torch.device) -> Any:
    """``value`` with every tensor in it moved to ``device`` (tuples and lists followed)."""
    if isinstance(value, torch.Tensor):
        return value.to(device)
    if isinstance(value, (list, tuple)):
        return type(value)(move_to(v, device) for v in value)
    if isinstance(value, dict):
        return {k: move_to(v, device) for k, v in value.items()}
    return value


def max_abs_diff(got: Any, want: Any) -> float:
    """Largest absolute difference between two nests of tensors (``inf`` on a structure or
    shape mismatch)."""
    if isinstance(want, torch.Tensor):
        if not isinstance(got, torch.Tensor) or got.shape != want.shape:
            return float("inf")
        if want.numel() == 0:
            return 0.0
        a, b = got.detach().cpu(), want.detach().cpu()
        if not (a.is_floating_point() or a.is_complex()):
            return 0.0 if torch.equal(a, b) else float("inf")
        return float((a.double() - b.double()).abs().max())
    if isinstance(want, (list, tuple)):
        if not isinstance(got, (list, tuple)) or len(got) != len(want):
            return float("inf")
        return max((max_abs_diff(g, w) for g, w in zip(got, want)), default=0.0)
    if isinstance(want, dict):
        if not isinstance(got, dict) or sorted(got) != sorted(want):
            return float("inf")
        return max((max_abs_diff(got[k], want[k]) for k in want), default=0.0)
    return 0.0 if got == want else float("inf")


def magnitude(value: Any) -> float:
    """The largest absolute value of the floating-point tensors in a nest (0.0 if none)."""
    if isinstance(value, torch.Tensor):
        if value.numel() == 0 or not value.is_floating_point():
            return 0.0
        return float(value.detach().abs().max())
    if isinstance(value, (list, tuple)):
        return max((magnitude(v) for v in value), default=0.0)
    if isinstance(value, dict):
        return max((magnitude(v) for v in value.values()), default=0.0)
    return 0.0


class TorchScriptCompiler:
    """Compiles a segment to a TorchScript module on ``device`` and checks it there."""

    name = "torchscript"

    def __init__(self, device: torch.device, args: Sequence[str] = ()):
        self.device = device
        self.rejected: set[str] = set(parse_compiler_args(tuple(args)).rejected_ops)
        # Relative tolerance of the on-device check, meant to catch wrong results, not rounding:
        # TF32 convolutions (cuDNN's default) differ from the CPU in the third or fourth digit.
        self.rtol = 1e-5 if device.type == "cpu" else 1e-2

    def compile(
        self,
        make_segment: Callable[[], torch.nn.Module],
        ops: Sequence[str],
        example_args: tuple,
        reference: Any,
        *,
        scripted: torch.jit.ScriptModule | None = None,
    ) -> torch.jit.ScriptModule:
        """Script, move, run and check one segment.

        ``scripted`` is the segment already scripted on the CPU; it is reused as is when the
        target is the CPU.

        Raises:
            CompileFailure: with the reason, for any failure.
        """
        rejected = sorted(self.rejected.intersection(ops))
        if rejected:
            raise CompileFailure(f"the compiler rejected {', '.join(rejected)} (--reject-op)")
        try:
            if scripted is not None and self.device.type == "cpu":
                module = scripted
            else:
                module = torch.jit.script(make_segment()).to(self.device).eval()
            with torch.no_grad():
                got = module(*move_to(example_args, self.device))
            if self.device.type == "cuda":
                torch.cuda.synchronize(self.device)
        except Exception as error:  # noqa: BLE001 - any failure means "did not compile"
            first = str(error).strip().splitlines()
            raise CompileFailure(f"{type(error).__name__}: {first[0] if first else ''}") from None
        diff = max_abs_diff(got, reference)
        bound = self.rtol * max(1.0, magnitude(reference))
        if not diff <= bound:
            raise CompileFailure(f"its result on {self.device} differs from the CPU by {diff:.3g} (allowed {bound:.3g})")
        return module
