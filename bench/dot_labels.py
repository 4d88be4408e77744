"""How much of a layout edge labels cost, and what thinning them (dot.py) buys back.

Graphviz places every edge label as a node of its own, so a big graph spends most of its layout
on them. This lays out the same fully expanded drawings four ways in one run and prints the
CPU seconds of the ``dot`` process and their ratios against "every label" (the ratios are what
to read):

- every label: each edge labelled with its shape (the drawing as small views draw it);
- thinned: what dot.py writes when a view draws more than ``opening.LARGE_BOXES`` boxes: only
  marked edges (copies between devices) keep their label; none here, so it should match
  "no labels";
- only changes: a shape written only where it differs from every shape entering its producer
  (the rule tried first: it keeps about half the labels of a transformer and most of the cost);
- no labels: ``edge_labels=False``.

Models: a traced GPT-2 from a small config (transformers; blocks from ``--layers``) and the
ResNet-50 topology of the test zoo. Run::

    .venv/bin/python bench/dot_labels.py [--layers 2 4] [--repeats 1]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import resource
import statistics
import sys
import warnings

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import torch  # noqa: E402

from tests.fixtures.models import ResNet50ish, example_inputs  # noqa: E402
from toolkit.render.api import graph_view  # noqa: E402
from toolkit.render.collapse import Collapse  # noqa: E402
from toolkit.render.dot import assemble_dot, dot_statements  # noqa: E402
from toolkit.render.drawing import Drawing  # noqa: E402
from toolkit.render.options import DotOptions  # noqa: E402
from toolkit.render.svg import dot_to_svg  # noqa: E402


def gpt2(layers: int):
    from transformers import GPT2Config, GPT2Model

    config = GPT2Config(
        n_layer=layers, n_embd=64, n_head=4, n_positions=64, vocab_size=256, use_cache=False, return_dict=False,
        bos_token_id=0, eos_token_id=0,
    )
    model = GPT2Model(config).eval()
    ids = torch.randint(0, 256, (1, 16), generator=torch.Generator().manual_seed(0))
    return torch.jit.trace(model, (ids,), check_trace=False)


def resnet():
    return torch.jit.trace(ResNet50ish().eval(), example_inputs("ResNet50ish"), check_trace=False)


def dots(traced) -> tuple[int, dict[str, str]]:
    """The drawing's box count and its fully expanded DOT, labelled each way."""
    drawing = graph_view(traced).drawing
    everything = DotOptions(depth=None)

    def written(d: Drawing, options: DotOptions = everything, *, thin: bool = False) -> str:
        return assemble_dot(dot_statements(d, options, thin_labels=thin), Collapse(d, options)).dot

    return len(drawing.nodes), {
        "every label": written(drawing),
        "thinned": written(drawing, thin=True),
        "only changes": written(_only_changes(drawing)),
        "no labels": written(drawing, dataclasses.replace(everything, edge_labels=False)),
    }


def _only_changes(drawing: Drawing) -> Drawing:
    """``drawing`` without the labels of edges whose shape also enters their producer."""
    entering: dict[str, set[str]] = {}
    for e in drawing.edges:
        if e.label:
            entering.setdefault(e.dst, set()).add(e.label)
    edges = tuple(dataclasses.replace(e, label="") if e.label in entering.get(e.src, ()) else e for e in drawing.edges)
    return dataclasses.replace(drawing, edges=edges)


def timed(dot: str, repeats: int) -> float:
    """Median CPU seconds ``dot`` itself used (its own time, so other processes sharing the
    machine slow the wall clock but hardly this)."""
    times = []
    for _ in range(repeats):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        dot_to_svg(dot, timeout=600)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        times.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--layers", type=int, nargs="*", default=[2, 4])
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    torch.manual_seed(0)
    models = [(f"GPT-2 {n} blocks", lambda n=n: gpt2(n)) for n in args.layers] + [("ResNet-50 topology", resnet)]
    kinds = ("thinned", "only changes", "no labels")
    print(f"{'model':<20} {'boxes':>6} {'labels':>10} {'every label':>12}" + "".join(f"{k:>16}" for k in kinds))
    for name, build in models:
        boxes, texts = dots(build())
        edge_labels = {k: sum(1 for line in v.splitlines() if " -> " in line and "label=" in line) for k, v in texts.items()}
        seconds = {k: timed(v, args.repeats) for k, v in texts.items()}
        base = seconds["every label"]
        cells = "".join(f"{seconds[k]:7.2f} s ×{seconds[k] / base:4.2f}" for k in kinds)
        counts = "/".join(str(edge_labels[k]) for k in ("every label", *kinds))
        print(f"{name:<20} {boxes:>6} {counts:>10} {base:9.2f} s {cells}")


if __name__ == "__main__":
    main()
