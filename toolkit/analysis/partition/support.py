"""What an accelerator can run, and why it cannot: small composable support rules over IR nodes.

A partitioner asks one question of every compute node: may it go to the accelerator? The
answer here is a :class:`Verdict` carrying exactly one :class:`Reason` code when the answer is
no, so every op left on the CPU can say why (the gap torch-neuron's logs and Torch-TensorRT's
partitioner leave open). Rules are tiny callables, shaped like torch.fx's ``OperatorSupport``
and ``chain``: each rule looks at a :class:`NodeInfo` and either accepts or rejects with its own
reason, and :func:`chain` asks them in order so the first rejection wins.

``NodeInfo`` is also what torch-neuron's ``subgraph_builder_function`` receives: ``node.name`` is
the tuple of module class names the node sits in, root first, so the seed's
``'ExampleConvolutionLayer' in node.name`` works unchanged.

The rules never look at torch objects, only at the IR, so they run anywhere.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Callable, Iterable, Protocol, Union

from toolkit.errors import PartitionError, ToolkitError
from toolkit.ir.model import Node, Scope, SourceLocation

__all__ = [
    "Reason",
    "REASON_TEXT",
    "NodeInfo",
    "Verdict",
    "SupportRule",
    "SUPPORTED",
    "TorchScriptCoverage",
    "AllowOps",
    "ExcludeOps",
    "ExcludeModules",
    "Predicate",
    "UserFunction",
    "UserSelection",
    "Chain",
    "chain",
    "allow_ops",
    "exclude_ops",
    "exclude_modules",
    "profile",
    "PROFILES",
    "NEURON_LIKE_OPS",
    "as_rule",
]


class Reason(str, enum.Enum):
    """Why a compute node runs on the CPU: exactly one code per node.

    Members are listed in the order the partitioner decides them; a node gets the first that
    applies.
    """

    UNSUPPORTED = "unsupported"
    EXCLUDED_OP = "excluded-op"
    EXCLUDED_MODULE = "excluded-module"
    USER_EXCLUDED = "user-excluded"
    HOST_ONLY = "host-only"
    NON_TENSOR = "non-tensor"
    MIN_SEGMENT = "min-segment-size"
    COMPILE_FAILED = "compile-failed"
    FOLLOWS_CONSUMERS = "follows-consumers"

    def __str__(self) -> str:
        return self.value


REASON_TEXT: dict[Reason, str] = {
    Reason.UNSUPPORTED: "the backend cannot run this op",
    Reason.EXCLUDED_OP: "its op kind was excluded by the caller",
    Reason.EXCLUDED_MODULE: "it sits in a module class the caller excluded",
    Reason.USER_EXCLUDED: "subgraph_builder_function returned False for it",
    Reason.HOST_ONLY: "it produces host values from tensor data or is control flow / Python",
    Reason.NON_TENSOR: "it consumes a host value an accelerator segment cannot take as input",
    Reason.MIN_SEGMENT: "its accelerator segment had fewer compute ops than minimum_segment_size",
    Reason.COMPILE_FAILED: "its segment failed to compile, so it fell back to the CPU",
    Reason.FOLLOWS_CONSUMERS: "a free op (view, shape or packing) placed next to the ops using it",
}


@dataclass(frozen=True)
class NodeInfo:
    """One node as support rules and ``subgraph_builder_function`` see it.

    Attributes:
        id: the IR node id (``"n13"``) in ``toolkit.ir.graph(traced, inlined=True)``.
        kind: the op string, ``"aten::_convolution"``.
        name: module class names the node sits in, root first:
            ``("Model", "ExampleConvolutionLayer", "Conv2d")``; torch-neuron's ``node.name``.
        scope: the full :class:`~toolkit.ir.model.Scope` (attribute path and class names).
        path: the dotted attribute path of the module (``"layer.conv"``; ``""`` for the root).
        source: the user's source line, where torch recorded one.
        input_types: TorchScript types of the inputs (``"Tensor"``, ``"int"``, ...).
        output_types: TorchScript types of the outputs.
        node: the IR node itself, for rules that need more.
    """

    id: str
    kind: str
    name: tuple[str, ...]
    scope: Scope
    path: str
    source: SourceLocation | None
    input_types: tuple[str, ...]
    output_types: tuple[str, ...]
    node: Node

    @property
    def line(self) -> int | None:
        """The source line number, or ``None``."""
        return self.source.line if self.source is not None else None

    @property
    def where(self) -> str:
        """``file.py:12`` (base name), or the scope path, for messages."""
        if self.source is not None:
            return self.source.short
        return self.path or "<root>"


@dataclass(frozen=True)
class Verdict:
    """A rule's answer: supported, or not with one reason and a short human detail."""

    supported: bool
    reason: Reason | None = None
    detail: str = ""


