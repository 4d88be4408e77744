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
    python bench/lost_flow.py --real          # plus real models: torchvision (via the shim), torch, transformers

``--real`` checks real models as a student would (eval mode, random weights, small inputs):
torchvision ResNet-18/50, MobileNetV3-small and EfficientNet-B0, ``nn.TransformerEncoderLayer``,
``nn.LSTM`` and tiny GPT-2 / BERT configurations. It prints proven and suspected counts, every
proven line, the seconds taken and that time as a multiple of one eager forward pass of the same
model measured in the same run (the machine may be shared, so the ratio is the number to compare).
A proven finding on an eval-mode vision model is a false alarm: they have no data-dependent
control flow.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import logging
import math
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


# ---------------------------------------------------------------------------------------------
# Real models
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RealModel:
    """One real model, built on demand: ``build() -> (model, example_inputs, trace_kwargs)``."""

    name: str
    vision: bool
    build: Callable[[], tuple[Any, Any, dict]]


def _torchvision_model(name: str, size: int) -> Callable[[], tuple[Any, Any, dict]]:
    def build() -> tuple[Any, Any, dict]:
        from tests.real_models.torchvision_shim import import_torchvision

        torchvision = import_torchvision()
        torch.manual_seed(0)
        model = getattr(torchvision.models, name)(weights=None).eval()
        return model, (torch.randn(1, 3, size, size),), {}

    return build


def _transformers_model(kind: str) -> Callable[[], tuple[Any, Any, dict]]:
    def build() -> tuple[Any, Any, dict]:
        import transformers

        transformers.logging.set_verbosity_error()
        torch.manual_seed(0)
        if kind == "gpt2":
            config = transformers.GPT2Config(n_layer=2, n_embd=32, n_head=2, vocab_size=100, use_cache=False)
            model = transformers.GPT2Model(config).eval()
        else:
            config = transformers.BertConfig(
                num_hidden_layers=2, hidden_size=32, num_attention_heads=2, intermediate_size=64, vocab_size=100
            )
            model = transformers.BertModel(config).eval()
        ids = torch.randint(0, 100, (2, 6), generator=torch.Generator().manual_seed(0))
        return model, {"input_ids": ids, "attention_mask": torch.ones(2, 6, dtype=torch.long)}, {"strict": False}

    return build


def _torch_model(kind: str) -> Callable[[], tuple[Any, Any, dict]]:
    def build() -> tuple[Any, Any, dict]:
        torch.manual_seed(0)
        if kind == "encoder":
            model: Any = torch.nn.TransformerEncoderLayer(16, 2, 32, batch_first=True).eval()
        else:
            model = torch.nn.LSTM(16, 32, num_layers=2, batch_first=True)
        return model, (torch.randn(2, 5, 16),), {}

    return build


REAL_MODELS = (
    RealModel("resnet18 64x64", True, _torchvision_model("resnet18", 64)),
    RealModel("resnet50 64x64", True, _torchvision_model("resnet50", 64)),
    RealModel("resnet50 224x224", True, _torchvision_model("resnet50", 224)),
    RealModel("mobilenet_v3_small 64x64", True, _torchvision_model("mobilenet_v3_small", 64)),
    RealModel("efficientnet_b0 64x64", True, _torchvision_model("efficientnet_b0", 64)),
    RealModel("TransformerEncoderLayer", False, _torch_model("encoder")),
    RealModel("LSTM", False, _torch_model("lstm")),
    RealModel("GPT-2 (2 layers, 32 wide)", False, _transformers_model("gpt2")),
    RealModel("BERT (2 layers, 32 wide)", False, _transformers_model("bert")),
)


def _one_forward_seconds(model: Any, example: Any) -> float:
    """The fastest of three eager forward passes: the unit the check's time is measured in."""
    args, kwargs = ((), example) if isinstance(example, dict) else (_as_args(example), {})
    best = math.inf
    with torch.no_grad():
        for _ in range(3):
            start = time.perf_counter()
            model(*args, **kwargs)
            best = min(best, time.perf_counter() - start)
    return best


def real_models(verbose: bool) -> int:
    """Check every real model; print counts, proven lines and times. Returns the vision false alarms."""
    from tests.real_models.torchvision_shim import TorchvisionUnavailable

    print()
    print("real models (eval mode, random weights): proven findings on the vision models are false alarms")
    header = f"{'model':28s} {'proven':>6s} {'suspected':>9s} {'seconds':>8s} {'forwards':>9s}  verdict"
    print(header)
    print("-" * len(header))
    false_alarms = 0
    for real in REAL_MODELS:
        try:
            model, example, trace_kwargs = real.build()
        except (TorchvisionUnavailable, ImportError) as exc:
            print(f"{real.name:28s} not run: {exc}")
            continue
        with contextlib.redirect_stderr(io.StringIO()):
            forward = _one_forward_seconds(model, example)
            start = time.perf_counter()
            report = check_trace(model, example, options=CheckOptions(trace_kwargs=trace_kwargs, progress=False))
            seconds = time.perf_counter() - start
        if real.vision:
            false_alarms += len(report.proven)
        verdict = "ok" if report.ok else "lost behaviour"
        if report.partial:
            verdict += " (partial: budget spent)"
        print(
            f"{real.name:28s} {len(report.proven):6d} {len(report.suspected):9d} {seconds:8.1f}"
            f" {seconds / forward:8.0f}x  {verdict}"
        )
        shown = report.findings if verbose else report.proven
        for finding in shown:
            where = os.path.relpath(finding.file, ROOT) if os.path.isabs(finding.file) else finding.file
            print(f"    {finding.severity:9s} {finding.category:3s} {where}:{finding.line}  {(finding.source_line or '')[:70]}")
    print(f"proven findings on eval-mode vision models (false alarms): {false_alarms}")
    return false_alarms


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="case names to run")
    parser.add_argument("--skip-baselines", action="store_true", help="run toolkit.check_trace only")
    parser.add_argument("--verbose", action="store_true", help="one line per case and detector")
    parser.add_argument("--real", action="store_true", help="also check real torchvision, torch and transformers models")
    parser.add_argument("--real-only", action="store_true", help="check the real models only")
    options = parser.parse_args(argv)
    if options.real_only:
        logging.disable(logging.WARNING)
        real_models(options.verbose)
        return 0
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
    if options.real:
        real_models(options.verbose)
    return 0


if __name__ == "__main__":
    sys.exit(main())
