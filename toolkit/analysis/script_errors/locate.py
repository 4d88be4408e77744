"""Where a scripting failure really is: the file and line torch meant, and the user's line.

Why: torch's quoted ``File "...", line N`` is not always where the code is. For a method wrapped
by a decorator (transformers' ``deprecate_kwarg``, ``can_return_tuple``...), TorchScript takes
the line numbers from the wrapped function but the file name from the wrapper, so the message
names ``transformers/utils/deprecation.py`` for code that lives in ``modeling_bert.py``. Here a
quoted frame is checked against the file it names (does that line hold the marked text?) and,
when it does not, looked up in the files of the classes and functions being scripted.

"The user's line" is the innermost quoted frame in user code: a helper in a library called from
the user's ``forward`` is reported at the user's call. When every frame is library code (a
Hugging Face model), the construct's own (corrected) library line is reported, because there
is no user line to give.
"""

from __future__ import annotations

import ast
import builtins
import inspect
import linecache
import os
import re
import site
import sysconfig
import textwrap
import types
from dataclasses import dataclass
from typing import Any, Iterator

import torch

from toolkit.analysis.script_errors.message import QuotedFrame
from toolkit.frames import is_library_path

__all__ = [
    "EnclosingClass",
    "Location",
    "assignment_location",
    "call_into",
    "call_of_module",
    "call_sites",
    "candidate_files",
    "definition_location",
    "enclosing_class",
    "is_user_file",
    "line_matching",
    "locate_frames",
]

_PACKAGE_DIRS = tuple(
    os.path.abspath(p) + os.sep
    for p in {*site.getsitepackages(), site.getusersitepackages(), sysconfig.get_paths()["purelib"]}
    if p
)


def is_user_file(path: str) -> bool:
    """True for code the student wrote: not torch, the toolkit, the standard library or an installed package."""
    if path.startswith("<"):
        return False
    if is_library_path(path):
        return False
    absolute = os.path.abspath(path)
    return not any(absolute.startswith(d) for d in _PACKAGE_DIRS) and "site-packages" not in absolute


@dataclass(frozen=True)
class Location:
    """A file and line, with the line's text (stripped) when the file can be read."""

    file: str
    line: int
    source_line: str | None

    @property
    def is_user(self) -> bool:
        return is_user_file(self.file)


def _text(file: str, line: int) -> str | None:
    return linecache.getline(file, line).strip() or None


def _holds(file: str, line: int, frame: QuotedFrame) -> bool:
    if frame.marked_text is None:
        return bool(_text(file, line))
    return _text(file, line) == frame.marked_text


def _search_context(file: str, frame: QuotedFrame) -> int | None:
    """The line of ``frame``'s marked text in ``file``, found by matching its whole quoted context."""
    if frame.marked_text is None:
        return None
    wanted = [line.strip() for line in frame.context]
    try:
        offset = wanted.index(frame.marked_text)
    except ValueError:
        return None
    lines = [line.strip() for line in linecache.getlines(file)]
    hits = [
        start + offset + 1
        for start in range(0, max(0, len(lines) - len(wanted) + 1))
        if lines[start : start + len(wanted)] == wanted
    ]
    return hits[0] if len(hits) == 1 else None


def correct_frame(frame: QuotedFrame, candidates: tuple[str, ...]) -> Location:
    """Where ``frame`` really points: the file it names, or the candidate file that holds its line."""
    if _holds(frame.file, frame.line, frame):
        return Location(frame.file, frame.line, _text(frame.file, frame.line))
    for file in candidates:
        if _holds(file, frame.line, frame):
            return Location(file, frame.line, _text(file, frame.line))
    for file in (frame.file, *candidates):
        line = _search_context(file, frame)
        if line is not None:
            return Location(file, line, _text(file, line))
    return Location(frame.file, frame.line, frame.marked_text or _text(frame.file, frame.line))


def locate_frames(frames: tuple[QuotedFrame, ...], candidates: tuple[str, ...]) -> tuple[Location, ...]:
    """Every quoted frame, corrected, innermost first."""
    return tuple(correct_frame(frame, candidates) for frame in frames)


