"""Differential testing of a trace: generate inputs, run eager and traced side by side, compare.

Why: a trace is only wrong on inputs that take another path, and the user gives one example.
This module makes the other inputs itself, from the example alone, along every axis a trace
can freeze (see ``../shared/notes/lost-by-tracing.md``):

- **values**: signs flipped, scaled and shifted, zeros, fresh draws; integer and boolean
  tensors get their own (reversed, shuffled, flipped, all-true/all-false...);
- **sizes**: each distinct size changed everywhere it occurs (so matching dims stay matched),
  and each dimension of each input on its own;
- **rank**: a leading dimension added or removed;
- **device**: CUDA where there is one, else the ``meta`` device (shapes only);
- **optional arguments** of ``forward`` that the example left out, filled in;
- **repeated calls** (Python state, Python/NumPy RNG) and the **train -> eval** flip.

A variant on which eager PyTorch itself fails is dropped: it says nothing about the trace.
Every run starts from a fresh copy of the model and identical RNG seeds on both sides, so a
difference is a real divergence of the trace, never noise from state or randomness.
"""

from __future__ import annotations

import contextlib
import copy
import inspect
import math
import random
import re
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Mapping, Sequence

import numpy as np
import torch
from torch.utils import _pytree as pytree

from toolkit.analysis.lost_flow.python_state import GlobalsGuard

__all__ = [
    "CannotCopyModel",
    "Outcome",
    "Variant",
    "VariantKind",
    "Workbench",
    "cloned",
    "compare_outputs",
    "error_line",
    "generate_variants",
    "other_device",
    "preserved_global_state",
    "run_variant",
    "seed_everything",
]


class VariantKind:
    """The axes a variant changes (plain strings, so reports print them as they are)."""

    VALUE = "value"
    SIZE = "size"
    RANK = "rank"
    DEVICE = "device"
    OPTIONAL = "optional argument"
    REPEAT = "repeated calls"
    MODE = "train/eval flip"
    USER = "check_inputs"
    BOUNDARY = "decision boundary"
    ORDER = (USER, BOUNDARY, VALUE, SIZE, RANK, OPTIONAL, REPEAT, MODE, DEVICE)


@dataclass(frozen=True)
class Variant:
    """One generated input (or call pattern) to run through both eager and traced.

    Attributes:
        label: what was changed, for a person (``x: signs flipped``).
        kind: one of :class:`VariantKind`.
        args, kwargs: the inputs.
        device: run both sides on this device (``None``: where the example lives).
        calls: how many calls in a row (each compared).
        mode: ``"eval"`` to switch both sides to eval mode first.
        extra_kwargs: keyword arguments the example did not have (optional-argument variants);
            a trace recorded without them cannot take them.
        group: variants offering alternatives for the same thing (candidate values of one
            optional argument): once one of a group runs, the rest are not needed.
    """

    label: str
    kind: str
    args: tuple = field(repr=False)
    kwargs: Mapping[str, Any] = field(default_factory=dict, repr=False)
    device: str | None = None
    calls: int = 1
    mode: str | None = None
    extra_kwargs: Mapping[str, Any] = field(default_factory=dict, repr=False)
    group: str | None = None

    def describe_inputs(self) -> str:
        """Shapes and dtypes of the tensors this variant passes, e.g. ``x: float32[5×4]``."""
        parts = [_describe(a) for a in self.args]
        parts += [f"{k}={_describe(v)}" for k, v in {**self.kwargs, **self.extra_kwargs}.items()]
        return ", ".join(parts)


@dataclass(frozen=True)
class Outcome:
    """What happened when a variant ran.

    Attributes:
        variant: the variant.
        status: ``"same"``, ``"diverged"`` or ``"skipped"`` (eager itself failed, or the
            variant could not be prepared).
        detail: for ``diverged``, eager vs traced in one line; for ``skipped``, why.
        eager, traced: short summaries of the two outputs (``diverged`` only).
        structural: True when the output *structure* differed (number of items, keys).
        call: which call of a repeated-call variant diverged (0-based).
        ignored: the variant's extra arguments change nothing in eager PyTorch (``same``), so
            another candidate value for them is worth trying.
    """

    variant: Variant
    status: str
    detail: str = ""
    eager: str = ""
    traced: str = ""
    structural: bool = False
    call: int = 0
    ignored: bool = False

    @property
    def diverged(self) -> bool:
        return self.status == "diverged"


# ---------------------------------------------------------------------------------------------
# Global state: RNGs and grad mode are restored however the check ends
# ---------------------------------------------------------------------------------------------


@contextlib.contextmanager
def preserved_global_state() -> Iterator[None]:
    """Restore every RNG (torch CPU and CUDA, ``random``, NumPy) and grad mode on exit."""
    torch_state = torch.get_rng_state()
    cuda_states = torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None
    py_state = random.getstate()
    np_state = np.random.get_state()
    grad = torch.is_grad_enabled()
    try:
        yield
    finally:
        torch.set_rng_state(torch_state)
        if cuda_states is not None:
            torch.cuda.set_rng_state_all(cuda_states)
        random.setstate(py_state)
        np.random.set_state(np_state)
        torch.set_grad_enabled(grad)


