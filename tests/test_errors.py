"""Our message first: a ToolkitError shows its own frames and message, and keeps torch's error (issue 11)."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import traceback
from pathlib import Path
import warnings
from contextlib import redirect_stdout

import pytest
import torch
from IPython.core.interactiveshell import InteractiveShell

import toolkit
from toolkit.errors import PartitionError, PipelineError, ToolkitError, TracingError

warnings.filterwarnings("ignore", category=DeprecationWarning)

REPO = Path(__file__).resolve().parents[1]


class ShapeMismatch(torch.nn.Module):
    def forward(self, x):
        return x @ torch.ones(x.shape[1] + 1, 2)


def _torch_failure() -> TracingError:
    with pytest.raises(TracingError, match=r"could not run ShapeMismatch on the example inputs") as caught:
        toolkit.trace(ShapeMismatch(), (torch.ones(2, 3),))
    return caught.value


def _in_notebook(error: BaseException) -> str:
    """What IPython's showtraceback (the notebook's display of a failed cell) prints for ``error``."""
    shell = InteractiveShell.instance()
    out = io.StringIO()
    try:
        raise error
    except ToolkitError:
        with redirect_stdout(out):
            shell.showtraceback()
    return out.getvalue()


def _torch_frames(text: str) -> list[str]:
    torch_dir = torch.__file__.rsplit("/", 1)[0]
    return [line for line in text.splitlines() if torch_dir in line]


def test_the_notebook_shows_our_message_and_no_torch_frame():
    error = _torch_failure()
    assert _torch_frames(error.cause_text)  # torch's frames are really underneath
    shown = _in_notebook(error)
    assert _torch_frames(shown) == []
    assert "TracingError: toolkit.trace: torch.jit.trace could not run ShapeMismatch" in shown
    assert "The above exception was the direct cause" not in shown
    assert "The error underneath, not shown: RuntimeError:" in shown and "sys.last_value.cause_text" in shown
    assert shown.count("The error underneath") == 1, "a detached error's note is the notebook's line, not a second one"


def test_torch_error_and_cause_text_keep_what_torch_said():
    error = _torch_failure()
    assert isinstance(error.torch_error, RuntimeError)
    assert error.__cause__ is None and error.__suppress_context__, "detached on its way out of toolkit.trace"
    assert error.cause_text.startswith("Traceback (most recent call last):")
    assert str(error.torch_error).strip().splitlines()[0] in error.cause_text
    assert _torch_frames(error.cause_text)


def test_an_error_raised_from_exc_anywhere_in_the_package_needs_no_change():
    # the way pipeline/, partition/ and render/ raise their errors, unchanged
    try:
        try:
            torch.ones(2) @ torch.ones(3)
        except RuntimeError as exc:
            raise PipelineError("InferenceOp 'cell' failed. Fix: check the shapes.") from exc
    except PipelineError as caught:
        error = caught
    shown = _in_notebook(error)
    assert "PipelineError: InferenceOp 'cell' failed. Fix: check the shapes." in shown
    assert _torch_frames(shown) == [] and isinstance(error.torch_error, RuntimeError)
    assert "The above exception was the direct cause" not in shown and shown.count("RuntimeError") == 1


def test_torch_error_skips_our_own_errors_in_the_chain_and_is_none_without_one():
    try:
        try:
            try:
                raise ValueError("the user's bad value")
            except ValueError as exc:
                raise PipelineError("inner") from exc
        except PipelineError as inner:
            raise PartitionError("outer") from inner
    except PartitionError as caught:
        assert isinstance(caught.torch_error, ValueError) and str(caught.torch_error) == "the user's bad value"
    plain = ToolkitError("no cause")
    assert plain.torch_error is None and plain.cause_text == ""
    assert "The error underneath" not in "\n".join(plain._render_traceback_())


def test_chain_false_leaves_torch_out_of_the_standard_formatter_too():
    error = _torch_failure()
    text = "".join(traceback.format_exception(type(error), error, error.__traceback__, chain=False))
    assert _torch_frames(text) == [] and str(error).splitlines()[-1] in text
    assert text.rstrip().endswith(error.__notes__[-1])


def test_the_notebook_shows_the_last_value_that_the_hint_names():
    error = _torch_failure()
    _in_notebook(error)
    assert sys.last_value is error and sys.last_value.cause_text == error.cause_text


def test_plain_python_prints_our_message_first_with_no_torch_frame_and_says_where_torch_s_error_is(tmp_path):
    script = tmp_path / "fails.py"
    script.write_text(
        "import torch, toolkit\n"
        "class ShapeMismatch(torch.nn.Module):\n"
        "    def forward(self, x):\n"
        "        return x @ torch.ones(x.shape[1] + 1, 2)\n"
        "toolkit.trace(ShapeMismatch(), (torch.ones(2, 3),))\n",
        encoding="utf-8",
    )
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300, cwd=REPO)
    assert done.returncode == 1
    shown = done.stderr
    assert _torch_frames(shown) == [] and "The above exception was the direct cause" not in shown
    ours = shown.index("toolkit.errors.TracingError: toolkit.trace: torch.jit.trace could not run ShapeMismatch")
    note = shown.index("(The error underneath, not shown: RuntimeError: mat1 and mat2 shapes cannot be multiplied")
    assert shown.index("Traceback (most recent call last)") < ours < note and "e.cause_text" in shown[note:]


def test_inside_the_package_the_chain_is_left_for_the_caller_to_read():
    """Callers in toolkit/ (check_trace, the partitioner) classify a failure by its ``__cause__``."""
    from toolkit import capture

    namespace = {"capture": capture, "model": ShapeMismatch(), "x": torch.ones(2, 3)}
    inside = os.path.join(os.path.dirname(capture.__file__), "a_caller_inside.py")
    exec(compile("def call():\n    return capture.trace(model, (x,), caller='inside')\n", inside, "exec"), namespace)
    with pytest.raises(TracingError, match=r"^inside: torch.jit.trace could not run ShapeMismatch") as caught:
        namespace["call"]()
    assert isinstance(caught.value.__cause__, RuntimeError) and caught.value.torch_error is caught.value.__cause__
    assert not getattr(caught.value, "__notes__", None)


def test_detach_keeps_everything_and_is_idempotent():
    try:
        try:
            raise KeyError("the user's missing key")
        except KeyError as exc:
            raise PipelineError("op 'cell' failed. Fix: pass the key.") from exc
    except PipelineError as caught:
        error = caught
    underneath = error.__cause__
    assert error.detach() is error and error.detach() is error
    assert error.__cause__ is None and error.torch_error is underneath and "KeyError" in error.cause_text
    assert len(error.__notes__) == 1 and "KeyError: \"the user's missing key\"" in error.__notes__[0]
    plain = "".join(traceback.format_exception(error))
    assert "KeyError" not in plain.split("PipelineError:")[0] and "the user's missing key" in plain