def _classes_of(obj: Any) -> Iterator[type]:
    if isinstance(obj, torch.nn.Module):
        for module in obj.modules():
            for cls in type(module).__mro__:
                if cls.__module__.startswith("torch.") or cls is object:
                    continue
                yield cls
                for value in vars(module).values():
                    if not isinstance(value, (torch.Tensor, torch.nn.Module)) and hasattr(type(value), "__init__"):
                        if not type(value).__module__ == "builtins":
                            yield type(value)
    elif isinstance(obj, type):
        yield obj


def candidate_files(obj: Any) -> tuple[str, ...]:
    """The source files of everything ``obj`` makes TorchScript compile (classes, their methods, a function)."""
    files: dict[str, None] = {}
    for cls in _classes_of(obj):
        for name, member in vars(cls).items():
            code = getattr(inspect.unwrap(member), "__code__", None) if callable(member) else None
            if code is not None:
                files[code.co_filename] = None
        try:
            source = inspect.getsourcefile(cls)
        except (TypeError, OSError):
            source = None
        if source:
            files[source] = None
    code = getattr(inspect.unwrap(getattr(obj, "__func__", obj)), "__code__", None)
    if code is not None:
        files[code.co_filename] = None
    return tuple(files)


def definition_location(obj: Any) -> Location | None:
    """Where ``obj``'s class (or ``obj``, a function or class) is defined, or ``None``.

    A class defined in a notebook cell has no source ``inspect`` can find on Python 3.11, so a
    module's ``forward`` (whose code object knows its cell) is the fallback.
    """
    target = obj if isinstance(obj, type) or inspect.isroutine(obj) else type(obj)
    target = inspect.unwrap(target) if inspect.isroutine(target) else target
    try:
        file = inspect.getsourcefile(target)
        _, line = inspect.getsourcelines(target)
        if file:
            line = max(line, 1)
            return Location(file, line, _text(file, line))
    except (TypeError, OSError):
        pass
    forward = getattr(target, "forward", None) if isinstance(target, type) else None
    code = getattr(inspect.unwrap(forward), "__code__", None) if forward is not None else None
    if code is not None and linecache.getline(code.co_filename, code.co_firstlineno):
        return Location(code.co_filename, code.co_firstlineno, _text(code.co_filename, code.co_firstlineno))
    return None


def assignment_location(module: Any, attribute: str) -> Location | None:
    """The line of ``self.<attribute> =`` in the ``__init__`` of ``module``'s class or a base class."""
    for cls in type(module).__mro__:
        init = vars(cls).get("__init__")
        if init is None:
            continue
        try:
            lines, start = inspect.getsourcelines(init)
            file = inspect.getsourcefile(init)
        except (TypeError, OSError):
            continue
        if not file:
            continue
        for offset, text in enumerate(lines):
            stripped = text.strip()
            if stripped.startswith((f"self.{attribute} =", f"self.{attribute}:")):
                return Location(file, start + offset, stripped)
    return None


def _roots(obj: Any) -> Iterator[Any]:
    classes = list(_classes_of(obj)) if isinstance(obj, (torch.nn.Module, type)) else []
    for cls in classes:
        for member in vars(cls).values():
            if isinstance(member, types.FunctionType):
                yield inspect.unwrap(member)
    if inspect.isroutine(obj):
        yield inspect.unwrap(getattr(obj, "__func__", obj))


def _is_user_function(function: Any) -> bool:
    code = getattr(function, "__code__", None)
    return code is not None and is_user_file(code.co_filename)


def _user_functions(obj: Any, *, depth: int = 3) -> Iterator[Any]:
    """The user's functions TorchScript compiles for ``obj``: methods of its user classes, ``obj``
    itself, and the user functions they call (``depth`` calls deep)."""
    seen: set[int] = set()
    level = [f for f in _roots(obj) if _is_user_function(f)]
    for _ in range(depth + 1):
        following = []
        for function in level:
            if id(function) in seen:
                continue
            seen.add(id(function))
            yield function
            following += [
                inspect.unwrap(callee)
                for _, callee in _calls_in(function)
                if isinstance(callee, types.FunctionType) and _is_user_function(inspect.unwrap(callee))
            ]
        level = following


