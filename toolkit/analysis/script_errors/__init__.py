"""Why ``torch.jit.script`` failed, in plain words, at the student's line: the ``check_script`` analysis.

One concept: TorchScript's compiler stops at the first thing it cannot compile and says so in its
own vocabulary, often pointing at a decorator's file or a library frame. This package reads that
message and says what the construct is, which kind of problem it is, where it is in the user's
code and what to write instead. ``message`` parses torch's text, ``locate`` finds the real line,
``rules`` classify, ``explain`` builds the :class:`ScriptFailure`, ``set_aside`` and ``check``
find every construct of a module tree at once. The report's text and HTML live in
:mod:`toolkit.render.script_report`.
"""

from toolkit.analysis.script_errors.categories import CATEGORIES, FIX_KINDS
from toolkit.analysis.script_errors.check import ScriptReport, SubmoduleVerdict, check_script
from toolkit.analysis.script_errors.explain import ScriptFailure, explain_failure

__all__ = ["CATEGORIES", "FIX_KINDS", "ScriptFailure", "ScriptReport", "SubmoduleVerdict", "check_script", "explain_failure"]
