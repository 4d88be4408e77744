"""The bad-input campaign's totals: run every row of tests/bad_inputs/cases.py and classify it.

Why: issue 11 reports the campaign as "N tried, N clear ToolkitErrors, N raw, N crashes, N files
left"; this prints the same line for the current tree, so a fix shows up as a change in totals.

Outcomes: *clear* = the row's ToolkitError subclass with a message meeting every check; *weak* = a
ToolkitError missing something (wrong subclass, no name/cause/"Fix:", torch frames shown); *raw* =
any other exception; *crash* = no exception at all, or the process of the row died (each row runs
in a child process, so an abort such as torch's exit 134 counts here instead of ending the run);
*files left* = rows that left a file or folder behind (counted on top of their outcome).

    .venv/bin/python bench/bad_inputs.py [--verbose]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import sys
import tempfile
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.bad_inputs.cases import CASES, problems, run_case  # noqa: E402
from toolkit.errors import ToolkitError  # noqa: E402


def classify(index: int, queue) -> None:
    case = CASES[index]
    with tempfile.TemporaryDirectory() as root, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        outcome = run_case(case, Path(root))
    found = problems(case, outcome)
    if outcome.error is None:
        kind = "crash"
    elif not isinstance(outcome.error, ToolkitError):
        kind = "raw"
    else:
        kind = "clear" if not [p for p in found if not p.startswith("files left")] else "weak"
    queue.put({"id": case.id, "kind": kind, "left": bool(outcome.left), "problems": found})


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--verbose", action="store_true", help="print every row that is not clear")
    args = parser.parse_args()
    context = multiprocessing.get_context("fork")
    rows = []
    for index, case in enumerate(CASES):
        queue = context.Queue()
        child = context.Process(target=classify, args=(index, queue))
        child.start()
        child.join(300)
        if child.is_alive():
            child.kill()
        rows.append(queue.get() if not queue.empty() else {"id": case.id, "kind": "crash", "left": False, "problems": [f"child exit {child.exitcode}"]})
    totals = {kind: sum(r["kind"] == kind for r in rows) for kind in ("clear", "weak", "raw", "crash")}
    left = sum(r["left"] for r in rows)
    if args.verbose:
        for r in rows:
            if r["kind"] != "clear" or r["left"]:
                print(json.dumps(r, ensure_ascii=False))
    print(f"{len(rows)} tried, {totals['clear']} clear ToolkitErrors, {totals['weak']} weaker ToolkitErrors, {totals['raw']} raw, {totals['crash']} crashes, {left} files left")
    return 0


if __name__ == "__main__":
    sys.exit(main())
