"""``check_script``: every construct of a model that does not script, at once, and which submodules do.

Why: ``torch.jit.script`` stops at the first construct it cannot compile, so fixing a model is a
loop of "fix one line, run again, read a new error". ``check_script`` runs that loop for the
student, on copies, and reports all of it:

1. the module tree is walked bottom-up (children before their parent), and each submodule is
   scripted on its own: its verdict says whether it scripts, which is what a hybrid needs
   (script the parts that compile, trace the rest);
2. a submodule that fails is explained (:func:`explain_failure`), then the method or attribute
   the failure is in is set aside (:mod:`toolkit.analysis.script_errors.set_aside`) and the
   submodule scripted again, until it compiles; each round gives one more finding;
3. a parent is checked with its failing children replaced by their set-aside copies, so its own
   constructs are found, not its children's again.

Limits, honestly: a method is set aside whole, so a method with two bad lines reports the first
only (fix it and check again); a failure that names neither a method nor an attribute of the
module cannot be set aside, so that submodule's check stops there (the report says "partial");
each submodule is checked at most ``max_rounds`` times. Findings shared by several instances of
one class are listed once; every instance still gets its verdict.
"""

from __future__ import annotations

import re
import types
import warnings
from dataclasses import dataclass, field
from typing import Any, Iterable

import torch

from toolkit.analysis.script_errors.explain import ScriptFailure, explain_failure
from toolkit.analysis.script_errors.locate import locate_frames, candidate_files
from toolkit.analysis.script_errors.message import parse_message
from toolkit.analysis.script_errors.set_aside import (
    method_covering,
    opaque_copy,
    with_children,
    with_set_aside,
)
from toolkit.capture import script
from toolkit.errors import NotTorchScriptError, ScriptingError, ViewOptionError, message_first

__all__ = ["ScriptReport", "SubmoduleVerdict", "check_script"]


@dataclass(frozen=True)
class SubmoduleVerdict:
    """Whether one submodule scripts on its own.

    Attributes:
        path: its attribute path (``""`` for the model itself, ``"encoder.layer.0"``...).
        type_name: its class name.
        scripts: True when ``torch.jit.script`` compiles it (and everything under it).
        failure: when it does not, the first reason: its own, or a child's when it has none.
    """

    path: str
    type_name: str
    scripts: bool
    failure: ScriptFailure | None = None

    @property
    def label(self) -> str:
        return self.path or "(model)"


@dataclass(frozen=True)
class ScriptReport:
    """What :func:`check_script` found.

    Attributes:
        name: the model's class (or function) name.
        findings: every distinct construct that does not script, bottom-up (children first).
        submodules: every submodule's verdict, in ``named_modules`` order (the model first);
            empty for a function.
        partial: True when some submodule's check stopped before it compiled (see the limits).
        hybrid: the paths a hybrid could script: the largest subtrees that script, under a parent
            that does not, leaving out torch's own layers (a scripted ``Linear`` gains nothing).
        scripted: the scripted model when it scripts as it is, else ``None``.
    """

    name: str
    findings: tuple[ScriptFailure, ...]
    submodules: tuple[SubmoduleVerdict, ...] = ()
    partial: bool = False
    hybrid: tuple[str, ...] = ()
    scripted: Any = field(default=None, repr=False, compare=False)

    @property
    def ok(self) -> bool:
        """True when the model scripts as it is."""
        return not self.findings and not self.partial

    @property
    def scripting(self) -> tuple[SubmoduleVerdict, ...]:
        return tuple(v for v in self.submodules if v.scripts)

    @property
    def failing(self) -> tuple[SubmoduleVerdict, ...]:
        return tuple(v for v in self.submodules if not v.scripts)

    def __str__(self) -> str:
        from toolkit.render.script_report import script_report_text  # display hook: render draws, analysis explains

        return script_report_text(self)

    def __repr__(self) -> str:
        state = "ok" if self.ok else f"{len(self.findings)} construct(s) that do not script"
        return f"<ScriptReport {self.name}: {state}>"

    def _repr_mimebundle_(self, include: Iterable[str] | None = None, exclude: Iterable[str] | None = None) -> dict:
        from toolkit.render.script_report import script_report_bundle  # display hook: the one display path

        return script_report_bundle(self, include=include, exclude=exclude)


