"""Identical repeated blocks, found on the drawing so a collapse can fold them.

Why: a ResNet-50 repeats the same Bottleneck 16 times. Drawn one by one, the repeats crowd
out what differs (the first block of each stage, with its downsample). Folding a run of
identical sibling modules into one "Bottleneck ×5" box keeps the picture about structure,
and it opens with a click (torchview#118 and hiddenlayer's folding rules asked for this).

What counts as identical: two sibling module clusters with the same module type whose
contents match exactly once names are taken out: the same nodes (kind, op, label) in the
same nested clusters, wired by the same edges. Only *consecutive* siblings fold together,
so a fold is always a contiguous run such as ``layer3.1`` … ``layer3.5``.

Library control flow folds the same way. A scripted ``nn.TransformerEncoderLayer`` runs 210
``if``s of torch's own code (argument checks, the fast path): drawn, they bury the layer's few
real operations. So the outermost library ``if``/``loop`` clusters of each cluster fold into one
"library code" box there, with the library nodes that only compute their conditions, until the
student asks for internals (``internals=True``, or the widget's toggle opens the fold).

This works on the plain drawing; it knows nothing of torch or of the browser.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from toolkit.frames import display_file_name
from toolkit.render.drawing import Cluster, Drawing

__all__ = ["LIBRARY_FOLD_PREFIX", "Fold", "all_folds", "find_folds", "find_library_folds"]

_MIN_RUN = 2
_CONTROL_FLOW = ("if", "loop")
LIBRARY_FOLD_PREFIX = "lib:"
_FILES_NAMED = 2
_OPS_NAMED = 3
_BUILT_IN = "TorchScript built-in"  # the file TorchScript's own helpers compile from is "<string>"


@dataclass(frozen=True)
class Fold:
    """A run of identical sibling module clusters drawn as one box until opened.

    Attributes:
        key: ``fold:`` followed by the first member's cluster key.
        parent: the cluster key the members sit in (``""`` at the top level).
        members: the member cluster keys, in order.
        label: what the box says, e.g. ``layer3.1 … layer3.5``.
        type_name: the members' module type (``Bottleneck``), or ``""``.
        kind: ``repeat`` (identical sibling modules) or ``library`` (library control flow).
        boxes: box ids folded besides the member clusters' contents (a library fold's
            condition plumbing: library nodes whose every result feeds the fold).
    """

    key: str
    parent: str
    members: tuple[str, ...]
    label: str
    type_name: str
    kind: str = "repeat"
    boxes: tuple[str, ...] = ()

    def to_json(self) -> dict:
        """Plain data for the browser widget."""
        return {
            "key": self.key,
            "parent": self.parent,
            "members": list(self.members),
            "label": self.label,
            "type": self.type_name,
            "kind": self.kind,
            "boxes": list(self.boxes),
        }


def all_folds(drawing: Drawing) -> tuple[Fold, ...]:
    """The repeats and the library control flow of ``drawing``: every fold a view applies."""
    return find_folds(drawing) + find_library_folds(drawing)


def find_library_folds(drawing: Drawing) -> tuple[Fold, ...]:
    """One fold per cluster holding outermost library ``if``/``loop`` clusters.

    Members are those clusters (nested library control flow goes with its outermost one), except
    those that run a submodule: a library ``if`` whose branch computes in ``self.linear1`` is the
    module's structure, so it stays open and the library code inside it folds instead; and one
    a view marks (``lost`` by the trace, ``kept`` by export) stays open to be seen.
    ``boxes`` are the library nodes (or nodes with no source line) of the same cluster whose
    results feed only the fold (the ``is None`` and ``dtype`` checks that decide its branches).
    """
    by_key = {c.key: c for c in drawing.clusters}
    holds_module = _where_modules_run(drawing, by_key)

    def outermost_library(key: str) -> str | None:
        found = None
        while key:
            c = by_key[key]
            if c.library and c.kind in _CONTROL_FLOW and key not in holds_module and not c.marks:
                found = key
            key = c.parent
        return found

    owner: dict[str, str | None] = {c.key: outermost_library(c.key) for c in drawing.clusters}
    members: dict[str, list[str]] = {}
    for c in drawing.clusters:
        if owner[c.key] == c.key:
            members.setdefault(c.parent, []).append(c.key)
    if not members:
        return ()
    consumers: dict[str, list[str]] = {}
    for e in drawing.edges:
        consumers.setdefault(e.src, []).append(e.dst)
    # Which fold (by parent key) each box belongs to: through its cluster, or as plumbing.
    fold_of_box: dict[str, str] = {}
    for n in drawing.nodes:
        top = owner.get(n.cluster) if n.cluster else None
        if top is not None:
            fold_of_box[n.id] = by_key[top].parent
    plumbing: dict[str, list[str]] = {}
    for n in reversed(drawing.nodes):  # consumers come after producers: one backward pass
        # a check (no tensor made) in library code or in code with no line of its own
        helper = (n.library or n.source is None) and not n.tensor
        if not helper or n.id in fold_of_box or n.cluster not in members or n.kind in ("input", "output"):
            continue
        targets = {fold_of_box.get(d) for d in consumers.get(n.id, ())}
        if targets == {n.cluster}:
            fold_of_box[n.id] = n.cluster
            plumbing.setdefault(n.cluster, []).append(n.id)
    files, ops = _library_contents(drawing, owner)
    folds = []
    for parent, keys in members.items():
        folds.append(
            Fold(
                key=f"{LIBRARY_FOLD_PREFIX}{parent}",
                parent=parent,
                members=tuple(keys),
                label=_library_label(ops.get(parent, []), files.get(parent, [])),
                type_name="",
                kind="library",
                boxes=tuple(reversed(plumbing.get(parent, ()))),  # gathered backwards
            )
        )
    return tuple(folds)


def _where_modules_run(drawing: Drawing, by_key: dict[str, Cluster]) -> set[str]:
    """The control-flow clusters a submodule does its work in: they are structure, not internals.

    A submodule can appear in several branches of library code (``self_attn`` in the fast
    path's checks and in the slow path's computation); it runs where most of its tensor
    computations are, and the branches that lead there stay open.
    """
    work: dict[str, int] = {}  # module cluster key -> tensor-making boxes in it (nested too)
    for n in drawing.nodes:
        if not n.tensor or n.kind not in ("op", "call"):
            continue
        key = n.cluster
        while key:
            if by_key[key].kind == "module":
                work[key] = work.get(key, 0) + 1
            key = by_key[key].parent
    best: dict[tuple[str, ...], str] = {}  # module path -> its busiest placement
    for key, count in work.items():
        path = tuple(part for part in key.split("/") if part.startswith("m:"))
        if path not in best or count > work[best[path]]:
            best[path] = key
    holds: set[str] = set()
    for key in best.values():
        key = by_key[key].parent
        while key:
            if by_key[key].kind in _CONTROL_FLOW:
                holds.add(key)
            key = by_key[key].parent
    return holds


def _library_label(ops: list[str], files: list[str]) -> str:
    """``library code: softmax, dropout, … (functional.py)``: what it computes, where it lives."""
    def listed(items: list[str], limit: int) -> str:
        return ", ".join(items[:limit]) + (", …" if len(items) > limit else "")

    text = "library code" + (f": {listed(ops, _OPS_NAMED)}" if ops else "")
    return text + (f" ({listed(files, _FILES_NAMED)})" if files else "")


def _library_contents(drawing: Drawing, owner: dict[str, str | None]) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """Per fold parent: the files its library control flow comes from, and the ops it computes."""
    parents = {c.key: c.parent for c in drawing.clusters}
    files: dict[str, dict[str, None]] = {}
    ops: dict[str, dict[str, None]] = {}
    for n in drawing.nodes:
        top = owner.get(n.cluster) if n.cluster else None
        if top is None:
            continue
        parent = parents[top]
        if n.source is not None and n.kind in _CONTROL_FLOW:
            name = _BUILT_IN if n.source[0] == "<string>" else display_file_name(n.source[0])
            files.setdefault(parent, {})[name] = None
        if n.tensor and n.kind in ("op", "call") and n.label:
            ops.setdefault(parent, {})[n.label[0].rstrip("_")] = None  # relu_ and relu are one op here
    return {k: list(v) for k, v in files.items()}, {k: list(v) for k, v in ops.items()}


def find_folds(drawing: Drawing) -> tuple[Fold, ...]:
    """Every maximal run of at least two identical consecutive sibling modules in ``drawing``,
    each feeding the next (a chain of blocks, not two parallel branches such as an LSTM's
    ``ih`` and ``hh``, which a fold would draw as one)."""
    signatures = _signatures(drawing)
    chained = _chained_siblings(drawing)
    children: dict[str, list[Cluster]] = {}
    for cluster in drawing.clusters:
        if cluster.kind == "module":
            children.setdefault(cluster.parent, []).append(cluster)
    folds: list[Fold] = []
    for parent, siblings in children.items():
        run: list[Cluster] = []
        for c in siblings + [None]:  # a sentinel flushes the last run
            if (
                run and c is not None and signatures[c.key] == signatures[run[0].key]
                and (run[-1].key, c.key) in chained
            ):
                run.append(c)
                continue
            if len(run) >= _MIN_RUN:
                folds.append(_fold(parent, run))
            run = [c] if c is not None else []
    return tuple(folds)


def _chained_siblings(drawing: Drawing) -> set[tuple[str, str]]:
    """``(a, b)`` for sibling clusters where a box inside ``a`` feeds a box inside ``b``."""
    parent_of = {c.key: c.parent for c in drawing.clusters}
    cluster_of = {n.id: n.cluster for n in drawing.nodes}
    chains: dict[str, list[str]] = {}

    def chain(key: str) -> list[str]:
        """Cluster keys from the top down to ``key``."""
        if key not in chains:
            chains[key] = (chain(parent_of[key]) + [key]) if key else []
        return chains[key]

    pairs: set[tuple[str, str]] = set()
    for e in drawing.edges:
        src, dst = chain(cluster_of.get(e.src, "")), chain(cluster_of.get(e.dst, ""))
        depth = 0
        while depth < min(len(src), len(dst)) and src[depth] == dst[depth]:
            depth += 1
        if depth < len(src) and depth < len(dst):
            pairs.add((src[depth], dst[depth]))
    return pairs


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

    contents: dict[str, list[str]] = {c.key: [] for c in drawing.clusters if c.kind == "module"}
    position: dict[str, dict[str, int]] = {key: {} for key in contents}
    owners: dict[str, list[str]] = {}
    # Per cluster, once: each enclosing module and the kinds of the clusters between them.
    placed: dict[str, list[tuple[str, str]]] = {}

    def placements(cluster: str) -> list[tuple[str, str]]:
        if cluster not in placed:
            ancestors, key = [], cluster
            while key:
                ancestors.append(key)
                key = parent_of[key]
            placed[cluster] = [
                (owner, "/".join(kind_of[k] for k in reversed(ancestors[:depth])))
                for depth, owner in enumerate(ancestors) if owner in contents
            ]
        return placed[cluster]

    for n in drawing.nodes:
        found = placements(n.cluster)
        owners[n.id] = [owner for owner, _ in found]
        for owner, inner in found:
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
