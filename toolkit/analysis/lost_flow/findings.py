"""What a lost-by-tracing finding says: the taxonomy (T1-T13) and the ``Finding`` record.

The categories are the ones of ``../shared/notes/lost-by-tracing.md`` section 2. Each carries
a short name for headings and the concrete fix a student should apply; the per-finding
``what`` and ``why`` are written by :mod:`toolkit.analysis.lost_flow.localise` from the
evidence (the frozen value, the counterexample).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

__all__ = ["CATEGORIES", "Category", "Counterexample", "Finding", "PROVEN", "SUSPECTED"]

PROVEN = "proven"
SUSPECTED = "suspected"


@dataclass(frozen=True)
class Category:
    """One way tracing loses behaviour.

    Attributes:
        code: ``T1`` ... ``T13``.
        name: a short heading.
        fix: what to change, concretely.
    """

    code: str
    name: str
    fix: str


CATEGORIES: dict[str, Category] = {
    c.code: c
    for c in (
        Category(
            "T1",
            "data-dependent branch",
            "Express the choice with tensor ops (`torch.where(cond, a, b)`, masking, `clamp`), or move the"
            " branch into a helper decorated with `@torch.jit.script_if_tracing` so the graph keeps a real"
            " `prim::If`.",
        ),
        Category(
            "T2",
            "tensor turned into a Python number",
            "Keep the value a tensor: drop `int()`/`float()`/`.item()`/`math.*` and compute with tensor ops;"
            " for `F.interpolate` pass `size=` built from tensors, not a Python `scale_factor`.",
        ),
        Category(
            "T3",
            "data-dependent loop",
            "Put the loop in a helper decorated with `@torch.jit.script_if_tracing` (it is compiled, so the"
            " loop survives), or run a fixed number of steps and mask the finished items.",
        ),
        Category(
            "T4",
            "shape-dependent Python logic",
            "Use `x.size(i)` / `x.shape[i]` directly inside tensor ops (those stay dynamic in a trace);"
            " replace Python loops over a dimension with batched ops or a scripted helper; do not branch on"
            " `x.dim()` (trace one module per rank).",
        ),
        Category(
            "T5",
            "NumPy / list / constructor round-trip",
            "Build tensors from tensors (`torch.stack(sizes)`, `torch.arange`, `x.new_ones`) instead of"
            " `torch.tensor(...)` on traced values, `.tolist()` or NumPy; precompute true constants as buffers.",
        ),
        Category(
            "T6",
            "Python RNG or Python state",
            "Draw with torch RNG ops (`torch.rand`, `torch.bernoulli`), which a trace records; keep state in"
            " buffers updated in place (`self.buf.add_(1)`), or pass it in and return it.",
        ),
        Category(
            "T7",
            "training mode baked in",
            "Call `model.eval()` before tracing; `.eval()` on a traced module does not change its graph."
            " Trace a separate copy in training mode if you need both.",
        ),
        Category(
            "T8",
            "in-place change or re-binding the tracer cannot see",
            "Do not assign `.data` or re-bind attributes in `forward`; update buffers in place"
            " (`self.buf.copy_(new)`) or return the new state to the caller.",
        ),
        Category(
            "T9",
            "output structure depends on the data",
            "Return a fixed structure (a tuple or NamedTuple with fixed fields); pad variable-length results"
            " and return a count or a mask with them.",
        ),
        Category(
            "T10",
            "argument left out of the trace",
            "Pass every argument you will use in `example_inputs` (or `example_kwarg_inputs`), trace one"
            " module per variant of the call, or script the module.",
        ),
        Category(
            "T11",
            "device baked in",
            "Create tensors from existing ones (`torch.zeros_like`, `x.new_zeros`, `torch.arange(...).to(x)` in"
            " a `@torch.jit.script_if_tracing` helper) instead of `device=x.device` on factories, and avoid"
            " branching on `.device`.",
        ),
        Category(
            "T12",
            "trace-aware code",
            "Only branch on `torch.jit.is_tracing()` when both paths compute the same result; otherwise"
            " remove the branch (or script that part).",
        ),
        Category(
            "T13",
            "size frozen in an int-list argument or inside torch",
            "Pass sizes in list form (`[s // 2 for s in x.shape]`) or compute the offset with tensor ops;"
            " a single traced size given where torch expects `int[]` is stored as a constant.",
        ),
    )
}


@dataclass(frozen=True)
class Counterexample:
    """An input on which eager PyTorch and the trace disagree.

    Attributes:
        input: what was changed from the example (``x: signs flipped``).
        shapes: the tensors passed (``float32[3×4]``).
        eager: what eager PyTorch returned (the differing part).
        traced: what the traced module returned, or the error it raised.
        args, kwargs: the actual inputs, to re-run it (not shown, not compared).
    """

    input: str
    shapes: str
    eager: str
    traced: str
    args: tuple = field(default=(), repr=False, compare=False)
    kwargs: Any = field(default=None, repr=False, compare=False)

    def __str__(self) -> str:
        return f"{self.input} ({self.shapes}): eager {self.eager}; traced {self.traced}"


@dataclass(frozen=True)
class Finding:
    """One piece of behaviour the trace lost (proven) or may lose (suspected).

    Attributes:
        category: ``T1`` ... ``T13`` (see :data:`CATEGORIES`).
        severity: ``"proven"`` (a counterexample exists) or ``"suspected"``.
        file, line, source_line: the user's line that caused it.
        what: what was frozen.
        why: why, with the trace-time value where there is one.
        fix: a concrete fix.
        counterexample: the input that proves it (proven findings only).
        evidence: which signals point here, in a fixed order: ``differential`` (a
            counterexample), ``escape`` (a tensor -> Python value on this line),
            ``tracer-warning``, ``graph-diff`` (re-traced graphs differ here), ``lint``,
            ``script-ir`` (the scripted graph keeps control flow here), ``traced-graph`` (a
            training-mode operator recorded here).
        export: how torch.export sees this line (an :class:`~toolkit.analysis.lost_flow.export_view.ExportView`),
            where the check asked it.
    """

    category: str
    severity: str
    file: str
    line: int
    source_line: str | None
    what: str
    why: str
    fix: str
    counterexample: Counterexample | None = None
    evidence: tuple[str, ...] = ()
    export: Any = None

    @property
    def title(self) -> str:
        """``T1 data-dependent branch``."""
        category = CATEGORIES.get(self.category)
        return f"{self.category} {category.name}" if category else self.category

    @property
    def location(self) -> str:
        """``model.py:42``."""
        return f"{os.path.basename(self.file)}:{self.line}"

    def __str__(self) -> str:
        lines = [f"[{self.severity}] {self.title} at {self.location}"]
        if self.source_line:
            lines.append(f"    {self.source_line}")
        lines.append(f"  what: {self.what}")
        lines.append(f"  why:  {self.why}")
        lines.append(f"  fix:  {self.fix}")
        if self.counterexample is not None:
            lines.append(f"  counterexample: {self.counterexample}")
        if self.export is not None:
            lines.append(f"  torch.export: {self.export}")
        return "\n".join(lines)
