"""One scripting failure, explained: the construct, its category, the user's line, the reason, the fix.

Why: ``torch.jit.script`` stops with a message written for the compiler's authors. A student
needs four things from it: what on which line of *their* code, why TorchScript refuses it, and
what to write instead. :func:`explain_failure` turns torch's exception into a
:class:`ScriptFailure` holding exactly that, with torch's whole message kept beside it.

It never raises: a message no rule recognises is labelled "not recognised", placed at the
user's line when one can be found, and carries torch's message untouched; it guesses nothing.

Two torch behaviours are undone on the way: a frame that names a decorator's file is moved to
the real file (:mod:`~toolkit.analysis.script_errors.locate`), and "Can't redefine method", which
torch says when an earlier failed ``torch.jit.script`` of the same class left a half-built type in
its cache, is replaced by the real error, found by compiling once more with that cache entry set
aside (and put back: explaining changes nothing for later calls). Torch's first message is kept.
A third is undone before anything else: a kept torch error holds a frame whose local keeps an
entry on torch's compiler call stack, so the next, unrelated failure would quote this one's line
as its caller; the frames are released first (:func:`toolkit.capture.release_compile_frames`).
"""

from __future__ import annotations

import linecache
import os
import re
import sys
from dataclasses import dataclass
from typing import Any

import torch

from toolkit.analysis.script_errors.categories import CATEGORIES, NOT_RECOGNISED
from toolkit.analysis.script_errors.locate import (
    EnclosingClass,
    Location,
    assignment_location,
    call_into,
    call_of_module,
    candidate_files,
    definition_location,
    enclosing_class,
    line_matching,
    locate_frames,
)
from toolkit.analysis.script_errors.message import TorchMessage, parse_message
from toolkit.analysis.script_errors.rules import Clue, Verdict, classify
from toolkit.capture import fresh_script_error, release_compile_frames

__all__ = ["ScriptFailure", "explain_failure", "torch_error_text"]


@dataclass(frozen=True)
class ScriptFailure:
    """Why one part of a model does not script.

    Attributes:
        category: a :data:`~toolkit.analysis.script_errors.categories.CATEGORIES` id.
        construct: the Python construct, in words (``a dict unpacking `{**d}` ``).
        file, line: the user's line that holds it (the construct's own library line when no
            user code is involved); ``line`` is ``None`` when nothing could be located.
        source_line: that line's text, stripped.
        reason: why TorchScript refuses it, in one or two sentences.
        fix: what to write instead, concretely.
        fix_kind: a :data:`~toolkit.analysis.script_errors.categories.FIX_KINDS` id.
        torch_message: torch's whole message.
        recognised: False when no rule knew the message (category ``not_recognised``).
    """

    category: str
    construct: str
    file: str | None
    line: int | None
    source_line: str | None
    reason: str
    fix: str
    fix_kind: str
    torch_message: str
    recognised: bool = True

    @property
    def category_label(self) -> str:
        return CATEGORIES[self.category]

    @property
    def location(self) -> str | None:
        """``file:line``, or ``None`` when the line is unknown."""
        if self.file is None or self.line is None:
            return None
        return f"{self.file}:{self.line}"


def torch_error_text(exc: BaseException) -> str:
    """Torch's own message for ``exc`` (the ``__cause__`` of one of our errors, when it is one)."""
    original = getattr(exc, "torch_message", None)
    if isinstance(original, str) and original:
        return original
    return str(exc).strip() or type(exc).__name__


def explain_failure(obj: Any, exc: BaseException) -> ScriptFailure:
    """Explain why ``torch.jit.script(obj)`` raised ``exc``. Never raises.

    Args:
        obj: what was scripted (a module, a function or a class).
        exc: what ``torch.jit.script`` raised.
    """
    release_compile_frames(exc)  # a kept failure must not leak into the next explanation (see capture)
    kept = torch_error_text(exc)
    text = kept
    try:
        if _STALE_TYPE.search(text):
            exc, text = _real_error(obj, exc, text)
            if text != kept:
                kept = f"{kept}\n\nScripted again without torch's stale cached type, torch said:\n{text}"
        return _explain(obj, exc, text, kept)
    except Exception:  # noqa: BLE001 - the explainer must never hide torch's error behind its own
        return _not_recognised(kept, definition_location_or_none(obj))


_STALE_TYPE = re.compile(r"Can't redefine method: \w+ on class")
_PYTHON_LIBRARY = re.compile(r"'(?P<module>numpy|scipy|pandas|PIL|cv2)[.']")


def _real_error(obj: Any, exc: BaseException, text: str) -> tuple[BaseException, str]:
    """The error a stale cached type hides ("Can't redefine method"), found by scripting once more without it."""
    fresh = fresh_script_error(obj)
    if fresh is None or _STALE_TYPE.search(torch_error_text(fresh)):
        return exc, text
    return fresh, torch_error_text(fresh)


def definition_location_or_none(obj: Any) -> Location | None:
    try:
        return definition_location(obj)
    except Exception:  # noqa: BLE001 - only a location hint
        return None


