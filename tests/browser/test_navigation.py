"""Finding one's way around a graph in a real chromium, on the bare widget page (issue 12).

Fit on first draw (both ways, never below a readable scale), ctrl + wheel zooming around the
cursor, the overview map, full screen, the top-down / left-right switch, the keyboard (Esc,
arrows along edges), clicks on empty canvas, hover titles in the student's words, the one box
count shared by banner, status line and depth menu, the code line's details, the library
internals toggle and the comparison's capped summary. Every test asserts, through the
``guard`` fixture, that the page attempted no network request; the screenshots go to
``artifacts/screenshots/nav-*.png``.
"""

from __future__ import annotations

import re

import pytest
import torch

import toolkit
from tests.browser import synthetic
from tests.browser.test_widgets_page import mount, renders, wait_rendered
from tests.fixtures import models
from toolkit.render.api import code, graph_view
from toolkit.widgets.shells import CompareWidget, GraphWidget

pytestmark = pytest.mark.browser

READABLE_SCALE = 0.7  # js/src/graph-pane.js
INTERNAL_ID = re.compile(r"^(n\d+(\.b\d+\.n\d+)*|cluster_\d+|in:\w+|out|m:\S+|fold:\S+|lib:\S+|node\d+)(->.*)?$")

# The screen rectangles of the viewport and of every drawn node, and the pane's scale.
GEOMETRY_JS = """sel => {
  const root = document.querySelector(sel);
  const vp = root.querySelector('.tst-viewport');
  const r = vp.getBoundingClientRect();
  const box = e => { const b = e.getBoundingClientRect(); return [b.left, b.top, b.right, b.bottom]; };
  return {
    viewport: [r.left, r.top, r.left + vp.clientWidth, r.top + vp.clientHeight],
    nodes: Object.fromEntries(Array.from(root.querySelectorAll('.tst-stage g.node[id^="node:"]'), g => [g.id.slice(5), box(g)])),
    scale: Number(root.querySelector('.tst-graph').dataset.scale),
    scroll: [vp.scrollLeft, vp.scrollTop],
  };
}"""


def geometry(page, sel: str) -> dict:
    return page.evaluate(GEOMETRY_JS, sel)


def centre(rect) -> tuple[float, float]:
    return ((rect[0] + rect[2]) / 2, (rect[1] + rect[3]) / 2)


def inside(rect, outer, slack: float = 1.0) -> bool:
    return rect[0] >= outer[0] - slack and rect[1] >= outer[1] - slack and rect[2] <= outer[2] + slack and rect[3] <= outer[3] + slack


@pytest.fixture(scope="module")
def traced_cell3():
    torch.manual_seed(0)
    return toolkit.trace(models.MyCell3(models.MyDecisionGate()), models.example_inputs("MyCell3"))


@pytest.fixture(scope="module")
def resnet(zoo):
    return zoo["ResNet50ish"][3]


def everything_open(page, sel: str) -> None:
    before = renders(page, sel)
    page.locator(f"{sel} .tst-expand-all").click()
    wait_rendered(page, sel, before + 1, timeout=60000)


# --- fit, zoom, overview --------------------------------------------------------------------------


def test_first_view_fits_a_tall_graph_both_ways(page, traced_cell3, screenshots):
    """Traced MyCell3 used to start cut off below `tanh`: now every box is in the pane."""
    sel = mount(page, GraphWidget(graph_view(traced_cell3), code=code(traced_cell3)))
    wait_rendered(page, sel)
    g = geometry(page, sel)
    assert g["nodes"], "nothing drawn"
    outside = [node for node, rect in g["nodes"].items() if not inside(rect, g["viewport"])]
    assert outside == [], f"boxes outside the pane on first draw: {outside}"
    assert READABLE_SCALE <= g["scale"] <= 1
    assert page.get_attribute(f"{sel} .tst-graph", "data-minimap") == "hidden"
    assert page.locator(f"{sel} .tst-minimap").is_hidden()
    page.locator(f"{sel} .tst-root").screenshot(path=str(screenshots / "nav-fit-traced-cell3.png"))


def test_a_graph_too_big_to_fit_stays_readable_scrolls_and_gets_an_overview(page, resnet, screenshots):
    sel = mount(page, GraphWidget(graph_view(resnet), code=code(resnet)))
    wait_rendered(page, sel)
    everything_open(page, sel)
    page.locator(f"{sel} .tst-fit").click()
    g = geometry(page, sel)
    assert g["scale"] == pytest.approx(READABLE_SCALE, abs=1e-3), "fit shrinks no further than readable"
    assert g["scroll"] == [0, 0]
    minimap = page.locator(f"{sel} .tst-minimap")
    assert minimap.is_visible() and page.get_attribute(f"{sel} .tst-graph", "data-minimap") == "shown"
    frame = page.locator(f"{sel} .tst-minimap-view").bounding_box()
    page.locator(f"{sel} .tst-root").screenshot(path=str(screenshots / "nav-resnet-expanded-minimap.png"))
    # A click near the bottom of the overview moves the view to the graph's end.
    box = minimap.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] - 3)
    after = geometry(page, sel)
    assert after["scroll"][1] > g["scroll"][1] + 200
    moved = page.locator(f"{sel} .tst-minimap-view").bounding_box()
    assert moved["y"] > frame["y"] + 20, "the overview's frame follows the view"
    # Dragging in the overview moves the view continuously.
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] - 3)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + 3, steps=5)
    page.mouse.up()
    assert geometry(page, sel)["scroll"][1] < after["scroll"][1] - 200