@message_first
def check_script(model: Any, *, max_rounds: int = 12) -> ScriptReport:
    """Script ``model`` and report every construct that does not compile, with each submodule's verdict.

    Args:
        model: an ``nn.Module``, a function or a class.
        max_rounds: how many times one submodule is scripted again after setting a part aside.

    Raises:
        NotTorchScriptError: ``model`` is not something ``torch.jit.script`` compiles.
        ViewOptionError: ``max_rounds`` is not a positive int.
    """
    _check_max_rounds(max_rounds)
    name = _name_of(model)
    if not isinstance(model, torch.nn.Module):
        if not (isinstance(model, type) or isinstance(model, (types.FunctionType, types.MethodType))):
            raise NotTorchScriptError(
                f"check_script needs an nn.Module, a function or a class to compile, not {type(model).__name__}"
                f" ({_short_repr(model)}). Fix: pass the model itself, e.g. toolkit.check_script(model)."
            )
        try:
            return ScriptReport(name=name, findings=(), scripted=script(model).module)
        except ScriptingError as exc:
            return ScriptReport(name=name, findings=(explain_failure(model, _torch_error(exc)),))
    try:
        return ScriptReport(
            name=name,
            findings=(),
            submodules=tuple(SubmoduleVerdict(p, type(m).__name__, True) for p, m in model.named_modules()),
            scripted=script(model).module,
        )
    except ScriptingError:
        pass
    return _check_tree(model, name, max_rounds=max_rounds)


def _check_max_rounds(max_rounds: object) -> None:
    """Refuse a ``max_rounds`` that is not a positive int (a bool is not a count)."""
    if isinstance(max_rounds, bool) or not isinstance(max_rounds, int):
        raise ViewOptionError(
            f"check_script: max_rounds={max_rounds!r} is not an int ({type(max_rounds).__name__});"
            " it counts how many times one submodule is scripted again."
            " Fix: pass a positive int, for example max_rounds=12 (the default)."
        )
    if max_rounds < 1:
        raise ViewOptionError(
            f"check_script: max_rounds={max_rounds!r} must be a positive int (at least 1):"
            " with no rounds nothing is scripted again. Fix: pass max_rounds=1 or more (the default is 12)."
        )


@dataclass
class _Checked:
    """One submodule after its check: the copy that compiles (or an opaque one) and what it cost."""

    stand_in: torch.nn.Module
    own: list[ScriptFailure]
    settled: bool


def _check_tree(model: torch.nn.Module, name: str, *, max_rounds: int) -> ScriptReport:
    checked: dict[str, _Checked] = {}
    paths = [path for path, _ in model.named_modules()]
    modules = dict(model.named_modules())
    for path in sorted(paths, key=lambda p: -_depth(p)):  # children first; stable within a depth
        module = modules[path]
        replacements = {
            child: checked[_join(path, child)].stand_in
            for child, _ in module.named_children()
            if _subtree_fails(_join(path, child), checked)
        }
        checked[path] = _check_module(module, with_children(module, replacements), max_rounds=max_rounds)
    findings: list[ScriptFailure] = []
    seen: set[tuple] = set()
    for path in sorted(paths, key=lambda p: -_depth(p)):
        for failure in checked[path].own:
            key = _key(failure)
            if key not in seen:
                seen.add(key)
                findings.append(failure)
    verdicts = []
    for path in paths:
        fails = _subtree_fails(path, checked)
        verdicts.append(
            SubmoduleVerdict(
                path=path,
                type_name=type(modules[path]).__name__,
                scripts=not fails,
                failure=_first_failure(path, checked, paths) if fails else None,
            )
        )
    partial = any(not c.settled for c in checked.values())
    failing = {v.path for v in verdicts if not v.scripts}
    hybrid = tuple(
        v.path
        for v in verdicts
        if v.scripts and v.path and v.path.rpartition(".")[0] in failing and not _is_torch_layer(modules[v.path])
    )
    return ScriptReport(
        name=name, findings=tuple(findings), submodules=tuple(verdicts), partial=partial, hybrid=hybrid
    )


def _is_torch_layer(module: torch.nn.Module) -> bool:
    return type(module).__module__.startswith("torch.")