def cloned(args: tuple, kwargs: Mapping[str, Any]) -> tuple[tuple, dict]:
    """Fresh copies of the tensors in ``args``/``kwargs``: a forward that writes into its inputs
    must not change what the next run (or the user) sees."""
    copy_leaf = lambda leaf: leaf.clone() if isinstance(leaf, torch.Tensor) else leaf  # noqa: E731
    new_args, new_kwargs = pytree.tree_map(copy_leaf, (tuple(args), dict(kwargs)))
    return tuple(new_args), dict(new_kwargs)


def seed_everything(seed: int) -> None:
    """Seed torch (all devices), ``random`` and NumPy with one seed."""
    torch.manual_seed(seed)
    random.seed(seed)
    np.random.seed(seed % (2**32))


def other_device(example_device: str) -> str:
    """The device a trace made on ``example_device`` is also tried on: CUDA if any, else meta."""
    if torch.cuda.is_available():
        return "cpu" if example_device.startswith("cuda") else "cuda"
    return "meta"


# ---------------------------------------------------------------------------------------------
# The workbench: fresh copies of the user's model, which itself is never touched
# ---------------------------------------------------------------------------------------------


class Workbench:
    """Hands out fresh copies of a model and of its trace, each in the pristine state.

    The user's module is deep-copied once; every run gets its own copy of that, so state a
    forward pass changes (counters, caches, batch-norm statistics) never leaks between runs or
    back into the user's module. The traced module shares tensors with the copy it was traced
    from, so its parameters and buffers are reset from the pristine copy before each run.
    The module globals the model's code names are put back before each run too (``globals``,
    a :class:`GlobalsGuard`; the caller restores them once more when the check ends).
    """

    def __init__(self, model: Any) -> None:
        self.globals = GlobalsGuard(model)
        self.is_module = isinstance(model, torch.nn.Module)
        try:
            self._pristine = copy.deepcopy(model) if self.is_module else model
        except Exception as exc:  # noqa: BLE001 - reported to the user by the caller
            raise CannotCopyModel(f"{type(exc).__name__}: {exc}") from exc
        # the pristine copy's own tensors, each with a saved value and its fingerprint, for
        # `shared()` copies; the same saved values by state-dict name, for `reset_traced`
        self._own: list[tuple[torch.Tensor, torch.Tensor, tuple]] = []
        self._state: dict[str, torch.Tensor] = {}
        if self.is_module:
            tensors = list(self._pristine.parameters()) + list(self._pristine.buffers())
            self._own = [(t, t.detach().clone(), _fingerprint(t)) for t in tensors]
            saved = {id(t): value for t, value, _ in self._own}
            for name, value in self._pristine.state_dict(keep_vars=True).items():
                self._state[name] = saved[id(value)] if id(value) in saved else value.detach().clone()
        self._traced_marks: dict[int, tuple[Any, list[tuple[torch.Tensor, torch.Tensor, tuple]]]] = {}

    @property
    def training(self) -> bool:
        return bool(getattr(self._pristine, "training", False))

    def fresh(self, *, device: str | None = None, mode: str | None = None) -> Any:
        """A new eager copy, optionally moved to ``device`` and switched to ``mode``."""
        self.globals.restore()
        if not self.is_module:
            return self._pristine
        self.restore()  # a module traced from a `shared()` copy writes into the pristine tensors
        module = copy.deepcopy(self._pristine)
        if device is not None:
            with warnings.catch_warnings():
                # moving a copy that holds ScriptModules touches `.grad` and warns; not the user's concern
                warnings.simplefilter("ignore", UserWarning)
                module = module.to(device)
        if mode == "eval":
            module.eval()
        return module

    def shared(self, *, mode: str | None = None) -> Any:
        """A new eager copy whose parameters and buffers are the pristine copy's own tensors.

        Why: deep-copying every weight for every generated input dominated the check on a
        ResNet. Python state is still copied; the tensors are shared and put back by
        :meth:`restore`, which only touches a tensor whose version counter, storage or shape
        changed. Call :meth:`restore` after each call on it, before anything else runs; for
        several calls in a row (state carried between calls) use :meth:`fresh`.
        """
        self.globals.restore()
        if not self.is_module:
            return self._pristine
        self.restore()
        memo: dict[int, Any] = {id(t): t for t, _, _ in self._own}
        module = copy.deepcopy(self._pristine, memo)
        if mode == "eval":
            module.eval()
        return module

    def restore(self) -> None:
        """Put back every pristine tensor that a :meth:`shared` copy changed."""
        self._own = _restored(self._own)

    def reset_traced(self, traced: Any) -> None:
        """Put the traced module's parameters and buffers back to the pristine values.

        Only the tensors that changed since the last reset are copied (a version counter,
        storage pointer and shape tell).
        """
        if not self._state or not isinstance(traced, torch.jit.ScriptModule):
            return
        self.restore()  # a module traced from a `shared()` copy holds the pristine tensors themselves
        known = self._traced_marks.get(id(traced))
        if known is not None and known[0] is traced:
            self._traced_marks[id(traced)] = (traced, _restored(known[1]))
            return
        owned = {_fingerprint(t)[1] for t, _, _ in self._own}
        marks = []
        for name, value in traced.state_dict(keep_vars=True).items():
            if _fingerprint(value)[1] in owned:
                continue
            pristine = self._state.get(name)
            if pristine is not None and pristine.shape == value.shape and value.device == pristine.device:
                with torch.no_grad():
                    value.copy_(pristine)
                marks.append((value, pristine, _fingerprint(value)))
        self._traced_marks[id(traced)] = (traced, marks)

    def traced_on(self, traced: Any, device: str) -> Any:
        """A copy of ``traced`` with parameters and buffers on ``device``.

        ``ScriptModule.to`` refuses the ``meta`` device, so tensors are swapped one by one;
        the graph (and any device constant it recorded) is kept as traced.
        """
        moved = copy.deepcopy(traced)
        for name, value in moved.state_dict(keep_vars=True).items():
            owner = moved
            *path, attr = name.split(".")
            for part in path:
                owner = getattr(owner, part)
            replacement = value.detach().to(device) if device != "meta" else torch.empty_like(value, device="meta")
            owner._c.setattr(attr, replacement)
        return moved


