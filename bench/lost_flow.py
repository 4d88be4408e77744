"""Bench: how well does ``toolkit.check_trace`` find behaviour lost by tracing, against torch's own signals?

Runs every case of ``tests/lost_flow_cases`` (modules that lose behaviour under trace, and
trace-safe look-alikes) through five detectors, measured in the same run on the same cases:

- ``toolkit.check_trace``: a case counts as found when a finding is *proven*; a proven finding on
  a look-alike is a false alarm; the line is exact when a proven finding names a line the case
  marks ``# LOST``;
- **TracerWarnings alone**: what a user sees (torch's default filter hides warnings raised inside
  torch); found = any TracerWarning; exact = a warning on a lost line;
- **torch.jit.trace check_trace defaults** (``check_inputs`` unset, so the example is reused):
  found = TracingCheckError or a check warning ("does not match", "nondeterministic");
- **torch.export** (non-strict, every dim ``Dim.AUTO``): found = export raises; exact = the
  error names a lost line;
- **torch._dynamo.explain**: found = a graph break; exact = a break's user stack names a lost line.

Times are wall-clock per case after one warm-up call per detector (first-call costs such as
compiling TorchScript builtins are excluded), so medians compare detectors, not start-up.

Usage::

    python bench/lost_flow.py                 # the table
    python bench/lost_flow.py --verbose       # plus one line per case and detector
    python bench/lost_flow.py --only decision_gate rotary_cache
    python bench/lost_flow.py --skip-baselines
"""

from __future__ import annotations

import argparse
import contextlib
import io
import logging
import os
import random
import re
import statistics
import sys
import time
import traceback
import warnings
from dataclasses import dataclass
from typing import Any, Callable

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

import numpy as np  # noqa: E402
import torch  # noqa: E402

from tests.lost_flow_cases import CATEGORIES, Case, all_cases  # noqa: E402
from toolkit.analysis.lost_flow.check import CheckOptions, check_trace  # noqa: E402

_JIT_DEPRECATION = r"`torch\.jit\.[\w.]+` is deprecated"


@dataclass(frozen=True)
class Verdict:
    """One detector on one case: did it flag, which lines did it name, how long did it take."""

    flagged: bool
    lines: tuple[int, ...]
    seconds: float
    note: str = ""


def _as_args(example: Any) -> tuple:
    return example if isinstance(example, tuple) else (example,)


def _lines_in(text: str, file: str) -> tuple[int, ...]:
    """Every ``<file>:<line>`` / ``File "<file>", line N`` / ``<file>(N)`` mention of ``file``."""
    base = re.escape(os.path.basename(file))
    pattern = re.compile(rf"{base}(?:\"?, line |:|\()(\d+)")
    return tuple(sorted({int(m.group(1)) for m in pattern.finditer(text)}))


def _frames_in(exc: BaseException, file: str) -> tuple[int, ...]:
    return tuple(sorted({f.lineno for f in traceback.extract_tb(exc.__traceback__) if f.filename == file}))


# ---------------------------------------------------------------------------------------------
# The detectors
# ---------------------------------------------------------------------------------------------


def ours(case: Case) -> Verdict:
    model, example = case.build()
    start = time.perf_counter()
    report = check_trace(model, example, options=CheckOptions(trace_kwargs=case.trace_kwargs, progress=False))
    seconds = time.perf_counter() - start
    lines = tuple(sorted({f.line for f in report.proven if f.file == case.file}))
    categories = ",".join(sorted({f.category for f in report.proven}))
    return Verdict(bool(report.proven), lines, seconds, categories)


