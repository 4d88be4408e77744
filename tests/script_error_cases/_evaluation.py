"""Scoring the scripting-failure explainer, and torch's raw message, on the case set.

Why one module: the test that holds the goals (tests/analysis/script_errors/test_cases.py) and the
side-by-side table (bench/script_errors.py) must score the same way, so the scoring lives here.

Per case:

- **category right**: the explainer's category is the recorded one, and ``recognised`` is False
  exactly when the recorded category is ``not_recognised``;
- **exact line**: the explainer's ``file`` is the case's file and its ``line`` the ``# construct``
  line;
- **fix named**: the explainer's ``fix_kind`` is the recorded ``FIX_KIND``;
- **crash**: ``explain_failure`` raised (it must never raise);
- **torch's line**: the text of the exception ``torch.jit.script`` raised names the construct's
  line of the case's file, in one of the forms torch writes (``File "<path>", line N``,
  ``<path>:N``); a line of the file other than the construct's does not count;
- **torch mentions the fix**: only for fix kinds with a phrase that names them (an annotation,
  a ``None`` check, ``@torch.jit.ignore``/``unused``, tracing, ``script_if_tracing``, source
  files); ``None`` where no such phrase exists (``rewrite_construct``, ``replace_kwargs``,
  ``fix_custom_class``), and those cases are left out of that share.
"""

from __future__ import annotations

import os
import re
import time
import warnings
from dataclasses import dataclass
from typing import Any

import torch

from tests.script_error_cases import Case

__all__ = ["FIX_PHRASES", "Outcome", "evaluate", "first_script_exception", "script_exception", "torch_lines"]

# Phrases that, in torch's own text, name the fix of one kind (case-insensitive).
FIX_PHRASES: dict[str, re.Pattern[str]] = {
    "annotate_types": re.compile(r"annotat", re.IGNORECASE),
    "refine_optional": re.compile(r"is not None|refine", re.IGNORECASE),
    "ignore_or_unused": re.compile(r"jit\.ignore|jit\.unused", re.IGNORECASE),
    "script_if_tracing": re.compile(r"script_if_tracing", re.IGNORECASE),
    "hybrid_script_submodule": re.compile(r"jit\.trace|\btrac(e|ing)\b", re.IGNORECASE),
    "trace_instead": re.compile(r"jit\.trace|\btrac(e|ing)\b", re.IGNORECASE),
    "move_source_to_file": re.compile(r"\.py files?|source (code|access)", re.IGNORECASE),
}


@dataclass(frozen=True)
class Outcome:
    """One case, scored (see the module docstring)."""

    case: Case
    torch_message: str
    failure: Any  # a ScriptFailure, or None when the explainer crashed
    crash: str | None
    seconds: float

    @property
    def category_right(self) -> bool:
        if self.failure is None:
            return False
        expect_recognised = self.case.category != "not_recognised"
        return self.failure.category == self.case.category and bool(self.failure.recognised) == expect_recognised

    @property
    def line_right(self) -> bool:
        if self.failure is None or self.failure.file is None or self.failure.line is None:
            return False
        return _same_file(self.failure.file, self.case.file) and self.failure.line == self.case.line

    @property
    def fix_named(self) -> bool:
        return self.failure is not None and self.failure.fix_kind == self.case.fix_kind

    @property
    def torch_line_right(self) -> bool:
        return self.case.line in torch_lines(self.torch_message, self.case.file)

    @property
    def torch_mentions_fix(self) -> bool | None:
        phrase = FIX_PHRASES.get(self.case.fix_kind)
        return None if phrase is None else bool(phrase.search(self.torch_message))

    def describe(self) -> str:
        """One line for an assertion message or a verbose listing."""
        if self.failure is None:
            return f"{self.case.name}: explainer crashed: {self.crash}"
        f = self.failure
        marks = "".join(
            ("C" if self.category_right else "c", "L" if self.line_right else "l", "F" if self.fix_named else "f")
        )
        return (
            f"{self.case.name} [{marks}]: category {f.category} (want {self.case.category}, recognised={f.recognised}),"
            f" line {os.path.basename(f.file or '?')}:{f.line} (want {self.case.line}),"
            f" fix {f.fix_kind} (want {self.case.fix_kind})"
        )


def _same_file(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.realpath(a) == os.path.realpath(b)


def torch_lines(text: str, file: str) -> tuple[int, ...]:
    """Every line of ``file`` that ``text`` names as ``File "<file>", line N`` or ``<file>:N``."""
    path = re.escape(os.path.realpath(file))
    pattern = re.compile(rf"{path}(?:\", line |:)(\d+)")
    return tuple(sorted({int(m.group(1)) for m in pattern.finditer(text)}))


def script_exception(case: Case, obj: Any) -> BaseException:
    """What ``torch.jit.script(obj)`` raises for the case's broken object (AssertionError if it scripts)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            torch.jit.script(obj)
        except Exception as exc:  # noqa: BLE001 - any refusal is the subject here
            return exc
    raise AssertionError(f"{case.name}: the broken version scripts; it must fail")


# torch.jit.script keeps what it compiled of a failing class, so a second attempt on the same class
# can fail with another message ("Can't redefine method: forward on class ..."). What a student
# reads is the first message, so each case is scripted once per process and that exception kept.
_FIRST_EXCEPTION: dict[str, BaseException] = {}


def first_script_exception(case: Case) -> BaseException:
    """The exception of this process's first ``torch.jit.script`` of the case's broken version."""
    if case.name not in _FIRST_EXCEPTION:
        _FIRST_EXCEPTION[case.name] = script_exception(case, case.broken())
    return _FIRST_EXCEPTION[case.name]


def evaluate(case: Case) -> Outcome:
    """Explain the first exception torch raised on the broken version; score it and torch's text."""
    from toolkit.analysis.script_errors.explain import explain_failure

    exc = first_script_exception(case)
    obj = case.broken()
    start = time.perf_counter()
    try:
        failure, crash = explain_failure(obj, exc), None
    except Exception as error:  # noqa: BLE001 - a crash is what this counts
        failure, crash = None, f"{type(error).__name__}: {error}"
    seconds = time.perf_counter() - start
    return Outcome(case=case, torch_message=str(exc), failure=failure, crash=crash, seconds=seconds)
