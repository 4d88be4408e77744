"""``dynamic_batch_size=True``: accept any batch on dimension 0, and never be silently wrong.

A trace records the batch size wherever the model turned it into a Python number:
``x.view(1, -1)`` or ``int(x.size(0))`` become constants, and the traced graph then computes
something else at another batch size *without any error*. torch-neuron's answer is to run
the compiled graph on chunks of the traced batch. We do the same, but only when needed:

1. :func:`find_baked_constants` traces the model again at another batch size and diffs the
   two IR graphs: every constant that changed is batch-baked, reported with its source line.
   It also runs the eager model at the check batches and flags outputs whose dimension 0 does
   not follow the batch.
2. With no findings, the partitioned graph runs natively at any batch. With findings, it is
   wrapped in a scripted chunk/pad/concatenate loop at the traced batch.
3. :func:`check_batches` compares the result with the eager model at batches 1, B, B+3 and
   2B+1 and raises if any differs.
"""

from __future__ import annotations

from typing import Any, Callable

import torch

from toolkit.errors import PartitionError
from toolkit.ir.model import Graph, NodeKind
from toolkit.partition.backends import magnitude, max_abs_diff
from toolkit.partition.capture import describe_inputs

__all__ = ["traced_batch", "require_batch_major", "check_sizes", "resize_batch", "find_baked_constants", "chunked_reference", "check_batches"]


def traced_batch(inputs: tuple) -> int:
    """The shared dimension-0 size of the tensor inputs.

    Raises:
        PartitionError: the inputs are not all tensors with the same dimension 0.
    """
    sizes = [t.shape[0] if isinstance(t, torch.Tensor) and t.dim() > 0 else None for t in inputs]
    if not sizes or any(s is None for s in sizes) or len(set(sizes)) != 1:
        shapes = describe_inputs(inputs)
        raise PartitionError(
            f"dynamic_batch_size=True needs every example input to be a tensor sharing dimension 0"
            f" (the batch); got {shapes}. Fix: pass inputs with a common batch dimension, or"
            " dynamic_batch_size=False."
        )
    return int(sizes[0])  # type: ignore[arg-type]


def require_batch_major(outputs: Any, batch: int) -> None:
    """Every output must carry the batch on dimension 0, or no batch size can be honoured.

    Raises:
        PartitionError: naming the first output whose dimension 0 is not the batch.
    """
    for i, t in enumerate(_tensors(outputs)):
        if t.dim() == 0 or t.shape[0] != batch:
            raise PartitionError(
                f"dynamic_batch_size=True needs every output to have the batch on dimension 0, but output {i}"
                f" has shape {tuple(t.shape)} for a batch of {batch}. With a different batch it would be"
                " silently wrong. Fix: keep the batch dimension first (x.view(x.size(0), -1) rather than"
                " x.view(1, -1)), or trace without dynamic_batch_size."
            )


def check_sizes(batch: int) -> tuple[int, ...]:
    """The batch sizes to check: 1, B, B+3 and 2B+1, in order, without repeats."""
    return tuple(dict.fromkeys((1, batch, batch + 3, 2 * batch + 1)))


