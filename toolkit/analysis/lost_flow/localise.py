"""From "eager and traced disagree on this input" to "this line, this value, this fix".

Why: a counterexample proves that a trace is wrong but not where. The line is found by
comparing what the model did while being traced on the example with what it does while being
traced on the counterexample:

1. **escape values** (:mod:`toolkit.analysis.lost_flow.escapes`): the first tensor -> Python
   conversion whose value differs is the lost line, and the two values are the explanation
   (``L70 bool True -> False``; ``L128 index 3 -> 5``);
2. **graph constants**: when no escape differs (a size passed where torch expects ``int[]``,
   conversions inside torch), the first operator whose constant arguments differ between the
   two traced graphs, at its recorded source line;
3. **the lint** (:mod:`toolkit.analysis.lost_flow.lint`) for losses that leave no runtime
   trace: Python state and RNG on repeated calls, training mode, optional arguments,
   ``is_tracing`` branches;
4. **the scripted graph**: a ``prim::If``/``prim::Loop`` the trace flattened.

It also turns the leftover signals (escapes, TracerWarnings, lint hits, lost control flow
that no input proved) into *suspected* findings.
"""

from __future__ import annotations

import linecache
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping

from toolkit.analysis.lost_flow.variants import Outcome, Variant, VariantKind
from toolkit.analysis.lost_flow.escapes import Divergence, Escape, InstrumentedTrace, first_divergence
from toolkit.capture import TracerWarningRecord
from toolkit.analysis.lost_flow.findings import CATEGORIES, PROVEN, SUSPECTED, Counterexample, Finding
from toolkit.analysis.lost_flow.lint import LintHit, function_source
from toolkit.ir.model import Graph, Node, NodeKind

__all__ = ["Evidence", "entry_location", "explain_divergence", "suspected_findings"]

_TRAINING_OPS = frozenset(
    {"aten::dropout", "aten::dropout_", "aten::feature_dropout", "aten::alpha_dropout", "aten::feature_alpha_dropout", "aten::batch_norm", "aten::instance_norm", "aten::rrelu"}
)
_CONSTRUCTOR_OPS = frozenset({"aten::tensor", "aten::as_tensor", "aten::scalar_tensor", "aten::from_numpy"})
_KIND_CATEGORY = {
    "int": "T2",
    "float": "T2",
    "item": "T2",
    "tolist": "T5",
    "numpy": "T5",
    "constructor": "T5",
    "len": "T4",
    "iter": "T4",
    "dim": "T4",
    "device": "T11",
    "pieces": "T4",
}
# when several escapes share the lost line, the one that explains it best
_KIND_PRIORITY = ("bool", "index", "pieces", "len", "iter", "item", "int", "float", "tolist", "numpy", "constructor", "device", "dim")
# lint categories consulted, in order, when the runtime signals say nothing
_LINT_PRIORITY = {
    VariantKind.REPEAT: ("T6", "T8"),
    # an `is_tracing()` path is wrong on every input, on every device: it explains a device
    # divergence before the device does (else a CUDA machine reports the same loss twice)
    VariantKind.DEVICE: ("T11", "T12"),
}
_DEFAULT_LINT_PRIORITY = ("T12", "T6", "T8", "T13", "T5", "T1", "T3", "T2", "T4", "T11", "T9")
_DEFAULT_CATEGORY = {
    VariantKind.VALUE: "T1",
    VariantKind.SIZE: "T4",
    VariantKind.RANK: "T4",
    VariantKind.USER: "T1",
    VariantKind.DEVICE: "T11",
    VariantKind.REPEAT: "T6",
    VariantKind.MODE: "T7",
    VariantKind.OPTIONAL: "T10",
}


