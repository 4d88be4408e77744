"""Our message first: a ToolkitError shows its own frames and message, and keeps torch's error (issue 11)."""

from __future__ import annotations

import io
import sys
import traceback
import warnings
from contextlib import redirect_stdout

import pytest
import torch
from IPython.core.interactiveshell import InteractiveShell

import toolkit
from toolkit.errors import PartitionError, PipelineError, ToolkitError, TracingError

warnings.filterwarnings("ignore", category=DeprecationWarning)


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
    assert _torch_frames("".join(traceback.format_exception(error)))  # torch's frames are really in the chain
    shown = _in_notebook(error)
    assert _torch_frames(shown) == []
    assert "TracingError: toolkit.trace: torch.jit.trace could not run ShapeMismatch" in shown
    assert "The above exception was the direct cause" not in shown
    assert "The error underneath, not shown: RuntimeError:" in shown and "sys.last_value.cause_text" in shown


def test_torch_error_and_cause_text_keep_what_torch_said():
    error = _torch_failure()
    assert isinstance(error.torch_error, RuntimeError) and error.torch_error is error.__cause__
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
    assert _torch_frames(text) == [] and text.rstrip().endswith(str(error).splitlines()[-1])


def test_the_notebook_shows_the_last_value_that_the_hint_names():
    error = _torch_failure()
    _in_notebook(error)
    assert sys.last_value is error and sys.last_value.cause_text == error.cause_text