SUPPORTED = Verdict(True)


class SupportRule(Protocol):
    """Anything callable as ``rule(node_info) -> Verdict`` with a readable ``label``."""

    # Read-only: the concrete rules are frozen dataclasses (and ``Chain`` derives its label),
    # so the protocol must not demand a settable attribute.
    @property
    def label(self) -> str: ...

    def __call__(self, node: NodeInfo) -> Verdict: ...


# ---------------------------------------------------------------------------------------------
# The rules
# ---------------------------------------------------------------------------------------------

# Ops that exist in aten but only make sense on the host or on CPU-only libraries.
_HOST_LIBRARY_PREFIXES = ("aten::fbgemm_", "aten::mkldnn_", "aten::_nnpack", "aten::to_mkldnn")
_HOST_ONLY_OPS = frozenset(
    {
        "aten::_local_scalar_dense",
        "aten::item",
        "aten::tolist",
        "aten::to_sparse",
        "aten::numpy_T",
    }
)


@dataclass(frozen=True)
class TorchScriptCoverage:
    """The real coverage of the TorchScript backend (CUDA or CPU segments).

    A TorchScript segment on CUDA runs any ``aten::`` operator that has tensor outputs, except
    those tied to CPU-only libraries (fbgemm, mkldnn, nnpack) and host conversions. Everything
    else (custom namespaces, ``quantized::``) stays on the CPU. The compile step then checks
    each segment on the device for real, so a gap this rule misses still falls back.
    """

    label: str = "torchscript"

    def __call__(self, node: NodeInfo) -> Verdict:
        if not node.kind.startswith("aten::"):
            return Verdict(False, Reason.UNSUPPORTED, f"{node.kind.split('::')[0]}:: ops run on the CPU")
        if node.kind in _HOST_ONLY_OPS or node.kind.startswith(_HOST_LIBRARY_PREFIXES):
            return Verdict(False, Reason.UNSUPPORTED, f"{node.kind} has no accelerator kernel")
        if not any("Tensor" in t for t in node.output_types):
            return Verdict(False, Reason.UNSUPPORTED, f"{node.kind} returns no tensor")
        return SUPPORTED


@dataclass(frozen=True)
class AllowOps:
    """Supported only if the op kind is in ``kinds`` (an accelerator compiler's op list)."""

    kinds: frozenset[str]
    label: str = "allow-list"

    def __call__(self, node: NodeInfo) -> Verdict:
        if node.kind in self.kinds:
            return SUPPORTED
        return Verdict(False, Reason.UNSUPPORTED, f"{node.kind} is not in the {self.label} op list")


@dataclass(frozen=True)
class ExcludeOps:
    """Reject these op kinds (Torch-TensorRT's ``torch_executed_ops``)."""

    kinds: frozenset[str]
    label: str = "exclude-ops"

    def __call__(self, node: NodeInfo) -> Verdict:
        if node.kind in self.kinds:
            return Verdict(False, Reason.EXCLUDED_OP, f"{node.kind} was excluded")
        return SUPPORTED


@dataclass(frozen=True)
class ExcludeModules:
    """Reject nodes inside these modules, by class name or dotted attribute path
    (Torch-TensorRT's ``torch_executed_modules``)."""

    modules: frozenset[str]
    label: str = "exclude-modules"

    def __call__(self, node: NodeInfo) -> Verdict:
        for class_name in node.name:
            if class_name in self.modules:
                return Verdict(False, Reason.EXCLUDED_MODULE, f"inside excluded module class {class_name}")
        parts = node.scope.path
        for i in range(1, len(parts) + 1):
            prefix = ".".join(parts[:i])
            if prefix in self.modules:
                return Verdict(False, Reason.EXCLUDED_MODULE, f"inside excluded module {prefix}")
        return SUPPORTED


