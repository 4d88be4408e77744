"""``compiler_args``: which flags our compiler understands, which are neuron-cc's, and what is malformed.

torch-neuron passes ``compiler_args`` to ``neuron-cc`` unchanged (the seed's example is
``compiler_args=['--neuroncore-pipeline-cores', '4']``). Code written for torch-neuron should run
here unchanged too, so neuron-cc's documented ``compile`` flags are *accepted*: each one becomes a
note (a :class:`~toolkit.partition.diagnostics.PartitionWarning`, kept in the plan) saying what it
does on Inferentia and that it does not apply to the TorchScript backend. Only input that neither
compiler could read is an error: not a list of strings, a flag without its value, a value without
a flag, a value of the wrong kind, or a flag neither compiler has.

The one table of flags is :data:`NEURON_CC_FLAGS` (neuron-cc's ``compile`` flags, from its CLI
reference, which the seed points to) beside :data:`TORCHSCRIPT_FLAGS` (ours).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from toolkit.errors import PartitionError

__all__ = ["Flag", "NEURON_CC_FLAGS", "TORCHSCRIPT_FLAGS", "ParsedCompilerArgs", "parse_compiler_args"]


def _any_text(value: str) -> str | None:
    return None


def _positive_int(value: str) -> str | None:
    if value.isdigit() and int(value) > 0:
        return None
    return "a positive whole number"


def _op_kind(value: str) -> str | None:
    if "::" in value and not value.startswith("-"):
        return None
    return "an op kind such as 'aten::tanh'"


def _log_level(value: str) -> str | None:
    if value.upper() in ("DEBUG", "INFO", "WARN", "WARNING", "ERROR", "CRITICAL"):
        return None
    return "a log level (DEBUG, INFO, WARN or ERROR)"


@dataclass(frozen=True)
class Flag:
    """One compiler flag.

    Attributes:
        name: the flag as typed (``"--neuroncore-pipeline-cores"``).
        value: what its value is, in words, or ``None`` for a flag that takes no value.
        meaning: what it does for the compiler that owns it.
        check: ``value -> None`` when the value is well formed, else what was expected.
    """

    name: str
    value: str | None
    meaning: str
    check: Callable[[str], str | None] = _any_text


# neuron-cc's `compile` flags a framework user may pass (--framework, --io-config and --output
# are set by torch-neuron itself). Facts from the neuron-cc CLI reference.
NEURON_CC_FLAGS: dict[str, Flag] = {
    flag.name: flag
    for flag in (
        # The seed's example: compiler_args=['--neuroncore-pipeline-cores', '4'].
        Flag("--neuroncore-pipeline-cores", "N", "shard each subgraph over N NeuronCores", _positive_int),
        Flag("--fast-math", "METHOD", "the performance/accuracy trade-off of FP32 casts (all, none, ...)"),
        Flag("--fp32-cast", "METHOD", "which FP32 operations are cast to 16-bit (the older spelling of --fast-math)"),
        Flag("--enable-saturate-infinity", None, "turn infinities into the largest finite 16-bit value"),
        Flag("--enable-fast-loading-neuron-binaries", None, "write binaries that load faster into the runtime"),
        Flag("--enable-fast-context-switch", None, "optimise for switching between models on one core"),
        Flag("--verbose", "LEVEL", "neuron-cc's log level (DEBUG, INFO, WARN, ERROR)", _log_level),
    )
}

TORCHSCRIPT_FLAGS: dict[str, Flag] = {
    "--reject-op": Flag(
        "--reject-op", "KIND", "refuse any segment containing op KIND: shows the compile-failure fallback", _op_kind
    ),
}


@dataclass(frozen=True)
class ParsedCompilerArgs:
    """``compiler_args`` understood.

    Attributes:
        rejected_ops: op kinds given to ``--reject-op``, in order.
        not_applied: one ``(flag, value or None)`` per neuron-cc flag given, in order.
    """

    rejected_ops: tuple[str, ...] = ()
    not_applied: tuple[tuple[str, str | None], ...] = ()

    def notes(self, device: str) -> list[str]:
        """One note per neuron-cc flag: what it does there, and that it is ignored here."""
        lines = []
        for name, value in self.not_applied:
            typed = name if value is None else f"{name} {value}"
            lines.append(
                f"compiler_args: {typed!r} is a neuron-cc flag ({NEURON_CC_FLAGS[name].meaning}); it does"
                f" not apply to the TorchScript compiler for {device}, so it is accepted and ignored."
            )
        return lines


def parse_compiler_args(args: Any) -> ParsedCompilerArgs:
    """Read ``compiler_args`` (a list or tuple of strings, or ``None``).

    Raises:
        PartitionError: malformed input (see the module docstring), naming the item and the fix.
    """
    if args is None:
        return ParsedCompilerArgs()
    if isinstance(args, str):
        raise PartitionError(
            f"compiler_args={args!r} is one string; it must be a list of strings, one per word, as"
            f" torch-neuron takes it. Fix: compiler_args={args.split()!r}."
        )
    if not isinstance(args, (list, tuple)):
        raise PartitionError(
            f"compiler_args must be a list of strings, not {type(args).__name__}."
            " Fix: compiler_args=['--neuroncore-pipeline-cores', '4']."
        )
    bad = [item for item in args if not isinstance(item, str)]
    if bad:
        raise PartitionError(
            f"compiler_args={list(args)!r} holds {bad[0]!r} ({type(bad[0]).__name__}); every item must be a"
            f" string, as on a command line. Fix: compiler_args={[str(a) for a in args]!r}."
        )
    items = list(args)
    rejected: list[str] = []
    not_applied: list[tuple[str, str | None]] = []
    position = 0
    while position < len(items):
        word = items[position]
        name, _, attached = word.partition("=")
        flag = TORCHSCRIPT_FLAGS.get(name) or NEURON_CC_FLAGS.get(name)
        if flag is None:
            raise PartitionError(_unknown(word, items))
        value: str | None = None
        if flag.value is not None:
            if attached:
                value = attached
            elif position + 1 < len(items) and not items[position + 1].startswith("--"):
                position += 1
                value = items[position]
            else:
                raise PartitionError(
                    f"compiler_args: {name} needs a value ({flag.value}) after it, in compiler_args={items!r}."
                    f" Fix: ['{name}', '<{flag.value}>']."
                )
            expected = flag.check(value)
            if expected is not None:
                raise PartitionError(
                    f"compiler_args: {name} {value!r} is malformed: {flag.value} must be {expected}."
                )
        elif attached:
            raise PartitionError(f"compiler_args: {name} takes no value, but got {word!r}. Fix: '{name}' alone.")
        if name in TORCHSCRIPT_FLAGS:
            rejected.append(value or "")
        else:
            not_applied.append((name, value))
        position += 1
    return ParsedCompilerArgs(rejected_ops=tuple(rejected), not_applied=tuple(not_applied))


def _unknown(word: str, items: list[str]) -> str:
    known = sorted(TORCHSCRIPT_FLAGS) + sorted(NEURON_CC_FLAGS)
    if not word.startswith("-"):
        return (
            f"compiler_args: {word!r} in {items!r} is a value with no flag before it."
            " Fix: put it right after the flag it belongs to (['--neuroncore-pipeline-cores', '4'])."
        )
    return (
        f"unknown compiler argument {word!r} in compiler_args={items!r}: neither the TorchScript compiler"
        f" ('--reject-op KIND') nor neuron-cc has it. Known flags: {', '.join(known)}."
        " Fix: remove it, or correct its spelling."
    )
