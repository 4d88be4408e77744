"""Browser timings of the interactive graph view for a traced ResNet-50-sized model.

Measured in Debian's chromium driving a real JupyterLab on 127.0.0.1 (network blocked), and
printed next to a peer measured in the same run: the *static* view (the kernel lays the graph
out with the system ``dot`` and the page shows the SVG), which is what a student gets without
the widget, re-running a cell for every change.

    .venv/bin/python bench/widgets.py [--repeats N] [--markdown]

Rows (the issue's goals):
- cell run to first interactive view (≤ 0.5 s): from ``notebook:run-cell`` on
  ``toolkit.show(traced)`` until the widget's SVG is in the page and clickable; the page has
  loaded the bundle already (a first widget ran). The cold first widget is reported too.
- expanding one module (≤ 0.2 s): from the click on a collapsed module (or a folded run of
  blocks) until the new layout is drawn; a different module each time, so no cached layout.
- fully expanded graph (≤ 3 s): from the click on "expand all" until drawn, on a fresh widget
  with the page's layout cache cleared.
- page frozen (never > 100 ms): long tasks (PerformanceObserver ``longtask``) over 100 ms
  during all the windows above, and the longest.

Peers: running a static cell (``graph_view(...)`` displayed as SVG) with the same drawing:
collapsed at depth 1, with the same one module expanded, and fully expanded.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from tests.browser import harness  # noqa: E402

SETUP = """\
import warnings
warnings.simplefilter("ignore")
import torch, toolkit
from toolkit.render.api import graph_view
from tests.fixtures.models import ResNet50ish, example_inputs
torch.manual_seed(0)
traced = torch.jit.trace(ResNet50ish().eval(), example_inputs("ResNet50ish"), check_trace=False)
"""
CELLS = {
    "setup": SETUP,
    "warm": "toolkit.show(traced)",
    "widget": "view = toolkit.show(traced)\nview",
    "static_collapsed": "graph_view(traced, depth=1)",
    "static_one_open": 'graph_view(traced, depth=1, expanded=["m:layer2/m:0"])',
    "static_full": "graph_view(traced)",
}
MODULES = [
    "m:layer1/m:0", "m:layer2/m:0", "m:layer3/m:0", "m:layer4/m:0",
    "fold:m:layer1/m:1", "fold:m:layer2/m:1", "fold:m:layer3/m:1", "fold:m:layer4/m:1",
]

LONGTASKS_INIT = """
window.__longtasks = [];
window.__frames = [];
new PerformanceObserver(list => { for (const e of list.getEntries()) window.__longtasks.push([e.startTime, e.duration]); })
  .observe({type: 'longtask', buffered: true});
