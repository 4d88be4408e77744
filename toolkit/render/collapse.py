"""Which clusters of a drawing are open, decided once, for every writer to read.

A drawing holds every box; what is shown depends on the options: module clusters deeper than
``depth`` close into one box, ``expanded`` and ``collapsed`` override that per cluster, a
view may also close ``prim::If``/``prim::Loop`` clusters, and folds (runs of identical repeats,
library control flow with its checks) stay one box until opened.
The DOT writer, the box counts and the widget's first depth all need the same answer, so it is
computed here once per (drawing, options) instead of by each of them (micrograd keeps walking
apart from drawing the same way). The browser resolves the same rule on its side, for states
the user clicks into, and a fixture test keeps the two in step (``tests/widgets``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Sequence

from toolkit.render.drawing import Box, Cluster, Drawing, counts_as_box
from toolkit.render.folds import Fold
from toolkit.render.options import DotOptions

__all__ = ["CONTROL_FLOW_KINDS", "Collapse"]

CONTROL_FLOW_KINDS = frozenset({"if", "loop"})


@dataclass(frozen=True, eq=False)
class Collapse:
    """The open/closed state of every cluster of ``drawing`` under ``options``.

    Attributes:
        drawing: what is drawn.
        options: depth, expanded and collapsed keys.
        folds: runs of repeats and library control flow (:mod:`toolkit.render.folds`) that
            stay one box until their key is in ``options.expanded`` (library folds also open
            with ``options.internals``).
        closes_control_flow: whether ``if``/``loop`` cluster keys in ``options.collapsed`` close
            (the widget's rule, which :class:`~toolkit.render.display.GraphView` follows too;
            ``False`` closes module clusters only).
    """

    drawing: Drawing
    options: DotOptions = field(default_factory=DotOptions)
    folds: Sequence[Fold] = ()
    closes_control_flow: bool = False

    @cached_property
    def _clusters(self) -> dict[str, Cluster]:
        return {c.key: c for c in self.drawing.clusters}

    @cached_property
    def _fold_of(self) -> dict[str, Fold]:
        return {member: fold for fold in self.folds for member in fold.members}

    @cached_property
    def _box_fold(self) -> dict[str, Fold]:
        """Boxes a fold takes besides its members' contents (a library fold's plumbing)."""
        return {box: fold for fold in self.folds for box in fold.boxes}

    def fold_is_closed(self, fold: Fold) -> bool:
        """Whether ``fold`` is drawn as one box by its own rule (its enclosing boxes aside)."""
        if fold.key in self.options.expanded:
            return False
        if fold.kind == "library":
            return not self.options.internals
        return self.options.fold_repeats

    @cached_property
    def _single_box(self) -> frozenset[str]:
        """Module clusters holding exactly one box and no cluster: closing one saves nothing and
        hides the op (``conv1 (Conv2d)`` as ``1 node`` instead of ``_convolution``), so depth
        leaves them open; an explicit ``collapsed`` still closes them."""
        boxes: dict[str, int] = {}
        for n in self.drawing.nodes:
            boxes[n.cluster] = boxes.get(n.cluster, 0) + 1
        parents = {c.parent for c in self.drawing.clusters}
        return frozenset(
            c.key for c in self.drawing.clusters if c.kind == "module" and boxes.get(c.key) == 1 and c.key not in parents
        )

    def closes_itself(self, cluster: Cluster) -> bool:
        """Whether ``cluster`` is drawn as one box by its own rule (its ancestors aside)."""
        if cluster.kind == "module":
            deep = self.options.depth is not None and cluster.module_depth > self.options.depth
            deep = deep and cluster.key not in self._single_box
            return cluster.key in self.options.collapsed or (deep and cluster.key not in self.options.expanded)
        return self.closes_control_flow and cluster.kind in CONTROL_FLOW_KINDS and cluster.key in self.options.collapsed

    @cached_property
    def _closer(self) -> dict[str, str | None]:
        closer: dict[str, str | None] = {"": None}

        def resolve(key: str) -> str | None:
            if key not in closer:
                c = self._clusters[key]
                found = resolve(c.parent)  # an outer box wins
                if found is None:
                    fold = self._fold_of.get(key)
                    if fold is not None and self.fold_is_closed(fold):
                        found = fold.key
                    elif self.closes_itself(c):
                        found = key
                closer[key] = found
            return closer[key]

        for c in self.drawing.clusters:
            resolve(c.key)
        return closer

    def closer(self, cluster_key: str) -> str | None:
        """The key of the outermost box that swallows ``cluster_key``, or ``None`` when it is open."""
        return self._closer[cluster_key]

    @cached_property
    def representatives(self) -> dict[str, str]:
        """Box id -> the id drawn for it: itself, or the closed cluster or fold holding it."""
        closer, box_fold = self._closer, self._box_fold
        reps: dict[str, str] = {}
        for n in self.drawing.nodes:
            found = closer[n.cluster]
            if found is None and n.id in box_fold and self.fold_is_closed(box_fold[n.id]):
                found = box_fold[n.id].key
            reps[n.id] = found or n.id
        return reps

    @cached_property
    def closing_modules(self) -> tuple[str, ...]:
        """Module clusters the options close, nested ones included (what a summary counts)."""
        return tuple(c.key for c in self.drawing.clusters if c.kind == "module" and self.closes_itself(c))

    @cached_property
    def open_clusters(self) -> tuple[Cluster, ...]:
        """Clusters drawn as clusters: neither closed nor inside a closed box."""
        return tuple(c for c in self.drawing.clusters if self._closer[c.key] is None)

    @cached_property
    def visible_boxes(self) -> tuple[Box, ...]:
        """Boxes drawn as themselves."""
        return tuple(n for n in self.drawing.nodes if self.representatives[n.id] == n.id)

    @cached_property
    def drawn_count(self) -> int:
        """Boxes drawn: visible boxes plus one per outermost closed cluster or fold.

        An open ``if``'s join point is drawn but not counted (:func:`~toolkit.render.drawing.counts_as_box`).
        """
        reps = self.representatives
        return len({reps[n.id] for n in self.drawing.nodes if reps[n.id] != n.id or counts_as_box(n)})

    def with_options(self, options: DotOptions) -> "Collapse":
        """The same drawing and folds under other options."""
        return Collapse(self.drawing, options, folds=self.folds, closes_control_flow=self.closes_control_flow)
