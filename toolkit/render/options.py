"""How a graph is drawn, as one frozen value checked once where the user's keywords come in.

``toolkit.show(obj, depth=1, rankdir="LR")`` and ``graph_view`` used to pass the same keyword
list down through every layer. Now the keywords become a :class:`GraphOptions` once, at the
entry point (:meth:`GraphOptions.from_keywords`), which rejects an unknown name or a bad value
with a message naming the option, the cause and the fix; everything below reads the options.
:class:`DotOptions` is the part the drawing writers need (collapse and layout direction).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field, fields
from typing import Any, Iterable, Mapping

from toolkit.errors import ViewOptionError

__all__ = ["DotOptions", "GraphOptions", "ViewOptionError"]

RANKDIRS = ("TB", "LR")
# A mark becomes a class name in the SVG (``class="node-op lost"``) and a CSS hook in the widget,
# so it must be one: a letter or underscore, then letters, digits, ``_`` or ``-``.
_CLASS_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")


@dataclass(frozen=True)
class DotOptions:
    """How to draw.

    Attributes:
        depth: draw module clusters down to this nesting depth and collapse deeper ones into
            one box each; ``None`` expands everything; ``0`` collapses every submodule.
        expanded: cluster (and fold) keys to open regardless of ``depth``.
        collapsed: cluster keys to collapse regardless of ``depth`` (wins over ``expanded``).
        rankdir: ``TB`` (top to bottom) or ``LR``.
        edge_labels: write tensor shapes on edges.
        internals: draw library control flow (torch's own ``if``/``loop``s) as it is, instead
            of folded into one "library code" box per cluster.
        fold_repeats: draw a run of identical sibling modules as one box (``Bottleneck ×5``);
            ``False`` draws each repeat (with ``depth=None, internals=True``: every node).
        auto: the caller chose no depth, expansion or collapse: a view opens the way the
            widget does (:mod:`toolkit.render.opening`), at the deepest depth that stays small.
    """

    depth: int | None = None
    expanded: frozenset[str] = field(default_factory=frozenset)
    collapsed: frozenset[str] = field(default_factory=frozenset)
    rankdir: str = "TB"
    edge_labels: bool = True
    internals: bool = False
    fold_repeats: bool = True
    auto: bool = False

    def __post_init__(self) -> None:
        # Checked here as well as in from_keywords: rankdir is written into the DOT as a bare
        # word, so a DotOptions built by hand must not carry anything but one of RANKDIRS.
        _check_rankdir(self.rankdir)

    def with_state(self, *, depth: Any, expanded: Iterable[str], collapsed: Iterable[str]) -> "DotOptions":
        """These options with another expansion state (a widget's depth/expanded/collapsed)."""
        return DotOptions(
            depth=None if depth is None else int(depth),
            expanded=frozenset(str(k) for k in expanded),
            collapsed=frozenset(str(k) for k in collapsed),
            rankdir=self.rankdir,
            edge_labels=self.edge_labels,
            internals=self.internals,
            fold_repeats=self.fold_repeats,
        )


@dataclass(frozen=True)
class GraphOptions:
    """Everything ``toolkit.show`` / ``graph_view`` / ``to_dot`` accept besides the object.

    Attributes:
        dot: how to draw (depth, expanded/collapsed clusters, rankdir, edge labels).
        marks: extra classes per IR node id (``{"n11": ("lost",)}``) to colour nodes.
        method: which method of a module.
        inlined: inline submodule calls (every op visible) or keep ``prim::CallMethod``.
        per_op: for a pipeline, draw one node per op call (``None``/``True``) rather than its
            whole TorchScript graph (``False``).
    """

    dot: DotOptions = field(default_factory=DotOptions)
    marks: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    method: str = "forward"
    inlined: bool = True
    per_op: bool | None = None

    def __post_init__(self) -> None:
        _check_marks(self.marks)

    @classmethod
    def from_keywords(cls, options: "GraphOptions | DotOptions | None" = None, **keywords: Any) -> "GraphOptions":
        """Check the user's keywords once and turn them into options.

        Args:
            options: a :class:`GraphOptions` or :class:`DotOptions` to start from.
            **keywords: the keyword names of :func:`toolkit.show` (``depth``, ``expanded``,
                ``collapsed``, ``marks``, ``rankdir``, ``edge_labels``, ``internals``, ``fold_repeats``, ``method``,
                ``inlined``, ``per_op``); each one given replaces the value in ``options``.
                Without ``options`` and without ``depth``/``expanded``/``collapsed``, the view
                opens on its own (``DotOptions.auto``), as the widget does.

        Raises:
            ViewOptionError: an unknown keyword, or a value of the wrong kind.
        """
        base = options if isinstance(options, GraphOptions) else cls(dot=options or DotOptions())
        if options is not None and not isinstance(options, (GraphOptions, DotOptions)):
            raise ViewOptionError(
                f"options={options!r} is a {type(options).__name__}. Fix: pass DotOptions(...) or GraphOptions(...)."
            )
        for name, value in keywords.items():
            if name not in _CHECKS:
                close = difflib.get_close_matches(name, _CHECKS, n=1)
                hint = f"did you mean {close[0]!r}? " if close else ""
                raise ViewOptionError(
                    f"unknown option {name!r}: the graph views take {', '.join(sorted(_CHECKS))}."
                    f" Fix: {hint}remove or rename {name!r}."
                )
            _CHECKS[name](value)
        dot_changes = {k: _normalised(k, v) for k, v in keywords.items() if k in _DOT_FIELDS}
        chose_state = any(k in keywords for k in _STATE_FIELDS)
        dot_changes["auto"] = (base.dot.auto if options is not None else True) and not chose_state
        own_changes = {k: _normalised(k, v) for k, v in keywords.items() if k not in _DOT_FIELDS}
        dot = DotOptions(**{**{f.name: getattr(base.dot, f.name) for f in fields(DotOptions)}, **dot_changes})
        return cls(**{**{f.name: getattr(base, f.name) for f in fields(cls)}, **own_changes, "dot": dot})


_DOT_FIELDS = {f.name for f in fields(DotOptions)}
_STATE_FIELDS = ("depth", "expanded", "collapsed")


def _normalised(name: str, value: Any) -> Any:
    if name in ("expanded", "collapsed"):
        return frozenset(value)
    if name == "marks":
        return {str(k): tuple(v) for k, v in (value or {}).items()}
    return value


def _fail(name: str, value: Any, wanted: str, fix: str) -> None:
    raise ViewOptionError(f"option {name}={value!r} is not {wanted}. Fix: {fix}.")


def _check_depth(value: Any) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
        _fail("depth", value, "a non-negative int or None", "pass depth=1 (modules down to depth 1), depth=0, or depth=None (all)")


def _check_keys(name: str):
    def check(value: Any) -> None:
        if isinstance(value, (str, bytes)) or not isinstance(value, Iterable) or not all(isinstance(k, str) for k in value):
            _fail(name, value, "a collection of cluster keys", f'pass e.g. {name}={{"m:layer1"}}')

    return check


def _check_marks(value: Any) -> None:
    if value is None:
        return
    if not isinstance(value, Mapping) or not all(
        isinstance(k, str) and not isinstance(v, str) and isinstance(v, Iterable) for k, v in value.items()
    ):
        _fail("marks", value, "a mapping of node id to classes", 'pass e.g. marks={"n11": ["lost"]}')
    for node_id, classes in value.items():
        for mark in classes:
            if not isinstance(mark, str) or not _CLASS_NAME.fullmatch(mark):
                raise ViewOptionError(
                    f"option marks[{node_id!r}] holds {mark!r}, which is not a class name (a letter or _,"
                    " then letters, digits, _ or -): marks become CSS classes in the SVG."
                    ' Fix: pass class names such as marks={"n11": ["lost", "highlight"]}.'
                )


def _check_rankdir(value: Any) -> None:
    if value not in RANKDIRS:
        _fail("rankdir", value, "'TB' or 'LR'", "pass rankdir='TB' (top to bottom) or rankdir='LR' (left to right)")


def _check_flag(name: str, *, optional: bool = False):
    def check(value: Any) -> None:
        if not isinstance(value, bool) and not (optional and value is None):
            _fail(name, value, "True or False" + (" or None" if optional else ""), f"pass {name}=True or {name}=False")

    return check


def _check_method(value: Any) -> None:
    if not isinstance(value, str) or not value:
        _fail("method", value, "a method name", 'pass method="forward" or another method of the module')


_CHECKS = {
    "depth": _check_depth,
    "expanded": _check_keys("expanded"),
    "collapsed": _check_keys("collapsed"),
    "marks": _check_marks,
    "rankdir": _check_rankdir,
    "edge_labels": _check_flag("edge_labels"),
    "internals": _check_flag("internals"),
    "fold_repeats": _check_flag("fold_repeats"),
    "method": _check_method,
    "inlined": _check_flag("inlined"),
    "per_op": _check_flag("per_op", optional=True),
}
