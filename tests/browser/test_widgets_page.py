"""The widget bundle in a real chromium, on a bare page (no Jupyter): fast, and exact.

A fake anywidget model (``page/fake-model.js``) stands in for the kernel side, with state
taken from real :class:`GraphWidget`s built here, so these tests cover the browser code
path by path: the DOT the browser writes, layout in the worker, expanding, folding,
search, node ↔ code links, escaping, huge graphs and every fallback. Every test also
asserts, through the ``guard`` fixture, that the page attempted no network request.
"""

from __future__ import annotations

import json
import os
import warnings

import pytest
import torch

import toolkit
from tests.browser import synthetic
from tests.fixtures import models
from tests.widgets import dot_parity
from toolkit.render.api import code, graph_view
from toolkit.widgets.payload import WidgetLimits
from toolkit.widgets.shells import GraphWidget

pytestmark = pytest.mark.browser

MOUNT_JS = """async ([stateText, id]) => {
  const state = JSON.parse(stateText);
  const el = document.createElement('div');
  el.id = id;
  document.getElementById('root').append(el);
  const loader = await window.loadScript('/static/loader.js');
  window.models = window.models || {};
  window.models[id] = window.fakeModel(state);
  await loader.default.render({model: window.models[id], el});
}"""


def _quiet():
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    warnings.filterwarnings("ignore", category=torch.jit.TracerWarning)


def mount(page, widget, wid: str = "w") -> str:
    """Render ``widget``'s state in the page through the real loader; returns a selector."""
    state = json.dumps(widget.get_state())  # one string: Playwright copies it fast
    page.evaluate(MOUNT_JS, [state, wid])
    return f"#{wid}"


def wait_rendered(page, sel: str, renders: int = 1, timeout: int = 30000) -> None:
    page.wait_for_function(
        """([sel, n]) => {
            const g = document.querySelector(sel + ' .tst-graph');
            return g && g.dataset.state === 'ready' && Number(g.dataset.renders) >= n;
        }""",
        arg=[sel, renders],
        timeout=timeout,
    )


def renders(page, sel: str) -> int:
    return int(page.get_attribute(f"{sel} .tst-graph", "data-renders"))


@pytest.fixture(scope="module")
def resnet(zoo):
    return zoo["ResNet50ish"][3]  # traced, from the session's model zoo (tests/conftest.py)


@pytest.fixture(scope="module")
def cell3():
    _quiet()
    torch.manual_seed(0)
    return toolkit.trace(models.MyCell3(models.MyDecisionGate()), models.example_inputs("MyCell3"), script_submodules=("dg",))


# --- the DOT the browser assembles is the DOT Python assembles --------------------------------------


def test_browser_assembles_the_same_dot_as_python_and_the_stored_fixture_holds_it(page, zoo):
    """Runs assemble.js on the parity cases; the unit suite reads the answers from the fixture."""
    cases = dot_parity.parity_cases(zoo)
    inputs = [c.browser_input() for c in cases]
    dots = page.evaluate(
        "cases => cases.map(([st, d, f, s, o]) => tst.assembleDot(st, tst.indexDrawing(d, f), s, o).dot)", inputs
    )
    assert len(dots) == len(cases) == 60
    for case, js_dot in zip(cases, dots):
        assert js_dot == case.python_dot(), case.name
    answers = {c.name: dot_parity.stored_answer(c, d) for c, d in zip(cases, dots)}
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        dot_parity.write_fixture(answers)
    assert dot_parity.read_fixture() == answers, f"the stored browser answers are stale; rerun `{dot_parity.REFRESH}`"


# --- layout, expansion, folds ------------------------------------------------------------------