@dataclass
class Evidence:
    """Everything a check gathered once, which explaining each divergence consults.

    Attributes:
        example: the instrumented trace on the example inputs.
        traced_graph: the IR of that trace (inlined), or ``None``.
        lint: the lint hits.
        lost_control_flow: scripted ``prim::If``/``prim::Loop`` nodes the trace does not have,
            by ``(file, line)``.
        entry: ``(file, line)`` of the traced function's ``def``, the last resort.
        provided: names of the arguments the example inputs gave (not "left out").
        outside: ``(file, line)`` of every frame that called ``check_trace``: the caller's lines,
            never the model's (a traced graph records the whole Python stack, the caller's too).
        training: whether the model was in training mode; a model in ``eval()`` has no
            training-mode behaviour for a trace to bake in (no T7 suspicion).
        retrace: traces a fresh copy on a variant's inputs (``None`` when it cannot).
        graph_of: builds the IR of a traced module.
    """

    example: InstrumentedTrace
    traced_graph: Graph | None
    lint: tuple[LintHit, ...]
    lost_control_flow: Mapping[tuple[str, int], Node]
    entry: tuple[str, int]
    retrace: Callable[[Variant], InstrumentedTrace | None]
    graph_of: Callable[[Any], Graph | None]
    provided: frozenset[str] = frozenset()
    outside: frozenset[tuple[str, int]] = frozenset()
    training: bool = True
    _retraced: dict[str, InstrumentedTrace | None] = field(default_factory=dict)

    def retraced(self, variant: Variant) -> InstrumentedTrace | None:
        if variant.label not in self._retraced:
            self._retraced[variant.label] = self.retrace(variant)
        return self._retraced[variant.label]


@dataclass(frozen=True)
class _Site:
    """A located cause: where, which category, and the words for it."""

    file: str
    line: int
    category: str
    what: str
    why: str
    evidence: tuple[str, ...]
    through_library: bool = False


# ---------------------------------------------------------------------------------------------
# Proven findings
# ---------------------------------------------------------------------------------------------


def explain_divergence(outcome: Outcome, evidence: Evidence) -> Finding | None:
    """A proven finding for one diverging variant: the lost line, what, why and the fix.

    ``None`` when the divergence says nothing about the model's own code: an input of another
    rank that only made library code take another path (torch's unbatched-input handling in
    ``nn.Conv2d`` or ``nn.MultiheadAttention``) while no line of the model read the rank.
    """
    variant = outcome.variant
    site = _locate(outcome, evidence)
    if variant.kind == VariantKind.RANK and site.through_library:
        return None
    if outcome.structural and site.category in ("T1", "T3", "T4"):
        site = _Site(
            site.file,
            site.line,
            "T9",
            "the structure of the output (how many items, which keys)",
            f"{site.why} The output's structure follows that decision: eager returns {outcome.eager},"
            f" the traced module {_traced_phrase(outcome)}.",
            site.evidence,
        )
    counterexample = Counterexample(
        input=variant.label,
        shapes=variant.describe_inputs(),
        eager=outcome.eager,
        traced=outcome.traced,
        args=variant.args,
        kwargs={**variant.kwargs, **variant.extra_kwargs},
    )
    return Finding(
        category=site.category,
        severity=PROVEN,
        file=site.file,
        line=site.line,
        source_line=_source(site.file, site.line),
        what=site.what,
        why=site.why,
        fix=CATEGORIES[site.category].fix,
        counterexample=counterexample,
        evidence=_ordered(("differential",) + site.evidence + _corroboration(site.file, site.line, evidence)),
    )


def _locate(outcome: Outcome, evidence: Evidence) -> _Site:
    variant = outcome.variant
    if variant.kind == VariantKind.MODE:
        site = _training_site(outcome, evidence)
        if site is not None:
            return site
        # nothing depends on the mode: the trace is wrong on this input for another reason
    if variant.kind == VariantKind.OPTIONAL:
        return _optional_site(outcome, evidence)
    stateful = variant.kind == VariantKind.REPEAT and outcome.call > 0
    if not stateful:
        other = evidence.retraced(variant)
        if other is not None:
            # escapes recorded before a failing re-trace are still valid evidence
            divergence = first_divergence(evidence.example.escapes, other.escapes)
            if divergence is not None:
                return _escape_site(_representative(divergence, evidence.example.escapes, other.escapes), outcome)
            if other.error is None:
                graph_site = _graph_site(evidence, other, outcome)
                if graph_site is not None and (graph_site.file, graph_site.line) not in evidence.outside:
                    return graph_site
    lint_site = _lint_site(outcome, evidence, stateful=stateful)
    if lint_site is not None:
        return lint_site
    if evidence.lost_control_flow:
        (file, line), node = sorted(evidence.lost_control_flow.items())[0]
        return _Site(
            file,
            line,
            "T3" if node.kind is NodeKind.LOOP else "T1",
            "the control flow at this line",
            f"the scripted graph keeps a `{node.op}` here, which the trace flattened to the path it saw;"
            f" {_diverged_clause(outcome)}",
            ("script-ir",),
        )
    category = _DEFAULT_CATEGORY.get(variant.kind, "T1") if stateful or variant.kind != VariantKind.REPEAT else "T1"
    return _Site(
        evidence.entry[0],
        evidence.entry[1],
        category,
        "behaviour of this function that the trace did not record",
        f"no single line could be pinned down; {_diverged_clause(outcome)}",
        (),
        through_library=True,
    )


