"""The partition plan as torch-neuron prints it: summary lines, then the per-op table.

Why its own module: the wording is a product of its own (tests, ``plan.txt`` in the compiler
workdir and ``print(plan)`` all show it), and it changes for other reasons than the plan's data
or its JSON. Every number is read from the plan's queries, so the report cannot disagree with the
op table or the drawing; counts and sizes are spelled by :mod:`toolkit.words`.
"""

from __future__ import annotations

from collections import Counter

from toolkit.analysis.partition.plan import PartitionPlan
from toolkit.analysis.partition.proposal import Role, Target
from toolkit.words import byte_size, plural

__all__ = ["summary_lines", "report_text", "accelerator_name", "accelerator_listing", "fallback_listing"]

_CPU_ROLES = (Role.COMPUTE.value, Role.HOST.value, "nested")


def accelerator_name(device: str) -> str:
    """``"the accelerator (cuda)"``; ``"the accelerator (cpu here)"`` when the CPU plays it."""
    if device.split(":")[0] == "cpu":
        return "the accelerator (cpu here)"
    return f"the accelerator ({device})"


def _fallback_ops(plan: PartitionPlan) -> list:
    return [pl for pl in plan.op_placements() if pl.role in _CPU_ROLES and pl.target == "cpu"]


def fallback_listing(plan: PartitionPlan) -> str:
    """The CPU-fallback ops by kind and reason (``"aten::mul x1 (user-excluded)"``), or ``""``."""
    by_kind = Counter((pl.op, pl.reason) for pl in _fallback_ops(plan))
    return ", ".join(f"{kind} x{count} ({reason})" for (kind, reason), count in sorted(by_kind.items()))


def accelerator_listing(plan: PartitionPlan) -> str:
    """The compute ops on the accelerator by kind (``"aten::_convolution x1, aten::add x1"``), or ``""``."""
    by_kind = Counter(
        pl.op for pl in plan.op_placements() if pl.role == Role.COMPUTE.value and pl.target == "accelerator"
    )
    return ", ".join(f"{kind} x{count}" for kind, count in sorted(by_kind.items()))


def summary_lines(plan: PartitionPlan) -> list[str]:
    """torch-neuron-style summary lines: coverage, CPU fallback by kind, segments, compiles, copies."""
    ops = plan.op_placements()
    on_accelerator = [pl for pl in ops if pl.target in ("accelerator", "both")]
    compute = [pl for pl in ops if pl.role == Role.COMPUTE.value]
    compute_on_accelerator = [pl for pl in compute if pl.target == "accelerator"]
    fallback = _fallback_ops(plan)
    accelerator = accelerator_name(plan.device)
    lines = [
        f"{_percent(len(on_accelerator), len(ops))} of all operations (including views and shape ops)"
        f" ({len(on_accelerator)} of {len(ops)}) run on {accelerator}",
        f"{_percent(len(compute_on_accelerator), len(compute))} of compute operations"
        f" ({len(compute_on_accelerator)} of {len(compute)}) run on {accelerator}",
    ]
    if fallback:
        kinds = len({pl.op for pl in fallback})
        lines.append(
            f"CPU fallback: {plural(len(fallback), 'op')} of {plural(kinds, 'type')}: {fallback_listing(plan)}"
        )
    proposal = plan.proposal
    accelerator_segments = len(proposal.segments_on(Target.ACCELERATOR))
    cpu_segments = len(proposal.segments_on(Target.CPU))
    lines.append(
        f"The partitioner created {plural(len(proposal.segments), 'segment')}: {accelerator_segments} on"
        f" {accelerator}, {cpu_segments} CPU fallback"
    )
    attempted = [c for c in plan.compiled if c is not None]
    if attempted:
        ok = sum(1 for c in attempted if c)
        failed = len(attempted) - ok
        tail = f"; {failed} failed and became CPU fallback" if failed else ""
        lines.append(f"Compiled {ok} of {len(attempted)} accelerator segments ({_percent(ok, len(attempted))}){tail}")
    elif accelerator_segments:
        lines.append("Nothing was compiled (analysis only)")
    lines.append(f"Transfers per inference: {plan.transfers} ({byte_size(plan.transfer_bytes)})")
    return lines


def report_text(plan: PartitionPlan) -> str:
    """The summary lines, a blank line, and the per-op table (kind, count, placement, reason).

    The table's ``cpu`` placement is printed ``CPU fallback``, so it never reads as the accelerator
    when the CPU plays that part too.
    """
    rows = plan.table()
    width = max([len("kind")] + [len(r["kind"]) for r in rows])
    out = summary_lines(plan) + ["", f"{'kind':<{width}}  count  {'placement':<12}  reason"]
    for r in rows:
        placement = _PLACEMENT_TEXT.get(r["placement"], r["placement"])
        out.append(f"{r['kind']:<{width}}  {r['count']:>5}  {placement:<12}  {r['reason']}".rstrip())
    return "\n".join(out)


_PLACEMENT_TEXT = {"cpu": "CPU fallback"}


def _percent(part: int, whole: int) -> str:
    return f"{100.0 * part / whole:.2f}%" if whole else "0.00%"