def test_resnet_opens_collapsed_then_expands_a_module_and_a_fold(page, resnet, screenshots):
    widget = GraphWidget(graph_view(resnet), code=code(resnet))
    assert widget.depth is not None and widget._data["notice"].startswith("177 boxes with everything open")
    sel = mount(page, widget)
    wait_rendered(page, sel)
    assert page.locator(f"{sel} .tst-notice").inner_text() == widget._data["notice"]
    # At depth 1 the stages are open, their blocks are boxes; identical repeats are folded.
    level = next(i for i, lv in enumerate(widget._data["depth_levels"]) if lv["depth"] == 1)
    before = renders(page, sel)
    page.locator(f"{sel} .tst-depth").select_option(str(level))
    wait_rendered(page, sel, before + 1)
    assert page.locator(f'{sel} g.cluster[id="cluster:m:layer3"]').count() == 1
    fold = page.locator(f'{sel} g.node[id="node:fold:m:layer3/m:1"]')
    assert "Bottleneck ×5" in fold.text_content()
    assert page.locator(f'{sel} g.node[id="node:m:layer3/m:2"]').count() == 0  # folded away

    box = page.locator(f'{sel} g.node[id="node:m:layer1/m:0"]')
    before = renders(page, sel)
    box.click()
    wait_rendered(page, sel, before + 1)
    assert page.locator(f'{sel} g.cluster[id="cluster:m:layer1/m:0"]').count() == 1
    assert page.evaluate("window.models.w.state.expanded") == ["m:layer1/m:0"]
    page.locator(f"{sel} .tst-root").screenshot(path=str(screenshots / "page-resnet-expanded.png"))

    before = renders(page, sel)
    fold.click()
    wait_rendered(page, sel, before + 1)
    for member in range(1, 6):
        assert page.locator(f'{sel} g.node[id="node:m:layer3/m:{member}"]').count() == 1
    # Clicking a cluster's label collapses it again.
    before = renders(page, sel)
    page.locator(f'{sel} g.cluster[id="cluster:m:layer1/m:0"] text').first.click()
    wait_rendered(page, sel, before + 1)
    assert page.locator(f'{sel} g.node[id="node:m:layer1/m:0"]').count() == 1


def test_if_blocks_close_and_open(page, cell3):
    widget = GraphWidget(graph_view(cell3), code=code(cell3))
    sel = mount(page, widget)
    wait_rendered(page, sel)
    key = "m:dg/if:n10"
    assert page.locator(f'{sel} g.cluster[id="cluster:{key}"]').count() == 1
    before = renders(page, sel)
    page.locator(f'{sel} g.cluster[id="cluster:{key}"] text').first.click()
    wait_rendered(page, sel, before + 1)
    assert page.locator(f'{sel} g.node[id="node:{key}"]').count() == 1
    assert page.locator(f'{sel} g.node[id="node:n10.b1.n0"]').count() == 0
    before = renders(page, sel)
    page.locator(f'{sel} g.node[id="node:{key}"]').click()
    wait_rendered(page, sel, before + 1)
    assert page.locator(f'{sel} g.node[id="node:n10.b1.n0"]').count() == 1


# --- search, details, graph <-> code ------------------------------------------------------------


def test_search_highlights_matches_and_reports_bad_patterns(page, resnet):
    widget = GraphWidget(graph_view(resnet), code=code(resnet))
    sel = mount(page, widget)
    wait_rendered(page, sel)
    page.fill(f"{sel} .tst-search", "aten::linear|adaptive_avg")
    page.wait_for_function(f"document.querySelector('{sel} .tst-search-count').textContent.startsWith('2 matches')")
    assert page.locator(f"{sel} g.node.tst-match").count() == 2
    # Matches inside closed boxes light up their box.
    page.fill(f"{sel} .tst-search", "batch_norm")
    page.wait_for_function(f"document.querySelector('{sel} .tst-search-count').textContent.includes('inside closed boxes')")
    assert page.locator(f'{sel} g.node.node-collapsed.tst-match').count() > 0
    page.fill(f"{sel} .tst-search", "(unclosed")
    page.wait_for_function(f"document.querySelector('{sel} .tst-search-count').textContent.includes('not a valid regular expression')")
    assert page.locator(f"{sel} g.node.tst-match").count() == 0