def _fingerprint(t: torch.Tensor) -> tuple:
    """What changes when a tensor is written in place or re-pointed (``.data = ...``)."""
    try:
        pointer = t.data_ptr()
    except RuntimeError:  # sparse and other layouts without one storage
        pointer = -1
    return (t._version, pointer, tuple(t.shape), t.dtype, t.device)


def _restored(entries: list[tuple[torch.Tensor, torch.Tensor, tuple]]) -> list[tuple[torch.Tensor, torch.Tensor, tuple]]:
    """``(tensor, saved value, fingerprint)`` entries, each changed tensor given its saved value back."""
    out = []
    with torch.no_grad():
        for tensor, saved, mark in entries:
            changed = _fingerprint(tensor) != mark
            if tensor.grad_fn is not None:
                # written in place under autograd while tracing (`self.total += self.weight`):
                # the history goes with the value, or no copy of the module could be made again
                tensor.detach_()
            if changed:
                if tuple(tensor.shape) == tuple(saved.shape) and tensor.dtype == saved.dtype and tensor.device == saved.device:
                    tensor.copy_(saved)
                else:
                    tensor.data = saved.clone()
                mark = _fingerprint(tensor)
            out.append((tensor, saved, mark))
    return out


class CannotCopyModel(Exception):
    """The model could not be deep-copied (the caller turns this into a ToolkitError)."""


# ---------------------------------------------------------------------------------------------
# Generating variants
# ---------------------------------------------------------------------------------------------


def _describe(value: Any) -> str:
    if isinstance(value, torch.Tensor):
        dtype = str(value.dtype).replace("torch.", "")
        shape = "×".join(str(d) for d in value.shape) or "scalar"
        where = "" if value.device.type == "cpu" else f" on {value.device.type}"
        return f"{dtype}[{shape}]{where}"
    if isinstance(value, (list, tuple)):
        return "(" + ", ".join(_describe(v) for v in value) + ")"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_describe(v)}" for k, v in value.items()) + "}"
    return repr(value)