def test_ctrl_wheel_zooms_around_the_cursor(page, resnet):
    sel = mount(page, GraphWidget(graph_view(resnet), code=code(resnet)))
    wait_rendered(page, sel)
    g = geometry(page, sel)
    visible = [n for n, r in g["nodes"].items() if inside(r, g["viewport"], slack=-40)]
    node = visible[len(visible) // 2]
    x, y = centre(g["nodes"][node])
    page.mouse.move(x, y)
    page.keyboard.down("Control")
    for _ in range(3):
        page.mouse.wheel(0, -100)
    page.keyboard.up("Control")
    page.wait_for_function("([sel, s]) => Number(document.querySelector(sel + ' .tst-graph').dataset.scale) > s * 1.5", arg=[sel, g["scale"]])
    after = geometry(page, sel)
    ax, ay = centre(after["nodes"][node])
    assert abs(ax - x) <= 3 and abs(ay - y) <= 3, f"{node} moved from {(x, y)} to {(ax, ay)}"
    # Zooming out again around another point keeps that point too.
    page.mouse.move(x + 30, y + 20)
    page.keyboard.down("Control")
    page.mouse.wheel(0, 100)
    page.keyboard.up("Control")
    page.wait_for_function("([sel, s]) => Number(document.querySelector(sel + ' .tst-graph').dataset.scale) < s", arg=[sel, after["scale"]])
    again = geometry(page, sel)
    ratio = again["scale"] / after["scale"]
    bx, by = centre(again["nodes"][node])
    assert abs((bx - (x + 30)) - (ax - (x + 30)) * ratio) <= 3 and abs((by - (y + 20)) - (ay - (y + 20)) * ratio) <= 3
    # A plain wheel still scrolls and never zooms.
    page.mouse.wheel(0, 200)
    page.wait_for_function("sel => document.querySelector(sel + ' .tst-viewport').scrollTop > 0", arg=sel)
    assert geometry(page, sel)["scale"] == again["scale"]


def test_full_screen_gives_the_graph_the_screen_and_comes_back(page, resnet, screenshots):
    sel = mount(page, GraphWidget(graph_view(resnet), code=code(resnet)))
    wait_rendered(page, sel)
    before = page.locator(f"{sel} .tst-viewport").bounding_box()
    page.locator(f"{sel} .tst-fullscreen").click()
    page.wait_for_function("sel => document.fullscreenElement === document.querySelector(sel + ' .tst-root')", arg=sel)
    page.wait_for_function(
        "([sel, w]) => document.querySelector(sel + ' .tst-viewport').getBoundingClientRect().width > w + 100", arg=[sel, before["width"]]
    )
    full = page.locator(f"{sel} .tst-viewport").bounding_box()
    assert full["height"] > before["height"] + 200
    assert page.get_attribute(f"{sel} .tst-root", "data-fullscreen") == "screen"
    page.screenshot(path=str(screenshots / "nav-full-screen.png"))
    page.locator(f"{sel} .tst-fullscreen").click()  # the same button brings it back
    page.wait_for_function("() => document.fullscreenElement === null")
    page.wait_for_function(
        "([sel, w]) => Math.abs(document.querySelector(sel + ' .tst-viewport').getBoundingClientRect().width - w) < 2", arg=[sel, before["width"]]
    )
    assert page.get_attribute(f"{sel} .tst-root", "data-fullscreen") == ""


def test_full_screen_pops_out_where_the_api_is_refused(page, traced_cell3):
    sel = mount(page, GraphWidget(graph_view(traced_cell3)))
    wait_rendered(page, sel)
    page.evaluate("sel => { document.querySelector(sel + ' .tst-root').requestFullscreen = () => Promise.reject(new Error('denied')); }", sel)
    page.locator(f"{sel} .tst-fullscreen").click()
    page.wait_for_function("sel => document.querySelector(sel + ' .tst-root').dataset.fullscreen === 'window'", arg=sel)
    root = page.locator(f"{sel} .tst-root").bounding_box()
    assert root["width"] >= 1390 and root["height"] >= 990  # the whole 1400 × 1000 window
    page.locator(f"{sel} .tst-viewport").press("Escape")
    page.wait_for_function("sel => document.querySelector(sel + ' .tst-root').dataset.fullscreen === ''", arg=sel)


def test_layout_switches_between_top_down_and_left_right(page, screenshots):
    sel = mount(page, GraphWidget(graph_view(synthetic.flat_graph(8))))
    wait_rendered(page, sel)

    def spread() -> tuple[float, float]:
        xs, ys = zip(*(centre(r) for r in geometry(page, sel)["nodes"].values()))
        return max(xs) - min(xs), max(ys) - min(ys)

    wide, tall = spread()
    assert tall > 4 * max(wide, 1), "a chain is drawn top-down first"
    toggle = page.locator(f"{sel} .tst-rankdir")
    assert toggle.inner_text() == "left-right"
    toggle.click()
    wait_rendered(page, sel, 2)
    wide, tall = spread()
    assert wide > 4 * max(tall, 1), "then left to right"
    assert page.get_attribute(f"{sel} .tst-graph", "data-rankdir") == "LR" and toggle.inner_text() == "top-down"
    page.locator(f"{sel} .tst-root").screenshot(path=str(screenshots / "nav-left-right.png"))
    toggle.click()
    wait_rendered(page, sel, 3)
    wide, tall = spread()
    assert tall > 4 * max(wide, 1)


# --- selection by keyboard and by clicking nothing ---------------------------------------------------


def edges_of(widget) -> set[tuple[str, str]]:
    return {(e[0], e[1]) for e in widget._data["dot"]["edges"]}


def test_arrow_keys_follow_edges_and_esc_or_empty_canvas_clear(page, traced_cell3):
    widget = GraphWidget(graph_view(traced_cell3), code=code(traced_cell3))
    edges = edges_of(widget)
    tanh = next(n["id"] for n in widget._data["drawing"]["nodes"] if n["op"] == "aten::tanh")
    sel = mount(page, widget)
    wait_rendered(page, sel)
    page.locator(f'{sel} g.node[id="node:{tanh}"]').click()
    selected = lambda: page.evaluate("window.models.w.state.selected_id")  # noqa: E731
    assert selected() == tanh
    viewport = page.locator(f"{sel} .tst-viewport")
    viewport.press("ArrowUp")
    producer = selected()
    assert (producer, tanh) in edges, f"{producer} does not feed {tanh}"
    assert page.locator(f'{sel} g.node.tst-selected[id="node:{producer}"]').count() == 1
    assert widget._data["details"][producer]["op"] in page.locator(f"{sel} .tst-details").inner_text()
    viewport.press("ArrowRight")
    consumer = selected()
    assert (producer, consumer) in edges
    viewport.press("ArrowLeft")
    assert (selected(), consumer) in edges
    viewport.press("Escape")
    assert selected() == ""
    assert page.locator(f"{sel} g.node.tst-selected").count() == 0
    assert "Click a node" in page.locator(f"{sel} .tst-details").inner_text()
    # A click on the canvas outside every box clears it too.
    page.locator(f'{sel} g.node[id="node:{tanh}"]').click()
    assert selected() == tanh
    vp = viewport.bounding_box()
    page.mouse.click(vp["x"] + 3, vp["y"] + vp["height"] - 3)
    assert selected() == "" and page.locator(f"{sel} g.node.tst-selected").count() == 0


def test_hover_titles_are_words_not_internal_ids(page, resnet, traced_cell3):
    for k, graph in enumerate((resnet, traced_cell3)):
        sel = mount(page, GraphWidget(graph_view(graph), code=code(graph)), f"w{k}")
        wait_rendered(page, sel)
        titles = page.evaluate(
            """sel => Array.from(document.querySelectorAll(sel + ' .tst-stage g.node, ' + sel + ' .tst-stage g.cluster'), g => {
                // What the browser shows on hover over the item's label: the first title going up.
                let e = g.querySelector('text');
                while (e && e !== g.parentNode) {
                  const link = e.localName === 'a' && e.getAttributeNS('http://www.w3.org/1999/xlink', 'title');
                  if (link) return [g.id, link];
                  const t = Array.from(e.children).find(c => c.localName === 'title');
                  if (t && t.textContent) return [g.id, t.textContent];
                  e = e.parentNode;
                }
                return [g.id, ''];
            })""",
            sel,
        )
        assert len(titles) > 5
        bad = [(gid, t) for gid, t in titles if not t.strip() or INTERNAL_ID.match(t.strip())]
        assert bad == [], f"hover titles that are internal ids: {bad[:5]}"


# --- one count, the banner, code lines --------------------------------------------------------------


def test_banner_status_and_menu_show_one_count_and_the_banner_goes(page, resnet):
    widget = GraphWidget(graph_view(resnet), code=code(resnet))
    data = widget._data
    sel = mount(page, widget)
    wait_rendered(page, sel)
    banner = page.locator(f"{sel} .tst-notice").inner_text()
    assert banner == data["notice"]
    opened = int(re.search(r"\(([\d,]+) boxes\)", banner).group(1).replace(",", ""))
    assert page.locator(f"{sel} .tst-status").inner_text().startswith(f"{opened} boxes")
    assert int(page.get_attribute(f"{sel} .tst-graph", "data-drawn")) == opened
    menu = page.locator(f"{sel} .tst-depth")
    chosen = menu.evaluate("s => s.options[s.selectedIndex].textContent")
    level = next(lv for lv in data["depth_levels"] if lv["depth"] == widget.depth and not lv["expanded_all"])
    assert chosen == f"{level['name']} ({opened} boxes)"
    # Every level is named by what it opens, with Python's count.
    names = menu.evaluate("s => Array.from(s.options).filter(o => !o.hidden).map(o => o.textContent)")
    assert names == [f"{lv['name']} ({lv['boxes']:,} boxes)" for lv in data["depth_levels"]]
    everything_open(page, sel)
    assert page.locator(f"{sel} .tst-notice").count() == 0, "the banner described the opening view"
    full = next(lv for lv in data["depth_levels"] if lv["expanded_all"])
    assert page.locator(f"{sel} .tst-status").inner_text().startswith(f"{full['boxes']} boxes")
    assert menu.evaluate("s => s.options[s.selectedIndex].textContent") == f"{full['name']} ({full['boxes']} boxes)"
    # Picking a level from the menu draws the count the menu promised.
    target = next(i for i, lv in enumerate(data["depth_levels"]) if lv["depth"] == 0)
    before = renders(page, sel)
    menu.select_option(str(target))
    wait_rendered(page, sel, before + 1)
    assert int(page.get_attribute(f"{sel} .tst-graph", "data-drawn")) == data["depth_levels"][target]["boxes"]


def test_a_code_line_click_replaces_the_previous_nodes_details(page):
    torch.manual_seed(0)
    scripted = toolkit.script(models.MyCell3(models.MyDecisionGate()))
    widget = GraphWidget(graph_view(scripted), code=code(scripted))
    tanh = next(n["id"] for n in widget._data["drawing"]["nodes"] if n["op"] == "aten::tanh")
    sel = mount(page, widget)
    wait_rendered(page, sel)
    page.locator(f'{sel} g.node[id="node:{tanh}"]').click()
    assert "aten::tanh" in page.locator(f"{sel} .tst-details").inner_text()
    line = page.locator(f"{sel} .tst-code-ts .tst-line.tst-has-nodes", has_text="torch.sum").first
    line.click()
    details = page.locator(f"{sel} .tst-details").inner_text()
    assert "aten::tanh" not in details, "the details still describe the node selected before"
    linked = page.evaluate("window.models.w.state.selected_id"), page.locator(f"{sel} g.node.tst-linked").count()
    assert linked[0] == "" and linked[1] >= 1
    assert "line" in details and "aten::sum" in details
    # The line's nodes are listed once each: the if's join point shares the line, but is lit, not listed.
    listed = page.locator(f"{sel} .tst-details .tst-line-nodes button").all_inner_texts()
    assert sorted(listed) == ["aten::gt", "aten::sum", "prim::If"], listed
    assert f"· {len(listed)} nodes" in page.locator(f"{sel} .tst-details-title").inner_text()
    # With several nodes on the line, each is a button that selects it.
    page.locator(f"{sel} .tst-details .tst-line-nodes button", has_text="aten::sum").click()
    assert widget._data["details"][page.evaluate("window.models.w.state.selected_id")]["op"] == "aten::sum"
    assert "aten::sum" in page.locator(f"{sel} .tst-details-title").inner_text()
    # A node fed by a parameter lists it with its dtype and shape.
    linear = next(n["id"] for n in widget._data["drawing"]["nodes"] if n["op"] == "aten::linear")
    page.locator(f'{sel} g.node[id="node:{linear}"]').click()
    rows = page.locator(f"{sel} .tst-details table").last.locator("tbody tr").all_inner_texts()
    assert [r.split("\t") for r in rows] == [["linear.weight", "float32", "4×4"], ["linear.bias", "float32", "4"]], rows


# --- library internals, the comparison's summary, the legend ---------------------------------------


def test_the_internals_toggle_opens_and_folds_library_control_flow_in_the_page(page, screenshots):
    scripted = toolkit.script(synthetic.LibraryCalls().eval())
    widget = GraphWidget(graph_view(scripted), code=code(scripted))
    keys = widget._data["library_folds"]
    assert keys, "F.relu / F.dropout / F.gelu bring library if-blocks"
    sel = mount(page, widget)
    wait_rendered(page, sel)
    box = page.locator(f'{sel} g.node[id="node:{keys[0]}"]')
    library_ifs = page.locator(f'{sel} g.cluster[id*="if:"]')
    assert box.count() == 1 and library_ifs.count() == 0
    toggle = page.locator(f"{sel} .tst-internals input")
    assert toggle.is_visible() and not toggle.is_checked()
    sent = page.evaluate("window.__sent.length")
    toggle.check()
    wait_rendered(page, sel, 2)
    assert box.count() == 0 and library_ifs.count() >= len(widget._data["folds"][0]["members"])
    assert set(keys) <= set(page.evaluate("window.models.w.state.expanded"))
    assert page.evaluate("window.__sent.length") == sent, "no message to the kernel"
    page.locator(f"{sel} .tst-root").screenshot(path=str(screenshots / "nav-internals-open.png"))
    toggle.uncheck()
    wait_rendered(page, sel, 3)
    assert box.count() == 1 and not set(keys) & set(page.evaluate("window.models.w.state.expanded"))


def test_internals_toggle_is_absent_without_library_code(page, traced_cell3):
    sel = mount(page, GraphWidget(graph_view(traced_cell3)))
    wait_rendered(page, sel)
    assert page.locator(f"{sel} .tst-internals").is_hidden()


@pytest.fixture(scope="module")
def cell3_compare():
    torch.manual_seed(0)
    return CompareWidget(toolkit.compare(models.MyCell3(models.MyDecisionGate()), models.example_inputs("MyCell3")))


def test_compare_summary_scrolls_and_never_hides_the_graphs(page, cell3_compare, screenshots):
    cell3_compare._summary = "\n".join(f"difference {i}: something the trace and the script disagree on" for i in range(60))
    sel = mount(page, cell3_compare)
    page.wait_for_function(f"document.querySelectorAll('{sel} .tst-graph[data-state=ready]').length === 2")
    summary = page.locator(f"{sel} .tst-summary")
    height = summary.bounding_box()["height"]
    assert height < 150 and summary.evaluate("e => e.scrollHeight > e.clientHeight + 100"), "long summaries scroll"
    for side in ("trace", "script"):
        assert page.locator(f'{sel} .tst-pane[data-side="{side}"] .tst-viewport').bounding_box()["height"] > 200
    # The drawings carry their own colour key for the marks they use.
    legend = page.locator(f'{sel} .tst-pane[data-side="script"] g.node[id="legend"]')
    assert legend.count() == 1 and "lost by the trace" in legend.text_content()
    page.locator(f"{sel} .tst-root").screenshot(path=str(screenshots / "nav-compare.png"))


def test_esc_clears_both_sides_of_a_comparison(page, cell3_compare):
    sel = mount(page, cell3_compare)
    page.wait_for_function(f"document.querySelectorAll('{sel} .tst-graph[data-state=ready]').length === 2")
    trace = page.locator(f'{sel} .tst-pane[data-side="trace"]')
    tanh = trace.evaluate(
        "el => Array.from(el.querySelectorAll('g.node')).find(g => g.querySelector('text').textContent === 'tanh').id.slice(5)"
    )
    trace.locator(f'g.node[id="node:{tanh}"]').click()
    assert page.get_attribute(f"{sel} .tst-compare", "data-selected-script")
    trace.locator(".tst-viewport").press("Escape")
    assert page.get_attribute(f"{sel} .tst-compare", "data-selected-trace") == ""
    assert page.get_attribute(f"{sel} .tst-compare", "data-selected-script") == ""
    assert page.locator(f"{sel} g.node.tst-selected").count() == 0


def test_a_code_line_click_clears_the_selection_on_both_sides_of_a_comparison(page, cell3_compare):
    sel = mount(page, cell3_compare, "cmp_line")
    page.wait_for_function(f"document.querySelectorAll('{sel} .tst-graph[data-state=ready]').length === 2")
    trace = page.locator(f'{sel} .tst-pane[data-side="trace"]')
    tanh = trace.evaluate(
        "el => Array.from(el.querySelectorAll('g.node')).find(g => g.querySelector('text').textContent === 'tanh').id.slice(5)"
    )
    trace.locator(f'g.node[id="node:{tanh}"]').click()
    state = "window.models.cmp_line.state"
    assert page.evaluate(f"{state}.selected_trace_id") == tanh and page.evaluate(f"{state}.selected_script_id")
    script = page.locator(f'{sel} .tst-pane[data-side="script"]')
    line = script.locator(".tst-code-ts .tst-line.tst-has-nodes", has_text="torch.sum").first
    line.click()
    assert [page.evaluate(f"{state}.{k}") for k in ("selected_trace_id", "selected_script_id", "selected_side")] == ["", "", ""]
    assert page.get_attribute(f"{sel} .tst-compare", "data-selected-trace") == ""
    assert page.locator(f"{sel} g.node.tst-selected").count() == 0
    assert script.locator("g.node.tst-linked").count() >= 3  # sum, gt and the if lit
    assert "tst-hl" in (line.get_attribute("class") or ""), "the clicked line lost its mark"
    assert "aten::tanh" not in trace.locator(".tst-details").inner_text()


# --- the overview in small panes -----------------------------------------------------------------
# The overview (js/src/minimap.js) is a bounded share of its pane, hidden where it cannot help,
# out of the way of the selected box, switched off and on by the student, and resized with the
# pane. Its rectangles are read from the page: `room` is the viewport's drawing area.

OVERVIEW_JS = """pane => {
  const g = document.querySelector(pane);
  const vp = g.querySelector('.tst-viewport');
  const r = vp.getBoundingClientRect();
  const rect = e => {
    const b = e && e.getBoundingClientRect();
    return b && b.width > 0 && b.height > 0 ? [b.left, b.top, b.right, b.bottom] : null;
  };
  const left = r.left + vp.clientLeft, top = r.top + vp.clientTop;
  return {
    shown: g.dataset.minimap, why: g.dataset.minimapWhy, corner: g.dataset.minimapCorner || '',
    room: [left, top, left + vp.clientWidth, top + vp.clientHeight],
    map: rect(g.querySelector('.tst-minimap')),
    toggle: rect(g.querySelector('.tst-minimap-toggle')),
  };
}"""
OVERVIEW_SHARE = 0.25  # the most of its pane the overview may cover


def overview(page, pane: str) -> dict:
    return page.evaluate(OVERVIEW_JS, pane)


def area(rect) -> float:
    return max(0.0, rect[2] - rect[0]) * max(0.0, rect[3] - rect[1])


def overlap(a, b) -> float:
    return area([max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3])])


