"""The lost-by-tracing evaluation set: its format holds, and check_trace meets it per category.

The full sweep (every case, against the baselines) is ``bench/lost_flow.py``; here one
representative per category is checked end to end, and every trace-safe look-alike must stay
free of proven findings.
"""

from __future__ import annotations

import re

import pytest
import torch

from tests.lost_flow_cases import CATEGORIES, all_cases, diverging, lookalikes
from toolkit.analysis.lost_flow.check import CheckOptions, check_trace

_CITATION = re.compile(r"(#\d+|PR #\d+|github\.com|\w+/\w+|tutorial|docs|\.py)")


def _first_per_category():
    chosen = {}
    for case in diverging():
        chosen.setdefault(case.category, case)
    return [chosen[c] for c in CATEGORIES]


def _check(case):
    model, example = case.build()
    return check_trace(model, example, options=CheckOptions(trace_kwargs=case.trace_kwargs, progress=False))


# --- the registry ---------------------------------------------------------------------------


def test_the_set_is_big_enough_and_covers_every_category():
    assert len(diverging()) >= 40
    assert len(lookalikes()) >= 10
    assert {c.category for c in diverging()} == set(CATEGORIES)


def test_case_names_are_unique():
    names = [c.name for c in all_cases()]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("case", all_cases(), ids=lambda c: c.name)
def test_each_case_cites_its_source_and_marks_its_lost_line(case):
    assert _CITATION.search(case.source), f"{case.name}: the source should cite an issue, PR or file"
    if case.diverges:
        assert case.lost_lines, f"{case.name}: mark the lost line with '# LOST: {case.name}'"
        assert case.resembles is None
    else:
        assert case.lost_lines == ()
        assert case.resembles in CATEGORIES


@pytest.mark.parametrize("case", all_cases(), ids=lambda c: c.name)
def test_each_case_runs_in_eager_pytorch(case):
    model, example = case.build()
    args = example if isinstance(example, tuple) else (example,)
    with torch.no_grad():
        model(*args)


def test_cases_are_deterministic():
    case = diverging()[0]
    (_, first), (_, second) = case.build(), case.build()
    assert torch.equal(first[0], second[0])


# --- check_trace on the set ------------------------------------------------------------------


@pytest.mark.parametrize("case", _first_per_category(), ids=lambda c: f"{c.category}-{c.name}")
def test_one_case_per_category_is_proven_at_its_lost_line(case):
    report = _check(case)
    assert not report.ok
    proven_lines = {(f.file, f.line) for f in report.proven}
    assert any((case.file, line) in proven_lines for line in case.lost_lines), str(report)
    finding = next(f for f in report.proven if f.file == case.file and f.line in case.lost_lines)
    assert finding.counterexample is not None
    assert finding.what and finding.why and finding.fix
    assert finding.source_line and "LOST" in finding.source_line
    assert "differential" in finding.evidence


@pytest.mark.parametrize("case", lookalikes(), ids=lambda c: c.name)
def test_trace_safe_lookalikes_have_no_proven_finding(case):
    report = _check(case)
    assert report.ok, str(report)
    assert report.proven == ()
    assert all(run.status != "diverged" for run in report.runs)
