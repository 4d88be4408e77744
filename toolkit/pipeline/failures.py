"""How torch's errors are summarised in the pipeline's messages.

A failure inside TorchScript arrives as a ``RuntimeError`` whose text holds a TorchScript
traceback and, on its last line, the actual complaint ("mat1 and mat2 shapes cannot be
multiplied"). Our messages quote that line and keep the full torch error as ``__cause__``, so
the real traceback is one ``raise ... from`` away (Matx PR #79 fixed the same problem).
"""

from __future__ import annotations

import torch

__all__ = ["TORCH_FAILURES", "torch_message"]

TORCH_FAILURES: tuple[type[BaseException], ...] = (RuntimeError, torch.jit.Error)
"""What running TorchScript raises: ``RuntimeError``, or ``torch.jit.Error`` for a ``raise``
inside scripted code (which is not a ``RuntimeError`` subclass)."""


def torch_message(error: BaseException) -> str:
    """The one line of a torch/TorchScript error that says what went wrong."""
    lines = [line.strip() for line in str(error).strip().splitlines() if line.strip()]
    if not lines:
        return type(error).__name__
    last = lines[-1]
    for prefix in ("RuntimeError: ", "builtins.RuntimeError: "):
        if last.startswith(prefix):
            last = last[len(prefix):]
    if last.startswith("Declaration:") and len(lines) > 1:
        last = f"{lines[-2]} {last}"
    return last