def tracer_warnings(case: Case) -> Verdict:
    model, example = case.build()
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.filterwarnings("always", category=torch.jit.TracerWarning)
        # what a user sees: torch hides TracerWarnings raised inside its own modules
        warnings.filterwarnings("ignore", category=torch.jit.TracerWarning, module=r"torch.(?!jit)")
        warnings.filterwarnings("ignore", message=_JIT_DEPRECATION, category=DeprecationWarning)
        try:
            torch.jit.trace(model, _as_args(example), check_trace=False, **case.trace_kwargs)
        except Exception as exc:  # noqa: BLE001 - an error is also what the user sees
            caught.append(warnings.WarningMessage(str(exc), RuntimeError, "", 0))
    seconds = time.perf_counter() - start
    tracer = [w for w in caught if issubclass(w.category, (torch.jit.TracerWarning, RuntimeError))]
    lines = tuple(sorted({w.lineno for w in tracer if w.filename == case.file}))
    return Verdict(bool(tracer), lines, seconds)


def default_check_trace(case: Case) -> Verdict:
    model, example = case.build()
    start = time.perf_counter()
    flagged, text = False, ""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            torch.jit.trace(model, _as_args(example), **case.trace_kwargs)
        except Exception as exc:  # noqa: BLE001 - TracingCheckError and friends
            flagged, text = True, str(exc)
    seconds = time.perf_counter() - start
    for w in caught:
        message = str(w.message)
        if issubclass(w.category, torch.jit.TracerWarning) and (
            "does not match" in message or "nondeterministic" in message or "Output nr" in message
        ):
            flagged, text = True, text + "\n" + message
    return Verdict(flagged, _lines_in(text, case.file), seconds)


def export(case: Case) -> Verdict:
    from torch.export import Dim

    model, example = case.build()
    args = _as_args(example)
    dynamic = tuple({d: Dim.AUTO for d in range(a.dim())} if isinstance(a, torch.Tensor) else None for a in args)
    start = time.perf_counter()
    flagged, lines = False, ()
    quiet = io.StringIO()
    with warnings.catch_warnings(), contextlib.redirect_stderr(quiet):
        warnings.simplefilter("ignore")
        try:
            torch.export.export(model, args, dynamic_shapes=dynamic, strict=False)
        except Exception as exc:  # noqa: BLE001 - any refusal counts as a flag
            flagged = True
            lines = tuple(sorted(set(_frames_in(exc, case.file)) | set(_lines_in(str(exc), case.file))))
    return Verdict(flagged, lines, time.perf_counter() - start)


def dynamo_explain(case: Case) -> Verdict:
    import torch._dynamo

    model, example = case.build()
    torch._dynamo.reset()
    start = time.perf_counter()
    quiet = io.StringIO()
    with warnings.catch_warnings(), contextlib.redirect_stderr(quiet):
        warnings.simplefilter("ignore")
        try:
            explanation = torch._dynamo.explain(model)(*_as_args(example))
        except Exception as exc:  # noqa: BLE001 - explain itself failing is reported as a flag
            return Verdict(True, _frames_in(exc, case.file), time.perf_counter() - start, "explain raised")
    seconds = time.perf_counter() - start
    lines: set[int] = set()
    for reason in explanation.break_reasons:
        for frame in getattr(reason, "user_stack", []) or []:
            if frame.filename == case.file:
                lines.add(frame.lineno)
    flagged = explanation.graph_break_count > 0 or bool(explanation.break_reasons)
    return Verdict(flagged, tuple(sorted(lines)), seconds)


DETECTORS: dict[str, Callable[[Case], Verdict]] = {
    "toolkit.check_trace": ours,
    "TracerWarnings alone": tracer_warnings,
    "jit.trace check_trace (defaults)": default_check_trace,
    "torch.export (Dim.AUTO)": export,
    "torch._dynamo.explain": dynamo_explain,
}


# ---------------------------------------------------------------------------------------------
# Running and printing
# ---------------------------------------------------------------------------------------------


def _seeded(detector: Callable[[Case], Verdict], case: Case) -> Verdict:
    """Every detector starts each case from the same RNG state, so the table is reproducible."""
    torch.manual_seed(0)
    random.seed(0)
    np.random.seed(0)
    return detector(case)


def _warm_up(detector: Callable[[Case], Verdict], case: Case) -> None:
    with contextlib.suppress(Exception):
        _seeded(detector, case)


