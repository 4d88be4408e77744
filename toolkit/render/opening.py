"""How a view opens, and how many boxes each state draws: one answer for the SVG and the widget.

Why here: a saved notebook's SVG, a script's ``to_dot`` and the live widget used to open the
same model differently (the SVG fully expanded with 16 Bottleneck boxes, the widget at its
stages with 4), and the widget's banner, status line and depth menu each counted boxes their
own way. Now every count is :func:`count_boxes` (the widget's rule: repeats and library code
folded, closed ``if``/``loop`` blocks honoured) and every default opening is
:func:`open_options`, so what a student reads in one place is what they see in the other.
The browser counts states it is clicked into with the same rule (``js/src/collapse.js``).
"""

from __future__ import annotations

import dataclasses
from typing import Any, Sequence

from toolkit.render.collapse import Collapse
from toolkit.render.drawing import Drawing
from toolkit.render.folds import Fold
from toolkit.render.options import DotOptions

__all__ = [
    "AUTO_OPEN_BOXES",
    "LARGE_BOXES",
    "MAX_LAYOUT_BOXES",
    "count_boxes",
    "depth_levels",
    "is_large",
    "level_name",
    "open_options",
]

# A first view a student can read at a glance: ResNet-50 at its stages, a transformer at its blocks.
AUTO_OPEN_BOXES = 60
# Past this many boxes one layout takes long enough to freeze a page (Graphviz is superlinear).
MAX_LAYOUT_BOXES = 1500
# A drawing with more boxes than this lays out slowly with every edge labelled.
LARGE_BOXES = 300
_LEVEL_NAMES = {0: "top level", 1: "top modules", 2: "their children", 3: "their grandchildren"}


def is_large(drawing: Drawing) -> bool:
    """Whether ``drawing`` is big enough that its edge labels should be thinned out."""
    return drawing.box_count() > LARGE_BOXES


def count_boxes(drawing: Drawing, options: DotOptions, folds: Sequence[Fold] = ()) -> int:
    """Boxes a view draws for ``options``: the one count the banner, status line and menu show."""
    return Collapse(drawing, options, folds=folds, closes_control_flow=True).drawn_count


def _max_depth(drawing: Drawing) -> int:
    return max((c.module_depth for c in drawing.clusters if c.kind == "module"), default=0)


def _at_depth(options: DotOptions, depth: int | None) -> DotOptions:
    return dataclasses.replace(options.with_state(depth=depth, expanded=(), collapsed=options.collapsed), auto=False)


def open_options(
    drawing: Drawing,
    options: DotOptions,
    folds: Sequence[Fold] = (),
    *,
    budget: int = AUTO_OPEN_BOXES,
    limit: int = MAX_LAYOUT_BOXES,
) -> tuple[DotOptions, str]:
    """The options a view opens with, and a notice when they differ from ``options``.

    With ``options.auto`` (the caller chose no depth or expansion), or with no depth and no
    expansion at all, the view opens at the deepest depth that draws at most ``budget`` boxes;
    any view that would draw more than ``limit`` is collapsed until it fits, or to depth 0.
    """
    untouched = options.auto or (options.depth is None and not options.expanded and not options.collapsed)
    settled = dataclasses.replace(options, auto=False)
    drawn = count_boxes(drawing, settled, folds)
    allowed = budget if untouched else limit
    if drawn <= allowed:
        return settled, ""
    max_depth = _max_depth(drawing)
    start = max_depth - 1 if options.depth is None else min(options.depth, max_depth) - 1
    depth, after = 0, None
    for candidate in range(start, -1, -1):
        count = count_boxes(drawing, _at_depth(settled, candidate), folds)
        if count <= allowed or candidate == 0:
            depth, after = candidate, count
            break
    chosen = _at_depth(settled, depth)
    if after is None:
        after = count_boxes(drawing, chosen, folds)
    if untouched:
        every = count_boxes(drawing, _every_node(settled, folds), folds)
        notice = (
            f"{every:,} boxes with everything open: opened at {level_name(depth)} ({_boxes(after)})."
            " Click a module to open it, or pick a depth."
        )
    else:
        notice = (
            f"{drawn:,} boxes is more than this view lays out at once ({limit:,}):"
            f" opened at {level_name(depth)} ({_boxes(after)}). Open modules one at a time, or search."
        )
    if after > limit:
        notice += f" Even collapsed it has {after:,} boxes, so only the first {limit:,} are drawn."
    return chosen, notice


def _boxes(n: int) -> str:
    return f"{n:,} box" if n == 1 else f"{n:,} boxes"


def _every_node(options: DotOptions, folds: Sequence[Fold]) -> DotOptions:
    """Every module, block, repeat and library fold open (the widget's "every node")."""
    return options.with_state(depth=None, expanded=[f.key for f in folds], collapsed=())


def level_name(depth: int | None) -> str:
    """What a depth opens, in words: ``1 · top modules``, ``all · every module``."""
    if depth is None:
        return "all · every module"
    return f"{depth} · {_LEVEL_NAMES.get(depth, f'depth {depth}')}"


def depth_levels(drawing: Drawing, options: DotOptions, folds: Sequence[Fold] = ()) -> list[dict[str, Any]]:
    """The widget's depth menu: each level's name and the boxes it draws (internals off and on).

    The levels are ``0`` … the deepest module depth, then ``all · every module`` (depth none,
    repeats and library code still folded) and ``every node`` (every fold open too).
    """
    base = dataclasses.replace(options, auto=False, internals=False, fold_repeats=True)
    levels: list[dict[str, Any]] = []
    for depth in [*range(_max_depth(drawing) + 1), None]:
        state = base.with_state(depth=depth, expanded=(), collapsed=())
        levels.append({
            "depth": depth,
            "expanded_all": False,
            "name": level_name(depth),
            "boxes": count_boxes(drawing, state, folds),
            "boxes_internals": count_boxes(drawing, dataclasses.replace(state, internals=True), folds),
        })
    every = count_boxes(drawing, _every_node(base, folds), folds)
    levels.append({"depth": None, "expanded_all": True, "name": "every node", "boxes": every, "boxes_internals": every})
    return levels