def _dotted(node: ast.expr) -> list[str] | None:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return parts[::-1]


def _resolve(parts: list[str], function: Any) -> Any:
    namespace = {**vars(builtins), **function.__globals__}
    if parts[0] not in namespace:
        return None
    value = namespace[parts[0]]
    for part in parts[1:]:
        value = getattr(value, part, None)
        if value is None:
            return None
    return value


def _calls_in(function: Any) -> Iterator[tuple[int, Any]]:
    """``(line, callee)`` for each call in ``function`` whose callee resolves from its globals."""
    try:
        lines, start = inspect.getsourcelines(function)
        tree = ast.parse(textwrap.dedent("".join(lines)))
    except (TypeError, OSError, SyntaxError):
        return
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            parts = _dotted(node.func)
            callee = _resolve(parts, function) if parts else None
            if callee is not None:
                yield start + node.lineno - 1, callee


def call_sites(obj: Any) -> Iterator[tuple[Location, Any]]:
    """Every call in the user's compiled functions whose callee resolves statically: ``(call line, callee)``."""
    for function in _user_functions(obj):
        file = function.__code__.co_filename
        for line, callee in _calls_in(function):
            yield Location(file, line, _text(file, line)), callee


def _source_span(callee: Any) -> tuple[str, int, int] | None:
    target = inspect.unwrap(callee) if callable(callee) else callee
    try:
        lines, start = inspect.getsourcelines(target)
        file = inspect.getsourcefile(target)
    except (TypeError, OSError):
        return None
    return (file, start, start + len(lines)) if file else None


def call_into(obj: Any, frame: QuotedFrame) -> tuple[Location, Location, Any] | None:
    """For a frame in library code: the user's call that leads there, the frame's real location, the callee.

    A frame in code torch generated itself (``File "<string>"``: a ModuleDict's ``__contains__``) lies
    in no callee's source file, so it is never matched by its line number alone.
    """
    if frame.file.startswith("<"):
        return None
    for call, callee in call_sites(obj):
        span = _source_span(callee)
        if span is None or span[0] == call.file:
            continue
        file, first, last = span
        if first <= frame.line < last and _holds(file, frame.line, frame):
            return call, Location(file, frame.line, _text(file, frame.line)), callee
    return None


def call_of_module(obj: Any, module_name: str) -> Location | None:
    """The user's first call of a function from ``module_name`` (``numpy``) in compiled code."""
    for call, callee in call_sites(obj):
        owner = getattr(callee, "__module__", None) or type(callee).__module__
        if owner == module_name or str(owner).startswith(module_name + "."):
            return call
    return None


def line_matching(obj: Any, pattern: str) -> Location | None:
    """The first line of the user's compiled functions matching the regular expression ``pattern``."""
    compiled = re.compile(pattern)
    for function in _user_functions(obj):
        try:
            lines, start = inspect.getsourcelines(function)
        except (TypeError, OSError):
            continue
        for offset, text in enumerate(lines):
            if compiled.search(text.split("#", 1)[0]):
                file = function.__code__.co_filename
                return Location(file, start + offset, text.strip())
    return None


@dataclass(frozen=True)
class EnclosingClass:
    """The class statement around a line: its name, line, base names, and whether the line is in a method."""

    name: str
    line: int
    bases: tuple[str, ...]
    in_method: bool


def enclosing_class(file: str, line: int) -> EnclosingClass | None:
    """The innermost ``class`` whose body holds ``file:line``, read from the source with :mod:`ast`."""
    source = "".join(linecache.getlines(file))
    if not source:
        return None
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    found: EnclosingClass | None = None
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and node.lineno <= line <= (node.end_lineno or node.lineno):
            in_method = any(
                isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef))
                and item.lineno <= line <= (item.end_lineno or item.lineno)
                for item in node.body
            )
            bases = tuple(".".join(_dotted(b) or ["?"]) for b in node.bases)
            if found is None or node.lineno > found.line:
                found = EnclosingClass(node.name, node.lineno, bases, in_method)
    return found