def assert_bounded(ov: dict) -> float:
    """The overview is hidden (with a reason) or covers at most a quarter of its pane; its share."""
    if ov["map"] is None:
        assert ov["shown"] == "hidden" and ov["why"] in {"fits", "small", "off"}, ov
        return 0.0
    assert ov["shown"] == "shown" and ov["why"] == "", ov
    assert inside(ov["map"], ov["room"]), f"the overview pokes out of its pane: {ov}"
    share = area(ov["map"]) / area(ov["room"])
    assert share <= OVERVIEW_SHARE, f"the overview covers {share:.0%} of its pane"
    assert ov["map"][2] - ov["map"][0] <= OVERVIEW_SHARE * (ov["room"][2] - ov["room"][0]) + 2
    return share


@pytest.fixture(scope="module")
def resnet_compare():
    torch.manual_seed(0)
    return CompareWidget(toolkit.compare(models.ResNet50ish().eval(), models.example_inputs("ResNet50ish")))


def side(sel: str, name: str) -> str:
    return f'{sel} .tst-pane[data-side="{name}"] .tst-graph'


def wait_both(page, sel: str, renders: int = 1) -> None:
    page.wait_for_function(
        """([sel, n]) => Array.from(document.querySelectorAll(sel + ' .tst-graph'))
             .filter(g => g.dataset.state === 'ready' && Number(g.dataset.renders) >= n).length === 2""",
        arg=[sel, renders],
        timeout=60000,
    )


