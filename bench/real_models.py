"""The must-show table for the real-model corpus (tests/real_models/corpus.py), one row a model:

    .venv/bin/python bench/real_models.py [--models bert,resnet18] [--skip-slow]

Columns:
- each public call (trace, script, show, code, compare, check_trace, partition): ``ok``, the
  ToolkitError class that refused it (ours, with a fix), or ``RAW:<class>`` (a bug: a raw error
  escaped);
- boxes: how many boxes the default static view opens with (the lessons promise at most 60);
- render s / torchview s / ratio: model to SVG, both ways: ``toolkit.trace`` plus the default
  static view drawn to SVG (``toolkit.show(captured).svg()``), against torchview's default (``draw_graph(model,
  input_data=...)`` and its graphviz rendered to SVG), both timed here, in this run, so the ratio
  survives a noisy machine; view s / view/tv: the default static view to SVG from a capture
  already made (``toolkit.show(captured).svg()``: the toolkit's drawing alone, no tracing), against
  the same torchview time;
- check_trace s and its findings as proven/suspected.

torchvision is imported through the shim (the CPU torch here cannot load its compiled ops).
Model-to-SVG times are medians of ``--repeats`` runs after a warm-up, ours and torchview's in the
same process; check_trace is one run. Read the ratios, not the seconds, on a busy machine.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import warnings
from typing import Any, Callable

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import torch  # noqa: E402

import toolkit  # noqa: E402
from tests.real_models import corpus as corpus_module  # noqa: E402
from tests.real_models.corpus import BY_NAME, CORPUS, RealModel  # noqa: E402

CALLS = ("trace", "script", "show", "code", "compare", "check_trace", "partition")


def outcome(call: Callable[[], Any]) -> tuple[str, Any, float]:
    """(``ok`` / ToolkitError class / ``RAW:<class>``, the result or None, seconds)."""
    start = time.perf_counter()
    try:
        result = call()
    except toolkit.ToolkitError as refused:
        return type(refused).__name__, None, time.perf_counter() - start
    except Exception as raw:  # the table exists to show these
        return f"RAW:{type(raw).__name__}", None, time.perf_counter() - start
    return "ok", result, time.perf_counter() - start


def median_seconds(call: Callable[[], Any], repeats: int) -> float:
    """Median wall time of ``repeats`` calls after one warm-up call (imports, caches)."""
    call()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def torchview_seconds(model: torch.nn.Module, inputs: tuple[Any, ...], repeats: int) -> tuple[str, float]:
    try:
        from torchview import draw_graph
    except ImportError:
        return "absent", float("nan")

    def draw() -> None:
        drawn = draw_graph(model, input_data=list(inputs), device="cpu")
        assert b"<svg" in drawn.visual_graph.pipe(format="svg")

    try:
        return "ok", median_seconds(draw, repeats)
    except Exception as failed:  # torchview's own limits (a detector's list of images, ...)
        return f"fails:{type(failed).__name__}", float("nan")


def row(entry: RealModel, repeats: int) -> dict[str, Any]:
    model, inputs = entry.build()
    trace_kwargs = dict(entry.trace_kwargs)
    cells: dict[str, Any] = {"model": entry.name}
    cells["trace"], traced, _ = outcome(lambda: toolkit.trace(model, inputs, **trace_kwargs))
    if entry.scriptable:
        cells["script"], scripted, _ = outcome(lambda: toolkit.script(model))
    else:
        cells["script"], scripted = "n/a", None
    captured = traced if traced is not None else scripted
    if captured is not None:
        cells["show"], view, _ = outcome(lambda: toolkit.show(captured))
        cells["code"], _, _ = outcome(lambda: toolkit.code(captured))
        if view is not None:
            cells["boxes"] = view.visible_node_count()

            def model_to_svg() -> None:
                again = toolkit.trace(model, inputs, **trace_kwargs) if captured is traced else toolkit.script(model)
                assert toolkit.show(again).svg().startswith("<svg")

            svg_state, render_s, _ = outcome(lambda: median_seconds(model_to_svg, repeats))
            cells["render_s"] = render_s if svg_state == "ok" else float("nan")

            def view_to_svg() -> None:  # the view alone, from the capture a student already holds
                assert toolkit.show(captured).svg().startswith("<svg")

            view_state, view_s, _ = outcome(lambda: median_seconds(view_to_svg, repeats))
            cells["view_s"] = view_s if view_state == "ok" else float("nan")
    else:
        cells["show"] = cells["code"] = "no graph"
    strict = trace_kwargs.get("strict", True)
    cells["compare"], _, _ = outcome(lambda: toolkit.compare(model, inputs, strict=strict))
    # The corpus's wrappers are this suite's code, not a student's: library code, as in tests/real_models.
    with toolkit.library_code(library=[corpus_module.__file__]):
        cells["check_trace"], report, check_s = outcome(
            lambda: toolkit.check_trace(model, inputs, options=trace_kwargs or None)
        )
    cells["check_s"] = check_s
    if report is not None:
        cells["findings"] = f"{len(report.proven)}/{len(report.suspected)}"
    cells["partition"], _, _ = outcome(lambda: toolkit.partition.trace(model, inputs, device="cpu", check_trace=False, **trace_kwargs))
    cells["torchview"], cells["torchview_s"] = torchview_seconds(model, inputs, repeats)
    return cells


def _number(value: Any) -> str:
    return "-" if not isinstance(value, float) or value != value else f"{value:.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="", help="comma-separated corpus names (default: all)")
    parser.add_argument("--skip-slow", action="store_true", help="leave out the models marked slow")
    parser.add_argument("--repeats", type=int, default=3, help="timed repeats after a warm-up (median)")
    args = parser.parse_args()
    entries = [BY_NAME[name] for name in args.models.split(",") if name] or list(CORPUS)
    if args.skip_slow:
        entries = [entry for entry in entries if not entry.slow]
    header = (
        *("model",), *CALLS, "boxes", "render s", "view s", "torchview s", "render/tv", "view/tv", "check s", "proven/suspected"
    )
    print(" | ".join(header))
    print(" | ".join("---" for _ in header))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for entry in entries:
            cells = row(entry, args.repeats)
            render_s, torchview_s = cells.get("render_s", float("nan")), cells["torchview_s"]
            view_s = cells.get("view_s", float("nan"))
            ratio = render_s / torchview_s if torchview_s == torchview_s and torchview_s > 0 else float("nan")
            view_ratio = view_s / torchview_s if torchview_s == torchview_s and torchview_s > 0 else float("nan")
            torchview = _number(torchview_s) if cells["torchview"] == "ok" else cells["torchview"]
            values = (
                cells["model"],
                *(cells.get(call, "-") for call in CALLS),
                str(cells.get("boxes", "-")),
                _number(render_s),
                _number(view_s),
                torchview,
                _number(ratio),
                _number(view_ratio),
                _number(cells["check_s"]),
                cells.get("findings", "-"),
            )
            print(" | ".join(values), flush=True)


if __name__ == "__main__":
    main()
