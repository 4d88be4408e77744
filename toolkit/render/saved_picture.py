"""The picture a saved output shows where the widget cannot run or SVG is refused: safe, static HTML.

Why HTML holding an ``<img>``: a reopened notebook renders each output's best MIME type that the
front end may show. Without the widget's model (no saved state, a new kernel) the widget type
must be gone (:mod:`toolkit.widgets.notebook_state` removes it), and in an *untrusted* notebook
(anyone else's, our committed lessons too) JupyterLab and Notebook 7 refuse ``image/svg+xml``
(an SVG document may carry script) and pass ``text/html`` through their sanitiser, which drops
inline ``<svg>`` elements but keeps ``<img src="data:image/svg+xml;base64,...">``: an SVG shown
as an image runs no script. Checked in Chromium against JupyterLab 4.6
(``tests/browser/test_reopen.py``). nbconvert and trusted notebooks show the same HTML.

Everything here is a pure function of its input (no ids, no time), so executed lessons stay
byte-identical between runs and nbval can compare the HTML.
"""

from __future__ import annotations

import base64
import html
import re

__all__ = ["RERUN_NOTE", "has_inline_svg", "inline_svgs_as_images", "picture_html", "svg_image"]

RERUN_NOTE = "Saved picture: run the cell again for the interactive view."

_INLINE_SVG = re.compile(r"<svg\b.*?</svg>", re.S)


def svg_image(svg: str, *, title: str) -> str:
    """``svg`` as an ``<img>`` whose source is the SVG itself (a ``data:`` URI); ``title`` is its alt text."""
    encoded = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    alt = html.escape(title, quote=True)
    return f'<img src="data:image/svg+xml;base64,{encoded}" alt="{alt}" title="{alt}" style="max-width:100%">'


def picture_html(svg: str, *, title: str, note: str = RERUN_NOTE) -> str:
    """A graph's saved picture: the SVG as an image, and a line saying how to get the widget back."""
    caption = f"<div style='font:12px sans-serif;color:#666;margin-top:2px'>{html.escape(note)}</div>" if note else ""
    return f"<div class='tst-saved-picture'>{svg_image(svg, title=title)}{caption}</div>"


def inline_svgs_as_images(markup: str, *, title: str, note: str = RERUN_NOTE) -> str:
    """``markup`` (our own HTML view) with each inline ``<svg>`` turned into an image, and ``note`` below.

    Graphviz writes no nested ``<svg>``, so each element ends at the first ``</svg>`` after it.
    """
    pictures = _INLINE_SVG.sub(lambda m: svg_image(m.group(0), title=title), markup)
    return f"{pictures}<div style='font:12px sans-serif;color:#666'>{html.escape(note)}</div>" if note else pictures


def has_inline_svg(markup: str) -> bool:
    """True when ``markup`` holds an inline ``<svg>`` element (which sanitised HTML loses)."""
    return _INLINE_SVG.search(markup) is not None
