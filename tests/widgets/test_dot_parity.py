"""The browser draws what Python draws: Python's assembly of the DOT statements against the
stored output of the browser's ``assemble.js`` (see :mod:`tests.widgets.dot_parity`)."""

from __future__ import annotations

import pytest

from tests.widgets.dot_parity import REFRESH, dot_digest, parity_cases, read_fixture
from toolkit.render.dot import write_dot

STATIC_STATES = ("all", "depth0", "depth1+deep", "first-closed", "depth1-LR-unlabelled")


@pytest.fixture(scope="module")
def cases(zoo):
    return parity_cases(zoo)


def test_every_case_has_a_stored_browser_answer_for_its_current_input(cases):
    stored = read_fixture()
    assert sorted(stored) == sorted(c.name for c in cases), f"the fixture lists other cases; rerun `{REFRESH}`"
    stale = [c.name for c in cases if stored[c.name]["input"] != c.digest()]
    assert not stale, f"Python's statements changed since the browser answered for {stale}; rerun `{REFRESH}`"


def test_python_assembles_the_dot_the_browser_assembled(cases):
    stored = read_fixture()
    assert len(cases) == 60
    for case in cases:
        _assert_same(case.python_dot(), stored[case.name], case.name)


def test_the_static_writer_draws_what_the_browser_draws_without_folds(cases):
    stored = read_fixture()
    static = [c for c in cases if c.name.rpartition(" ")[2] in STATIC_STATES]
    assert len(static) == 30
    for case in static:
        _assert_same(write_dot(case.drawing, case.options), stored[case.name], case.name)


def _assert_same(python_dot: str, answer: dict, name: str) -> None:
    if "dot" in answer:
        assert python_dot == answer["dot"], name
    assert dot_digest(python_dot) == answer["dot_sha256"], name
