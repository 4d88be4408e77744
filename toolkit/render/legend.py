"""What each colour of a drawing means, and the legend that says so inside the picture.

A red box means "lost by the trace" in a compare view and "falls back to the CPU" nowhere, so
every colour a mark paints is defined here once, with the sentence a student reads for it. The
DOT writer (:mod:`toolkit.render.dot`) paints marked boxes and edges from :data:`BOX_SWATCHES`
and :data:`EDGE_SWATCHES`, and draws :func:`legend_statement` for the marks a drawing actually
uses, so the static SVG and the browser widget (which assembles the same statements) both carry
the key to their own colours and never a row for a colour the view does not show.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Iterable, Sequence

__all__ = ["BOX_SWATCHES", "EDGE_SWATCHES", "LEGEND_ID", "Swatch", "key_html", "legend_statement"]

LEGEND_ID = "__legend__"


@dataclass(frozen=True)
class Swatch:
    """One colour of a drawing: how it is painted and what it means.

    Attributes:
        fill: the background colour (a box's fill; unused for edges).
        line: the border (box) or line (edge) colour.
        meaning: the legend's words for it.
    """

    fill: str
    line: str
    meaning: str


# Box marks, in the order the legend lists them.
BOX_SWATCHES: dict[str, Swatch] = {
    "lost": Swatch("#ffd6d6", "#c0392b", "lost by the trace (control flow the trace did not record)"),
    "only-script": Swatch("#ffe3c2", "#d35400", "only in the script"),
    "only-trace": Swatch("#d6ecff", "#1f6fb2", "only in the trace"),
    "kept": Swatch("#d8f3dc", "#2d6a4f", "kept by torch.export (torch.cond, while_loop, map)"),
    "needs-cond": Swatch("#e4dcf5", "#6a4c93", "torch.export refused it: rewrite it with torch.cond"),
    "highlight": Swatch("#fff59d", "#f57f17", "highlighted"),
    "target-accelerator": Swatch("#d8f3dc", "#2d6a4f", "runs on the accelerator"),
    "target-cpu": Swatch("#fde2c8", "#b5651d", "runs on the CPU (a fallback says why on its box)"),
    "target-both": Swatch("#e4dcf5", "#6a4c93", "copied into segments on both devices"),
    "target-none": Swatch("#eeeeee", "#aaaaaa", "not used by any segment"),
}
# Edge marks.
EDGE_SWATCHES: dict[str, Swatch] = {
    "transfer": Swatch("#ffffff", "#c0392b", "copies a tensor between devices (the edge says which way, and how many bytes)"),
    "boundary": Swatch("#ffffff", "#6a4c93", "passes a tensor between segments on the same device (no copy)"),
}


def key_html(box_marks: Sequence[str]) -> str:
    """An HTML line of swatches for ``box_marks``, in the drawings' own colours and words: the key a
    comparison puts above its pictures, for every colour either side may show."""
    return " ".join(
        f"<span style='background:{BOX_SWATCHES[m].fill};padding:0 4px'>{html.escape(BOX_SWATCHES[m].meaning)}</span>"
        for m in box_marks
    )


def legend_statement(box_marks: Iterable[str], edge_marks: Iterable[str], notes: Sequence[str] = ()) -> str:
    """The DOT statement of a legend for these marks and notes, or ``""`` when there is nothing to say.

    One plain node whose HTML-like label is a table: per colour a swatch painted as the mark
    paints, then its meaning; then each note (how the drawing was simplified) on a line of its
    own. Rows follow the tables' order, whatever order the marks come in, so the same drawing
    always gets the same legend.
    """
    boxes, edges = set(box_marks), set(edge_marks)
    rows = [_box_row(s) for m, s in BOX_SWATCHES.items() if m in boxes]
    rows += [_edge_row(s) for m, s in EDGE_SWATCHES.items() if m in edges]
    rows += [f'<tr><td colspan="2" align="left">{html.escape(note)}</td></tr>' for note in notes]
    if not rows:
        return ""
    table = (
        '<table border="0" cellborder="0" cellspacing="2" cellpadding="2">'
        '<tr><td colspan="2" align="left"><b>key</b></td></tr>' + "".join(rows) + "</table>"
    )
    return (
        f'"{LEGEND_ID}" [shape=box style="rounded,filled" fillcolor="#ffffff" color="#bbbbbb"'
        f' id="legend" class="legend" tooltip="what the colours of this drawing mean" label=<{table}>];'
    )


def _box_row(s: Swatch) -> str:
    return (
        f'<tr><td bgcolor="{s.fill}" color="{s.line}" border="1" width="18"> </td>'
        f'<td align="left">{html.escape(s.meaning)}</td></tr>'
    )


def _edge_row(s: Swatch) -> str:
    return (
        f'<tr><td width="18"><font color="{s.line}"><b>→</b></font></td>'
        f'<td align="left">{html.escape(s.meaning)}</td></tr>'
    )