def _percent(part: int, whole: int) -> str:
    return f"{part}/{whole} {100 * part / whole:3.0f}%" if whole else "n/a"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="case names to run")
    parser.add_argument("--skip-baselines", action="store_true", help="run toolkit.check_trace only")
    parser.add_argument("--verbose", action="store_true", help="one line per case and detector")
    options = parser.parse_args(argv)
    logging.disable(logging.WARNING)  # dynamo/export log warnings on stderr; the table is the output

    cases = [c for c in all_cases() if not options.only or c.name in options.only]
    detectors = {"toolkit.check_trace": ours} if options.skip_baselines else DETECTORS
    diverging = [c for c in cases if c.diverges]
    safe = [c for c in cases if not c.diverges]

    results: dict[str, dict[str, Verdict]] = {name: {} for name in detectors}
    warm = all_cases()[0]
    for name, detector in detectors.items():
        _warm_up(detector, warm)
        for case in cases:
            results[name][case.name] = _seeded(detector, case)
            if options.verbose:
                v = results[name][case.name]
                exact = "exact" if set(v.lines) & set(case.lost_lines) else ""
                print(
                    f"  {name:34s} {case.name:26s} {str(case.category):4s} flagged={str(v.flagged):5s}"
                    f" lines={list(v.lines)} lost={list(case.lost_lines)} {exact:5s} {v.seconds:6.2f}s {v.note}"
                )

    print(
        f"lost_flow bench: {len(diverging)} diverging cases ({len({c.category for c in diverging})} categories),"
        f" {len(safe)} trace-safe look-alikes; torch {torch.__version__}, {os.cpu_count()} CPU(s)"
    )
    header = f"{'detector':34s} {'recall':>12s} {'false alarms':>13s} {'exact line':>12s} {'median s':>9s} {'max s':>7s}"
    print(header)
    print("-" * len(header))
    for name in detectors:
        verdicts = results[name]
        found = [c for c in diverging if verdicts[c.name].flagged]
        alarms = [c for c in safe if verdicts[c.name].flagged]
        exact = [c for c in diverging if set(verdicts[c.name].lines) & set(c.lost_lines) and verdicts[c.name].flagged]
        times = [v.seconds for v in verdicts.values()]
        print(
            f"{name:34s} {_percent(len(found), len(diverging)):>12s} {f'{len(alarms)}/{len(safe)}':>13s}"
            f" {_percent(len(exact), len(diverging)):>12s} {statistics.median(times):9.2f} {max(times):7.2f}"
        )
    print()
    print("recall by category (diverging cases found / cases):")
    print(f"{'':34s} " + " ".join(f"{c:>5s}" for c in CATEGORIES))
    for name in detectors:
        cells = []
        for category in CATEGORIES:
            in_category = [c for c in diverging if c.category == category]
            hits = sum(results[name][c.name].flagged for c in in_category)
            cells.append(f"{hits}/{len(in_category)}" if in_category else "-")
        print(f"{name:34s} " + " ".join(f"{cell:>5s}" for cell in cells))

    missed = [c.name for c in diverging if not results["toolkit.check_trace"][c.name].flagged]
    false = [c.name for c in safe if results["toolkit.check_trace"][c.name].flagged]
    inexact = [
        c.name
        for c in diverging
        if results["toolkit.check_trace"][c.name].flagged
        and not set(results["toolkit.check_trace"][c.name].lines) & set(c.lost_lines)
    ]
    also = {
        c.name: [line for line in results["toolkit.check_trace"][c.name].lines if line not in c.lost_lines]
        for c in diverging
    }
    also = {name: lines for name, lines in also.items() if lines}
    print()
    print(f"toolkit.check_trace missed: {missed or 'none'}; false alarms: {false or 'none'}; line not exact: {inexact or 'none'}")
    print(f"toolkit.check_trace proven lines besides the marked one (second losses in the same module): {also or 'none'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
