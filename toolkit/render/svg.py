"""Lay out DOT with the system Graphviz ``dot`` binary.

Kept apart so the missing-binary case is one clear error in one place: students often lack
``dot`` (xflr6/graphviz#68), and every view still has its ``text/plain`` fallback.

Hover text: Graphviz gives every node, cluster and edge group a ``<title>`` holding its DOT id
(``n11``, ``cluster_3``, ``in:x->n11``) and puts the DOT ``tooltip`` on an inner
``<a xlink:title=...>``. Viewers differ in which of the two they show (and anything reading the
titles, a screen reader included, reads the ids), so :func:`readable_titles` writes each group's
tooltip into its ``<title>`` as well: wherever the picture is shown, the hover is the sentence
the DOT writer wrote, never an internal id. (The widget does the same on its side, in
``js/src/svg.js``.)
"""

from __future__ import annotations

import re
import shutil
import subprocess

from toolkit.errors import MissingDependencyError

__all__ = ["LayoutTimeoutError", "dot_to_svg", "has_dot", "readable_titles"]

_BEFORE_SVG = re.compile(r"^.*?(?=<svg\b)", re.S)
# A group's <title>, then (after its comment-free drawing start) the <a> Graphviz wraps the
# group's shapes in when the DOT statement has a tooltip. Graphviz writes both on adjacent lines.
_TITLE_THEN_TOOLTIP = re.compile(r'<title>[^<]*</title>(\s*<g id="a_[^"]*"><a xlink:title="([^"]*)")')
_GRAPH_NAME = re.compile(r'^\s*(?:strict\s+)?(?:di)?graph\s+"((?:[^"\\]|\\.)*)"', re.M)
_LABELLED_EDGE = re.compile(r'->\s*"(?:[^"\\]|\\.)*"\s*\[label=')
_INSTALL_HINT = (
    "Fix: install Graphviz: `sudo apt-get install graphviz` (Debian/Ubuntu),"
    " `conda install -c conda-forge graphviz`, or `brew install graphviz` (macOS)."
    " The text form of every view still works without it."
)


class LayoutTimeoutError(MissingDependencyError):
    """Graphviz did not finish laying out a graph in time.

    A :class:`~toolkit.errors.MissingDependencyError` so that every view falls back to its text
    form (with this message) exactly as it does without Graphviz.
    """


def has_dot() -> bool:
    """True when a ``dot`` binary is on PATH."""
    return shutil.which("dot") is not None


def dot_to_svg(dot: str, *, timeout: float = 60.0) -> str:
    """Run ``dot -Tsvg`` and return the SVG element (no prologue or comments, ready to inline).

    Every group's ``<title>`` holds its tooltip (:func:`readable_titles`).

    Raises:
        MissingDependencyError: no ``dot`` binary, or ``dot`` rejected the input.
        LayoutTimeoutError: ``dot`` ran longer than ``timeout`` seconds (it is stopped).
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
        raise LayoutTimeoutError(_timeout_message(dot, timeout)) from None
    if done.returncode != 0:
        raise MissingDependencyError(
            f"Graphviz `dot` rejected the graph: {done.stderr.decode(errors='replace').strip()[:300]}"
        )
    return readable_titles(_BEFORE_SVG.sub("", done.stdout.decode(), count=1))


def readable_titles(svg: str) -> str:
    """``svg`` with each group's ``<title>`` replaced by the tooltip of the link inside it.

    The tooltip arrives as Graphviz wrote it into an attribute (``&lt;``, ``&amp;``, ``&#10;``
    already escaped), which is also valid element text, so it is copied as it is. Groups
    without a tooltip keep their title.
    """
    return _TITLE_THEN_TOOLTIP.sub(lambda m: f"<title>{m.group(2)}</title>{m.group(1)}", svg)


def _timeout_message(dot: str, timeout: float) -> str:
    found = _GRAPH_NAME.search(dot)
    name = re.sub(r"\\(.)", r"\1", found.group(1)).replace("&amp;", "&") if found else "this graph"
    boxes = dot.count(' id="node:')
    labels = len(_LABELLED_EDGE.findall(dot))
    return (
        f"Graphviz `dot` took longer than {timeout:g} s to lay out {name!r} ({boxes:,} boxes,"
        f" {labels:,} edge labels) and was stopped: layout time grows quickly with boxes and edge labels."
        " Fix: draw fewer boxes, e.g. toolkit.show(obj, depth=1) (modules deeper than 1 closed),"
        " internals=False (library code folded), or edge_labels=False."
    )
