"""The one Jupyter display path: a MIME bundle filtered by the front end's ``include``/``exclude``.

Every displayable the toolkit returns (graph, code, compare, trace report, widget) builds a dict
of MIME type -> data with a rich form and a ``text/plain`` fallback, then passes it through
:func:`filter_bundle`, so a front end that asks for text only (a terminal, nbconvert to markdown)
gets text, and one that excludes HTML never receives it.
"""

from __future__ import annotations

from typing import Any, Iterable

__all__ = ["filter_bundle"]


def filter_bundle(
    bundle: dict[str, Any], include: Iterable[str] | None = None, exclude: Iterable[str] | None = None
) -> dict[str, Any]:
    """``bundle`` keeping only the types in ``include`` (when given) and none in ``exclude``."""
    if include:
        wanted = set(include)
        bundle = {k: v for k, v in bundle.items() if k in wanted}
    if exclude:
        unwanted = set(exclude)
        bundle = {k: v for k, v in bundle.items() if k not in unwanted}
    return bundle