def _diverged_clause(outcome: Outcome) -> str:
    return f"on the counterexample eager gives {outcome.eager} while the traced module {_traced_phrase(outcome)}."


def _traced_phrase(outcome: Outcome) -> str:
    """``raises ...`` or ``gives ...``, to follow "the traced module"."""
    return outcome.traced if outcome.traced.startswith("raises") else f"gives {outcome.traced}"


def _representative(divergence: Divergence, mine: tuple[Escape, ...], theirs: tuple[Escape, ...]) -> Divergence:
    """Of the escapes on the diverging line, the pair whose kind explains the line best."""
    at = divergence.at
    here = [e for e in mine if (e.file, e.line) == (at.file, at.line)]
    there = [e for e in theirs if (e.file, e.line) == (at.file, at.line)]
    for kind in _KIND_PRIORITY:
        a = next((e for e in here if e.kind == kind), None)
        b = next((e for e in there if e.kind == kind), None)
        if a is not None and b is not None and a.value != b.value:
            return Divergence(a, b)
    return divergence


def _escape_site(divergence: Divergence, outcome: Outcome) -> _Site:
    at = divergence.at
    before = _value_text(divergence.example)
    after = _value_text(divergence.other)
    text = _source(at.file, at.line) or "this line"
    category = _escape_category(at, text)
    decides = _statement_kind(at.file, at.line) in ("if", "while", "break")
    if at.kind == "bool" or (decides and at.kind in ("item", "int", "float")):
        condition = _condition(text)
        was = "was" if at.kind == "bool" else "used the value"
        if category == "T3":
            what = f"the number of loop iterations (`{condition}` decided when to stop)"
            why = (
                f"`{condition}` {was} {before} at this step while tracing, so the trace unrolled exactly the"
                f" iterations it saw; on the counterexample it {'is' if was == 'was' else 'uses'} {after} here"
                " and the loop runs differently."
            )
        elif category == "T4":
            what = f"the shape test `{condition}` (it {was} {before})"
            why = (
                f"`{condition}` compares sizes in Python: it {was} {before} while tracing and is frozen, but the"
                f" counterexample gives {after}."
            )
        else:
            what = f"the branch taken while tracing (`{condition}` {was} {before})"
            why = (
                f"`{condition}` {was} {before} while tracing, so only that branch was recorded; on the"
                f" counterexample it {'is' if was == 'was' else 'uses'} {after} and eager PyTorch takes the"
                " other path."
            )
    elif at.kind == "index" and category in ("T3", "T4") and "range(" in text:
        what = f"the loop count {before} (the loop was unrolled)"
        source = "a size" if at.from_size else "a tensor value"
        why = (
            f"`range(...)` turned {source} into the Python int {before}, so the trace unrolled {before}"
            f" iterations; the counterexample needs {after}. Python's `__index__` raises no TracerWarning."
        )
    elif at.kind == "pieces":
        what = f"the number of pieces, {before}"
        why = (
            f"this line produced a Python tuple of {before} tensors (iterating a tensor, `unbind`, `split`);"
            f" the trace fixed that count, and the counterexample needs {after}."
        )
    elif at.kind in ("len", "iter") or (at.kind == "index" and category == "T4"):
        what = f"the length {before}"
        why = (
            f"this line read a size as a Python int ({before}); the trace froze it (and unrolled any loop"
            f" over it), while the counterexample has {after}."
        )
    elif at.kind == "dim":
        what = f"the rank {before}"
        why = (
            f"`dim()`/`ndim` returns a plain Python int without any TracerWarning; the rank {before} was"
            f" frozen and the counterexample has rank {after}."
        )
    elif at.kind == "device":
        what = f"the device {before}"
        why = (
            f"`.device` was {before} while tracing; the trace stores that device as a constant, so on"
            f" {after} the traced module {_traced_phrase(outcome)}."
        )
    elif at.kind in ("tolist", "numpy"):
        what = "values taken out of torch into Python/NumPy"
        why = (
            f"`.{at.kind}()` copied the tensor out of torch ({before}); everything computed from it is a"
            f" constant in the trace, while the counterexample gives {after}."
        )
    elif at.kind == "constructor":
        what = f"a tensor built from traced values ({before})"
        why = (
            f"`torch.tensor(...)` copied {before} into a constant of the trace; the counterexample needs"
            f" {after}."
        )
    else:
        what = f"the Python number {before}"
        why = (
            f"this line turned a tensor into the Python {at.kind} {before} while tracing, and the trace"
            f" keeps it as a constant; the counterexample gives {after}."
        )
    return _Site(at.file, at.line, category, what, why, ("escape",), through_library=not at.direct)


