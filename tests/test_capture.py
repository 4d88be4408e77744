"""Trace / script / hybrid helpers: TracerWarnings with the user's line, clear errors."""

from __future__ import annotations

import logging
import os
import warnings

import pytest
import torch
import torch.nn.functional as F

import toolkit
from tests.fixtures import models
from toolkit import capture
from toolkit.capture import DEPRECATION_NOTE, _OncePerSession
from toolkit.errors import MissingExampleInputsError, NotTorchScriptError, ScriptingError, TracingError


class SplitHalf(torch.nn.Module):
    def forward(self, x):
        return torch.functional.split(x, x.shape[0] // 2)[0]  # torch raises inside torch/_tensor.py


class Upsample(torch.nn.Module):
    def forward(self, x):
        return F.interpolate(x, scale_factor=2.0, recompute_scale_factor=True)


def test_trace_records_the_decision_gate_warning_at_the_if_line():
    captured = toolkit.trace(models.MyCell3(), models.example_inputs("MyCell3"))
    assert isinstance(captured.module, torch.jit.ScriptModule)
    [record] = captured.warnings
    assert record.source_line == "if x.sum() > 0:"
    assert record.file.endswith("models.py")
    assert "Python boolean" in record.message
    assert not record.hidden_by_torch


@pytest.mark.parametrize(
    "model, example, line",
    [
        (SplitHalf(), torch.rand(4, 2), "return torch.functional.split(x, x.shape[0] // 2)[0]  # torch raises inside torch/_tensor.py"),
        (Upsample(), torch.rand(1, 1, 4, 4), "return F.interpolate(x, scale_factor=2.0, recompute_scale_factor=True)"),
    ],
)
def test_warnings_torch_hides_are_recorded_at_the_user_line(model, example, line):
    with warnings.catch_warnings(record=True) as shown:
        warnings.simplefilter("default")
        torch.jit.TracerWarning.ignore_lib_warnings()
        torch.jit.trace(model, example)
    assert not [w for w in shown if w.category is torch.jit.TracerWarning], "torch should hide this one"
    captured = toolkit.trace(model, example)
    assert [r.source_line for r in captured.warnings] == [line]
    assert captured.warnings[0].hidden_by_torch
    assert captured.warnings[0].file == __file__


def test_hybrid_trace_with_scripted_submodule_keeps_the_branch():
    model = models.MyCell3()
    captured = toolkit.trace(model, models.example_inputs("MyCell3"), script_submodules=("dg",))
    assert captured.warnings == ()
    g = toolkit.graph(captured.module)
    assert g.count(toolkit.NodeKind.IF) == 1
    assert not isinstance(model.dg, torch.jit.ScriptModule), "the user's module must not change"
    x = -torch.ones(3, 4) * 10
    h = torch.zeros(3, 4)
    assert torch.equal(captured(x, h)[0], model(x, h)[0])


def test_hybrid_script_with_traced_submodule():
    model = models.MyCell3()
    captured = toolkit.script(model, trace_submodules={"linear": (torch.rand(3, 4),)})
    assert isinstance(captured.module.linear, torch.jit.TracedModule)
    assert toolkit.graph(captured.module).count(toolkit.NodeKind.IF) == 1


def test_deprecation_warning_becomes_one_quiet_log_line_per_session(monkeypatch, caplog):
    monkeypatch.setattr(_OncePerSession, "shown", False)
    with warnings.catch_warnings(record=True) as seen, caplog.at_level(logging.WARNING, logger="toolkit"):
        warnings.simplefilter("always")
        toolkit.script(models.MyCell1())
        toolkit.trace(models.MyCell1(), models.example_inputs("MyCell1"))
        toolkit.script(models.MyDecisionGate())
    assert not [w for w in seen if "deprecated" in str(w.message)], "no warning box, torch's or ours"
    assert [(r.name, r.getMessage()) for r in caplog.records] == [("toolkit", DEPRECATION_NOTE)]
    assert "\n" not in DEPRECATION_NOTE and "deprecated" in DEPRECATION_NOTE


def test_in_a_kernel_the_note_is_a_quiet_display_with_a_plain_text_twin(monkeypatch, caplog):
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.utils.capture import capture_output

    shell = InteractiveShell.instance()
    monkeypatch.setattr(_OncePerSession, "shown", False)
    monkeypatch.setattr(capture, "_kernel_shell", lambda: shell)
    with capture_output() as shown, caplog.at_level(logging.WARNING, logger="toolkit"):
        toolkit.script(models.MyCell1())
        toolkit.script(models.MyCell1())
    [output] = shown.outputs
    assert output.data["text/plain"] == DEPRECATION_NOTE
    assert "color:#777" in output.data["text/html"] and "deprecated" in output.data["text/html"]
    assert caplog.records == [] and shown.stderr == ""


def test_trace_without_inputs():
    with pytest.raises(MissingExampleInputsError, match=r"tracing MyCell1 needs example inputs.*toolkit.trace\(model, \(torch.rand"):
        toolkit.trace(models.MyCell1())


def test_trace_failure_names_the_user_line():
    with pytest.raises(TracingError, match=r"could not run MyCell2 on the example inputs at .*models.py:\d+ `return F.linear|could not run MyCell2 .*mat1 and mat2"):
        toolkit.trace(models.MyCell2(), (torch.rand(3, 5), torch.rand(3, 4)))


class GateThenFail(torch.nn.Module):
    """Warns at the gate (a tensor read as a bool), then fails on a shape mismatch."""

    def forward(self, x):
        if x.sum() > 0:
            x = x * 2
        return x @ torch.ones(x.shape[1] + 1, 2)


def test_a_caller_names_its_subject_and_fix_and_keeps_the_warnings_seen_before_the_failure():
    with pytest.raises(TracingError, match=r"^my.api: torch.jit.trace failed on op 'gate' with inputs \(x\): could not run GateThenFail on the example inputs at .*test_capture.py:\d+ `return x @ .*RuntimeError: .*Fix: use a smaller x\.\n\(The error underneath, not shown: RuntimeError: mat1") as caught:
        toolkit.trace(GateThenFail(), (torch.ones(2, 3),), caller="my.api", subject="op 'gate' with inputs (x)", fix="use a smaller x")
    assert isinstance(caught.value.torch_error, RuntimeError) and caught.value.failed == "run"
    [record] = caught.value.tracer_warnings
    assert record.source_line == "if x.sum() > 0:" and "Python boolean" in record.message


def test_warn_again_shows_what_plain_torch_jit_trace_shows_at_the_users_line():
    captured = toolkit.trace(models.MyCell3(), models.example_inputs("MyCell3"))
    with warnings.catch_warnings(record=True) as shown:
        warnings.simplefilter("always")
        captured.warn_again()
    [warning] = shown
    assert warning.category is torch.jit.TracerWarning
    assert (warning.filename, warning.lineno) == (captured.warnings[0].file, captured.warnings[0].line)
    assert warning.filename.endswith("models.py")


def test_warn_again_keeps_hidden_the_warnings_torch_hides():
    captured = toolkit.trace(SplitHalf(), torch.rand(4, 2))
    assert captured.warnings and all(record.hidden_by_torch for record in captured.warnings)
    with warnings.catch_warnings(record=True) as shown:
        warnings.simplefilter("always")
        captured.warn_again()
    assert shown == []


def test_script_without_source():
    namespace: dict = {}
    exec("import torch\nclass NoSource(torch.nn.Module):\n    def forward(self, x):\n        return x + 1\n", namespace)
    with pytest.raises(
        ScriptingError,
        match=r"NoSource does not script: code whose Python source cannot be read \(source not available\)(?s:.*)Fix: Define the class",
    ) as info:
        toolkit.script(namespace["NoSource"]())
    assert info.value.category == "source_unavailable" and isinstance(info.value.torch_error, OSError)


class Unscriptable(torch.nn.Module):
    def forward(self, x):
        return {k: v for k, v in zip(*x)}


def test_script_unsupported_construct_says_where():
    with pytest.raises(ScriptingError, match=r"Unscriptable does not script: .* at .*test_capture.py:\d+\n    return \{k: v for k, v in zip\(\*x\)\}") as info:
        toolkit.script(Unscriptable())
    assert info.value.line == Unscriptable.forward.__code__.co_firstlineno + 1
    assert info.value.torch_message and info.value.fix


def test_script_of_a_model_holding_a_config_object_names_the_config_not_the_source():
    """Hugging Face models keep their config (a dataclass whose ``__init__`` has no source) as an attribute."""
    transformers = pytest.importorskip("transformers")
    config = transformers.BertConfig(
        hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=20, vocab_size=50
    )
    with pytest.raises(
        ScriptingError,
        match=r"BertModel does not script: an attribute holding a `BertConfig` object \(a plain Python class\) \(invalid custom class\)(?s:.*)Fix: Trace the model instead",
    ) as info:
        toolkit.script(transformers.BertModel(config))
    error = info.value
    assert error.source_line == "self.config = config" and error.file.endswith("modeling_bert.py")
    assert "move it into" not in str(error) and "Failed to get source for <function BertConfig.__init__" in error.torch_message


def test_script_refuses_a_non_module_clearly():
    with pytest.raises(NotTorchScriptError, match=r"toolkit.script needs an nn.Module, a function or a class, not Tensor"):
        toolkit.script(torch.ones(2))


def test_unknown_submodule_to_script():
    with pytest.raises(ScriptingError, match=r"MyCell3 has no submodule 'gate'. Fix: use one of \['dg', 'linear'\]"):
        toolkit.trace(models.MyCell3(), models.example_inputs("MyCell3"), script_submodules=("gate",))


@pytest.mark.parametrize("not_a_model", [None, torch.ones(2), torch.nn.Linear])
def test_trace_of_something_that_is_not_a_model_says_so_rather_than_blaming_the_inputs(not_a_model):
    with pytest.raises(NotTorchScriptError, match=r"^toolkit\.trace: torch\.jit\.trace needs an nn\.Module instance or a function to run, not (NoneType|Tensor|type) .*Fix: pass the model itself, built") as caught:
        toolkit.trace(not_a_model, (torch.ones(2),))
    assert "example inputs" not in str(caught.value)


def test_an_unknown_trace_option_is_named_as_an_option_not_as_the_inputs():
    with pytest.raises(TracingError, match=r"rejected the options for Linear: trace\(\) got an unexpected keyword argument 'bogus'\. Fix: pass only torch\.jit\.trace's keyword arguments") as caught:
        toolkit.trace(torch.nn.Linear(2, 2), (torch.ones(2),), bogus=1)
    assert "example inputs" not in str(caught.value) and caught.value.failed == "options"


class WithOtherMethod(torch.nn.Module):
    def forward(self, x):
        return x

    def other(self, x):
        return x * 2


class RaisesTypeErrorNamingTrace(torch.nn.Module):
    def forward(self, x):
        raise TypeError("trace() got an unexpected keyword argument 'x' (the model's own message)")


def test_an_unknown_option_for_another_method_is_an_option_too_and_a_models_own_type_error_is_not():
    with pytest.raises(TracingError, match=r"rejected the options for WithOtherMethod: trace_module\(\) got an unexpected keyword argument 'bogus'") as caught:
        toolkit.trace(WithOtherMethod(), (torch.ones(2),), method="other", bogus=1)
    assert caught.value.failed == "options"
    with pytest.raises(TracingError, match=r"could not run RaisesTypeErrorNamingTrace on the example inputs") as caught:
        toolkit.trace(RaisesTypeErrorNamingTrace(), (torch.ones(2),))
    assert caught.value.failed == "run"


def test_script_of_none_says_it_is_not_a_module_or_function():
    with pytest.raises(NotTorchScriptError, match=r"^toolkit\.script needs an nn\.Module, a function or a class, not NoneType \(None\)\. Fix: pass the model") as caught:
        toolkit.script(None)
    assert "rewrite that line" not in str(caught.value)


class Settings:
    """A TorchScript class torch compiles whole: its ``to_dict`` (``vars``) cannot compile."""

    def __init__(self, scale: torch.Tensor):
        self.scale = scale

    def to_dict(self):
        return dict(vars(self))


class UsesSettings(torch.nn.Module):
    def forward(self, x):
        return Settings(x).scale  # compiling Settings fails


def takes_kwargs(x, **options):
    return x


class CallsKwargs(torch.nn.Module):
    def forward(self, x):
        return takes_kwargs(x)  # the helper's **options fails


def test_a_kept_scripting_error_does_not_leak_into_the_next_explanation():
    """torch keeps a compiler call-stack entry alive as long as a failed class compile's frame lives."""
    with pytest.raises(ScriptingError) as first:
        toolkit.script(UsesSettings())
    kept = first.value  # a student keeps errors around (sys.last_value, a list of reports)
    with pytest.raises(ScriptingError) as second:
        toolkit.script(CallsKwargs())
    assert (second.value.file, second.value.line) == (__file__, takes_kwargs.__code__.co_firstlineno)
    assert "return Settings(x).scale" not in second.value.torch_message, "a stale frame of the first failure"
    assert kept.torch_error is not None and "vars" in kept.cause_text + kept.torch_message
    # The mechanism itself: the kept error's torch frames hold no locals (the compiler's guard
    # object lived in one), while its files and lines, all a message reads, are still there.
    frames = []
    tb = kept.torch_error.__traceback__
    while tb is not None:
        frames.append(tb.tb_frame)
        tb = tb.tb_next
    torch_frames = [f for f in frames if f.f_code.co_filename.startswith(os.path.dirname(torch.__file__))]
    assert torch_frames and all(not f.f_locals for f in torch_frames)
    assert all(f.f_code.co_filename and f.f_lineno for f in torch_frames)


def test_a_failure_in_a_notebook_cell_names_the_cell_as_the_notebook_shows_it():
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    shell.run_cell("import torch, toolkit", store_history=True)
    defined = shell.run_cell(
        "class LooksUpInACell(torch.nn.Module):\n    def forward(self, x):\n        return {'a': x}['b']\n",
        store_history=True,
    )
    result = shell.run_cell(
        "try:\n    toolkit.trace(LooksUpInACell(), (torch.ones(2),))\nexcept toolkit.TracingError as error:\n"
        "    failure = str(error)\n",
        store_history=True,
    )
    assert result.success, result.error_in_exec
    failure = shell.user_ns["failure"]
    assert f"could not run LooksUpInACell on the example inputs at cell [{defined.execution_count}]:3 `return {{'a': x}}['b']`: KeyError" in failure


def test_a_captures_graph_follows_the_library_rule_in_force():
    captured = toolkit.trace(torch.nn.Sequential(torch.nn.Linear(2, 2)), (torch.ones(1, 2),))
    outside = captured.ir
    assert captured.ir is outside  # built once per rule
    linear = lambda g: next(n for n in g.walk() if n.op == "aten::linear")  # noqa: E731
    assert not linear(outside).library  # traced from this file: the user's code
    with toolkit.library_code(library=[__file__]):  # this file declared library code
        inside = captured.ir
        assert inside is not outside and linear(inside).library
    assert captured.ir is outside