def _check_module(original: torch.nn.Module, module: torch.nn.Module, *, max_rounds: int) -> _Checked:
    """Script ``module`` (``original`` with failing children swapped), setting aside what fails, round by round.

    A failing method is first marked unused (its signature still compiles, so callers keep its
    defaults); if it fails again, its signature is the problem and it is ignored instead. A
    failure caused by a set-aside part itself (an ignored method whose defaults TorchScript
    dropped) is not a finding: the calling method is set aside and the check marked unsettled.
    """
    ignored: list[str] = []
    unused: list[str] = []
    attributes: list[str] = []
    own: list[ScriptFailure] = []
    artefact = False
    for _ in range(max_rounds):
        candidate = with_set_aside(module, methods=ignored, attributes=attributes, unused=unused)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                script(candidate)
            return _Checked(stand_in=candidate, own=own, settled=not artefact)
        except ScriptingError as exc:
            error = _torch_error(exc)
            part = _part_to_set_aside(original, error)
            if _is_set_aside_artefact(error):
                artefact = True
            else:
                failure = explain_failure(original, error)
                if _key(failure) not in {_key(f) for f in own}:
                    own.append(failure)
            if part is None:
                break
            kind, name = part
            if kind == "attribute":
                if name in attributes:
                    break
                attributes.append(name)
            elif name in ignored:
                break
            elif name in unused:
                unused.remove(name)
                ignored.append(name)
            else:
                unused.append(name)
    return _Checked(stand_in=opaque_copy(module), own=own, settled=False)


def _is_set_aside_artefact(error: BaseException) -> bool:
    """A failure in a call to an ignored stand-in (TorchScript's lazy binding of ignored methods)."""
    return "lazy_binding_method" in str(error)


_ATTRIBUTE_IN_MESSAGE = (
    re.compile(r"Could not cast attribute '(?P<attr>\w+)'"),
    re.compile(r"Module '\w+' has no attribute '(?P<attr>\w+)' \(This (attribute|function) exists"),
)
_CONFIG_INIT = re.compile(r"Failed to get source for <function (?P<cls>[\w.]+)\.__init__")


def _part_to_set_aside(module: torch.nn.Module, error: BaseException) -> tuple[str, str] | None:
    """``("attribute", name)`` or ``("method", name)`` of ``module`` that ``error`` is in, or ``None``."""
    text = str(error)
    for pattern in _ATTRIBUTE_IN_MESSAGE:
        found = pattern.search(text)
        if found and found.group("attr") in vars(module):
            return ("attribute", found.group("attr"))
    config = _CONFIG_INIT.search(text)
    if config:
        for attr, value in vars(module).items():
            if type(value).__qualname__ == config.group("cls"):
                return ("attribute", attr)
    message = parse_message(text)
    for location in locate_frames(message.frames, candidate_files(module)):
        method = method_covering(type(module), location.file, location.line)
        if method is not None:
            return ("method", method)
    return None


def _key(failure: ScriptFailure) -> tuple:
    return (failure.category, failure.file, failure.line, failure.construct)


def _torch_error(exc: ScriptingError) -> BaseException:
    return exc.__cause__ if exc.__cause__ is not None else exc


def _subtree_fails(path: str, checked: dict[str, _Checked]) -> bool:
    prefix = f"{path}." if path else ""
    return any((p == path or p.startswith(prefix)) and (c.own or not c.settled) for p, c in checked.items())


def _first_failure(path: str, checked: dict[str, _Checked], paths: list[str]) -> ScriptFailure | None:
    if checked[path].own:
        return checked[path].own[0]
    prefix = f"{path}." if path else ""
    for p in paths:
        if p.startswith(prefix) and p != path and checked[p].own:
            return checked[p].own[0]
    return None


def _depth(path: str) -> int:
    return 0 if not path else path.count(".") + 1


def _join(parent: str, child: str) -> str:
    return f"{parent}.{child}" if parent else child


def _name_of(obj: Any) -> str:
    if isinstance(obj, torch.nn.Module):
        return type(obj).__name__
    return getattr(obj, "__qualname__", None) or type(obj).__name__


def _short_repr(obj: Any) -> str:
    text = repr(obj)
    return text if len(text) <= 40 else text[:37] + "..."