def test_node_click_shows_details_and_code_lines_and_back(page, cell3):
    widget = GraphWidget(graph_view(cell3), code=code(cell3))
    sel = mount(page, widget)
    wait_rendered(page, sel)
    page.locator(f'{sel} g.node[id="node:n13"]').click()
    assert page.evaluate("window.models.w.state.selected_id") == "n13"
    assert "torch.tanh(" in page.locator(f"{sel} .tst-code-ts .tst-line.tst-hl").inner_text()
    assert "new_h = torch.tanh(self.dg(self.linear(x)) + h)" in page.locator(f"{sel} .tst-code-py .tst-line.tst-hl").inner_text()
    details = page.locator(f"{sel} .tst-details").inner_text()
    assert "aten::tanh" in details and "3×4" in details and "float32" in details
    # A code line with several nodes highlights all of them.
    page.locator(f'{sel} .tst-code-ts .tst-line[data-section="1"][data-line="3"]').click()
    linked = page.locator(f"{sel} g.node.tst-linked")
    on_line = [i for i, at in widget._data["code"]["links"].items() if at == [1, 3]]
    assert len(on_line) >= 3 and linked.count() == len(on_line)  # sum, gt, the if decision, ... on `if bool(torch.gt(torch.sum(x), 0)):`
    # Python sets the selection; the page follows.
    page.evaluate("window.models.w.set('selected_id', 'n4')")
    assert "torch.linear(" in page.locator(f"{sel} .tst-code-ts .tst-line.tst-hl").inner_text()


def test_export_downloads_the_current_svg(page, cell3):
    sel = mount(page, GraphWidget(graph_view(cell3), code=code(cell3)))
    wait_rendered(page, sel)
    with page.expect_download() as info:
        page.locator(f"{sel} .tst-header .tst-export").click()
    text = open(info.value.path(), encoding="utf-8").read()
    assert text.startswith("<?xml") and 'id="node:n13"' in text


# --- bad input ------------------------------------------------------------------------------------


def test_html_in_module_and_attribute_names_stays_text(page, screenshots):
    _quiet()
    module = synthetic.traced_evil_names()
    widget = GraphWidget(graph_view(module), code=code(module))
    sel = mount(page, widget)
    wait_rendered(page, sel)
    page.locator(f'{sel} g.node[id="node:n4"]').click()  # the linear inside the <script> module
    assert synthetic.SCRIPT_NAME in page.locator(f"{sel} .tst-details").inner_text()
    page.locator(f'{sel} g.node[id="node:n5"]').click()  # the mul reading the oddly named buffer
    assert page.evaluate("window.__pwned") is None
    assert page.locator(f"{sel} script").count() == 0 and page.locator(f"{sel} img").count() == 0
    svg_text = page.locator(f"{sel} .tst-stage svg").text_content()
    assert synthetic.SCRIPT_NAME in svg_text and "<img src=x onerror=" in svg_text
    # The label shortens the long name; the hover title keeps it whole, as text.
    label = page.locator(f'{sel} g.node[id="node:n5"] text').all_text_contents()[1]
    assert label.startswith("⚙ " + synthetic.IMG_NAME[:12]) and label.endswith("…")
    assert synthetic.IMG_NAME in page.locator(f'{sel} g.node[id="node:n5"] > title').text_content()
    page.locator(f"{sel} .tst-root").screenshot(path=str(screenshots / "page-escaped-names.png"))