def _generator(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _float_transforms(seed: int) -> list[tuple[str, Callable[[torch.Tensor], torch.Tensor]]]:
    return [
        ("signs flipped", lambda t: -t),
        ("scaled ×10 and shifted +3", lambda t: t * 10 + 3),
        ("scaled ×(−10) and shifted −3", lambda t: t * -10 - 3),
        ("all zeros", torch.zeros_like),
        ("all ones", torch.ones_like),
        ("redrawn from N(0, 3²)", lambda t: torch.randn(t.shape, generator=_generator(seed), dtype=t.dtype) * 3),
        ("redrawn from U(0, 1)", lambda t: torch.rand(t.shape, generator=_generator(seed + 1), dtype=t.dtype)),
        ("scaled ×100", lambda t: t * 100),
        ("scaled ×(−100)", lambda t: t * -100),
        ("redrawn from N(0, 30²)", lambda t: torch.randn(t.shape, generator=_generator(seed + 4), dtype=t.dtype) * 30),
    ]


def _padded(t: torch.Tensor) -> torch.Tensor:
    """``t`` with the second half of its first row zeroed: what padding does to token ids and
    their attention mask together (a mask of all ones lets code skip masking altogether)."""
    out = t.clone()
    if t.dim() >= 2 and t.shape[-1] >= 2:
        out[(0,) * (t.dim() - 1)][t.shape[-1] // 2 :] = 0
    elif t.dim() == 1 and t.shape[0] >= 2:
        out[t.shape[0] // 2 :] = 0
    return out


def _int_transforms(seed: int) -> list[tuple[str, Callable[[torch.Tensor], torch.Tensor]]]:
    def shuffled(t: torch.Tensor) -> torch.Tensor:
        flat = t.flatten()
        return flat[torch.randperm(flat.numel(), generator=_generator(seed))].reshape(t.shape)

    def redrawn(t: torch.Tensor) -> torch.Tensor:
        low, high = int(t.min()), int(t.max())
        return torch.randint(low, high + 1, t.shape, generator=_generator(seed + 2), dtype=t.dtype)

    return [
        ("reversed", lambda t: t.flip(-1) if t.dim() else t),
        ("shuffled", shuffled),
        ("plus one", lambda t: t + 1),
        ("minus one", lambda t: t - 1),
        ("all zeros", torch.zeros_like),
        ("all equal to its maximum", lambda t: torch.full_like(t, int(t.max()))),
        ("all equal to its minimum", lambda t: torch.full_like(t, int(t.min()))),
        ("redrawn within its range", redrawn),
        ("padded: the last half of its first row set to 0", _padded),
    ]


def _bool_transforms(seed: int) -> list[tuple[str, Callable[[torch.Tensor], torch.Tensor]]]:
    return [
        ("negated", lambda t: ~t),
        ("all True", torch.ones_like),
        ("all False", torch.zeros_like),
        ("redrawn", lambda t: torch.rand(t.shape, generator=_generator(seed + 3)) > 0.5),
        ("padded: the last half of its first row set to False", _padded),
    ]


def _transforms_for(t: torch.Tensor, seed: int):
    if t.dtype == torch.bool:
        return _bool_transforms(seed)
    if t.is_floating_point() or t.is_complex():
        return _float_transforms(seed)
    return _int_transforms(seed)


@dataclass(frozen=True)
class _Inputs:
    """The example inputs flattened to tensor leaves, with names for messages."""

    leaves: tuple[Any, ...]
    spec: Any
    names: tuple[str, ...]
    n_args: int

    @classmethod
    def of(cls, args: tuple, kwargs: Mapping[str, Any], arg_names: Sequence[str]) -> "_Inputs":
        leaves, spec = pytree.tree_flatten((tuple(args), dict(kwargs)))
        names: list[str] = []
        # name every leaf by its argument, with an index when an argument holds several
        for i, arg in enumerate(args):
            base = arg_names[i] if i < len(arg_names) else f"input{i}"
            sub = pytree.tree_leaves(arg)
            names += [base if len(sub) == 1 else f"{base}[{j}]" for j in range(len(sub))]
        for key, value in kwargs.items():
            sub = pytree.tree_leaves(value)
            names += [key if len(sub) == 1 else f"{key}[{j}]" for j in range(len(sub))]
        return cls(tuple(leaves), spec, tuple(names), len(args))

    def tensor_indices(self) -> list[int]:
        return [i for i, leaf in enumerate(self.leaves) if isinstance(leaf, torch.Tensor)]

    def rebuild(self, replace: Mapping[int, Any]) -> tuple[tuple, dict]:
        leaves = [replace.get(i, leaf) for i, leaf in enumerate(self.leaves)]
        args, kwargs = pytree.tree_unflatten(leaves, self.spec)
        return tuple(args), dict(kwargs)


def _resized(t: torch.Tensor, dim: int, size: int) -> torch.Tensor:
    """``t`` with dimension ``dim`` made ``size`` long by cycling its existing slices."""
    old = t.shape[dim]
    if old == 0:
        shape = list(t.shape)
        shape[dim] = size
        return torch.zeros(shape, dtype=t.dtype)
    index = torch.arange(size) % old
    return t.index_select(dim, index).clone()


_VALUE_CHECKS_WHEN_NOTHING_ESCAPED = 2
_LARGE_SIZE = 32


def _size_targets(size: int) -> list[int]:
    """Sizes to try instead of ``size``: one more, one less, and (for small sizes, where the
    forward pass stays cheap) double; a feature map of 64 is not made 128, a batch of 1 is made 2."""
    large = size >= _LARGE_SIZE
    targets = [size + 1] if large else [size + 1, size * 2]
    if size >= 2:
        targets.append(size - 1)
    return sorted(set(t for t in targets if t != size))


def generate_variants(
    args: tuple,
    kwargs: Mapping[str, Any],
    *,
    forward: Callable | None,
    training: bool,
    device: str | None,
    seed: int,
    check_inputs: Sequence[Any] = (),
    values_matter: bool = True,
    repeat_calls: int = 3,
) -> list[Variant]:
    """Every variant to try, ordered from simple to complex, without duplicates.

    Args:
        args, kwargs: the example inputs.
        forward: the function that is traced (``model.forward`` or the function), read for
            argument names and optional arguments.
        training: whether the model was in training mode (adds the train -> eval flip).
        device: the other device to try (``None``: skip that axis).
        seed: seed for the redrawn values.
        check_inputs: the user's own extra inputs, tried first.
        values_matter: False when no tensor value left the tracer on the example (no escape of
            a value, no TracerWarning, no lint hit about values). A traced graph is then the
            same function of its inputs' values as eager, so two value changes are tried as a
            check of that, not the whole list (a ResNet's check is mostly forward passes).
        repeat_calls: how many calls in a row the repeated-call variant makes.
    """
    params = _parameters(forward)
    arg_names = [p.name for p in params][: len(args)] if params else []
    inputs = _Inputs.of(args, kwargs, arg_names)
    tensors = inputs.tensor_indices()
    variants: list[Variant] = []

    for i, extra in enumerate(check_inputs):
        extra_args = extra if isinstance(extra, tuple) else (extra,)
        variants.append(Variant(f"check_inputs[{i}]", VariantKind.USER, tuple(extra_args), {}))

    # --- values: every tensor at once, then each tensor alone -----------------------------
    if tensors:
        labels_seen: set[str] = set()
        for label_index in range(max(len(_transforms_for(inputs.leaves[i], seed)) for i in tensors)):
            replace, parts = {}, []
            for i in tensors:
                transforms = _transforms_for(inputs.leaves[i], seed)
                if label_index < len(transforms):
                    label, fn = transforms[label_index]
                    replace[i] = fn(inputs.leaves[i])
                    parts.append(f"{inputs.names[i]}: {label}")
            if replace:
                label = "; ".join(parts) if len(tensors) > 1 else parts[0]
                if label not in labels_seen:
                    labels_seen.add(label)
                    variants.append(Variant(label, VariantKind.VALUE, *inputs.rebuild(replace)))
            if not values_matter and len(labels_seen) >= _VALUE_CHECKS_WHEN_NOTHING_ESCAPED:
                break
        if len(tensors) > 1 and values_matter:
            for i in tensors:
                for label, fn in _transforms_for(inputs.leaves[i], seed)[:3]:
                    variants.append(
                        Variant(f"{inputs.names[i]} alone: {label}", VariantKind.VALUE, *inputs.rebuild({i: fn(inputs.leaves[i])}))
                    )

    # --- sizes: each distinct size everywhere it occurs, then each dim alone ----------------
    sized = [i for i in tensors if inputs.leaves[i].dim() > 0]
    distinct = sorted({s for i in sized for s in inputs.leaves[i].shape})
    shape_sets_seen: set[tuple] = set()

    def add_size_variant(label: str, replace: dict[int, torch.Tensor]) -> None:
        key = tuple((i, tuple(replace[i].shape)) for i in sorted(replace))
        if key in shape_sets_seen:
            return
        shape_sets_seen.add(key)
        variants.append(Variant(label, VariantKind.SIZE, *inputs.rebuild(replace)))

    for size in distinct:
        for target in _size_targets(size):
            replace = {}
            for i in sized:
                t = inputs.leaves[i]
                for d, s in enumerate(t.shape):
                    if s == size:
                        t = _resized(t, d, target)
                replace[i] = t
            add_size_variant(f"every dimension of size {size} made {target}", replace)
    for i in sized:
        t = inputs.leaves[i]
        shared = _sizes_of_others(inputs, sized, i)
        for d, s in enumerate(t.shape):
            if s in shared:
                continue  # a size the arguments share (ids and their mask) changes only with them
            for target in _size_targets(s)[:1]:
                add_size_variant(f"{inputs.names[i]}: dim {d} made {target} (was {s})", {i: _resized(t, d, target)})

    # --- rank: a leading dimension added or removed ---------------------------------------
    # Floating-point inputs only. Integer and boolean tensors (token ids, masks, lengths) keep
    # their rank, which is part of what the model accepts (`input_ids` is [batch, sequence]);
    # beside ids or masks of rank 2 or more, no input's rank changes (they must keep agreeing).
    floating = [i for i in sized if inputs.leaves[i].is_floating_point() or inputs.leaves[i].is_complex()]
    if floating and not any(inputs.leaves[i].dim() >= 2 for i in sized if i not in floating):
        every = "every input" if len(floating) == len(sized) else "every floating-point input"
        added = {i: _resized(inputs.leaves[i].unsqueeze(0), 0, 2) for i in floating}
        variants.append(Variant(f"{every} given an extra leading dimension of 2", VariantKind.RANK, *inputs.rebuild(added)))
        removable = {i: inputs.leaves[i][0].clone() for i in floating if inputs.leaves[i].dim() >= 2 and inputs.leaves[i].shape[0] > 0}
        if removable:
            variants.append(Variant(f"{every}'s leading dimension removed", VariantKind.RANK, *inputs.rebuild(removable)))
        if len(floating) > 1:
            for i in floating:
                if inputs.leaves[i].shape[0] in _leading_sizes_of_others(inputs, sized, i):
                    continue  # arguments that share a batch dimension keep sharing it
                variants.append(
                    Variant(f"{inputs.names[i]} alone given an extra leading dimension", VariantKind.RANK, *inputs.rebuild({i: added[i]}))
                )

    # --- optional arguments the example left out -----------------------------------------
    example_args, example_kwargs = inputs.rebuild({})
    for param in params[len(args):]:
        if param.name in kwargs or param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        if param.default is inspect.Parameter.empty:
            continue
        for label, value in _fillers(param.default, [inputs.leaves[i] for i in tensors], param.annotation):
            variants.append(
                Variant(
                    f"optional argument {param.name}={label}",
                    VariantKind.OPTIONAL,
                    example_args,
                    example_kwargs,
                    extra_kwargs={param.name: value},
                    group=f"optional:{param.name}",
                )
            )

    # --- state, RNG and mode ---------------------------------------------------------------
    variants.append(
        Variant(f"the example input, {repeat_calls} calls in a row", VariantKind.REPEAT, example_args, example_kwargs, calls=repeat_calls)
    )
    if training:
        variants.append(Variant("the example input after .eval()", VariantKind.MODE, example_args, example_kwargs, mode="eval"))
    if device is not None and tensors:
        moved = {i: inputs.leaves[i].to(device) if device != "meta" else torch.empty_like(inputs.leaves[i], device="meta") for i in tensors}
        variants.append(Variant(f"the example input on the {device} device", VariantKind.DEVICE, *inputs.rebuild(moved), device=device))
    return variants


def _parameters(forward: Callable | None) -> list[inspect.Parameter]:
    if forward is None:
        return []
    try:
        params = list(inspect.signature(forward).parameters.values())
    except (TypeError, ValueError):
        return []
    return [p for p in params if p.name != "self"]


def _sizes_of_others(inputs: "_Inputs", sized: Sequence[int], i: int) -> set[int]:
    """Every size of every tensor input other than leaf ``i``."""
    return {s for j in sized if j != i for s in inputs.leaves[j].shape}


def _leading_sizes_of_others(inputs: "_Inputs", sized: Sequence[int], i: int) -> set[int]:
    """The leading (batch) size of every tensor input other than leaf ``i``."""
    return {inputs.leaves[j].shape[0] for j in sized if j != i}


def _may_be_tensor(annotation: Any) -> bool:
    """Whether a parameter annotated ``annotation`` may be given a tensor.

    No annotation: maybe. A string annotation (``from __future__ import annotations``) or a
    typing construct is read as text: it must name a tensor type (``Optional[torch.Tensor]``,
    ``torch.FloatTensor | None``). ``use_cache: bool | None = None`` never gets one.
    """
    if annotation is inspect.Parameter.empty or annotation is Any:
        return True
    if isinstance(annotation, type):
        return issubclass(annotation, torch.Tensor)
    return "Tensor" in (annotation if isinstance(annotation, str) else repr(annotation))


def _fillers(default: Any, tensors: Sequence[torch.Tensor], annotation: Any = inspect.Parameter.empty) -> list[tuple[str, Any]]:
    """Values to try for an optional argument, given its default and its annotation.

    An argument that defaults to ``None`` is given tensors only when its annotation allows one;
    for other ``None`` defaults (``use_cache: bool | None``) no value can be guessed, so none is.
    """
    if default is None and not _may_be_tensor(annotation):
        return []
    if default is None:
        # tensors shaped like an input, like an input without its last dim (a mask), or
        # without its first (a state); the first one eager PyTorch accepts is used
        out: list[tuple[str, Any]] = []
        seen: set[tuple] = set()

        def add(kind: str, shape: Sequence[int], dtype: torch.dtype) -> None:
            key = (kind, tuple(shape), dtype)
            if key in seen:
                return
            seen.add(key)
            text = "×".join(str(d) for d in shape) or "scalar"
            value = torch.ones(tuple(shape), dtype=dtype)
            out.append((f"{kind}[{text}]", value))
            if len(shape) >= 1 and shape[-1] >= 2:
                # a mask of all ones often changes nothing; one with its last position off does
                padded = value.clone()
                padded[..., -1] = False if dtype == torch.bool else 0
                out.append((f"{kind}[{text}] with the last position {'False' if dtype == torch.bool else '0'}", padded))

        for t in tensors[:2]:
            dtype = t.dtype if t.is_floating_point() else torch.float32
            add("ones", t.shape, dtype)
            if t.dim() >= 2:
                add("ones", t.shape[:-1], dtype)
                add("ones", t.shape[1:], dtype)
                add("True", t.shape[:-1], torch.bool)
        return out
    if isinstance(default, bool):
        return [(repr(not default), not default)]
    if isinstance(default, int):
        return [(repr(default + 1), default + 1)]
    if isinstance(default, float):
        value = default * 2 if default else 0.5
        return [(repr(value), value)]
    return []


# ---------------------------------------------------------------------------------------------
# Comparing outputs
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Difference:
    path: str
    structural: bool
    eager: str
    traced: str


def _leaf_summary(value: Any) -> str:
    if isinstance(value, torch.Tensor):
        return _describe(value)
    return repr(value) if not isinstance(value, float) else f"{value:.6g}"


def _is_sequence(value: Any) -> bool:
    return isinstance(value, (list, tuple))


def _find_difference(eager: Any, traced: Any, path: str, rtol: float, atol: float) -> _Difference | None:
    if isinstance(eager, dict) and isinstance(traced, dict):
        if list(eager.keys()) != list(traced.keys()) and set(eager) != set(traced):
            return _Difference(path, True, f"keys {sorted(map(str, eager))}", f"keys {sorted(map(str, traced))}")
        for key in eager:
            diff = _find_difference(eager[key], traced[key], f"{path}[{key!r}]", rtol, atol)
            if diff:
                return diff
        return None
    if hasattr(eager, "to_tuple") and callable(eager.to_tuple):  # transformers' ModelOutput
        eager = eager.to_tuple()
    if _is_sequence(eager) and _is_sequence(traced):
        if len(eager) != len(traced):
            return _Difference(path, True, f"{len(eager)} items", f"{len(traced)} items")
        for i, (a, b) in enumerate(zip(eager, traced)):
            diff = _find_difference(a, b, f"{path}[{i}]", rtol, atol)
            if diff:
                return diff
        return None
    if eager is None and traced is None:
        return None
    if (eager is None) != (traced is None):  # `need_weights=False` gives None where a tensor was
        return _Difference(path, True, _leaf_summary(eager), _leaf_summary(traced))
    if isinstance(eager, torch.Tensor) or isinstance(traced, torch.Tensor):
        return _tensor_difference(eager, traced, path, rtol, atol)
    if isinstance(eager, (int, float, bool)) and isinstance(traced, (int, float, bool)):
        if math.isclose(float(eager), float(traced), rel_tol=rtol, abs_tol=atol):
            return None
        return _Difference(path, False, _leaf_summary(eager), _leaf_summary(traced))
    if type(eager) is not type(traced):
        return _Difference(path, True, type(eager).__name__, type(traced).__name__)
    return None if eager == traced else _Difference(path, False, _leaf_summary(eager), _leaf_summary(traced))


def _tensor_difference(eager: Any, traced: Any, path: str, rtol: float, atol: float) -> _Difference | None:
    if not isinstance(eager, torch.Tensor):
        eager = torch.as_tensor(eager)
    if not isinstance(traced, torch.Tensor):
        traced = torch.as_tensor(traced)
    if eager.shape != traced.shape:
        return _Difference(path, False, f"shape {_shape(eager)}", f"shape {_shape(traced)}")
    if eager.device.type != traced.device.type:
        return _Difference(path, False, f"on {eager.device.type}", f"on {traced.device.type}")
    if eager.device.type == "meta":
        if eager.dtype != traced.dtype:
            return _Difference(path, False, str(eager.dtype), str(traced.dtype))
        return None
    a, b = eager.detach().cpu(), traced.detach().cpu()
    if a.dtype != b.dtype and not (a.is_floating_point() and b.is_floating_point()):
        return _Difference(path, False, str(a.dtype).replace("torch.", ""), str(b.dtype).replace("torch.", ""))
    if a.numel() == 0:
        return None
    if a.is_floating_point() or a.is_complex() or b.is_floating_point():
        a64, b64 = a.to(torch.float64), b.to(torch.float64)
        scale = float(a64.abs().nan_to_num(0, 0, 0).max()) if a64.numel() else 0.0
        close = torch.isclose(a64, b64, rtol=rtol, atol=atol * max(1.0, scale), equal_nan=True)
    else:
        close = a == b
    if bool(close.all()):
        return None
    bad = (~close).nonzero()[0].tolist()
    where = "[" + ", ".join(str(i) for i in bad) + "]" if bad else ""
    count = int((~close).sum())
    e_val, t_val = a[tuple(bad)].item() if bad else a.item(), b[tuple(bad)].item() if bad else b.item()
    more = f" ({count} of {a.numel()} elements differ)" if a.numel() > 1 else ""
    return _Difference(path + where, False, f"{_num(e_val)}", f"{_num(t_val)}{more}")


def _shape(t: torch.Tensor) -> str:
    return "(" + ", ".join(str(d) for d in t.shape) + ")"


def _num(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else repr(value)


def compare_outputs(eager: Any, traced: Any, *, rtol: float = 1e-4, atol: float = 1e-5) -> _Difference | None:
    """The first difference between two outputs, or ``None`` when they match.

    Structure (items, keys), shapes, devices and dtypes must match exactly; values within
    ``rtol`` and an ``atol`` scaled by the output's magnitude (NaN equals NaN).
    """
    return _find_difference(eager, traced, "output", rtol, atol)


# ---------------------------------------------------------------------------------------------
# Running a variant
# ---------------------------------------------------------------------------------------------


_REPEATED_PREFIX = re.compile(r"^(\w+Error): (?=\1: )")


def error_line(exc: BaseException) -> str:
    """``Type: message`` in one line: TorchScript's runtime errors put it last, others first."""
    lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
    chosen = next((line for line in reversed(lines) if re.match(r"^\w*(Error|Exception)\b.*:", line)), None)
    if chosen is None:
        chosen = f"{type(exc).__name__}: {lines[0] if lines else ''}".rstrip(": ")
    while _REPEATED_PREFIX.match(chosen):
        chosen = _REPEATED_PREFIX.sub("", chosen, count=1)
    return chosen[:300]


def run_variant(
    variant: Variant,
    bench: Workbench,
    traced: Any,
    *,
    seed: int,
    rtol: float,
    atol: float,
) -> Outcome:
    """Run ``variant`` on a fresh eager copy and on the traced module, and compare.

    Both sides get the same RNG seed before each call (different from the trace's seed, so
    Python-level random draws baked into the trace show up as differences).
    """
    share = variant.device is None and variant.calls == 1
    try:
        eager_model = bench.shared(mode=variant.mode) if share else bench.fresh(device=variant.device, mode=variant.mode)
    except Exception as exc:  # noqa: BLE001
        return Outcome(variant, "skipped", f"the model could not be moved: {error_line(exc)}")
    if variant.device is not None:
        try:
            traced_model = bench.traced_on(traced, variant.device)
        except Exception as exc:  # noqa: BLE001
            return Outcome(variant, "skipped", f"the traced module could not be moved: {error_line(exc)}")
    else:
        bench.reset_traced(traced)
        traced_model = traced
    if variant.mode == "eval" and isinstance(traced_model, torch.nn.Module):
        traced_model.eval()
    all_kwargs = {**variant.kwargs, **variant.extra_kwargs}
    try:
        for call in range(variant.calls):
            seed_everything(seed + 1000 * call)
            args, kwargs = cloned(variant.args, all_kwargs)
            try:
                with torch.no_grad():
                    expected = eager_model(*args, **kwargs)
            except Exception as exc:  # noqa: BLE001 - eager failing means the input is invalid
                return Outcome(variant, "skipped", f"eager PyTorch fails on it too: {error_line(exc)}")
            finally:
                if share:
                    bench.restore()
            if variant.extra_kwargs and _ignored_by_eager(bench, variant, expected, seed + 1000 * call, rtol, atol):
                return Outcome(variant, "same", "eager PyTorch gives the same output without it: the trace loses nothing", ignored=True)
            seed_everything(seed + 1000 * call)
            args, kwargs = cloned(variant.args, all_kwargs)
            try:
                with torch.no_grad(), torch.jit.optimized_execution(False):
                    got = traced_model(*args, **kwargs)
            except Exception as exc:  # noqa: BLE001 - the trace failing where eager works is a finding
                return Outcome(
                    variant,
                    "diverged",
                    f"eager returns {_summary(expected)}; the traced module raises {error_line(exc)}",
                    eager=f"output {_summary(expected)}",
                    traced=f"raises {error_line(exc)}",
                    call=call,
                )
            difference = compare_outputs(expected, got, rtol=rtol, atol=atol)
            if difference is not None:
                when = f" on call {call + 1}" if variant.calls > 1 else ""
                return Outcome(
                    variant,
                    "diverged",
                    f"{difference.path}{when}: eager {difference.eager}, traced {difference.traced}",
                    eager=f"{difference.path} = {difference.eager}",
                    traced=f"{difference.path} = {difference.traced}",
                    structural=difference.structural,
                    call=call,
                )
    finally:
        if variant.mode == "eval" and isinstance(traced_model, torch.nn.Module):
            traced_model.train(bench.training)
    return Outcome(variant, "same")


def _ignored_by_eager(bench: Workbench, variant: Variant, expected: Any, seed: int, rtol: float, atol: float) -> bool:
    """True when eager PyTorch gives ``expected`` without the variant's extra arguments too.

    Why: a trace recorded without an argument loses behaviour only if the argument changes
    what the model does; one the model ignores (``encoder_hidden_states`` in an encoder-only
    BERT) is not a finding, however the traced module's signature reads.
    """
    try:
        model = bench.fresh(device=variant.device, mode=variant.mode)
        seed_everything(seed)
        args, kwargs = cloned(variant.args, variant.kwargs)
        with torch.no_grad():
            without = model(*args, **kwargs)
    except Exception:  # noqa: BLE001 - cannot tell: keep the variant
        return False
    finally:
        bench.restore()
    return compare_outputs(expected, without, rtol=rtol, atol=atol) is None


def _summary(value: Any) -> str:
    if isinstance(value, torch.Tensor):
        return _describe(value)
    if hasattr(value, "to_tuple") and callable(value.to_tuple):
        value = value.to_tuple()
    if isinstance(value, (list, tuple)):
        return f"{type(value).__name__} of {len(value)}"
    if isinstance(value, dict):
        return f"dict with keys {sorted(map(str, value))}"
    return _leaf_summary(value)