def test_the_overview_takes_a_bounded_share_of_each_compare_pane(page, resnet_compare, cell3_compare, screenshots):
    sel = mount(page, resnet_compare)
    wait_both(page, sel)
    panes = {name: overview(page, side(sel, name)) for name in ("trace", "script")}
    room = panes["script"]["room"]
    assert room[2] - room[0] < 620 and room[3] - room[1] < 400, f"a compare pane is small: {room}"
    assert panes["script"]["map"] is not None, "the scripted ResNet at depth 1 is larger than its pane"
    for ov in panes.values():
        assert_bounded(ov)
    # Every module open: both sides are far larger than their panes, the overview stays a corner.
    page.locator(f"{sel} .tst-expand-all").click()
    wait_both(page, sel, 2)
    for name in ("trace", "script"):
        ov = overview(page, side(sel, name))
        assert ov["map"] is not None and assert_bounded(ov) > 0.005, f"{name}: an overview too small to use"
    page.locator(f"{sel} .tst-root").screenshot(path=str(screenshots / "nav-minimap-small.png"))
    # The small MyCell3 comparison: the script side, a little taller than its pane, gets a small one.
    other = mount(page, cell3_compare, "w2")
    wait_both(page, other)
    for name in ("trace", "script"):
        assert_bounded(overview(page, side(other, name)))
    assert overview(page, side(other, "script"))["map"] is not None, "the taller script side has its overview"