def _ask(fn: Callable[[NodeInfo], object], node: NodeInfo, argument: str) -> object:
    """``fn(node)``; an exception inside the caller's function becomes a PartitionError naming it."""
    try:
        return fn(node)
    except ToolkitError:
        raise
    except Exception as error:  # noqa: BLE001 - the caller's own function: any error is theirs
        raise PartitionError(
            f"{argument} raised {type(error).__name__} on the node {node.kind}: {error}. It is called once"
            f" per compute node and must return True or False. Fix: make {argument} return a bool for"
            " every node (node.kind, node.name, node.scope, node.path, node.source)."
        ) from error


@dataclass(frozen=True)
class Predicate:
    """A caller's ``node -> bool`` describing what the backend supports."""

    fn: Callable[[NodeInfo], object]
    label: str = "predicate"

    def __call__(self, node: NodeInfo) -> Verdict:
        answer = _ask(self.fn, node, "the supported= predicate")
        if isinstance(answer, Verdict):
            return answer
        if answer:
            return SUPPORTED
        return Verdict(False, Reason.UNSUPPORTED, f"the supported= predicate rejected {node.kind}")


@dataclass(frozen=True)
class UserFunction:
    """torch-neuron's ``subgraph_builder_function(node) -> bool``: False keeps it on the CPU."""

    fn: Callable[[NodeInfo], object]
    label: str = "subgraph_builder_function"

    def __call__(self, node: NodeInfo) -> Verdict:
        if _ask(self.fn, node, "subgraph_builder_function"):
            return SUPPORTED
        return Verdict(False, Reason.USER_EXCLUDED, f"subgraph_builder_function returned False for {node.kind}")


@dataclass(frozen=True)
class UserSelection:
    """torch-neuron's ``subgraph_builder_function`` as ``trace`` uses it: it *replaces* the default
    selection (``supported=``) within what the backend can run at all.

    True puts the node on the accelerator even where ``supported=`` (a profile, an op list, an
    exclusion) would not; the backend's real coverage (``coverage``, e.g. no ``prim::`` op, no op
    without a tensor output) still applies, because a node outside it could not be compiled.
    False keeps it on the CPU with reason ``user-excluded``.

    Why: the seed says the function returns "whether it should be included in the fused Neuron
    graph", and that "by default" the partitioner selects every supported op: the function is the
    selection, not a filter after it. Where the accelerator then fails on a node, the segment fails
    to compile and falls back, as on Inferentia. :class:`UserFunction` is the filter-only form, for
    :func:`chain`.
    """

    fn: Callable[[NodeInfo], object]
    coverage: SupportRule
    default: SupportRule

    @property
    def label(self) -> str:
        return f"subgraph_builder_function (over {self.default.label})"

    def __call__(self, node: NodeInfo) -> Verdict:
        if not _ask(self.fn, node, "subgraph_builder_function"):
            return Verdict(False, Reason.USER_EXCLUDED, f"subgraph_builder_function returned False for {node.kind}")
        return self.coverage(node)


@dataclass(frozen=True)
class Chain:
    """Ask each rule in order; the first rejection is the answer (torch.fx's ``chain``)."""

    rules: tuple[SupportRule, ...]

    @property
    def label(self) -> str:
        return " + ".join(r.label for r in self.rules)

    def __call__(self, node: NodeInfo) -> Verdict:
        for rule in self.rules:
            verdict = rule(node)
            if not verdict.supported:
                return verdict
        return SUPPORTED


def chain(*rules: SupportRule) -> Chain:
    """Combine rules; the first rejection wins, so order them by how fundamental they are."""
    flat: list[SupportRule] = []
    for rule in rules:
        flat.extend(rule.rules if isinstance(rule, Chain) else (rule,))
    return Chain(tuple(flat))


def allow_ops(kinds: Iterable[str], *, label: str = "allow-list") -> AllowOps:
    """A rule accepting only these op kinds (``{"aten::_convolution", ...}``)."""
    return AllowOps(frozenset(_check_kinds(kinds, "allow_ops")), label)


def exclude_ops(kinds: Iterable[str]) -> ExcludeOps:
    """A rule rejecting these op kinds with reason ``excluded-op``."""
    return ExcludeOps(frozenset(_check_kinds(kinds, "exclude_ops")))


