"""check_trace on bad arguments, empty inputs and functions with global state (issue 11)."""

from __future__ import annotations

import math
import types
import warnings

import pytest
import torch

import toolkit
from toolkit.analysis.lost_flow.check import CheckOptions, check_trace
from toolkit.errors import CheckOptionsError

warnings.filterwarnings("ignore", category=DeprecationWarning)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        ({"budget_s": "10"}, r"got budget_s='10' \(str\); the time budget must be a number of seconds, not negative.*Fix: pass a number, e\.g\. budget_s=10\."),
        ({"budget_s": math.nan}, r"got budget_s=nan \(float\);.*math\.inf means no budget"),
        ({"budget_s": -1}, r"got budget_s=-1 \(int\);"),
        ({"budget_s": True}, r"got budget_s=True \(bool\);"),
        ({"check_inputs": "x"}, r"got check_inputs='x' \(str\); it takes a list of extra inputs, each a tensor or a tuple of arguments\. Fix: wrap them"),
        ({"check_inputs": torch.ones(2, 4)}, r"got check_inputs=tensor\(\[\[1\., 1\., 1\., 1\.\], \[1\., 1\., 1\., 1\.\]\]\) \(Tensor\); it takes a list"),
        ({"options": "fast"}, r"got options='fast' \(str\); it takes a toolkit CheckOptions, or a dict of torch\.jit\.trace keyword arguments\. Fix: pass CheckOptions\(\.\.\.\)"),
        ({"options": {"strictt": False}}, r"got options key 'strictt', which is neither a torch\.jit\.trace argument \(.*strict.*\) nor a CheckOptions field .*Fix: spell it"),
        ({"options": CheckOptions(budget_s=math.nan)}, r"got options\.budget_s=nan \(float\);.*Fix: pass a number, e\.g\. budget_s=10\."),
    ],
)
def test_a_bad_setting_is_a_clear_error_naming_it(call, message):
    with pytest.raises(CheckOptionsError, match=r"^check_trace\(Linear\) " + message):
        check_trace(torch.nn.Linear(4, 4), (torch.rand(2, 4),), **call)


def test_no_budget_is_spelled_math_inf():
    report = check_trace(torch.nn.Linear(4, 4), (torch.rand(2, 4),), budget_s=math.inf)
    assert report.ok and not report.partial and report.tried > 0


def test_an_empty_input_gives_a_report_that_says_its_values_cannot_be_varied():
    report = check_trace(torch.nn.Linear(4, 4), (torch.empty(0, 4),))
    assert report.ok and report.tried > 0
    [note] = report.notes
    assert note.startswith("argument 0 is an empty tensor (shape (0, 4)): the check cannot vary the values of an empty tensor")


CALLS = 0
SEEN: list = []
STATS = types.SimpleNamespace(calls=0)


def counting(x):
    global CALLS
    CALLS += 1
    return x * 2


def appending(x):
    SEEN.append(x.shape[0])
    return x + 1


def mutating_an_object(x):
    STATS.calls += 1
    return x - 1


class CountingModule(torch.nn.Module):
    def forward(self, x):
        global CALLS
        CALLS += 1
        return x.relu()


def test_a_global_counter_is_put_back_and_runs_do_not_see_each_other():
    global CALLS
    CALLS = 0
    report = check_trace(counting, (torch.rand(3, 4),))
    assert CALLS == 0
    assert report.tried > 10 and report.notes == ()


def test_a_forward_counting_in_a_global_is_put_back_too():
    global CALLS
    CALLS = 5
    check_trace(CountingModule(), (torch.rand(3, 4),))
    assert CALLS == 5


def test_a_global_list_gets_its_items_back_in_place():
    SEEN[:] = ["before"]
    same_list = SEEN
    report = check_trace(appending, (torch.rand(3, 4),))
    assert SEEN is same_list and SEEN == ["before"]
    assert report.notes == ()


def test_an_object_the_check_cannot_put_back_is_named_in_the_report():
    STATS.calls = 0
    report = check_trace(mutating_an_object, (torch.rand(3, 4),))
    assert STATS.calls > 0  # the object's attribute really changed: nothing hides it
    [note] = report.notes
    assert note.startswith("the check changed the global 'STATS' (SimpleNamespace), which it cannot put back: attribute(s) calls")
    assert f"note: {note}" in str(report)  # the student reads it in the report, text and HTML alike
    assert "the check changed the global &#x27;STATS&#x27;" in report._repr_mimebundle_()["text/html"]


def test_options_error_is_public():
    assert toolkit.CheckOptionsError is CheckOptionsError
