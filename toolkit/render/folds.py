"""Identical repeated blocks, found on the drawing so a collapse can fold them.

Why: a ResNet-50 repeats the same Bottleneck 16 times. Drawn one by one, the repeats crowd
out what differs (the first block of each stage, with its downsample). Folding a run of
identical sibling modules into one "Bottleneck ×5" box keeps the picture about structure,
and it opens with a click (torchview#118 and hiddenlayer's folding rules asked for this).

What counts as identical: two sibling module clusters with the same module type whose
contents match exactly once names are taken out: the same nodes (kind, op, label) in the
same nested clusters, wired by the same edges. Only *consecutive* siblings fold together,
so a fold is always a contiguous run such as ``layer3.1`` … ``layer3.5``.

This works on the plain drawing; it knows nothing of torch or of the browser.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from toolkit.render.drawing import Cluster, Drawing

__all__ = ["Fold", "find_folds"]

_MIN_RUN = 2


@dataclass(frozen=True)
class Fold:
    """A run of identical sibling module clusters drawn as one box until opened.

    Attributes:
        key: ``fold:`` followed by the first member's cluster key.
        parent: the cluster key the members sit in (``""`` at the top level).
        members: the member cluster keys, in order.
        label: what the box says, e.g. ``layer3.1 … layer3.5``.
        type_name: the members' module type (``Bottleneck``), or ``""``.
    """

    key: str
    parent: str
    members: tuple[str, ...]
    label: str
    type_name: str

    def to_json(self) -> dict:
        """Plain data for the browser widget."""
        return {
            "key": self.key,
            "parent": self.parent,
            "members": list(self.members),
            "label": self.label,
            "type": self.type_name,
        }


def find_folds(drawing: Drawing) -> tuple[Fold, ...]:
    """Every maximal run of at least two identical consecutive sibling modules in ``drawing``."""
    signatures = _signatures(drawing)
    children: dict[str, list[Cluster]] = {}
    for cluster in drawing.clusters:
        if cluster.kind == "module":
            children.setdefault(cluster.parent, []).append(cluster)
    folds: list[Fold] = []
    for parent, siblings in children.items():
        run: list[Cluster] = []
        for c in siblings + [None]:  # a sentinel flushes the last run
            if run and c is not None and signatures[c.key] == signatures[run[0].key]:
                run.append(c)
                continue
            if len(run) >= _MIN_RUN:
                folds.append(_fold(parent, run))
            run = [c] if c is not None else []
    return tuple(folds)


def _fold(parent: str, run: list[Cluster]) -> Fold:
    first, last = _dotted(run[0]), _dotted(run[-1])
    last_part = last.rpartition(".")[2]
    return Fold(
        key=f"fold:{run[0].key}",
        parent=parent,
        members=tuple(c.key for c in run),
        label=f"{first} … {last_part}" if "." in first else f"{first} … {last}",
        type_name=_type_name(run[0]),
    )


def _dotted(c: Cluster) -> str:
    type_name = _type_name(c)
    return c.label[: -len(type_name) - 3] if type_name else c.label


def _type_name(c: Cluster) -> str:
    """``Bottleneck`` from the label ``layer1.0 (Bottleneck)``."""
    if c.label.endswith(")") and " (" in c.label:
        return c.label[c.label.rindex(" (") + 2 : -1]
    return ""


def _signatures(drawing: Drawing) -> dict[str, str]:
    """A name-free digest of each module cluster's contents."""
    parent_of = {c.key: c.parent for c in drawing.clusters}
    kind_of = {c.key: c.kind for c in drawing.clusters}

    def chain(key: str) -> list[str]:
        keys = []
        while key:
            keys.append(key)
            key = parent_of[key]
        return keys

    contents: dict[str, list[str]] = {c.key: [] for c in drawing.clusters if c.kind == "module"}
    position: dict[str, dict[str, int]] = {key: {} for key in contents}
    owners: dict[str, list[str]] = {}
    for n in drawing.nodes:
        ancestors = chain(n.cluster)
        owners[n.id] = [k for k in ancestors if k in contents]
        for owner in owners[n.id]:
            depth = ancestors.index(owner)
            inner = "/".join(kind_of[k] for k in reversed(ancestors[:depth]))
            index = len(position[owner])
            position[owner][n.id] = index
            contents[owner].append(f"N{index}|{inner}|{n.kind}|{n.op}|{_label_without_names(n.label)}")
    for e in drawing.edges:
        shared = set(owners.get(e.src, ())) & set(owners.get(e.dst, ()))
        for owner in shared:
            contents[owner].append(f"E{position[owner][e.src]}>{position[owner][e.dst]}|{e.label}")
    result = {}
    for c in drawing.clusters:
        if c.kind == "module":
            digest = hashlib.sha1("\n".join([_type_name(c)] + contents[c.key]).encode()).hexdigest()
            result[c.key] = digest
    return result


def _label_without_names(label: tuple[str, ...]) -> str:
    """Label lines minus those that name the module (a call's ``layer1.0.forward()``)."""
    return "\\n".join(line for line in label[1:]) + "|" + (label[0].rpartition(".")[2] if label else "")