def _escape_category(at: Escape, text: str) -> str:
    statement = _statement_kind(at.file, at.line)
    if at.kind in ("bool", "index", "int", "float", "item"):
        if statement in ("while", "break", "for"):
            return "T4" if at.from_size else "T3"
        if statement == "if" or at.kind == "bool":
            return "T4" if at.from_size else "T1"
        if at.kind == "index" and at.from_size:
            return "T4"
        if "np." in text or "numpy" in text:
            return "T5"
        return "T2"
    return _KIND_CATEGORY.get(at.kind, "T2")


def _statement_kind(file: str, line: int) -> str:
    """``while``, ``for``, ``break`` (an ``if`` whose body breaks), ``if``, or ""."""
    stripped = _code(_source(file, line) or "")
    if stripped.startswith("while "):
        return "while"
    if stripped.startswith(("for ", "async for ")):
        return "for"
    if stripped.startswith(("if ", "elif ")):
        body = stripped.rpartition(":")[2].strip()
        if not body:
            following = line + 1
            while following < line + 5 and not (_source(file, following) or "").strip():
                following += 1
            body = _code(_source(file, following) or "")
        return "break" if body == "break" else "if"
    return ""


def _code(text: str) -> str:
    """A source line without its trailing comment (good enough for one-line statements)."""
    return re.sub(r"\s+#.*$", "", text).strip()


def _condition(text: str) -> str:
    stripped = _code(text)
    for keyword in ("if ", "elif ", "while ", "assert "):
        if stripped.startswith(keyword):
            stripped = stripped[len(keyword):]
            break
    head, sep, tail = stripped.rpartition(":")
    if sep and tail.strip() in ("", "break", "continue", "return", "pass") or (sep and not tail.strip()):
        stripped = head
    return stripped.strip()


def _value_text(escape: Escape | None) -> str:
    if escape is None:
        return "nothing (that trace never got this far)"
    value = escape.value
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, str):
        return value
    return repr(value)


# -- graph constants -------------------------------------------------------------------------


