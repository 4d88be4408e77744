"""A committed lesson's nbconvert HTML, opened in chromium: its graph pictures really draw.

Issue 12, item 1 ("in nbconvert"). ``tests/widgets/test_saved_nbconvert.py`` parses the HTML;
this loads lesson 01's export (committed form, the venv's ``jupyter nbconvert --to html``) in
chromium from 127.0.0.1 and asserts that every graph output's picture decoded (``naturalWidth``)
and has a nonzero size on the page. The ``--sanitize-html`` export is loaded too: there every
graph output shows its picture as escaped markup text, no image (why: that module's docstring).

nbconvert's template asks cdnjs for require.js and MathJax; those two requests are aborted and
must be the only ones: nothing in our outputs reaches past 127.0.0.1.
Screenshots: ``artifacts/screenshots/reopen-nbconvert-*.png``.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.browser import harness
from tests.widgets.test_saved_nbconvert import convert, is_graph_output, notebook_outputs
from toolkit.widgets.notebook_state import strip_notebook_file

pytestmark = pytest.mark.browser

LESSON = "01_intro_to_torchscript.ipynb"
TEMPLATE_SCRIPTS = ("/ajax/libs/require.js/", "/ajax/libs/mathjax/")  # nbconvert's lab template, not ours

# Per output area (in notebook order): its images (decoded width, shown size), whether its text
# shows an image's markup (escaped by a sanitiser), and the start of its text.
AREAS_JS = """() => Array.from(document.querySelectorAll('div.jp-OutputArea-child')).map(a => ({
    images: Array.from(a.querySelectorAll('img')).map(i => {
        const r = i.getBoundingClientRect();
        return [i.naturalWidth, Math.round(r.width), Math.round(r.height)];
    }),
    escaped: a.innerText.includes('<img src="data:image/svg+xml;base64,'),
    text: a.innerText.slice(0, 300),
}))"""


@pytest.fixture(scope="module")
def exports(tmp_path_factory) -> dict[str, Path]:
    """Lesson 01 in committed form, exported plain and with ``--sanitize-html``, in one folder."""
    folder = tmp_path_factory.mktemp("nbconvert-page")
    lesson = folder / LESSON
    lesson.write_bytes((harness.REPO / "notebooks" / LESSON).read_bytes())
    strip_notebook_file(lesson)
    (plain,) = convert([lesson], folder / "plain")
    (sanitized,) = convert([lesson], folder / "sanitized", "--sanitize-html")
    return {"lesson": lesson, "plain": plain, "sanitized": sanitized}


def load_areas(browser, html: Path, screenshot: Path) -> tuple[list[dict], list[str]]:
    """Open ``html`` from 127.0.0.1 in a fresh context: its output areas, and the requests the guard aborted."""
    guard = harness.OfflineGuard()
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    guard.install(context)
    try:
        with harness.serve_folder(html.parent) as base:
            page = context.new_page()
            page.goto(base + html.name, wait_until="load")
            page.wait_for_function("() => Array.from(document.images).every(i => i.complete)")
            areas = page.evaluate(AREAS_JS)
            first_graph = page.locator("div.jp-OutputArea-child").nth(first_graph_index(areas))
            first_graph.scroll_into_view_if_needed()
            page.screenshot(path=str(screenshot))
    finally:
        context.close()
    return areas, guard.blocked


def first_graph_index(areas: list[dict]) -> int:
    return next(i for i, a in enumerate(areas) if a["images"] or a["escaped"])


def assert_only_template_requests_left(blocked: list[str]) -> None:
    assert blocked, "nbconvert's template loads require.js and MathJax from cdnjs: the guard should have seen them"
    for url in blocked:
        parts = urlsplit(url)
        assert parts.hostname == "cdnjs.cloudflare.com" and parts.path.startswith(TEMPLATE_SCRIPTS), url


def graph_areas(browser, exports, form: str, shot) -> list[dict]:
    """The output areas of the graph outputs in the ``form`` export, as chromium shows them; the
    export's only blocked requests must be nbconvert's own template scripts."""
    areas, blocked = load_areas(browser, exports[form], shot)
    outputs = notebook_outputs(exports["lesson"])
    assert len(areas) == len(outputs)
    assert_only_template_requests_left(blocked)
    graphs = [a for o, a in zip(outputs, areas) if is_graph_output(o)]
    assert len(graphs) >= 5
    return graphs


def test_the_exported_lesson_draws_every_graph_picture_in_chromium(browser, exports, screenshots):
    for area in graph_areas(browser, exports, "plain", screenshots / "reopen-nbconvert-lesson01.png"):
        assert area["images"], area["text"]
        assert all(natural > 0 and w > 0 and h > 0 for natural, w, h in area["images"]), area


def test_the_sanitized_export_shows_each_graph_picture_as_escaped_text_in_chromium(browser, exports, screenshots):
    """Pins nbconvert's ``--sanitize-html`` (see tests/widgets/test_saved_nbconvert.py): no image survives."""
    for area in graph_areas(browser, exports, "sanitized", screenshots / "reopen-nbconvert-lesson01-sanitized.png"):
        assert area["images"] == [] and area["escaped"], area["text"]
