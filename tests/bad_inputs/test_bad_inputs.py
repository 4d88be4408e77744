"""Every row of the bad-input campaign (:mod:`tests.bad_inputs.cases`) meets the house standard.

For each bad input: the call raises the row's ToolkitError subclass; the message names the input,
gives the cause and a fix ("Fix:"); ``traceback.format_exception`` shows our message with no
chained torch traceback and no frame in torch's files; and the row's folder (the current folder
during the call, and its parent) holds exactly what it held before.
"""

from __future__ import annotations

import warnings

import pytest

from tests.bad_inputs.cases import CASES, problems, run_case


def test_the_campaign_has_at_least_80_distinct_rows():
    ids = [case.id for case in CASES]
    assert len(ids) >= 80 and len(set(ids)) == len(ids)


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_bad_input_gets_a_clear_toolkit_error(case, tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        outcome = run_case(case, tmp_path)
    found = problems(case, outcome)
    assert not found, f"{case.id}: " + " | ".join(found)
