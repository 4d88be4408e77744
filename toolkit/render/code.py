"""TorchScript ``.code`` as highlighted HTML with line numbers.

Styles are inline, not in a ``<style>`` block: notebook front ends and GitHub sanitise
stylesheets in untrusted outputs, and a lesson must look the same everywhere. Highlighting
uses Pygments when it is installed (it comes with IPython) and plain escaped text otherwise.
Each line is its own element with ``data-line``, so a view can mark and find lines.
"""

from __future__ import annotations

import html
from typing import Iterable

__all__ = ["code_html", "numbered_text"]

_PRE_STYLE = (
    "font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px;line-height:1.45;"
    "background:#fafafa;border:1px solid #e0e0e0;border-radius:4px;padding:4px 0;margin:0 0 6px 0;text-align:left;"
    "overflow:auto;white-space:pre"
)
_NUMBER_STYLE = "display:inline-block;width:3em;color:#999;text-align:right;margin-right:1em;user-select:none"
_MARK_BACKGROUND = {
    "highlight": "#fff59d",
    "lost": "#ffd6d6",
    "only-script": "#ffe3c2",
    "kept": "#d8f3dc",
    "needs-cond": "#e4dcf5",
}
_TOKEN_STYLE = {
    "Keyword": "color:#7b52ab;font-weight:bold",
    "Name.Function": "color:#00695c",
    "Name.Builtin": "color:#6a1b9a",
    "Literal.String": "color:#2e7d32",
    "Literal.Number": "color:#1565c0",
    "Comment": "color:#888;font-style:italic",
}


def _highlight_lines(text: str) -> list[str]:
    try:
        from pygments.lexers import PythonLexer
    except ImportError:
        return [html.escape(line) for line in text.splitlines()]
    lines: list[str] = [""]
    for token, value in PythonLexer().get_tokens(text):
        style = next((css for name, css in _TOKEN_STYLE.items() if str(token).startswith("Token." + name)), None)
        for i, part in enumerate(value.split("\n")):
            if i:
                lines.append("")
            if part:
                escaped = html.escape(part)
                lines[-1] += f'<span style="{style}">{escaped}</span>' if style else escaped
    if lines and lines[-1] == "" and text.endswith("\n"):
        lines.pop()
    return lines


def code_html(text: str, *, marks: dict[int, Iterable[str]] | None = None, title: str = "") -> str:
    """Highlighted, line-numbered HTML for ``text``; ``marks`` adds classes per 1-based line."""
    marks = marks or {}
    rows = []
    for number, line in enumerate(_highlight_lines(text), start=1):
        line_marks = tuple(marks.get(number, ()))
        classes = "".join(f" mark-{html.escape(str(m), quote=True)}" for m in line_marks)
        background = next((_MARK_BACKGROUND[m] for m in line_marks if m in _MARK_BACKGROUND), None)
        style = f"display:block;padding:0 8px;background:{background}" if background else "display:block;padding:0 8px"
        rows.append(
            f'<span class="ln{classes}" data-line="{number}" style="{style}">'
            f'<span style="{_NUMBER_STYLE}">{number}</span>{line}</span>'
        )
    heading = (
        f"<div style='font:bold 12px sans-serif;margin:2px 0;text-align:left'>{html.escape(title)}</div>" if title else ""
    )
    return f"{heading}<pre class='tst-code' style='{_PRE_STYLE}'>{''.join(rows)}</pre>"


def numbered_text(text: str) -> str:
    """Plain text with right-aligned line numbers (the ``text/plain`` form)."""
    lines = text.splitlines()
    width = len(str(len(lines)))
    return "\n".join(f"{i:>{width}} | {line}" for i, line in enumerate(lines, start=1))