def _graph_site(evidence: Evidence, other: InstrumentedTrace, outcome: Outcome) -> _Site | None:
    mine = evidence.traced_graph
    theirs = evidence.graph_of(other.module)
    if mine is None or theirs is None:
        return None
    pair = _first_constant_difference(mine, theirs)
    if pair is None:
        return None
    node, (before, after) = pair
    if node.source is None:
        return None
    if isinstance(before, _OtherOperation):
        what = "the sequence of operations recorded from here on"
        why = (
            f"traced on the counterexample, the graph differs from this line on ({after!r} where the example's"
            f" trace has {before!r}): this code ran differently for that input (a loop, a branch, or a list of"
            " sizes whose length is the rank), and the trace kept the example's version."
        )
        return _Site(node.source.file, node.source.line, "T4", what, why, ("graph-diff",), through_library=True)
    if isinstance(before, _OperationCount):
        what = "how many times this part ran"
        why = (
            f"traced on the example the graph has {before!r}, traced on the counterexample {after!r}; the"
            " first extra operation comes from this line, so a loop or branch here ran a different number of"
            " times and the trace kept the example's count."
        )
        return _Site(node.source.file, node.source.line, "T4", what, why, ("graph-diff",), through_library=True)
    if node.op == "aten::size":
        what = f"the dimension index {before!r} of a size read"
        why = (
            f"this line reads a size with a negative (or computed) dimension; the trace stored it as"
            f" `aten::size(x, {before!r})` for the rank it saw, so an input of another rank reads dimension"
            f" {before!r} instead of {after!r}. No TracerWarning is shown for this."
        )
        return _Site(node.source.file, node.source.line, "T4", what, why, ("graph-diff",))
    if node.op in _CONSTRUCTOR_OPS or _looks_like_tensor(before):
        category = "T5"
    elif isinstance(before, str) and before.startswith(("cpu", "cuda", "meta")):
        category = "T11"
    else:
        category = "T13"
    before, after = _constant_text(before), _constant_text(after)
    what = f"the constant argument {before} of `{node.op}`"
    why = (
        f"traced on the counterexample, `{node.op}` gets {after} instead of {before}: the value was"
        " computed in Python (or inside torch) and the trace stores it as a constant. A single traced size"
        " passed where torch expects `int[]` is baked in without any warning."
    )
    return _Site(node.source.file, node.source.line, category, what, why, ("graph-diff",))


def _constant_text(value: Any) -> str:
    """A constant as a student would write it: ``[2]`` for an int list, ``2`` for an int."""
    if isinstance(value, tuple):
        return "[" + ", ".join(_constant_text(v) for v in value) + "]"
    return repr(value)


def _looks_like_tensor(value: Any) -> bool:
    return isinstance(value, str) and value.startswith("tensor")


def _signature(g: Graph, node: Node) -> tuple:
    """The op and its constant arguments (lists of constants resolved)."""
    constants: list[Any] = []
    for name in node.inputs:
        producer = g.producer(name)
        if producer is None:
            constants.append("·")
        elif producer.kind is NodeKind.CONSTANT:
            constants.append(producer.attributes.get("value"))
        elif producer.kind is NodeKind.LIST_CONSTRUCT and all(
            (p := g.producer(i)) is not None and p.kind is NodeKind.CONSTANT for i in producer.inputs
        ):
            items = [g.producer(i) for i in producer.inputs]  # all constants, as just checked
            constants.append(tuple(p.attributes.get("value") for p in items if p is not None))
        else:
            constants.append("·")
    return (node.op, tuple(constants))


def _compute_nodes(g: Graph) -> list[Node]:
    return [n for n in g.walk() if n.kind in (NodeKind.OP, NodeKind.PYTHON_OP, NodeKind.CALL_FUNCTION)]


def _first_constant_difference(mine: Graph, theirs: Graph) -> tuple[Node, tuple[Any, Any]] | None:
    a_nodes, b_nodes = _compute_nodes(mine), _compute_nodes(theirs)
    for a, b in zip(a_nodes, b_nodes):
        sig_a, sig_b = _signature(mine, a), _signature(theirs, b)
        if sig_a == sig_b:
            continue
        if sig_a[0] != sig_b[0]:
            return a, (_OtherOperation(sig_a[0]), _OtherOperation(sig_b[0]))
        for x, y in zip(sig_a[1], sig_b[1]):
            if x != y:
                return a, (x, y)
        return a, (sig_a, sig_b)
    if len(a_nodes) != len(b_nodes):
        longer = a_nodes if len(a_nodes) > len(b_nodes) else b_nodes
        extra = longer[min(len(a_nodes), len(b_nodes))]
        return extra, (_OperationCount(len(a_nodes)), _OperationCount(len(b_nodes)))
    return None


@dataclass(frozen=True)
class _OtherOperation:
    """Two traces record different operations at the same position."""

    op: str

    def __repr__(self) -> str:
        return f"`{self.op}`"


@dataclass(frozen=True)
class _OperationCount:
    """Two traces differ in length, not in a constant: a loop or branch ran differently."""

    count: int

    def __repr__(self) -> str:
        return f"{self.count} operations"


