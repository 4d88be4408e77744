"""Bench: how well does the scripting explainer say what failed, where, and how to fix it, against torch's raw message?

Runs every case of ``tests/script_error_cases`` (modules ``torch.jit.script`` refuses, each with
a recorded category, construct line and fix kind) and scores, on the same exceptions:

- **the explainer** (``toolkit.analysis.script_errors.explain.explain_failure``): right category,
  exact line (the case's file and ``# construct`` line), the recorded fix kind named, crashes;
- **torch's raw message** (the text of the exception ``torch.jit.script`` raised): does it name
  the construct's line (``File "<case file>", line N`` or ``<case file>:N``), and, for the fix
  kinds a phrase can name (an annotation, a ``None`` check, ``@torch.jit.ignore``/``unused``,
  tracing, ``script_if_tracing``, source files), does it mention that fix. Torch names no
  category, so that cell is empty.

Scoring is shared with the test that holds the goals (``tests/script_error_cases/_evaluation.py``).
Times per explanation are wall-clock, for information only; nothing here asserts on them.

Usage::

    python bench/script_errors.py              # plain-text tables
    python bench/script_errors.py --markdown   # the same tables in Markdown
    python bench/script_errors.py --verbose    # plus one line per case
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from typing import Callable, Sequence

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

import torch  # noqa: E402

from tests.script_error_cases import CASE_CATEGORIES, all_cases  # noqa: E402
from tests.script_error_cases._evaluation import Outcome, evaluate  # noqa: E402

GOALS = {"category": 0.90, "line": 0.90, "fix": 0.80}


def _ratio(outcomes: Sequence[Outcome], passed: Callable[[Outcome], bool | None]) -> str:
    """``hits/scored pct``, leaving out the outcomes where ``passed`` is ``None`` (not meaningful)."""
    verdicts = [passed(o) for o in outcomes]
    scored = [v for v in verdicts if v is not None]
    if not scored:
        return "-"
    hits = sum(bool(v) for v in scored)
    return f"{hits}/{len(scored)} {100 * hits / len(scored):.0f}%"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], *, markdown: bool) -> str:
    if markdown:
        lines = ["| " + " | ".join(header) + " |", "|" + "|".join(["---"] * len(header)) + "|"]
        lines += ["| " + " | ".join(row) + " |" for row in rows]
        return "\n".join(lines)
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows)]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(header, widths))]
    lines.append("-" * len(lines[0]))
    lines += ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)) for row in rows]
    return "\n".join(lines)


def _share(outcomes: Sequence[Outcome], passed: Callable[[Outcome], bool]) -> float:
    return sum(passed(o) for o in outcomes) / len(outcomes)


def summary_rows(outcomes: Sequence[Outcome]) -> list[list[str]]:
    crashes = sum(o.crash is not None for o in outcomes)
    return [
        ["right category", _ratio(outcomes, lambda o: o.category_right), "- (names none)", f">= {GOALS['category']:.0%}"],
        ["exact line", _ratio(outcomes, lambda o: o.line_right), _ratio(outcomes, lambda o: o.torch_line_right), f">= {GOALS['line']:.0%}"],
        ["recorded fix kind named", _ratio(outcomes, lambda o: o.fix_named), "- (names no fix kind)", f">= {GOALS['fix']:.0%}"],
        ["fix mentioned (where a phrase can name it)", "-", _ratio(outcomes, lambda o: o.torch_mentions_fix), ""],
        ["crashes", f"{crashes}/{len(outcomes)}", "-", "0"],
    ]


def category_rows(outcomes: Sequence[Outcome]) -> list[list[str]]:
    rows = []
    for category in CASE_CATEGORIES:
        group = [o for o in outcomes if o.case.category == category]
        if not group:
            continue
        rows.append(
            [
                category,
                str(len(group)),
                _ratio(group, lambda o: o.category_right),
                _ratio(group, lambda o: o.line_right),
                _ratio(group, lambda o: o.fix_named),
                _ratio(group, lambda o: o.torch_line_right),
            ]
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--markdown", action="store_true", help="print Markdown tables")
    parser.add_argument("--verbose", action="store_true", help="one line per case")
    options = parser.parse_args(argv)

    cases = all_cases()
    evaluate(cases[0])  # warm-up: the first explanation pays for imports (torch's first message is kept)
    outcomes = [evaluate(case) for case in cases]
    markdown = options.markdown

    print(
        f"script_errors bench: {len(outcomes)} cases in {len({c.category for c in cases})} categories;"
        f" torch {torch.__version__}, {os.cpu_count()} CPU(s)"
    )
    print()
    print(_table(["", "explainer", "torch's raw message", "goal"], summary_rows(outcomes), markdown=markdown))
    print()
    print(
        _table(
            ["category", "cases", "our category", "our line", "our fix kind", "torch's line"],
            category_rows(outcomes),
            markdown=markdown,
        )
    )
    times_ms = [1000 * o.seconds for o in outcomes]
    print()
    print(f"time per explanation: median {statistics.median(times_ms):.1f} ms, max {max(times_ms):.1f} ms (information only)")
    met = (
        _share(outcomes, lambda o: o.category_right) >= GOALS["category"]
        and _share(outcomes, lambda o: o.line_right) >= GOALS["line"]
        and _share(outcomes, lambda o: o.fix_named) >= GOALS["fix"]
        and not any(o.crash for o in outcomes)
    )
    print(f"goals met: {'yes' if met else 'no'}")
    beaten = [o.case.name for o in outcomes if o.line_right and not o.torch_line_right]
    print(f"cases where the explainer has the line and torch's message does not: {beaten or 'none'}")
    if options.verbose:
        print()
        for outcome in outcomes:
            torch_mark = "torch-line" if outcome.torch_line_right else "torch-elsewhere"
            print(f"  {outcome.describe()} {torch_mark} {1000 * outcome.seconds:.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
