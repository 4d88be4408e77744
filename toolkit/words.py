"""How counts and sizes read in messages, summaries and plans: ``1 op``, ``3 ops``, ``1.5 KiB``.

One home for these, so a partition summary, a plan report and a drawing's edge label never
disagree on how a number is spelled.
"""

from __future__ import annotations

__all__ = ["byte_size", "plural"]


def plural(n: int, word: str) -> str:
    """``n`` and ``word``, with an ``s`` unless ``n`` is 1: ``plural(3, "op") == "3 ops"``."""
    return f"{n} {word}{'' if n == 1 else 's'}"


def byte_size(n: int) -> str:
    """A byte count for a person: ``512 B``, ``1.5 KiB``, ``2.0 MiB`` (MiB is the largest unit)."""
    if n < 1024:
        return f"{n} B"
    if n < 1024 * 1024:
        return f"{n / 1024:.1f} KiB"
    return f"{n / (1024 * 1024):.1f} MiB"
