"""Comparing a pipeline's outputs with the outputs it should give.

Used twice: ``trace`` checks the compiled pipeline against ``fn``'s eager output on the example
inputs (same device, torch's default tolerances), and ``load`` checks an op it moved to
another device against the outputs stored at trace time (a different device computes in a
different order, so the tolerance is loose: the check is there to catch a broken op, not to
certify bits).
"""

from __future__ import annotations

from typing import Any, TypedDict

import torch

__all__ = ["first_difference", "LOOSE"]


class _Tolerances(TypedDict):
    """``first_difference``'s tolerance keywords, for ``first_difference(..., **LOOSE)``."""

    rtol: float
    atol: float


LOOSE: _Tolerances = {"rtol": 1e-2, "atol": 1e-3}
"""The tolerance for outputs computed on another device than the reference."""


def first_difference(actual: Any, expected: Any, *, path: str = "output", rtol: float | None = None, atol: float | None = None) -> str | None:
    """Describes the first place where ``actual`` and ``expected`` differ, or returns None.

    Tensors are compared with ``torch.testing.assert_close`` after moving ``actual`` to
    ``expected``'s device (``rtol``/``atol`` None means torch's defaults for the dtype);
    tuples, lists and dicts element by element; anything else with ``==``.
    """
    if isinstance(expected, torch.Tensor):
        if not isinstance(actual, torch.Tensor):
            return f"{path} is a {type(actual).__name__}, expected a tensor"
        if actual.dtype != expected.dtype or actual.shape != expected.shape:
            return f"{path} is {actual.dtype}{list(actual.shape)}, expected {expected.dtype}{list(expected.shape)}"
        try:
            torch.testing.assert_close(actual.to(expected.device), expected, rtol=rtol, atol=atol, equal_nan=True)
        except AssertionError as error:
            detail = " ".join(line.strip() for line in str(error).splitlines()[1:3] if line.strip())
            return f"{path} differs: {detail}"
        return None
    if isinstance(expected, (tuple, list)):
        if not isinstance(actual, (tuple, list)) or len(actual) != len(expected):
            return f"{path} is {type(actual).__name__} of {_length(actual)}, expected {type(expected).__name__} of {len(expected)}"
        for index, (a, e) in enumerate(zip(actual, expected)):
            found = first_difference(a, e, path=f"{path}[{index}]", rtol=rtol, atol=atol)
            if found:
                return found
        return None
    if isinstance(expected, dict):
        if not isinstance(actual, dict) or list(actual) != list(expected):
            return f"{path} has keys {list(actual) if isinstance(actual, dict) else type(actual).__name__}, expected {list(expected)}"
        for key in expected:
            found = first_difference(actual[key], expected[key], path=f"{path}[{key!r}]", rtol=rtol, atol=atol)
            if found:
                return found
        return None
    if actual != expected:
        return f"{path} is {actual!r}, expected {expected!r}"
    return None


def _length(value: Any) -> str:
    return str(len(value)) if hasattr(value, "__len__") else "?"
