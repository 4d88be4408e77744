"""Lay out DOT with the system Graphviz ``dot`` binary.

Kept apart so the missing-binary case is one clear error in one place: students often lack
``dot`` (xflr6/graphviz#68), and every view still has its ``text/plain`` fallback.
"""

from __future__ import annotations

import re
import shutil
import subprocess

from toolkit.errors import MissingDependencyError

__all__ = ["dot_to_svg", "has_dot"]

_BEFORE_SVG = re.compile(r"^.*?(?=<svg\b)", re.S)
_INSTALL_HINT = (
    "Fix: install Graphviz: `sudo apt-get install graphviz` (Debian/Ubuntu),"
    " `conda install -c conda-forge graphviz`, or `brew install graphviz` (macOS)."
    " The text form of every view still works without it."
)


def has_dot() -> bool:
    """True when a ``dot`` binary is on PATH."""
    return shutil.which("dot") is not None


def dot_to_svg(dot: str, *, timeout: float = 60.0) -> str:
    """Run ``dot -Tsvg`` and return the SVG element (no prologue or comments, ready to inline).

    Raises:
        MissingDependencyError: no ``dot`` binary, or ``dot`` rejected the input.
    """
    exe = shutil.which("dot")
    if exe is None:
        raise MissingDependencyError(
            "the Graphviz `dot` binary is not on PATH, so graphs cannot be laid out as SVG. " + _INSTALL_HINT
        )
    try:
        done = subprocess.run(
            [exe, "-Tsvg"], input=dot.encode(), capture_output=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        raise MissingDependencyError(
            f"Graphviz `dot` took longer than {timeout:.0f} s to lay out this graph."
            " Fix: draw it collapsed, e.g. toolkit.show(obj, depth=1)."
        ) from None
    if done.returncode != 0:
        raise MissingDependencyError(
            f"Graphviz `dot` rejected the graph: {done.stderr.decode(errors='replace').strip()[:300]}"
        )
    return _BEFORE_SVG.sub("", done.stdout.decode(), count=1)