# -- mode, optional arguments, lint ----------------------------------------------------------


def _training_site(outcome: Outcome, evidence: Evidence) -> _Site | None:
    """The line whose behaviour depends on the mode, or ``None`` when nothing does."""
    candidates: list[tuple[str, int, str]] = []
    for hit in evidence.lint:
        if hit.category == "T7":
            candidates.append((hit.file, hit.line, hit.message))
    if evidence.traced_graph is not None:
        g = evidence.traced_graph
        for node in g.walk():
            if node.op in _TRAINING_OPS and node.source is not None and _has_true_constant(g, node):
                candidates.append((node.source.file, node.source.line, f"`{node.op}` was recorded with training=True"))
    if not candidates:
        return None
    file, line, message = sorted(candidates)[0]
    evidence_kind = ("lint",) if any(h.line == line and h.file == file for h in evidence.lint) else ("traced-graph",)
    return _Site(
        file,
        line,
        "T7",
        "training-mode behaviour (dropout, batch-norm statistics, `self.training` branches)",
        f"the model was in training mode while tracing ({message}); calling `.eval()` on the traced module"
        f" does not change its graph, so after `.eval()` eager gives {outcome.eager} while the traced"
        f" module {_traced_phrase(outcome)}.",
        evidence_kind,
    )


def _has_true_constant(g: Graph, node: Node) -> bool:
    for name in node.inputs:
        producer = g.producer(name)
        if producer is not None and producer.kind is NodeKind.CONSTANT and producer.attributes.get("value") is True:
            return True
    return False


def _optional_site(outcome: Outcome, evidence: Evidence) -> _Site:
    names = tuple(outcome.variant.extra_kwargs)
    name = names[0] if names else "?"
    hit = next((h for h in evidence.lint if h.rule == "optional-argument" and name in h.names), None)
    file, line = (hit.file, hit.line) if hit else evidence.entry
    return _Site(
        file,
        line,
        "T10",
        f"the argument `{name}`",
        f"the trace was recorded without `{name}`, so the traced module never runs the code that uses it:"
        f" with `{name}` given, eager gives {outcome.eager} while the traced module {_traced_phrase(outcome)}.",
        ("lint",) if hit else (),
    )


def _lint_site(outcome: Outcome, evidence: Evidence, *, stateful: bool) -> _Site | None:
    """The first lint hit of the categories this kind of divergence points to.

    A repeated-call divergence that starts on a later call points to state (T6, T8); one
    that starts on the first call, like any other input, to the default order.
    """
    kind = outcome.variant.kind
    if kind == VariantKind.REPEAT and not stateful:
        kind = VariantKind.VALUE  # wrong from the first call: not a matter of state
    order = _LINT_PRIORITY.get(kind, _DEFAULT_LINT_PRIORITY)
    for category in order:
        hits = [h for h in evidence.lint if h.category == category]
        if not hits:
            continue
        hit = hits[0]
        if category in ("T6", "T8") and stateful:
            why = (
                f"{hit.message}. On call {outcome.call + 1} eager PyTorch gives {outcome.eager}, while the traced"
                f" module replays what it saw while tracing and {_traced_phrase(outcome)}."
            )
        elif category == "T12":
            why = (
                f"{hit.message}: the trace recorded the tracing path, and eager PyTorch takes the other one;"
                f" {_diverged_clause(outcome)}"
            )
        else:
            why = f"{hit.message}; {_diverged_clause(outcome)}"
        what = {
            "T6": "Python state or a Python random draw",
            "T8": "an update the tracer cannot see",
            "T12": "the `is_tracing()` decision",
        }.get(category, CATEGORIES[category].name)
        return _Site(hit.file, hit.line, category, what, why, ("lint",))
    return None


# ---------------------------------------------------------------------------------------------
# Suspected findings
# ---------------------------------------------------------------------------------------------


