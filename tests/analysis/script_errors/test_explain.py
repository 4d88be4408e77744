"""The scripting explainer: each category at the exact line, ``toolkit.script``'s error, ``check_script``, the magic.

The modules are defined here, in a real file, because TorchScript compiles source text. Each bad
line carries a ``# <- name`` marker and the tests look the line number up by that marker, so a
test fails if the explainer points anywhere else.
"""

from __future__ import annotations

import math
import re
import textwrap
from pathlib import Path
from typing import List, Optional

import pytest
import torch
from torch import Tensor, nn

import toolkit
from toolkit.analysis.script_errors import CATEGORIES, FIX_KINDS, ScriptReport, check_script, explain_failure
from toolkit.errors import NotTorchScriptError, ScriptingError

THIS_FILE = str(Path(__file__).resolve())


def line_of(marker: str) -> int:
    """The line of this file that ends with ``# <- marker``."""
    lines = Path(THIS_FILE).read_text(encoding="utf-8").splitlines()
    [number] = [i for i, text in enumerate(lines, 1) if text.rstrip().endswith(f"# <- {marker}")]
    return number


class ChangesType(nn.Module):
    def forward(self, x):
        y = 1
        if bool(x.sum() > 0):
            y = 2.5  # <- changes type
        return x * y


class PicksLayerByIndex(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = nn.ModuleList([nn.Linear(2, 2), nn.Linear(2, 2)])

    def forward(self, x, i: int):
        return self.layers[i](x)  # <- module list index


class UnannotatedDefault(nn.Module):
    def forward(self, x, scale=2):  # <- default
        return x * scale


class UnpacksDict(nn.Module):
    def forward(self, x):
        d = {"a": x}
        e = {**d}  # <- dict unpacking
        return e["a"]


class UsesOptional(nn.Module):
    def forward(self, x: Tensor, mask: Optional[Tensor] = None):
        return x + mask  # <- optional


class Settings:
    def __init__(self, width):
        self.width = width


class HoldsSettings(nn.Module):
    def __init__(self):
        super().__init__()
        self.settings = Settings(4)  # <- custom class

    def forward(self, x):
        return x * self.settings.width


class ElseOnWhile(nn.Module):  # <- not recognised
    def forward(self, x: Tensor):
        while bool(x.sum() > 10):
            x = x / 2
        else:
            x = x + 1
        return x


class TakesKwargs(nn.Module):
    def forward(self, x, **kwargs):  # <- kwargs
        return x


class CallsLibraryHelper(nn.Module):
    def forward(self, x):
        return x * math.fsum([1.0, 2.0])  # <- python builtin


# a tree: one bad submodule, its good sibling, and a parent with a construct of its own
class Good(nn.Module):
    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(3, 3)

    def forward(self, x):
        return torch.relu(self.linear(x))


class Bad(nn.Module):
    def forward(self, x):
        table = {"x": x}
        merged = {**table}  # <- tree child
        return merged["x"]


class Tree(nn.Module):
    def __init__(self):
        super().__init__()
        self.good = Good()
        self.bad = Bad()

    def forward(self, x):
        out = self.good(x) + self.bad(x)
        scores = []
        scores.append(1)  # <- tree parent
        return out


class Scripts(nn.Module):
    def forward(self, x: Tensor, n: int = 2) -> Tensor:
        return x * n


def script_error(model) -> ScriptingError:
    with pytest.raises(ScriptingError) as info:
        toolkit.script(model)
    return info.value


@pytest.mark.parametrize(
    "model, category, marker, fix_kind, construct",
    [
        (ChangesType(), "type_checking", "changes type", "annotate_types", r"the variable `y` changing type \(int, then float\)"),
        (PicksLayerByIndex(), "dynamic_behaviour", "module list index", "rewrite_construct", r"indexing a `ModuleList`"),
        (UnannotatedDefault(), "default_types", "default", "annotate_types", r"the unannotated parameter `scale`"),
        (UnpacksDict(), "unsupported_construct", "dict unpacking", "rewrite_construct", r"a dict unpacking `\{\*\*d\}`"),
        (UsesOptional(), "optional_refinement", "optional", "refine_optional", r"an `Optional` value `mask`"),
        (HoldsSettings(), "invalid_custom_class", "custom class", "fix_custom_class", r"the attribute `self.settings`.*`Settings`"),
        (TakesKwargs(), "unsupported_construct", "kwargs", "replace_kwargs", r"a `\*\*kwargs` parameter"),
        (CallsLibraryHelper(), "unsupported_construct", "python builtin", "ignore_or_unused", r"a call to the Python builtin `fsum`"),
    ],
)
def test_each_category_at_the_exact_line(model, category, marker, fix_kind, construct):
    error = script_error(model)
    assert (error.category, error.file, error.line) == (category, THIS_FILE, line_of(marker))
    assert error.fix_kind == fix_kind and fix_kind in FIX_KINDS
    label = re.escape(CATEGORIES[category])
    with pytest.raises(ScriptingError, match=rf"does not script: {construct}.* \({label}\) at .*test_explain.py:{line_of(marker)}"):
        raise error
    assert error.source_line and error.source_line in Path(THIS_FILE).read_text(encoding="utf-8")
    assert error.torch_message == str(error.torch_error).strip()


def test_the_message_leads_with_the_explanation_and_keeps_torch_s():
    error = script_error(UsesOptional())
    text = str(error)
    first, code, reason, fix, torch_said = text.splitlines()
    assert first.startswith("toolkit.script: UsesOptional does not script: an `Optional` value `mask`")
    assert code.strip() == "return x + mask  # <- optional"
    assert "may be `None`" in reason
    assert fix.startswith("Fix: ") and "assert mask is not None" in fix
    assert torch_said.startswith("torch said: Arguments for call are not valid")
    assert "Expected a value of type 'Tensor' for argument 'other' but instead found type 'Optional[Tensor]'" in error.torch_message
    assert isinstance(error.torch_error, RuntimeError)


def test_source_unavailable():
    namespace: dict = {"nn": nn}
    exec("class NoSource(nn.Module):\n    def forward(self, x):\n        return x + 1\n", namespace)
    error = script_error(namespace["NoSource"]())
    assert error.category == "source_unavailable" and error.fix_kind == "move_source_to_file"
    with pytest.raises(ScriptingError, match=r"NoSource does not script: code whose Python source cannot be read \(source not available\)"):
        raise error
    assert "exec()" in error.reason and ".py file" in error.fix


def test_an_unrecognised_message_keeps_the_user_line_and_torch_s_words():
    error = script_error(ElseOnWhile())
    assert error.category == "not_recognised"
    assert (error.file, error.line) == (THIS_FILE, line_of("not recognised"))
    with pytest.raises(ScriptingError, match=r"(?s)a construct the explainer does not recognise \(not recognised\).*incompatible constructor"):
        raise error
    assert "incompatible constructor arguments" in error.torch_message


def test_explain_failure_never_raises_on_a_foreign_exception():
    failure = explain_failure(UsesOptional(), ValueError("something torch has never said"))
    assert failure.category == "not_recognised" and not failure.recognised
    assert failure.torch_message == "something torch has never said"
    assert failure.file == THIS_FILE and failure.line == line_of_class(UsesOptional)


def line_of_class(cls: type) -> int:
    lines = Path(THIS_FILE).read_text(encoding="utf-8").splitlines()
    [number] = [i for i, text in enumerate(lines, 1) if text.startswith(f"class {cls.__name__}(")]
    return number


def test_scripting_the_same_failing_class_twice_gives_the_same_explanation():
    first = script_error(UnpacksDict())
    second = script_error(UnpacksDict())
    assert (first.category, first.line) == (second.category, second.line) == ("unsupported_construct", line_of("dict unpacking"))
    assert "redefine" not in second.torch_message


class CallsTextwrap(nn.Module):
    def forward(self, x):
        return x * len(textwrap.dedent("  a"))  # <- library call


def test_a_library_function_is_reported_at_the_user_s_call():
    error = script_error(CallsTextwrap())
    assert "textwrap.py" in error.torch_message.split("is being compiled")[0]
    assert (error.file, error.line) == (THIS_FILE, line_of("library call"))
    assert "in library code, textwrap.py:" in error.reason


class DecoratedForward(nn.Module):
    @torch.no_grad()
    def forward(self, x):
        d = {"a": x}
        e = {**d}  # <- decorated
        return e["a"]


def test_a_decorated_forward_is_reported_in_the_user_file_not_the_decorator_s():
    """TorchScript takes the line from the wrapped function and the file from the wrapper."""
    error = script_error(DecoratedForward())
    assert f'File "{torch.utils._contextlib.__file__}", line {line_of("decorated")}' in error.torch_message
    assert (error.file, error.line, error.category) == (THIS_FILE, line_of("decorated"), "unsupported_construct")


def test_a_non_module_gets_a_clear_error():
    with pytest.raises(NotTorchScriptError, match=r"toolkit.script needs an nn.Module, a function or a class, not int \(3\)"):
        toolkit.script(3)
    with pytest.raises(NotTorchScriptError, match=r"check_script needs an nn.Module, a function or a class to compile, not str"):
        check_script("model")


def test_a_model_that_scripts_is_ok():
    report = check_script(Scripts())
    assert report.ok and report.findings == ()
    assert str(report) == "check_script(Scripts): ok, it scripts"
    assert [v.scripts for v in report.submodules] == [True]
    assert report.scripted(torch.ones(2), 3).tolist() == [3.0, 3.0]


def test_check_script_reports_every_construct_of_a_tree_and_which_submodules_script():
    report = check_script(Tree())
    assert isinstance(report, ScriptReport) and not report.ok and not report.partial
    assert [(f.category, f.line) for f in report.findings] == [
        ("unsupported_construct", line_of("tree child")),
        ("default_types", line_of("tree parent")),
    ]
    verdicts = {v.path: (v.type_name, v.scripts) for v in report.submodules}
    assert verdicts == {
        "": ("Tree", False),
        "good": ("Good", True),
        "good.linear": ("Linear", True),
        "bad": ("Bad", False),
    }
    [bad] = [v for v in report.submodules if v.path == "bad"]
    assert bad.failure is not None and bad.failure.line == line_of("tree child")
    assert report.hybrid == ("good",)
    text = str(report)
    assert text.startswith("check_script(Tree): 2 constructs that do not script; 2 of 4 submodules script on their own")
    assert "1. a dict unpacking `{**d}` [unsupported construct] at test_explain.py:" in text
    assert "hybrid: script good" in text


def test_the_report_displays_as_html_with_the_lines_marked_and_as_text():
    report = check_script(Tree())
    bundle = report._repr_mimebundle_()
    assert set(bundle) == {"text/html", "text/plain"}
    html = bundle["text/html"]
    assert "merged = {**table}  # &lt;- tree child" in html and "font-weight:bold" in html
    assert "<code>{**d}</code>" in html
    assert report._repr_mimebundle_(include=["text/plain"]) == {"text/plain": str(report)}


def test_names_in_the_report_are_escaped():
    Hostile = type("Evil<script>", (Bad,), {})
    html = check_script(Hostile())._repr_mimebundle_()["text/html"]
    assert "<script>" not in html and "Evil&lt;script&gt;" in html


def test_check_script_on_a_function():
    def uses_lambda(x: Tensor) -> Tensor:
        f = lambda t: t + 1  # noqa: E731  # <- lambda
        return f(x)

    report = check_script(uses_lambda)
    [finding] = report.findings
    assert (finding.category, finding.construct, finding.line) == ("unsupported_construct", "a `lambda`", line_of("lambda"))
    assert report.submodules == ()


def test_check_script_magic():
    from IPython.core.interactiveshell import InteractiveShell

    from toolkit.magics import load_ipython_extension

    shell = InteractiveShell.instance()
    try:
        load_ipython_extension(shell)
        shell.user_ns.update(tree=Tree())
        report = shell.run_line_magic("check_script", "tree")
        assert isinstance(report, ScriptReport) and len(report.findings) == 2
        with pytest.raises(NotTorchScriptError, match=r"%check_script needs one model: %check_script model"):
            shell.run_line_magic("check_script", "")
    finally:
        InteractiveShell.clear_instance()


def test_fix_applied_scripts_and_matches_eager():
    class Fixed(nn.Module):
        def forward(self, x: Tensor, mask: Optional[Tensor] = None) -> Tensor:
            assert mask is not None
            scores: List[int] = []
            scores.append(1)
            return x + mask

    x, mask = torch.ones(2), torch.full((2,), 2.0)
    assert check_script(Fixed()).ok
    assert torch.equal(toolkit.script(Fixed())(x, mask), Fixed()(x, mask))


class BuiltinForward(torch.nn.Module):
    """``forward`` is torch's C function itself: there is no Python source to compile."""

    forward = torch.relu


def test_a_builtin_forward_is_explained_not_left_unrecognised():
    with pytest.raises(ScriptingError, match=r"(?s)a method that is a builtin function .*Fix: Write the method in Python: `def forward\(self, x\)") as caught:
        toolkit.script(BuiltinForward())
    assert caught.value.category == "source_unavailable" and caught.value.fix_kind == "rewrite_construct"


class KeyedLayers(nn.Module):
    """A ModuleDict under a key the caller chooses; ``forward`` itself is plain TorchScript."""

    def __init__(self, key: str):
        super().__init__()
        self.layers = nn.ModuleDict({key: nn.Linear(2, 2)})

    def forward(self, x):
        for layer in self.layers.values():
            x = layer(x)
        return x


@pytest.mark.parametrize("key", ["a\x01b", "a\u200bb", "tag\U000e0001"], ids=["control", "invisible", "astral-unprintable"])
def test_a_module_dict_key_torch_cannot_spell_is_explained_as_a_name_to_rename(key):
    with pytest.raises(ScriptingError, match=r"(?s)ModuleDict key whose name holds a control or invisible character.*not yours.*Fix: Rename the submodule or ModuleDict key to a plain identifier.*toolkit\.trace") as caught:
        toolkit.script(KeyedLayers(key))
    assert caught.value.category == "unsupported_construct" and "TorchScript subset" not in str(caught.value)
    assert caught.value.source_line == "self.layers = nn.ModuleDict({key: nn.Linear(2, 2)})"
    assert caught.value.file == __file__
    assert re.search(r"unsupported (hex|unicode) specifier", caught.value.torch_message)
    assert toolkit.script(KeyedLayers("a_b"))(torch.ones(1, 2)).shape == (1, 2)


@pytest.mark.parametrize(
    "max_rounds, cause",
    [(0, r"must be a positive int \(at least 1\)"), (-3, r"must be a positive int \(at least 1\)"), ("a", r"is not an int \(str\)"), (True, r"is not an int \(bool\)")],
)
def test_check_script_refuses_a_round_count_that_is_not_a_positive_int(max_rounds, cause):
    from toolkit.errors import ViewOptionError

    with pytest.raises(ViewOptionError, match=rf"max_rounds={re.escape(repr(max_rounds))} {cause}.* Fix: pass"):
        check_script(nn.Linear(2, 2), max_rounds=max_rounds)
    assert check_script(nn.Linear(2, 2), max_rounds=1).ok