def test_the_overview_is_bounded_in_a_single_view_and_hidden_when_the_graph_fits(page, resnet, traced_cell3):
    sel = mount(page, GraphWidget(graph_view(resnet), code=code(resnet)))
    wait_rendered(page, sel)
    everything_open(page, sel)
    ov = overview(page, f"{sel} .tst-graph")
    assert ov["map"] is not None and assert_bounded(ov) > 0.005
    # Back to the opening depth, then zoomed out step by step: shown while the graph is much
    # larger than the pane, hidden once all of it fits at the current scale.
    drawn = renders(page, sel)
    page.locator(f"{sel} .tst-collapse-all").click()
    wait_rendered(page, sel, drawn + 1)
    seen = set()
    for _ in range(14):
        ov = overview(page, f"{sel} .tst-graph")
        svg = page.locator(f"{sel} .tst-stage svg").bounding_box()
        room_w, room_h = ov["room"][2] - ov["room"][0], ov["room"][3] - ov["room"][1]
        if svg["width"] <= room_w and svg["height"] <= room_h:
            assert ov["map"] is None and ov["why"] == "fits" and ov["toggle"] is None, ov
            seen.add("fits")
            break
        if svg["width"] > 1.5 * room_w or svg["height"] > 1.5 * room_h:
            assert_bounded(ov)
            assert ov["map"] is not None, f"a graph {svg} in a pane {ov['room']} has no overview"
            seen.add("larger")
        page.locator(f"{sel} .tst-zoom-out").click()
    assert seen == {"fits", "larger"}, seen
    small = mount(page, GraphWidget(graph_view(traced_cell3)), "w2")
    wait_rendered(page, small)
    ov = overview(page, f"{small} .tst-graph")
    assert ov["map"] is None and ov["why"] == "fits"