def suspected_findings(evidence: Evidence, *, taken: Iterable[tuple[str, int]]) -> list[Finding]:
    """Signals no input proved, one finding per line not already covered by a proven one."""
    covered = set(taken)
    found: dict[tuple[str, int], Finding] = {}

    def add(file: str, line: int, category: str, what: str, why: str, kind: str) -> None:
        key = (file, line)
        if key in covered or key in evidence.outside:
            return
        existing = found.get(key)
        if existing is not None:
            found[key] = Finding(
                existing.category, SUSPECTED, file, line, existing.source_line, existing.what, existing.why,
                existing.fix, None, _ordered(existing.evidence + (kind,)),
            )
            return
        found[key] = Finding(category, SUSPECTED, file, line, _source(file, line), what, why, CATEGORIES[category].fix, None, (kind,))

    for escape in evidence.example.escapes:
        if not escape.direct:
            continue  # made inside a torch function called from this line: not the user's choice
        text = _source(escape.file, escape.line) or ""
        category = _escape_category(escape, text)
        add(
            escape.file,
            escape.line,
            category,
            f"a Python value read from a tensor ({escape.kind} = {_value_text(escape)})",
            f"while tracing, this line turned a traced value into the Python {escape.kind} {_value_text(escape)},"
            " which the trace keeps as a constant. No generated input changed the output, so it may be"
            " harmless (a shape check, a value that never changes).",
            "escape",
        )
    for warning in evidence.example.warnings:
        add(
            warning.file,
            warning.line,
            _warning_category(warning),
            "a value the tracer could not follow",
            f"TracerWarning{' (raised inside torch, hidden by default)' if warning.hidden_by_torch else ''}:"
            f" {_short(warning.message.strip().splitlines()[0])} No generated input changed the output.",
            "tracer-warning",
        )
    for (file, line), node in sorted(evidence.lost_control_flow.items()):
        add(
            file,
            line,
            "T3" if node.kind is NodeKind.LOOP else "T1",
            "control flow the trace flattened",
            f"the scripted graph keeps a `{node.op}` here; the trace recorded only the path the example took."
            " No generated input took another path.",
            "script-ir",
        )
    for hit in evidence.lint:
        if hit.rule == "optional-argument" and set(hit.names) <= evidence.provided:
            continue  # the example passed it
        if hit.category == "T7" and not evidence.training:
            continue  # traced in eval mode: the mode the trace keeps is the one it is used in
        if hit.category in ("T6", "T7", "T8", "T10", "T12"):
            add(hit.file, hit.line, hit.category, CATEGORIES[hit.category].name, f"{hit.message}. No generated input showed a difference.", "lint")
    return [found[key] for key in sorted(found)]


def _warning_category(warning: TracerWarningRecord) -> str:
    message = warning.message
    if "boolean" in message:
        return "T1"
    if "len" in message or "Iterating" in message:
        return "T4"
    if "NumPy" in message or "list" in message or "registered as constants" in message:
        return "T5"
    if "resize" in message or "live references" in message:
        return "T8"
    return "T2"


def _short(message: str) -> str:
    first = message.split(". ")[0].strip()
    return first if first.endswith(".") else first + "."


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------

_EVIDENCE_ORDER = ("differential", "escape", "tracer-warning", "graph-diff", "lint", "script-ir", "traced-graph")


def _ordered(kinds: Iterable[str]) -> tuple[str, ...]:
    unique = set(kinds)
    return tuple(k for k in _EVIDENCE_ORDER if k in unique)


def _corroboration(file: str, line: int, evidence: Evidence) -> tuple[str, ...]:
    kinds = []
    if any(e.file == file and e.line == line for e in evidence.example.escapes):
        kinds.append("escape")
    if any(w.file == file and w.line == line for w in evidence.example.warnings):
        kinds.append("tracer-warning")
    if any(h.file == file and h.line == line for h in evidence.lint):
        kinds.append("lint")
    if (file, line) in evidence.lost_control_flow:
        kinds.append("script-ir")
    return tuple(kinds)


def _source(file: str, line: int) -> str | None:
    return linecache.getline(file, line).strip() or None


def entry_location(fn: Any) -> tuple[str, int]:
    """``(file, line)`` of a function's ``def`` (or its first line), for the last resort."""
    found = function_source(getattr(fn, "forward", fn))
    if found is None:
        return ("<unknown>", 0)
    file, start, lines = found
    offset = next((i for i, text in enumerate(lines) if text.lstrip().startswith(("def ", "async def "))), 0)
    return (file, start + offset)