def test_twenty_thousand_nodes_open_collapsed_and_never_freeze(page):
    graph = synthetic.wide_graph(100, 200)
    widget = GraphWidget(graph_view(graph))
    # The menu's "every node" says what opening everything would draw; the view opens folded (below).
    assert [(lv["name"], lv["boxes"]) for lv in widget._data["depth_levels"]][-1] == ("every node", 20002)
    page.evaluate(
        """() => { window.__long = []; new PerformanceObserver(l => window.__long.push(...l.getEntries().map(e => e.duration)))
            .observe({type: 'longtask'}); }"""
    )
    sel = mount(page, widget)
    wait_rendered(page, sel, timeout=60000)
    # The 100 identical blocks fold into one box: input, fold, output.
    assert int(page.get_attribute(f"{sel} .tst-graph", "data-drawn")) == 3
    fold = page.locator(f'{sel} g.node[id="node:fold:m:block0"]')
    assert "Block ×100" in fold.text_content()
    fold.click()  # its blocks open as one box each: 20,000 boxes would be too many
    wait_rendered(page, sel, 2, timeout=60000)
    assert int(page.get_attribute(f"{sel} .tst-graph", "data-drawn")) == 102
    page.locator(f"{sel} .tst-expand-all").click()
    assert "more than this view lays out at once" in page.locator(f"{sel} .tst-message").inner_text()
    longest = max(page.evaluate("window.__long"), default=0)
    assert longest < 1000, f"the page froze for {longest:.0f} ms"  # generous: catches a hang, not a slowdown


def test_a_graph_too_big_even_collapsed_is_drawn_in_part_with_a_note(page):
    widget = GraphWidget(graph_view(synthetic.flat_graph(3000)), limits=WidgetLimits(max_layout_nodes=400))
    assert "only the first 400 are drawn" in widget._data["notice"]
    sel = mount(page, widget)
    wait_rendered(page, sel, timeout=60000)
    assert page.locator(f'{sel} g.node[id="node:__more__"] text').text_content().startswith("… 2602 more boxes not drawn")


def test_missing_bundle_shows_the_static_picture_with_a_note(page, cell3, tmp_path):
    widget = GraphWidget(graph_view(cell3), bundle_dir=tmp_path)  # an empty folder: no bundle
    assert widget._host is None and "is missing" in widget._bundle_problem
    sel = mount(page, widget)
    note = page.locator(f"{sel} .tst-fallback-note")
    assert "Interactive view unavailable: the widget bundle" in note.inner_text()
    request = page.evaluate("window.__sent.at(-1)")
    assert request["type"] == "static-svg"
    replies = []
    widget.send = replies.append  # what the kernel would send back
    widget._on_front_end_message(widget, request, [])
    page.evaluate("reply => window.models.w.receive(reply)", replies[0])
    page.wait_for_selector(f'{sel}[data-fallback="shown"] svg g[id="node:n13"]')


def test_failed_worker_falls_back_to_the_static_picture(browser, guard, static_server, cell3):
    context = browser.new_context()
    guard.install(context)
    context.add_init_script("window.Worker = function () { throw new Error('blocked by policy'); };")
    try:
        page = open_page(context, static_server)
        widget = GraphWidget(graph_view(cell3))
        sel = mount(page, widget)
        note = page.locator(f"{sel} .tst-fallback-note")
        note.wait_for()
        assert "the layout worker could not start: blocked by policy" in note.inner_text()
        request = page.evaluate("window.__sent.at(-1)")
        assert request["state"]["depth"] is None and request["side"] == ""
        replies = []
        widget.send = replies.append
        widget._on_front_end_message(widget, request, [])
        assert replies[0]["svg"].lstrip().startswith("<svg")
    finally:
        context.close()


def open_page(context, server):
    from tests.browser import harness

    return harness.open_test_page(context, server)


def test_bundle_is_evaluated_once_per_page_however_many_widgets(page, cell3):
    for i in range(3):
        sel = mount(page, GraphWidget(graph_view(cell3)), f"w{i}")
        wait_rendered(page, sel)
    # The page loaded the bundle once (open_test_page); widgets only carried the loader.
    assert page.evaluate("globalThis[Symbol.for('torchscript-toolkit.widgets/1')].loads") == 1
    assert len(GraphWidget(graph_view(cell3))._esm) < 4000
