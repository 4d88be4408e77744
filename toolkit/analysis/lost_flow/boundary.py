"""Inputs that flip a Python decision: step across the boundary of each tensor comparison.

Why: random perturbations flip ``if x.sum() > 0`` easily, but not a condition that depends on
a narrow direction of the input (a linear layer whose weights nearly cancel, a bias that
dominates): scaling the example by 100 may leave the decision unchanged. A comparison has a
*margin* (``a - b`` for ``a > b``), and the margin is differentiable: one eager forward with
gradients tells how to move the floating-point inputs so that the margin changes sign.

How: a :class:`~torch.overrides.TorchFunctionMode` (removed on exit) follows comparison
results through ``any``/``all``/``~`` to the point where Python reads them (``bool()``,
``.item()``), keeping the margin of each decision as a scalar tensor. For each decision line,
the inputs are moved along the margin's gradient by a Newton step past zero,
``x - margin * g / |g|² * overshoot``. Each moved input is a candidate counterexample; the
differential test decides whether it is one.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any, Callable, Mapping

import torch
from torch.overrides import TorchFunctionMode
from torch.utils import _pytree as pytree

from toolkit.analysis.lost_flow.escapes import user_frame

__all__ = ["Decision", "boundary_inputs"]

_GREATER = frozenset({"gt", "ge", "__gt__", "__ge__", "greater", "greater_equal"})
_LESS = frozenset({"lt", "le", "__lt__", "__le__", "less", "less_equal"})
_READS = frozenset({"__bool__", "item"})
_OVERSHOOTS = (1.5, 4.0)
_MAX_DECISIONS = 4


@dataclass(frozen=True)
class Decision:
    """One Python decision on a tensor comparison, as seen in an eager run.

    Attributes:
        file, line: the user's line that read the comparison.
        value: what Python read (True/False).
        margin: positive when the comparison holds; a scalar tensor with gradient history.
    """

    file: str
    line: int
    value: bool
    margin: torch.Tensor


class _MarginRecorder(TorchFunctionMode):
    def __init__(self) -> None:
        super().__init__()
        self.decisions: list[Decision] = []
        self._margins: dict[int, tuple[torch.Tensor, torch.Tensor]] = {}

    def _margin_of(self, obj: Any) -> torch.Tensor | None:
        held = self._margins.get(id(obj))
        return held[1] if held is not None and held[0] is obj else None

    def _keep(self, result: Any, margin: torch.Tensor) -> None:
        if isinstance(result, torch.Tensor) and margin.requires_grad:
            self._margins[id(result)] = (result, margin)

    def __torch_function__(self, func: Callable, types: tuple, args: tuple = (), kwargs: Mapping | None = None):
        kwargs = kwargs or {}
        result = func(*args, **kwargs)
        name = getattr(func, "__name__", "")
        if name in _GREATER or name in _LESS:
            a, b = (args + (None, None))[:2]
            if isinstance(a, torch.Tensor) and a.is_floating_point() and b is not None:
                difference = a - b if name in _GREATER else b - a
                self._keep(result, difference.to(torch.float64))
        elif name in ("any", "all") and args:
            margin = self._margin_of(args[0])
            if margin is not None and not kwargs and len(args) == 1:
                self._keep(result, margin.max() if name == "any" else margin.min())
        elif name in ("__invert__", "logical_not", "bitwise_not") and args:
            margin = self._margin_of(args[0])
            if margin is not None:
                self._keep(result, -margin)
        elif name in _READS and args:
            margin = self._margin_of(args[0])
            where = user_frame(sys._getframe(1))
            if margin is not None and margin.numel() == 1 and where is not None:
                self.decisions.append(Decision(where[0], where[1], bool(result), margin.reshape(())))
        return result

    def __exit__(self, *exc: Any) -> Any:
        self._margins.clear()
        return super().__exit__(*exc)


def boundary_inputs(model: Any, args: tuple, kwargs: Mapping[str, Any]) -> list[tuple[str, tuple, dict]]:
    """Inputs moved across the boundary of each decision the example makes.

    Args:
        model: a fresh copy of the model (it is run once, with gradients).
        args, kwargs: the example inputs.

    Returns:
        ``(label, args, kwargs)`` per candidate, at most two per decision line (two step
        sizes), first decision lines first. Empty when no decision depends on a
        floating-point input through differentiable operations.
    """
    leaves, spec = pytree.tree_flatten((tuple(args), dict(kwargs)))
    float_positions = [
        i for i, leaf in enumerate(leaves) if isinstance(leaf, torch.Tensor) and leaf.is_floating_point()
    ]
    if not float_positions:
        return []
    watched = [leaves[i].detach().clone().requires_grad_(True) for i in float_positions]
    run_leaves = list(leaves)
    for position, tensor in zip(float_positions, watched):
        run_leaves[position] = tensor
    run_args, run_kwargs = pytree.tree_unflatten(run_leaves, spec)
    recorder = _MarginRecorder()
    try:
        with torch.enable_grad(), recorder:
            model(*run_args, **run_kwargs)
    except Exception:  # noqa: BLE001 - a model that cannot run with gradients just gets no candidates
        return []

    candidates: list[tuple[str, tuple, dict]] = []
    seen_lines: set[tuple[str, int]] = set()
    for decision in recorder.decisions:
        key = (decision.file, decision.line)
        if key in seen_lines:
            continue
        seen_lines.add(key)
        if len(seen_lines) > _MAX_DECISIONS:
            break
        try:
            grads = torch.autograd.grad(decision.margin, watched, retain_graph=True, allow_unused=True)
        except RuntimeError:
            continue
        norm = sum(float((g.double() ** 2).sum()) for g in grads if g is not None)
        if norm == 0.0:
            continue
        margin = float(decision.margin.detach())
        text = f"{decision.line}"
        for overshoot in _OVERSHOOTS:
            moved = list(leaves)
            for position, tensor, grad in zip(float_positions, watched, grads):
                if grad is not None:
                    step = (margin * overshoot / norm) * grad.double()
                    moved[position] = (tensor.detach().double() - step).to(tensor.dtype)
            new_args, new_kwargs = pytree.tree_unflatten(moved, spec)
            label = f"inputs moved across the decision at line {text} (×{overshoot:g} past the boundary)"
            candidates.append((label, tuple(new_args), dict(new_kwargs)))
    return candidates
