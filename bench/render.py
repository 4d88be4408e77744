"""ScriptModule -> first view for a traced ResNet-50, as ratios against baselines in the same run.

Prints medians over several repeats (first run discarded as warm-up) and the ratios, so the
figures stay comparable on a noisy machine:

    .venv/bin/python bench/render.py [--repeats N]

The model is torchvision's ResNet-50 when the unpacked wheel is there
(tests/real_models/torchvision_shim.py), else the zoo's ResNet-50-shaped ResNet50ish.

What is timed:
- first view, Python: what ``toolkit.show`` does before the browser lays anything out: the IR
  build, the drawing, its folds and opening, the code sections and the widget payload. Its
  baseline is ``torch.jit.trace`` of the same model (the step a student has just waited for).
- ours, default: ``toolkit.graph_view(traced).svg()``, the static view as it opens by itself
  (the widget's opening: repeats folded, at the depth that stays small), and with depth=1.
- ours, every node: depth=None, fold_repeats=False, internals=True.
- torchview: draw_graph(eager model, input_size) + its graphviz SVG, on the same eager model.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import sys
import time
import warnings

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import torch  # noqa: E402

from tests.fixtures.models import ResNet50ish, example_inputs  # noqa: E402
from toolkit.render.api import code, graph_view, graph_view_of  # noqa: E402
from toolkit.render.drawable import to_drawable  # noqa: E402
from toolkit.render.options import GraphOptions  # noqa: E402
from toolkit.widgets.payload import graph_payload, initial_options  # noqa: E402


def timed(fn, repeats: int) -> tuple[float, object]:
    result = fn()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def resnet50() -> tuple[str, torch.nn.Module, torch.Tensor]:
    """torchvision's ResNet-50 when it can be imported, else the zoo's look-alike."""
    try:
        from tests.real_models.torchvision_shim import import_torchvision

        torchvision = import_torchvision()
    except Exception:  # no unpacked wheel on this machine: the shaped stand-in
        (x,) = example_inputs("ResNet50ish")
        return "ResNet50ish", ResNet50ish().eval(), x
    return "torchvision resnet50", torchvision.models.resnet50().eval(), torch.rand(1, 3, 224, 224)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    torch.manual_seed(0)
    name, model, x = resnet50()
    trace_s, traced = timed(lambda: torch.jit.trace(model, (x,), check_trace=False), args.repeats)

    first_s, first = timed(lambda: _first_view(traced), args.repeats)
    default_s, default = timed(lambda: _svg(traced), args.repeats)
    collapsed_s, collapsed = timed(lambda: _svg(traced, depth=1), args.repeats)
    every_s, every = timed(lambda: _svg(traced, depth=None, fold_repeats=False, internals=True), args.repeats)
    try:
        from torchview import draw_graph
    except ImportError:
        draw_graph = None
    rows = [
        ("torch.jit.trace (baseline)", trace_s, ""),
        ("first view, Python (payload)", first_s, first),
        ("toolkit SVG, default opening", default_s, default),
        ("toolkit SVG, depth=1", collapsed_s, collapsed),
        ("toolkit SVG, every node", every_s, every),
    ]
    if draw_graph is not None:
        torchview_s, tv_nodes = timed(lambda: _torchview(draw_graph, model, x), args.repeats)
        rows.append(("torchview draw_graph + SVG", torchview_s, tv_nodes))
    print(f"traced {name}, median of {args.repeats} runs after a warm-up, this machine")
    print(f"{'what':<32} {'seconds':>8} {'boxes':>8}")
    for label, seconds, boxes in rows:
        print(f"{label:<32} {seconds:>8.3f} {boxes!s:>8}")
    print(f"ratio first view (Python) / torch.jit.trace: {first_s / trace_s:.2f}")
    print(f"ratio default SVG / torch.jit.trace:         {default_s / trace_s:.2f}")
    if draw_graph is not None:
        print(f"ratio default SVG / torchview:               {default_s / torchview_s:.2f}")
        print(f"ratio every node / torchview:                {every_s / torchview_s:.2f}")


def _first_view(traced) -> int:
    """``toolkit.show``'s Python work for a live widget, without the widget object itself."""
    chosen = GraphOptions.from_keywords()
    drawable = to_drawable(traced, chosen)
    view = graph_view_of(drawable, chosen.dot)
    sections = code(drawable.code_owner).sections
    options, notice = initial_options(view)
    payload = graph_payload(dataclasses.replace(view, options=options), sections, notice=notice)
    return len(payload["drawing"]["nodes"])


def _svg(traced, **keywords) -> int:
    view = graph_view(traced, **keywords)
    svg = view.svg()
    assert svg.startswith("<svg")
    return view.visible_node_count()


def _torchview(draw_graph, model, x):
    graph = draw_graph(model, input_size=tuple(x.shape), device="cpu")
    svg = graph.visual_graph.pipe(format="svg")
    assert b"<svg" in svg
    return sum(1 for line in graph.visual_graph.body if "->" not in line and "[" in line)


if __name__ == "__main__":
    main()