def exclude_modules(modules: Iterable[str]) -> ExcludeModules:
    """A rule rejecting nodes inside these module classes or attribute paths."""
    return ExcludeModules(frozenset(modules))


def _check_kinds(kinds: Iterable[str], where: str) -> list[str]:
    if isinstance(kinds, str):
        raise PartitionError(
            f"{where}() got the string {kinds!r}; it takes a collection of op kinds."
            f" Fix: {where}({{{kinds!r}}})."
        )
    out = list(kinds)
    bad = [k for k in out if not isinstance(k, str) or "::" not in k]
    if bad:
        raise PartitionError(
            f"{where}() got {bad!r}, which are not op kinds. Op kinds look like 'aten::relu'"
            " (namespace::name); see toolkit.partition.analyze_model(...) for the kinds in your model."
        )
    return out


# An illustrative accelerator-compiler allow list shaped like torch-neuron's documented operator
# list: dense arithmetic, convolutions, pooling, norms, activations and tensor shuffling, but no
# special functions, sorting, sampling or data-dependent shapes.
NEURON_LIKE_OPS = frozenset(
    "aten::" + name
    for name in (
        "_convolution conv1d conv2d conv3d linear addmm matmul mm bmm baddbmm einsum "
        "add add_ sub sub_ mul mul_ div div_ neg pow sqrt rsqrt exp log abs clamp clamp_ "
        "relu relu_ gelu tanh sigmoid silu hardtanh hardtanh_ leaky_relu elu softplus "
        "softmax log_softmax layer_norm batch_norm group_norm instance_norm dropout "
        "max_pool1d max_pool2d avg_pool1d avg_pool2d adaptive_avg_pool1d adaptive_avg_pool2d "
        "adaptive_max_pool2d upsample_nearest2d upsample_bilinear2d "
        "mean sum max min amax amin "
        "cat stack chunk split transpose permute contiguous view reshape flatten squeeze unsqueeze "
        "expand expand_as select slice narrow t embedding to detach zeros ones zeros_like ones_like "
        "where masked_fill"
    ).split()
)

PROFILES: dict[str, Callable[[], SupportRule]] = {
    "cuda": lambda: TorchScriptCoverage(label="cuda"),
    "cpu": lambda: TorchScriptCoverage(label="cpu"),
    "torchscript": lambda: TorchScriptCoverage(),
    "neuron-like": lambda: AllowOps(NEURON_LIKE_OPS, label="neuron-like"),
}


def profile(name: str) -> SupportRule:
    """The named backend profile: ``"cuda"``, ``"cpu"``, ``"torchscript"`` or ``"neuron-like"``."""
    try:
        return PROFILES[name]()
    except KeyError:
        from toolkit.errors import PartitionError

        raise PartitionError(
            f"unknown backend profile {name!r}; known profiles: {sorted(PROFILES)}."
            " Fix: pass one of those, a set of op kinds, or a predicate node -> bool."
        ) from None


SupportSpec = Union[None, str, Iterable[str], Callable[[NodeInfo], object]]


def as_rule(supported: SupportSpec, *, default: str) -> SupportRule:
    """Turn ``trace(supported=...)`` into a rule.

    Args:
        supported: ``None`` (the backend's real coverage), a profile name, a collection of op
            kinds, a rule, or a predicate ``node -> bool``.
        default: the profile used for ``None``.
    """
    if supported is None:
        return profile(default)
    if isinstance(supported, str):
        return profile(supported)
    if isinstance(supported, (TorchScriptCoverage, AllowOps, ExcludeOps, ExcludeModules, Chain, Predicate, UserFunction, UserSelection)):
        return supported
    if callable(supported):
        return Predicate(supported, label=getattr(supported, "__name__", "predicate"))
    if not isinstance(supported, (list, tuple, set, frozenset)):
        raise PartitionError(
            f"supported= must be None, a profile name, a collection of op kinds, a support rule or a"
            f" predicate node -> bool, not {type(supported).__name__} ({str(supported)[:60]})."
            " Fix: supported='cuda', supported={'aten::relu', 'aten::linear'} or supported=lambda node: ..."
        )
    return allow_ops(supported, label="supported=")