def box_under_the_overview(page, sel: str) -> str:
    """Zoom in and scroll until a drawn box sits under the overview; returns its id."""
    room = overview(page, f"{sel} .tst-graph")["room"]
    for _ in range(8):  # wider than the pane, so it scrolls both ways
        if page.locator(f"{sel} .tst-stage svg").bounding_box()["width"] > room[2] - room[0] + 300:
            break
        page.locator(f"{sel} .tst-zoom-in").click()
    g = geometry(page, sel)
    by_height = sorted(g["nodes"], key=lambda n: g["nodes"][n][1])
    # Boxes near the middle of the graph first: the pane can scroll those to any corner.
    middle = len(by_height) // 2
    for node in sorted(by_height, key=lambda n: abs(by_height.index(n) - middle))[:20]:
        # The box's right end a little into the overview, level with its middle.
        ov = overview(page, f"{sel} .tst-graph")
        rect = geometry(page, sel)["nodes"][node]
        dx = rect[2] - (ov["map"][0] + min(12, (ov["map"][2] - ov["map"][0]) / 2))
        dy = centre(rect)[1] - centre(ov["map"])[1]
        page.evaluate(
            "([sel, dx, dy]) => { const vp = document.querySelector(sel + ' .tst-viewport'); vp.scrollLeft += dx; vp.scrollTop += dy; }",
            [sel, dx, dy],
        )
        page.wait_for_timeout(100)  # the overview follows the scroll in the next frame
        ov, rect = overview(page, f"{sel} .tst-graph"), geometry(page, sel)["nodes"][node]
        if overlap(ov["map"], rect) > 0 and inside(rect, ov["room"], slack=-2):
            return node
    raise AssertionError("no box could be scrolled under the overview")


