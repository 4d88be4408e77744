"""The lost-by-tracing evaluation set: small modules modelled on real public code and issues.

Registry format
---------------
Each case is a *factory* in one of the category modules below, decorated with :func:`case`.
The factory takes no arguments and returns ``(model, example_inputs)`` exactly as a student
would pass them to ``torch.jit.trace``; it builds its model under a fixed seed, so every run
sees the same weights and inputs.

- ``category``: ``"T1"`` ... ``"T13"`` for a module whose trace loses behaviour, ``None`` for
  a trace-safe look-alike (then ``resembles`` names the category it looks like).
- ``source``: where the pattern comes from (issue, pull request or file), as a citation. The
  code here is written for this set, not copied.
- the **lost line** is marked in the source with a trailing comment ``# LOST: <case name>``;
  a case may mark several lines (any of them counts as exact). Look-alikes mark none.
- ``trace_kwargs``: extra ``torch.jit.trace`` options the model needs (``strict=False`` for
  dict or list outputs).

The classes live at module level in real files because ``torch.jit.script`` (one of the
signals) needs their source.
"""

from __future__ import annotations

import importlib
import inspect
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import torch

__all__ = ["Case", "all_cases", "case", "diverging", "lookalikes", "seeded"]

_MODULES = (
    "t01_data_branch",
    "t02_python_scalar",
    "t03_data_loop",
    "t04_shape_logic",
    "t05_roundtrip",
    "t06_python_state",
    "t07_train_mode",
    "t08_aliasing",
    "t09_containers",
    "t10_arguments",
    "t11_device",
    "t12_trace_aware",
    "t13_int_list",
    "safe_lookalikes",
    "real_library_shapes",
)
_REGISTRY: list["Case"] = []
CATEGORIES = tuple(f"T{i}" for i in range(1, 14))


@dataclass(frozen=True)
class Case:
    """One evaluation case (see the module docstring for the format)."""

    name: str
    category: str | None
    source: str
    build: Callable[[], tuple[Any, Any]] = field(repr=False)
    file: str
    lost_lines: tuple[int, ...]
    resembles: str | None = None
    trace_kwargs: Mapping[str, Any] = field(default_factory=dict)

    @property
    def diverges(self) -> bool:
        return self.category is not None


def case(
    *,
    category: str | None,
    source: str,
    resembles: str | None = None,
    trace_kwargs: Mapping[str, Any] | None = None,
) -> Callable[[Callable[[], tuple[Any, Any]]], Callable[[], tuple[Any, Any]]]:
    """Register a factory as a case; its lost lines are read from ``# LOST: <name>`` markers."""

    def register(factory: Callable[[], tuple[Any, Any]]) -> Callable[[], tuple[Any, Any]]:
        file = inspect.getsourcefile(factory) or ""
        marker = f"# LOST: {factory.__name__}"
        with open(file, encoding="utf-8") as handle:
            lines = tuple(i for i, text in enumerate(handle, start=1) if text.rstrip().endswith(marker))
        _REGISTRY.append(
            Case(
                name=factory.__name__,
                category=category,
                source=source,
                build=factory,
                file=file,
                lost_lines=lines,
                resembles=resembles,
                trace_kwargs=dict(trace_kwargs or {}),
            )
        )
        return factory

    return register


def seeded(*shape: int, seed: int = 0, low: float = 0.0, high: float = 1.0) -> torch.Tensor:
    """A deterministic uniform tensor in ``[low, high)``."""
    g = torch.Generator().manual_seed(seed)
    return torch.rand(shape, generator=g) * (high - low) + low


def all_cases() -> tuple[Case, ...]:
    """Every case, in module order then definition order (whatever was imported first)."""
    for name in _MODULES:
        importlib.import_module(f"{__name__}.{name}")
    order = {name: i for i, name in enumerate(_MODULES)}

    def position(c: Case) -> tuple[int, int]:
        module = c.build.__module__.rsplit(".", 1)[-1]
        return order[module], c.build.__code__.co_firstlineno

    return tuple(sorted(_REGISTRY, key=position))


def diverging() -> tuple[Case, ...]:
    return tuple(c for c in all_cases() if c.diverges)


def lookalikes() -> tuple[Case, ...]:
    return tuple(c for c in all_cases() if not c.diverges)
