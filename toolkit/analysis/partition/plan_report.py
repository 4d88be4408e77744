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

__all__ = ["summary_lines", "report_text"]

_CPU_ROLES = (Role.COMPUTE.value, Role.HOST.value, "nested")


def summary_lines(plan: PartitionPlan) -> list[str]:
    """torch-neuron-style summary lines: coverage, CPU ops by kind, segments, compiles, copies."""
    ops = plan.op_placements()
    on_accelerator = [pl for pl in ops if pl.target in ("accelerator", "both")]
    compute = [pl for pl in ops if pl.role == Role.COMPUTE.value]
    compute_on_accelerator = [pl for pl in compute if pl.target == "accelerator"]
    compute_on_cpu = [pl for pl in ops if pl.role in _CPU_ROLES and pl.target == "cpu"]
    lines = [
        f"{_percent(len(on_accelerator), len(ops))} of all operations (including views and shape ops)"
        f" ({len(on_accelerator)} of {len(ops)}) run on {plan.device}",
        f"{_percent(len(compute_on_accelerator), len(compute))} of compute operations"
        f" ({len(compute_on_accelerator)} of {len(compute)}) run on {plan.device}",
    ]
    if compute_on_cpu:
        by_kind = Counter((pl.op, pl.reason) for pl in compute_on_cpu)
        listing = ", ".join(f"{kind} x{count} ({reason})" for (kind, reason), count in sorted(by_kind.items()))
        kinds = len({pl.op for pl in compute_on_cpu})
        lines.append(
            f"{plural(len(compute_on_cpu), 'op')} of {plural(kinds, 'type')}"
            f" {'runs' if len(compute_on_cpu) == 1 else 'run'} on the CPU: {listing}"
        )
    proposal = plan.proposal
    accelerator_segments = len(proposal.segments_on(Target.ACCELERATOR))
    cpu_segments = len(proposal.segments_on(Target.CPU))
    lines.append(
        f"The partitioner created {plural(len(proposal.segments), 'segment')}: {accelerator_segments} on the"
        f" accelerator ({plan.device}), {cpu_segments} on the CPU"
    )
    attempted = [c for c in plan.compiled if c is not None]
    if attempted:
        ok = sum(1 for c in attempted if c)
        failed = len(attempted) - ok
        tail = f"; {failed} failed and fell back to the CPU" if failed else ""
        lines.append(f"Compiled {ok} of {len(attempted)} accelerator segments ({_percent(ok, len(attempted))}){tail}")
    elif accelerator_segments:
        lines.append("Nothing was compiled (analysis only)")
    lines.append(f"Transfers per inference: {plan.transfers} ({byte_size(plan.transfer_bytes)})")
    return lines


def report_text(plan: PartitionPlan) -> str:
    """The summary lines, a blank line, and the per-op table (kind, count, placement, reason)."""
    rows = plan.table()
    width = max([len("kind")] + [len(r["kind"]) for r in rows])
    out = summary_lines(plan) + ["", f"{'kind':<{width}}  count  placement    reason"]
    for r in rows:
        out.append(f"{r['kind']:<{width}}  {r['count']:>5}  {r['placement']:<11}  {r['reason']}")
    return "\n".join(out)


def _percent(part: int, whole: int) -> str:
    return f"{100.0 * part / whole:.2f}%" if whole else "0.00%"
