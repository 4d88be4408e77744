"""The scripting-failure evaluation set: small modules that ``torch.jit.script`` refuses.

Each case is one file in this package, modelled on a real issue, forum thread or library pattern
(cited in its docstring and in ``CITE``; the code is written for this set, not copied). A case
file defines:

- ``CATEGORY``: why scripting fails, one id of the explainer's contract (the six root causes of
  the TorchScript usability study, pytorch/pytorch#50751, plus ``source_unavailable`` and
  ``not_recognised``);
- ``FIX_KIND``: the kind of fix the ``Fixed`` version applies (an id of the contract's fix kinds);
- ``CONSTRUCT``: the refused construct in a few words;
- ``CITE``: where the pattern comes from;
- ``Broken``: what a student passes to ``torch.jit.script`` (an ``nn.Module`` class, built with
  no arguments, or a function); scripting it must fail;
- ``Fixed``: the same behaviour with the recorded fix applied; it must script and give the same
  outputs as ``Broken`` in eager mode;
- ``inputs()``: a tuple of small deterministic inputs for a forward run;
- optionally ``fixed_inputs()``: the same inputs in the form the fixed signature takes (when the
  fix changes the signature, e.g. ``*features`` becomes one ``List[Tensor]``);
- optionally ``more_inputs()``: further input tuples (same form for both versions) on which the
  converted fix must also match eager, e.g. a different loop trip count that a plain trace
  would have frozen;
- optionally ``convert(fixed, inputs)``: how the fix converts the model when the fix is not plain
  scripting (tracing instead, a hybrid of a scripted submodule inside a trace, ...). It must
  still return a TorchScript object.

The **construct's line** is the line the student has to look at: where the refused construct
sits, or where the unannotated / unrefined value is used; for a variable whose type changes, the
line that gives it its first type; for code whose source cannot be read, the line that makes it
(the ``exec``). Torch's message may point elsewhere (into torch, the standard library, a later
line), which is what the evaluation measures. The line is marked with a trailing ``# construct``
comment and read from the file, never written as a number; exactly one line per file carries it.

For ``not_recognised`` cases the honest expectation is that the explainer says so (category
``not_recognised``, ``recognised`` False) while still giving the user's line; ``FIX_KIND`` is the
fix ``Fixed`` applies, scored like any other.

``_evaluation`` runs the explainer and torch's raw message over the set (shared by the tests and
``bench/script_errors.py``).
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, Callable

import torch

__all__ = ["CASE_CATEGORIES", "CASE_FIX_KINDS", "PREFIX_OF", "Case", "all_cases", "construct_lines"]

# The ids of the explainer's contract (toolkit.analysis.script_errors.categories); the tests
# check that the two agree.
CASE_CATEGORIES = (
    "type_checking",
    "dynamic_behaviour",
    "default_types",
    "unsupported_construct",
    "optional_refinement",
    "invalid_custom_class",
    "source_unavailable",
    "not_recognised",
)
CASE_FIX_KINDS = (
    "annotate_types",
    "refine_optional",
    "ignore_or_unused",
    "replace_kwargs",
    "script_if_tracing",
    "hybrid_script_submodule",
    "trace_instead",
    "rewrite_construct",
    "move_source_to_file",
    "fix_custom_class",
)
# Every file name starts with its category's prefix, so a listing reads by category.
PREFIX_OF = {
    "type_checking": "tc_",
    "dynamic_behaviour": "db_",
    "default_types": "dt_",
    "unsupported_construct": "uc_",
    "optional_refinement": "or_",
    "invalid_custom_class": "cc_",
    "source_unavailable": "su_",
    "not_recognised": "nr_",
}
MARK = "# construct"


def _script(fixed: Any, inputs: tuple) -> Any:
    return torch.jit.script(fixed)


@dataclass(frozen=True)
class Case:
    """One case file, read (see the module docstring for what each name means)."""

    name: str
    category: str
    fix_kind: str
    construct: str
    cite: str
    docstring: str
    file: str
    line: int
    source_line: str
    module: ModuleType = field(repr=False)

    def broken(self) -> Any:
        """A fresh object to script, built under a fixed seed."""
        return _built(self.module.Broken)

    def fixed(self) -> Any:
        """A fresh fixed object, built under the same seed (so parameters match ``broken``)."""
        return _built(self.module.Fixed)

    def inputs(self) -> tuple:
        torch.manual_seed(0)
        return tuple(self.module.inputs())

    def fixed_inputs(self) -> tuple:
        torch.manual_seed(0)
        return tuple(getattr(self.module, "fixed_inputs", self.module.inputs)())

    def more_inputs(self) -> tuple[tuple, ...]:
        torch.manual_seed(0)
        return tuple(tuple(example) for example in getattr(self.module, "more_inputs", list)())

    def convert_fixed(self, fixed: Any) -> Any:
        """The fix's conversion: ``torch.jit.script`` unless the case says otherwise."""
        convert: Callable[[Any, tuple], Any] = getattr(self.module, "convert", _script)
        return convert(fixed, self.fixed_inputs())


def _built(obj: Any) -> Any:
    torch.manual_seed(0)
    if inspect.isclass(obj) and issubclass(obj, torch.nn.Module):
        return obj().eval()
    return obj


def construct_lines(file: str) -> tuple[int, ...]:
    """The 1-based numbers of the lines that end with the ``# construct`` mark."""
    text = Path(file).read_text(encoding="utf-8").splitlines()
    return tuple(i for i, line in enumerate(text, start=1) if line.rstrip().endswith(MARK))


def _read(module: ModuleType) -> Case:
    file = str(Path(inspect.getsourcefile(module) or "").resolve())
    lines = construct_lines(file)
    if len(lines) != 1:
        raise ValueError(f"{file}: mark exactly one line with {MARK!r}, found {len(lines)}")
    source_line = Path(file).read_text(encoding="utf-8").splitlines()[lines[0] - 1]
    return Case(
        name=module.__name__.rsplit(".", 1)[-1],
        category=module.CATEGORY,
        fix_kind=module.FIX_KIND,
        construct=module.CONSTRUCT,
        cite=module.CITE,
        docstring=module.__doc__ or "",
        file=file,
        line=lines[0],
        source_line=source_line.split(MARK)[0].rstrip(),
        module=module,
    )


def all_cases() -> tuple[Case, ...]:
    """Every case file of this package, in file-name order."""
    names = sorted(info.name for info in pkgutil.iter_modules(__path__) if not info.name.startswith("_"))
    return tuple(_read(importlib.import_module(f"{__name__}.{name}")) for name in names)
