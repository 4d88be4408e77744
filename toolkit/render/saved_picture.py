"""The picture a saved output shows where the widget cannot run or SVG is refused: safe, static HTML.

Why HTML holding an ``<img>``: a reopened notebook renders each output's best MIME type that the
front end may show. Without the widget's model (no saved state, a new kernel) the widget type
must be gone (:mod:`toolkit.widgets.notebook_state` removes it), and in an *untrusted* notebook
(anyone else's, our committed lessons too) JupyterLab and Notebook 7 refuse ``image/svg+xml``
(an SVG document may carry script) and pass ``text/html`` through their sanitiser, which drops
inline ``<svg>`` elements but keeps ``<img src="data:image/svg+xml;base64,...">``: an SVG shown
as an image runs no script. Checked in Chromium against JupyterLab 4.6
(``tests/browser/test_reopen.py``). nbconvert and trusted notebooks show the same HTML.

Where it does not reach: ``nbconvert --sanitize-html`` escapes every ``<img>`` (its allow-list has
none; ``tests/widgets/test_saved_nbconvert.py``), and GitHub documents no rules: under the public
reports (``tests/widgets/test_saved_github.py``) data-URI images in HTML show, but only PNG has
never been reported missing.

Everything here is a pure function of its input (no ids, no time), so executed lessons stay
byte-identical between runs and nbval can compare the HTML.
"""

from __future__ import annotations

import base64
import html
import re

__all__ = ["RERUN_NOTE", "has_inline_svg", "image_only", "inline_svgs_as_images", "picture_html", "svg_image"]

RERUN_NOTE = "Saved picture: run the cell again for the interactive view."

_INLINE_SVG = re.compile(r"<svg\b.*?</svg>", re.S)


# What an SVG shown as an image never uses: hover titles and tooltip links (an <img> shows no
# tooltips), comments, and the ids the live views look items up by. The classes stay: they say
# which group is a node, an edge or a cluster, for a few bytes. Graphviz escapes every text and
# attribute value, so no ``<``, ``>`` or ``"`` inside them can end a match early.
_UNSEEN_IN_IMAGE = re.compile(r'<!--.*?-->\n?|<title>[^<]*</title>\n?|<a\b[^>]*>\n?|</a>\n?| id="[^"]*"', re.S)


def image_only(svg: str) -> str:
    """``svg`` without what only an inline, live picture uses; it draws the same.

    About 37 % fewer bytes on our graphs (ResNet-50's first view: 120,627 → 75,711 bytes), which every saved output carries twice over in base64
    and JupyterLab sanitises again for its table of contents whenever the notebook changes.
    """
    return _UNSEEN_IN_IMAGE.sub("", svg)


def svg_image(svg: str, *, title: str) -> str:
    """``svg`` as an ``<img>`` whose source is the SVG itself (a ``data:`` URI); ``title`` is its alt text."""
    encoded = base64.b64encode(image_only(svg).encode("utf-8")).decode("ascii")
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
