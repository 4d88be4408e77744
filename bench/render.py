"""ScriptModule -> SVG time for a traced ResNet-50-sized model, against torchview in the same run.

Prints medians over several repeats (first run discarded as warm-up) and the ratios, so the
figures stay comparable on a noisy machine:

    .venv/bin/python bench/render.py [--repeats N]

What is timed:
- ours, collapsed: toolkit.graph_view(traced, depth=1).svg()  (IR build + drawing + DOT + dot -Tsvg)
- ours, expanded: the same with every module expanded (every aten op drawn, constants folded)
- torchview: draw_graph(eager model, input_size) + its graphviz SVG, on the same eager model.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import warnings

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import torch  # noqa: E402

from tests.fixtures.models import ResNet50ish, example_inputs  # noqa: E402
from toolkit.render.api import graph_view  # noqa: E402


def timed(fn, repeats: int) -> tuple[float, object]:
    result = fn()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    torch.manual_seed(0)
    model = ResNet50ish().eval()
    (x,) = example_inputs("ResNet50ish")
    traced = torch.jit.trace(model, (x,), check_trace=False)

    collapsed_s, collapsed = timed(lambda: _ours(traced, depth=1), args.repeats)
    expanded_s, expanded = timed(lambda: _ours(traced, depth=None), args.repeats)
    try:
        from torchview import draw_graph
    except ImportError:
        draw_graph = None
    if draw_graph is not None:
        torchview_s, tv_nodes = timed(lambda: _torchview(draw_graph, model, x), args.repeats)
    rows = [
        ("toolkit, collapsed (depth=1)", collapsed_s, collapsed),
        ("toolkit, fully expanded", expanded_s, expanded),
    ]
    if draw_graph is not None:
        rows.append(("torchview draw_graph + SVG", torchview_s, tv_nodes))
    print(f"traced ResNet50ish, median of {args.repeats} runs after a warm-up, this machine")
    print(f"{'what':<32} {'seconds':>8} {'nodes drawn':>12}")
    for name, seconds, nodes in rows:
        print(f"{name:<32} {seconds:>8.3f} {nodes:>12}")
    if draw_graph is not None:
        print(f"ratio collapsed / torchview: {collapsed_s / torchview_s:.2f}")
        print(f"ratio expanded / torchview:  {expanded_s / torchview_s:.2f}")
    print(f"goals: collapsed <= 0.3 s ({'met' if collapsed_s <= 0.3 else 'NOT met'}),"
          f" faster than torchview ({'met' if draw_graph and collapsed_s < torchview_s else 'NOT met'}),"
          f" expanded <= 3 s ({'met' if expanded_s <= 3 else 'NOT met'})")


def _ours(traced, *, depth):
    view = graph_view(traced, depth=depth)
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