def resize_batch(inputs: tuple, size: int) -> tuple:
    """The inputs with dimension 0 repeated or cut to ``size`` rows."""
    out = []
    for t in inputs:
        repeats = -(-size // t.shape[0])
        out.append(torch.cat([t] * repeats, 0)[:size].clone())
    return tuple(out)


def find_baked_constants(
    graph_at: Callable[[tuple], Graph], graph: Graph, inputs: tuple, eager: Callable[..., Any]
) -> list[str]:
    """Lines describing every place the batch size got baked into the trace.

    Args:
        graph_at: traces the model again on the given inputs and returns the inlined IR graph.
        graph: the IR graph of the trace at the example inputs.
        inputs: the example inputs.
        eager: the traced callable, run at the check batches.
    """
    batch = traced_batch(inputs)
    other = batch + 3
    findings: list[str] = []
    try:
        other_graph = graph_at(resize_batch(inputs, other))
    except Exception as error:  # noqa: BLE001 - the model itself may reject the other batch
        cause = error.__cause__ or error
        first = str(cause).strip().splitlines()[0] if str(cause).strip() else ""
        return [f"the model fails at batch {other}: {type(cause).__name__}: {first}"]
    a, b = list(graph.walk()), list(other_graph.walk())
    if [n.op for n in a] != [n.op for n in b]:
        findings.append(
            f"the traced graph changes with the batch size ({len(a)} nodes at batch {batch},"
            f" {len(b)} at batch {other}): Python control flow depends on it"
        )
        return findings
    for n, m in zip(a, b):
        if n.kind is not NodeKind.CONSTANT:
            continue
        before, after = n.attributes.get("value"), m.attributes.get("value")
        if before == after:
            continue
        users = graph.users(n.outputs[0].name)
        used_by = f", used by {users[0].op}" if users else ""
        where = f" at {n.source.short}" if n.source else ""
        text = f" `{n.source.text}`" if n.source and n.source.text else ""
        findings.append(
            f"{n.id}: constant {before!r} at batch {batch} became {after!r} at batch {other}{used_by}{where}{text}"
        )
    with torch.no_grad():
        reference = eager(*inputs)
        for size in check_sizes(batch):
            if size == batch:
                continue
            try:
                result = eager(*resize_batch(inputs, size))
            except Exception as error:  # noqa: BLE001
                findings.append(f"the eager model fails at batch {size}: {type(error).__name__}")
                continue
            for i, (want, got) in enumerate(zip(_tensors(reference), _tensors(result))):
                if want.dim() and want.shape[0] == batch and (not got.dim() or got.shape[0] != size):
                    findings.append(
                        f"output {i} has shape {tuple(got.shape)} at batch {size}: its dimension 0 does not"
                        f" follow the batch (it was {batch} at batch {batch})"
                    )
                    break
    return list(dict.fromkeys(findings))


def _tensors(value: Any) -> list[torch.Tensor]:
    if isinstance(value, torch.Tensor):
        return [value]
    if isinstance(value, (list, tuple)):
        return [t for v in value for t in _tensors(v)]
    return []


def chunked_reference(eager: Callable[..., Any], inputs: tuple, batch: int) -> Any:
    """What torch-neuron's chunking computes: the eager model on chunks of ``batch`` rows,
    the last chunk padded with copies of its last row, outputs trimmed and concatenated."""
    n = inputs[0].shape[0]
    pieces: list[Any] = []
    with torch.no_grad():
        for start in range(0, n, batch):
            stop = min(start + batch, n)
            count = stop - start
            chunk = tuple(
                torch.cat([t[start:stop], t[stop - 1 : stop].repeat([batch - count] + [1] * (t.dim() - 1))], 0)
                if count < batch
                else t[start:stop]
                for t in inputs
            )
            out = eager(*chunk)
            pieces.append(out[:count] if isinstance(out, torch.Tensor) else tuple(o[:count] for o in out))
    if isinstance(pieces[0], torch.Tensor):
        return torch.cat(pieces, 0)
    return tuple(torch.cat([p[i] for p in pieces], 0) for i in range(len(pieces[0])))


def check_batches(
    module: torch.jit.ScriptModule,
    eager: Callable[..., Any],
    inputs: tuple,
    *,
    chunked: bool,
    rtol: float,
) -> tuple[tuple[int, ...], tuple[float, ...]]:
    """Run ``module`` at every check batch against the eager reference.

    Raises:
        PartitionError: any batch differs by more than ``rtol`` (relative to the output's
            magnitude) or fails to run.
    """
    batch = traced_batch(inputs)
    sizes = check_sizes(batch)
    diffs = []
    for size in sizes:
        resized = resize_batch(inputs, size)
        with torch.no_grad():
            want = chunked_reference(eager, resized, batch) if chunked else eager(*resized)
            try:
                got = module(*resized)
            except Exception as error:  # noqa: BLE001
                raise PartitionError(
                    f"dynamic_batch_size=True: the partitioned model fails at batch {size}:"
                    f" {type(error).__name__}: {str(error).strip().splitlines()[0] if str(error).strip() else ''}"
                ) from None
        diff = max_abs_diff(got, want)
        scale = max(1.0, magnitude(want))
        if not diff <= rtol * scale:
            raise PartitionError(
                f"dynamic_batch_size=True: at batch {size} the partitioned model differs from the eager"
                f" model by {diff:.3g}. The result would be silently wrong, so it is refused. Fix: make"
                " the model batch-independent (use x.size(0) or -1 instead of fixed sizes)."
            )
        diffs.append(diff)
    return sizes, tuple(diffs)