def test_the_overview_moves_off_the_selected_box(page, resnet, screenshots):
    widget = GraphWidget(graph_view(resnet), code=code(resnet))
    sel = mount(page, widget)
    wait_rendered(page, sel)
    everything_open(page, sel)
    pane = f"{sel} .tst-graph"
    node = box_under_the_overview(page, sel)
    before = overview(page, pane)
    box = geometry(page, sel)["nodes"][node]
    assert before["corner"] == "bottom-right" and overlap(before["map"], box) > 0, "the box is under the overview"
    # Selected from Python (or with the arrow keys): no pointer hovers, the overview moves away.
    page.evaluate("id => window.models.w.set('selected_id', id)", node)
    page.wait_for_function("sel => document.querySelector(sel + ' g.node.tst-selected')", arg=sel)
    after = overview(page, pane)
    box_now = geometry(page, sel)["nodes"][node]
    assert overlap(after["map"], box_now) == 0, f"the overview still covers the selected box: {after}"
    assert after["corner"] != "bottom-right" and assert_bounded(after) > 0
    assert box_now == pytest.approx(box, abs=1), "the overview moved, not the graph"
    page.locator(f"{sel} .tst-root").screenshot(path=str(screenshots / "nav-minimap-selection.png"))
    # A search match under it is kept clear too; with nothing to keep clear it goes home.
    page.locator(f"{sel} .tst-viewport").press("Escape")
    page.wait_for_function("sel => !document.querySelector(sel + ' g.node.tst-selected')", arg=sel)
    assert overview(page, pane)["corner"] == "bottom-right"
    op = widget._data["details"][node]["op"]
    matches = [n for n, d in widget._data["details"].items() if d.get("op") == op]
    page.evaluate("([id, q]) => window.models.w.set('search', q)", [node, re.escape(op)])
    page.wait_for_function("sel => document.querySelector(sel + ' g.node.tst-match')", arg=sel)
    ov = overview(page, pane)
    g = geometry(page, sel)
    assert ov["corner"] != "bottom-right", "the match at home (the box selected before) sent it away"
    assert matches and all(overlap(ov["map"], g["nodes"][m]) == 0 for m in matches if m in g["nodes"]), ov