def _explain(obj: Any, exc: BaseException, text: str, kept: str) -> ScriptFailure:
    message = parse_message(text)
    locations = locate_frames(message.frames, candidate_files(obj))
    innermost = locations[0] if locations else None
    user = _user_location(locations)
    callee: Any = None
    if user is None and message.frames:
        found = call_into(obj, message.frames[0])
        if found is not None:
            user, innermost, callee = found
    clue = Clue(
        headline=message.headline,
        text=message.text,
        code=(innermost.source_line if innermost and innermost.source_line else "")
        or (message.frames[0].marked_text if message.frames and message.frames[0].marked_text else ""),
        is_os_error=isinstance(exc, OSError),
    )
    verdict = classify(clue)
    if verdict is not None and verdict.rule == _GENERATED_NAME_RULE:
        # torch's generated code is not the student's, and torch may append stale caller frames
        # left from an earlier failed compile: point at the line that names the submodule instead.
        where = _unspellable_name_location(obj) or definition_location_or_none(obj)
        return _failure(verdict, where, kept)
    if user is None and not message.frames:
        user = _line_without_frames(obj, text, verdict)
    where = user or _attribute_location(obj, message, verdict) or innermost
    enclosing = enclosing_class(innermost.file, innermost.line) if innermost is not None else None
    if enclosing is not None and innermost is not None and _is_torchscript_class(enclosing, innermost, obj):
        verdict, moved = _in_torchscript_class(verdict, enclosing, innermost)
        if moved is not None:
            where = moved
    if verdict is None:
        return _not_recognised(kept, where or definition_location_or_none(obj))
    if where is None:
        where = definition_location_or_none(obj)
    if innermost is not None and where is not None and where != innermost and not innermost.is_user:
        verdict = _library_call(verdict, innermost, callee)
    return _failure(verdict, where, kept)


_GENERATED_NAME_RULE = "uncompilable_generated_name"


def _unspellable_name_location(obj: Any) -> Location | None:
    """The ``self.x = ...`` line that holds a submodule whose name torch cannot write as a literal."""
    if not isinstance(obj, torch.nn.Module):
        return None
    for owner in obj.modules():
        for attribute, child in owner.named_children():
            names = [attribute, *(name for name, _ in child.named_children())]
            if any(not name.isprintable() for name in names):
                found = assignment_location(owner, attribute)
                if found is not None:
                    return found
    return None


def _failure(verdict: Verdict, where: Location | None, kept: str) -> ScriptFailure:
    return ScriptFailure(
        category=verdict.category,
        construct=verdict.construct,
        file=where.file if where else None,
        line=where.line if where else None,
        source_line=where.source_line if where else None,
        reason=verdict.reason,
        fix=verdict.fix,
        fix_kind=verdict.fix_kind,
        torch_message=kept,
        recognised=True,
    )


def _line_without_frames(obj: Any, text: str, verdict: Verdict | None) -> Location | None:
    """For a message that quotes no source: the user's line it must be about, when that can be told."""
    library = _PYTHON_LIBRARY.search(text)
    if library is not None:
        return call_of_module(obj, library.group("module"))
    bare = re.search(r"Attempted to use (Dict|List|Tuple|Optional) without contained types", text)
    if bare is not None:
        return line_matching(obj, rf"(:|->)\s*{bare.group(1)}\b(?!\s*\[)")
    return None


def _library_call(verdict: Verdict, inside: Location, callee: Any) -> Verdict:
    """A construct inside library code, reached from the user's call: the call is what the student changes."""
    name = getattr(callee, "__qualname__", None) or getattr(callee, "__name__", None)
    module = getattr(callee, "__module__", None)
    called = f"`{module}.{name}`" if name and module else "a library function"
    return Verdict(
        rule=f"library_call/{verdict.rule}",
        category="dynamic_behaviour",
        construct=f"a call to {called}, Python library code TorchScript would have to compile",
        reason=(
            "TorchScript compiles every Python function that compiled code calls, library functions included;"
            f" this one holds {verdict.construct}, which TorchScript refuses"
            f" (The construct itself is in library code, {_short(inside)}, reached from this line.)"
        ),
        fix=(
            "Keep the call out of the compiled code: call it from a helper decorated with `@torch.jit.ignore`"
            " (it then runs in Python), use a TorchScript-friendly equivalent, or trace this part instead."
        ),
        fix_kind="ignore_or_unused",
    )


_MODULE_BASES = {"Module", "ModuleList", "ModuleDict", "Sequential", "ParameterList", "ParameterDict"}


def _is_torchscript_class(enclosing: EnclosingClass, where: Location, obj: Any) -> bool:
    """True when the class around ``where`` is a plain class (compiled as a TorchScript class), not a module.

    A class in the method resolution order of one of ``obj``'s modules (a mixin such as
    transformers' ``ModuleUtilsMixin``) is compiled as part of the module, not as a class.
    """
    if isinstance(obj, torch.nn.Module):
        for sub in obj.modules():
            if any(cls.__name__ == enclosing.name for cls in type(sub).__mro__):
                return False
    cls = _python_class(enclosing.name, where.file)
    if cls is not None:
        return not issubclass(cls, torch.nn.Module)
    return not any(base.rsplit(".", 1)[-1] in _MODULE_BASES for base in enclosing.bases)