// Long animation frames say which scripts ran: anywidget imports widget modules from blob: URLs.
try {
  new PerformanceObserver(list => {
    for (const e of list.getEntries()) {
      const ours = e.scripts.filter(s => (s.sourceURL || '').startsWith('blob:')).reduce((a, s) => a + s.duration, 0);
      window.__frames.push([e.startTime, e.duration, ours]);
    }
  }).observe({type: 'long-animation-frame', buffered: true});
} catch (e) {}
"""

# Run cell `index` and resolve with the milliseconds until `done` holds for its new output.
RUN_CELL_JS = """async ([index, kind, clearCache]) => {
  const app = window.jupyterapp, nb = app.shell.currentWidget.content;
  nb.activeCellIndex = index;
  const cell = nb.widgets[index];
  await app.commands.execute('notebook:clear-cell-output');
  if (clearCache) globalThis[Symbol.for('torchscript-toolkit.widgets/1')]?.api.clearLayoutCache();
  const done = kind === 'widget'
    ? () => cell.node.querySelector('.tst-graph[data-state=ready]')
    : () => { const img = cell.node.querySelector('.jp-RenderedSVG img'); return img && img.complete && img.naturalWidth > 0; };
  const t0 = performance.now();
  app.commands.execute('notebook:run-cell');
  while (!done()) await new Promise(r => setTimeout(r, 2));
  return [t0, performance.now() - t0];
}"""

# Click the box `key` in the widget of cell `index`; ms until the new layout is drawn.
CLICK_JS = """async ([index, selector]) => {
  const cell = window.jupyterapp.shell.currentWidget.content.widgets[index];
  const graph = cell.node.querySelector('.tst-graph');
  const target = cell.node.querySelector(selector);
  if (!target) throw new Error('nothing to click: ' + selector);
  const before = Number(graph.dataset.renders);
  const t0 = performance.now();
  target.dispatchEvent(new MouseEvent('click', {bubbles: true, cancelable: true}));
  while (!(Number(graph.dataset.renders) > before && graph.dataset.state === 'ready')) {
    if (graph.dataset.state === 'fallback') throw new Error('fell back to the static picture');
    await new Promise(r => setTimeout(r, 2));
  }
  return [t0, performance.now() - t0, Number(graph.dataset.drawn)];
}"""


def _notebook() -> dict:
    cells = [
        {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [], "source": src, "id": name}
        for name, src in CELLS.items()
    ]
    return {
        "cells": cells,
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def _index(name: str) -> int:
    return list(CELLS).index(name)


def _stats(samples: list[float]) -> str:
    return f"{statistics.median(samples) / 1000:.3f} s (max {max(samples) / 1000:.3f})"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    args = parser.parse_args()

    root = Path(tempfile.mkdtemp(prefix="tst-bench-"))
    (root / "bench.ipynb").write_text(json.dumps(_notebook()))
    lab = harness.JupyterLab(root)
    guard = harness.OfflineGuard()
    windows: list[tuple[str, float, float]] = []  # (widget|static, start, duration) in page time
    try:
        with harness.session_browser() as (_, browser):
            context = browser.new_context(viewport={"width": 1500, "height": 1100})
            guard.install(context)
            context.add_init_script(LONGTASKS_INIT)
            page = context.new_page()
            harness.open_notebook(page, lab, "bench.ipynb")
            page.evaluate("window.jupyterapp.shell.collapseLeft()")

            def run(name: str, kind: str, *, clear: bool = True) -> float:
                start, ms = page.evaluate(RUN_CELL_JS, [_index(name), kind, clear])
                windows.append((kind, start, ms))
                harness.wait_until_idle(page)
                return ms

            def click(selector: str) -> tuple[float, int]:
                start, ms, drawn = page.evaluate(CLICK_JS, [_index("widget"), selector])
                windows.append(("widget", start, ms))
                page.wait_for_timeout(300)  # let the page settle: the next window starts clean
                return ms, drawn

            _run_setup(page)
            cold = run("warm", "widget")
            first_view, static_collapsed, static_one, static_full, full, expand = [], [], [], [], [], []
            drawn_collapsed = drawn_full = 0
            for _ in range(args.repeats):
                first_view.append(run("widget", "widget"))
                static_collapsed.append(run("static_collapsed", "static"))
                static_one.append(run("static_one_open", "static"))
                static_full.append(run("static_full", "static"))
            drawn_collapsed = int(page.evaluate(f"document.querySelectorAll('.jp-Notebook .jp-CodeCell')[{_index('widget')}].querySelector('.tst-graph').dataset.drawn"))
            for key in MODULES:
                ms, _ = click(f'g.node[id="node:{key}"]')
                expand.append(ms)
            for _ in range(args.repeats):
                run("widget", "widget")
                ms, drawn_full = click(".tst-expand-all")
                full.append(ms)
            page.wait_for_timeout(600)
            longtasks = page.evaluate("window.__longtasks")
            frames = page.evaluate("window.__frames")
            context.close()
    finally:
        lab.stop()

    def during(kind: str, entries: list) -> list:
        return [e for e in entries if any(k == kind and ws - 1 <= e[0] <= ws + wd + 250 for k, ws, wd in windows)]

    widget_tasks = [d for _, d in during("widget", longtasks)]
    static_tasks = [d for _, d in during("static", longtasks)]
    frozen = [d for d in widget_tasks if d > 100]
    ours = [o for _, d, o in during("widget", frames) if d > 100]
    rows = [
        ("cell run to first interactive view", "≤ 0.5 s", _stats(first_view), _stats(static_collapsed),
         statistics.median(first_view) / statistics.median(static_collapsed)),
        ("  (first widget on a cold page: bundle + wasm)", "", f"{cold / 1000:.3f} s", "", None),
        ("expanding one module", "≤ 0.2 s", _stats(expand), _stats(static_one),
         statistics.median(expand) / statistics.median(static_one)),
        ("fully expanded graph", "≤ 3 s", _stats(full), _stats(static_full),
         statistics.median(full) / statistics.median(static_full)),
        ("page frozen > 100 ms (long tasks)", "never",
         f"{len(frozen)} of {len(widget_tasks)} long tasks (longest {max(widget_tasks, default=0):.0f} ms)",
         f"{sum(d > 100 for d in static_tasks)} of {len(static_tasks)} (longest {max(static_tasks, default=0):.0f} ms)", None),
        ("  toolkit scripts in those frames", "", f"longest {max(ours, default=0):.0f} ms in {len(ours)} frame(s)", "", None),
    ]
    print(f"traced ResNet50ish in JupyterLab + chromium (headless, 2 cores); widget opens at depth 1 ({drawn_collapsed} boxes),"
          f" fully expanded {drawn_full} boxes; {args.repeats} repeats, {len(MODULES)} modules; "
          f"{len(guard.blocked)} external requests attempted")
    header = ("measurement", "goal", "interactive widget", "static peer (kernel dot + SVG)", "widget / peer")
    table = [header] + [(a, b, c, d, f"{e:.2f}" if e is not None else "") for a, b, c, d, e in rows]
    if args.markdown:
        print("| " + " | ".join(header) + " |")
        print("|" + "---|" * len(header))
        for r in table[1:]:
            print("| " + " | ".join(r) + " |")
    else:
        widths = [max(len(r[i]) for r in table) for i in range(len(header))]
        for r in table:
            print("  ".join(c.ljust(w) for c, w in zip(r, widths)))
    goals = [
        statistics.median(first_view) <= 500,
        statistics.median(expand) <= 200,
        statistics.median(full) <= 3000,
        not frozen,
    ]
    print("goals: " + ", ".join(f"{name} {'met' if ok else 'NOT met'}" for name, ok in zip(("first view", "expand", "full", "frozen"), goals)))
    return 0 if not guard.blocked else 1


def _run_setup(page) -> None:
    """Run the set-up cell (trace the model) and wait; not timed."""
    page.evaluate(
        "i => { const app = window.jupyterapp; app.shell.currentWidget.content.activeCellIndex = i;"
        " return app.commands.execute('notebook:run-cell'); }",
        _index("setup"),
    )
    harness.wait_until_idle(page, timeout_ms=180000)


if __name__ == "__main__":
    sys.exit(main())