def test_the_overview_can_be_switched_off_and_stays_off_for_that_view(page, resnet):
    widget = GraphWidget(graph_view(resnet), code=code(resnet))
    sel = mount(page, widget)
    wait_rendered(page, sel)
    everything_open(page, sel)
    pane = f"{sel} .tst-graph"
    assert overview(page, pane)["map"] is not None
    page.locator(f"{pane} .tst-minimap-toggle").click()
    off = overview(page, pane)
    assert off["map"] is None and off["why"] == "off" and off["toggle"] is not None
    assert inside(off["toggle"], off["room"]) and area(off["toggle"]) < 0.02 * area(off["room"])
    assert page.locator(f"{pane} .tst-minimap-toggle").inner_text() == "overview"
    # A new picture (the other layout) keeps it off.
    drawn = renders(page, sel)
    page.locator(f"{sel} .tst-rankdir").click()
    wait_rendered(page, sel, drawn + 1)
    assert overview(page, pane)["why"] == "off"
    # The same widget drawn again (another output of it) remembers; another widget does not.
    page.evaluate(
        """async () => {
            const el = document.createElement('div'); el.id = 'again'; document.getElementById('root').append(el);
            const loader = await window.loadScript('/static/loader.js');
            await loader.default.render({model: window.models.w, el});
        }"""
    )
    wait_rendered(page, "#again")
    assert overview(page, "#again .tst-graph")["why"] == "off"
    other = mount(page, GraphWidget(graph_view(resnet), code=code(resnet)), "w2")
    wait_rendered(page, other)
    everything_open(page, other)
    assert overview(page, f"{other} .tst-graph")["why"] == ""
    # `m` in the pane brings it back, and hides it again.
    page.locator(f"{sel} .tst-viewport").press("m")
    on = overview(page, pane)
    assert on["map"] is not None and on["why"] == "" and page.locator(f"{pane} .tst-minimap-toggle").inner_text() == "×"
    page.locator(f"{sel} .tst-viewport").press("m")
    assert overview(page, pane)["why"] == "off"


def test_the_overview_follows_full_screen_and_pane_resizes(page, resnet_compare, screenshots):
    sel = mount(page, resnet_compare)
    wait_both(page, sel)
    script = side(sel, "script")
    small = overview(page, script)
    assert assert_bounded(small) > 0
    # A comparison dragged short: its panes are too small for an overview to help.
    page.evaluate("sel => { document.querySelector(sel + ' .tst-root').style.height = '420px'; }", sel)
    page.wait_for_function("p => document.querySelector(p).dataset.minimapWhy === 'small'", arg=script)
    assert overview(page, script)["map"] is None
    # Full screen: it comes back, larger, still a bounded share of the larger pane.
    page.locator(f"{sel} .tst-fullscreen").click()
    page.wait_for_function("sel => document.fullscreenElement === document.querySelector(sel + ' .tst-root')", arg=sel)
    page.wait_for_function("p => document.querySelector(p).dataset.minimap === 'shown'", arg=script)
    full = overview(page, script)
    assert assert_bounded(full) > 0 and area(full["map"]) > area(small["map"]) * 1.2, (small, full)
    page.screenshot(path=str(screenshots / "nav-minimap-full-screen.png"))
    page.locator(f"{sel} .tst-fullscreen").click()
    page.wait_for_function("() => document.fullscreenElement === null")
    page.wait_for_function("p => document.querySelector(p).dataset.minimapWhy === 'small'", arg=script)
    # Dragged taller again: back at its first size.
    page.evaluate("sel => { document.querySelector(sel + ' .tst-root').style.height = ''; }", sel)
    page.wait_for_function("p => document.querySelector(p).dataset.minimap === 'shown'", arg=script)
    again = overview(page, script)
    assert again["map"] == pytest.approx(small["map"], abs=1)
    # The other layout direction reshapes it (a top-down ResNet is tall, left-right wide).
    page.locator(f"{sel} .tst-rankdir").click()
    wait_both(page, sel, 2)
    lr = overview(page, script)
    assert assert_bounded(lr) > 0
    tall = lambda r: (r[3] - r[1]) / (r[2] - r[0])  # noqa: E731
    assert tall(lr["map"]) < tall(small["map"]), (small, lr)