def _python_class(name: str, file: str) -> type | None:
    for module in list(sys.modules.values()):
        module_file = getattr(module, "__file__", None)
        if module_file and os.path.abspath(module_file) == os.path.abspath(file):
            value = getattr(module, name, None)
            if isinstance(value, type):
                return value
    return None


def _in_torchscript_class(
    verdict: Verdict | None, enclosing: EnclosingClass, inside: Location
) -> tuple[Verdict | None, Location | None]:
    """The verdict for code inside a class TorchScript compiles as a TorchScript class, and a better line."""
    if verdict is not None and verdict.category in ("source_unavailable", "invalid_custom_class", "optional_refinement"):
        if verdict.rule == "custom_class_missing_attribute" and enclosing.bases and enclosing.bases != ("object",):
            return (
                Verdict(
                    rule="custom_class_inheritance",
                    category="invalid_custom_class",
                    construct=f"the TorchScript class `{enclosing.name}`, which inherits from `{', '.join(enclosing.bases)}`",
                    reason=(
                        "A TorchScript class cannot inherit from another class: it has only the fields and methods it"
                        f" defines itself, so what `{enclosing.name}` takes from its base does not exist for TorchScript."
                    ),
                    fix=f"Define `{enclosing.name}` without a base class: assign every field in its own `__init__` and write the methods it uses.",
                    fix_kind="fix_custom_class",
                ),
                Location(inside.file, enclosing.line, linecache.getline(inside.file, enclosing.line).strip() or None),
            )
        return verdict, None
    if not enclosing.in_method:
        return (
            Verdict(
                rule="custom_class_level_attribute",
                category="invalid_custom_class",
                construct=f"a class-level attribute of the TorchScript class `{enclosing.name}`",
                reason="A TorchScript class has only the fields its `__init__` assigns; statements in the class body are compiled as code and are not supported there.",
                fix="Move the value into `__init__` (`self.limit = ...`) and read it as `self.limit`.",
                fix_kind="fix_custom_class",
            ),
            None,
        )
    if verdict is None:
        return None, None
    return (
        Verdict(
            rule=f"custom_class/{verdict.rule}",
            category="invalid_custom_class",
            construct=f"{verdict.construct}, in the TorchScript class `{enclosing.name}`",
            reason=(
                f"Every method of `{enclosing.name}` is compiled as part of a TorchScript class, and this one is outside"
                f" the TorchScript subset: {verdict.reason}"
            ),
            fix=f"{verdict.fix} Or keep the class out of compiled code (compute with it outside, or in a `@torch.jit.ignore` helper).",
            fix_kind="fix_custom_class",
        ),
        None,
    )


def _short(location: Location) -> str:
    parts = location.file.replace("\\", "/").split("/")
    tail = "/".join(parts[parts.index("site-packages") + 1 :]) if "site-packages" in parts else parts[-1]
    return f"{tail}:{location.line}"


def _user_location(locations: tuple[Location, ...]) -> Location | None:
    """The innermost quoted frame in user code."""
    return next((loc for loc in locations if loc.is_user), None)


_ATTRIBUTE_NAMES = (
    re.compile(r"Could not cast attribute '(?P<attr>\w+)'"),
    re.compile(r"Module '\w+' has no attribute '(?P<attr>\w+)'"),
)
_CLASS_OF_INIT = re.compile(r"Failed to get source for <function (?P<cls>[\w.]+)\.__init__")


def _attribute_location(obj: Any, message: TorchMessage, verdict: Verdict | None) -> Location | None:
    """For messages that quote no line: the ``self.x = ...`` line of the attribute they name."""
    if not isinstance(obj, torch.nn.Module) or message.frames:
        return None
    names = [m.group("attr") for pattern in _ATTRIBUTE_NAMES if (m := pattern.search(message.text))]
    owner_class = _CLASS_OF_INIT.search(message.text)
    for module in obj.modules():
        for name in names:
            if name in vars(module) or hasattr(module, name):
                found = assignment_location(module, name)
                if found is not None:
                    return found
        if owner_class is not None:
            for name, value in vars(module).items():
                if type(value).__qualname__ == owner_class.group("cls"):
                    found = assignment_location(module, name)
                    if found is not None:
                        return found
    return None


def _not_recognised(text: str, where: Location | None) -> ScriptFailure:
    headline = (parse_message(text).headline or text.splitlines()[0]) if text else "no message"
    return ScriptFailure(
        category=NOT_RECOGNISED,
        construct="a construct the explainer does not recognise",
        file=where.file if where else None,
        line=where.line if where else None,
        source_line=where.source_line if where else None,
        reason=f"TorchScript refused this code, and the explainer has no rule for its message: {headline}",
        fix=(
            "Read torch's message below for the line it marks; rewrite that line in the TorchScript subset, or"
            " trace this part with `toolkit.trace`."
        ),
        fix_kind="rewrite_construct",
        torch_message=text,
        recognised=False,
    )

