"""Saved notebooks reopened in a real JupyterLab: every graph shows a picture, never an error.

Issue 12, item 1. Three ways a notebook comes back, each with a fresh kernel:

- *a teacher's own notebook*, run and saved under ``make lab``'s settings (scripts/jupyter:
  "Save Widget State Automatically" on), reopened trusted: the widget is drawn from the state
  saved in the notebook, with no cell re-run;
- *someone else's notebook* (changed elsewhere, so its signature no longer matches: untrusted),
  with and without widget state: the widget type is unsafe there, and the sanitised HTML
  picture each toolkit output carries is shown;
- *a lesson as the repository ships it* (notebooks/01 put through ``notebook_state`` into a temp
  copy): untrusted too, every graph output a picture. Also in Notebook 7.

With no kernel at all: ``test_reopen_nokernel.py``; exported by nbconvert: ``test_reopen_nbconvert.py``.

Each asserts a visible picture (an ``<img>``/``<svg>`` with a nonzero size) in each graph
output and no "Error displaying widget" / "model not found" text. Every request that is not to
127.0.0.1 is aborted and recorded; the module fails if there was one. Screenshots go to
``artifacts/screenshots/reopen-*.png``.
"""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

import nbformat
import pytest

from tests.browser import harness
from toolkit.widgets.notebook_state import WIDGET_VIEW_MIME, strip_notebook_file, untrusted_gaps

pytestmark = pytest.mark.browser

LAB_DEFAULTS = harness.REPO / "scripts" / "jupyter"  # what `make lab` puts on JUPYTER_CONFIG_PATH
LESSON = "01_intro_to_torchscript.ipynb"
ERRORS = ("Error displaying widget", "model not found")

OWN_CELLS = [
    "import torch\nimport toolkit\ntorch.manual_seed(0)",
    "class MyCell2(torch.nn.Module):\n"
    "    def __init__(self):\n"
    "        super().__init__()\n"
    "        self.linear = torch.nn.Linear(4, 4)\n\n"
    "    def forward(self, x, h):\n"
    "        return torch.tanh(self.linear(x) + h)\n\n\n"
    "traced = toolkit.trace(MyCell2(), (torch.rand(3, 4), torch.rand(3, 4)))",
    "toolkit.show(traced)",
    "toolkit.compare(MyCell2(), (torch.rand(3, 4), torch.rand(3, 4)))",
]

# Every output area of the notebook in front (restored workspaces may hold other tabs), its
# pictures with their sizes, and its text.
OUTPUTS_JS = """() => Array.from(window.jupyterapp.shell.currentWidget.node.querySelectorAll('.jp-Cell .jp-OutputArea-output')).map(o => ({
    mime: o.className,
    pictures: Array.from(o.querySelectorAll('img, svg')).filter(p => p.tagName.toLowerCase() === 'img' || !p.parentElement.closest('svg'))
        .map(p => { const r = p.getBoundingClientRect(); return [p.tagName.toLowerCase(), Math.round(r.width), Math.round(r.height)]; }),
    text: o.innerText.slice(0, 200),
}))"""

CELLS_TRUSTED_JS = """() => {
    const nb = window.jupyterapp.shell.currentWidget.content;
    return Array.from(nb.widgets).filter(c => c.model.type === 'code').map(c => c.model.trusted);
}"""


@pytest.fixture(scope="module")
def reopen_root(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("reopen")


@pytest.fixture(scope="module")
def make_lab(browser, reopen_root):
    """A JupyterLab started as ``make lab`` starts it: scripts/jupyter on JUPYTER_CONFIG_PATH."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("JUPYTER_CONFIG_PATH", str(LAB_DEFAULTS))
        server = harness.JupyterLab(reopen_root)  # copies os.environ now
    # The harness's own user settings also turn the news off; remove them so that only
    # scripts/jupyter's defaults decide (user settings are read on each request).
    (server.settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings").unlink()
    yield server
    server.stop()


@pytest.fixture
def new_page(browser, module_guard):
    contexts = []

    def make():
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        module_guard.install(context)
        contexts.append(context)
        page = context.new_page()
        page.errors = []
        page.on("pageerror", lambda e: page.errors.append(str(e)))
        return page

    yield make
    for context in contexts:
        context.close()


def api(lab: harness.JupyterLab, method: str, path: str) -> object:
    request = urllib.request.Request(lab.url(path), method=method)
    with urllib.request.urlopen(request, timeout=10) as response:
        body = response.read()
    return json.loads(body) if body else None


def end_all_sessions(lab: harness.JupyterLab) -> None:
    """Shut every kernel down, so the next open starts a fresh one."""
    for session in api(lab, "GET", "api/sessions"):
        api(lab, "DELETE", f"api/sessions/{session['id']}")


def kernel_ids(lab: harness.JupyterLab) -> set[str]:
    return {s["kernel"]["id"] for s in api(lab, "GET", "api/sessions")}


def write_notebook(path: Path, cells: list[str]) -> None:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(source) for source in cells]
    nbformat.write(nb, path)


def open_and_settle(page, lab, url_path: str) -> None:
    """Open a notebook (``lab/tree/...`` or Notebook 7's ``notebooks/...``), wait for its kernel and outputs."""
    page.goto(lab.url(url_path + ("?reset" if url_path.startswith("lab/") else "")))  # reset: no restored tabs
    page.wait_for_function(harness.KERNEL_IDLE_JS, timeout=90000)
    page.wait_for_timeout(1500)  # let the widget manager restore and the renderers settle


def assert_pictures_and_no_errors(page, expected: int) -> list[dict]:
    page.wait_for_function(
        """n => Array.from(window.jupyterapp.shell.currentWidget.node.querySelectorAll('.jp-OutputArea-output'))
            .filter(o => Array.from(o.querySelectorAll('img, svg')).some(p => p.getBoundingClientRect().width > 0)).length >= n""",
        arg=expected,
        timeout=60000,
    )
    outputs = page.evaluate(OUTPUTS_JS)
    with_picture = [o for o in outputs if any(w > 0 and h > 0 for _, w, h in o["pictures"])]
    assert len(with_picture) >= expected, outputs
    body = page.evaluate("() => window.jupyterapp.shell.currentWidget.node.innerText")
    for error in ERRORS:
        assert error not in body
    # The front ends' own start-up races (Notebook 7.6.5 "reading 'schema'" on any notebook,
    # "Command 'filebrowser:open-path' not registered") are theirs; none may come from a widget.
    assert [e for e in page.errors if any(w in e.lower() for w in ("widget", "model", "tst", "toolkit"))] == []
    return with_picture


# --- a teacher's own notebook -----------------------------------------------------------------


def test_make_lab_defaults_save_widget_state_and_ask_no_news(make_lab):
    # The server applies default overrides to the schemas it hands the front end.
    widgets = api(make_lab, "GET", "lab/api/settings/@jupyter-widgets/jupyterlab-manager:plugin")
    assert widgets["schema"]["properties"]["saveState"]["default"] is True
    assert "saveState" not in widgets["settings"]  # a default: the user's own choice still wins
    notification = api(make_lab, "GET", "lab/api/settings/@jupyterlab/apputils-extension:notification")
    assert notification["schema"]["properties"]["fetchNews"]["default"] == "false"
    assert notification["schema"]["properties"]["checkForUpdates"]["default"] is False


def test_make_lab_shows_no_news_prompt(make_lab, reopen_root, new_page):
    # Without scripts/jupyter this toast appears within a few seconds of opening JupyterLab.
    write_notebook(reopen_root / "empty.ipynb", ["1 + 1"])
    page = new_page()
    open_and_settle(page, make_lab, "lab/tree/empty.ipynb")
    page.wait_for_timeout(6000)
    assert page.get_by_text("official Jupyter news").count() == 0
    assert page.locator(".Toastify__toast").count() == 0


@pytest.fixture(scope="module")
def saved_own_notebook(make_lab, reopen_root, browser, module_guard) -> Path:
    """own.ipynb run in the browser and saved: it carries its widget state."""
    path = reopen_root / "own.ipynb"
    write_notebook(path, OWN_CELLS)
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    module_guard.install(context)
    try:
        page = context.new_page()
        open_and_settle(page, make_lab, f"lab/tree/{path.name}")
        harness.execute(page, "notebook:run-all-cells")
        harness.wait_until_idle(page)
        page.wait_for_selector(".tst-graph[data-state=ready]", timeout=60000)
        harness.execute(page, "docmanager:save")
        page.wait_for_function("() => !window.jupyterapp.shell.currentWidget.context.model.dirty")
    finally:
        context.close()
    end_all_sessions(make_lab)
    return path


def test_own_notebook_saved_with_its_widget_state_and_static_pictures(saved_own_notebook):
    nb = json.loads(saved_own_notebook.read_text())
    state = nb["metadata"]["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    shown = nb["cells"][2]["outputs"][0]["data"]
    assert shown[WIDGET_VIEW_MIME]["model_id"] in state
    assert "".join(shown["text/html"]).startswith("<div class='tst-saved-picture'><img src=\"data:image/svg+xml;base64,")
    assert "image/svg+xml" in shown and untrusted_gaps(nb) == []


def test_own_notebook_reopens_trusted_with_a_fresh_kernel_drawn_from_saved_state(
    make_lab, saved_own_notebook, new_page, screenshots
):
    before = kernel_ids(make_lab)
    page = new_page()
    open_and_settle(page, make_lab, f"lab/tree/{saved_own_notebook.name}")
    assert kernel_ids(make_lab).isdisjoint(before)  # a new kernel, which knows no widget
    assert page.evaluate(CELLS_TRUSTED_JS) == [True] * len(OWN_CELLS)
    page.wait_for_selector(".tst-graph[data-state=ready]", timeout=60000)  # the widget, from saved state
    page.wait_for_function("() => document.querySelectorAll('.tst-graph[data-state=ready]').length >= 3")  # + 2 compare panes
    assert_pictures_and_no_errors(page, 2)
    assert page.locator(".tst-graph[data-state=ready] svg g.node").count() >= 4
    assert page.locator(".tst-fallback-note").count() == 0
    page.locator(".tst-graph-widget").first.screenshot(path=str(screenshots / "reopen-own-trusted.png"))


# --- someone else's notebook --------------------------------------------------------------------


def someone_elses_copy(source: Path, target: Path, *, strip: bool) -> Path:
    """``source`` changed outside this server (a note added), so its signature fails: untrusted."""
    nb = json.loads(source.read_text())
    nb["cells"].insert(0, {"cell_type": "markdown", "metadata": {}, "source": "A copy from a colleague."})
    target.write_text(json.dumps(nb))
    if strip:
        strip_notebook_file(target)
    return target


@pytest.mark.parametrize("strip", [False, True], ids=["with-widget-state", "state-stripped"])
def test_someone_elses_notebook_reopens_untrusted_with_its_pictures(
    make_lab, saved_own_notebook, reopen_root, new_page, screenshots, strip
):
    copy = someone_elses_copy(saved_own_notebook, reopen_root / f"colleague-{int(strip)}.ipynb", strip=strip)
    end_all_sessions(make_lab)
    page = new_page()
    open_and_settle(page, make_lab, f"lab/tree/{copy.name}")
    assert page.evaluate(CELLS_TRUSTED_JS) == [False] * len(OWN_CELLS)
    pictures = assert_pictures_and_no_errors(page, 2)  # the graph, and both sides of the comparison
    assert any(tag == "img" for tag, _, _ in pictures[0]["pictures"])
    assert "run the cell again for the interactive view" in pictures[0]["text"]
    assert page.locator(".tst-graph").count() == 0  # the saved picture, not a widget
    page.locator(".jp-NotebookPanel:visible").first.screenshot(path=str(screenshots / f"reopen-colleague-{'stripped' if strip else 'state'}.png"))


@pytest.fixture(scope="module")
def executed_committed_form(reopen_root) -> Path:
    """own.ipynb as the lessons are made: executed by nbclient (nbconvert --execute), then converted."""
    import nbclient

    path = reopen_root / "executed.ipynb"
    write_notebook(path, OWN_CELLS)
    nb = nbformat.read(path, as_version=4)
    nbclient.NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(harness.REPO)}}).execute()
    nbformat.write(nb, path)
    assert "widgets" in json.loads(path.read_text())["metadata"]  # nbclient saved the widget state
    assert strip_notebook_file(path) is True
    return path


def test_the_committed_form_has_no_widget_state_and_no_untrusted_gap(executed_committed_form):
    committed = json.loads(executed_committed_form.read_text())
    assert "widgets" not in committed["metadata"] and untrusted_gaps(committed) == []
    assert all(WIDGET_VIEW_MIME not in o.get("data", {}) for c in committed["cells"] for o in c["outputs"])


@pytest.mark.parametrize("front_end", ["lab/tree", "notebooks"], ids=["jupyterlab", "notebook7"])
def test_an_executed_notebook_in_committed_form_shows_its_pictures_untrusted(
    make_lab, executed_committed_form, new_page, screenshots, front_end
):
    end_all_sessions(make_lab)
    page = new_page()
    open_and_settle(page, make_lab, f"{front_end}/{executed_committed_form.name}")
    assert not any(page.evaluate(CELLS_TRUSTED_JS))
    pictures = assert_pictures_and_no_errors(page, 2)
    assert [tag for tag, _, _ in pictures[1]["pictures"]] == ["img", "img"]  # trace and script
    name = "lab" if front_end == "lab/tree" else "nb7"
    compare = page.locator(".jp-OutputArea-output").filter(has_text="torch.jit.script").first
    compare.scroll_into_view_if_needed()
    compare.screenshot(path=str(screenshots / f"reopen-executed-compare-{name}.png"))
    page.locator(".jp-OutputArea-output").filter(has=page.locator("img")).first.screenshot(
        path=str(screenshots / f"reopen-executed-graph-{name}.png")
    )


# --- the lessons as the repository ships them ---------------------------------------------------


@pytest.fixture(scope="module")
def shipped_lesson(reopen_root) -> Path:
    """notebooks/01 put through the committed-form conversion, in a temp copy (never notebooks/)."""
    target = reopen_root / LESSON
    target.write_bytes((harness.REPO / "notebooks" / LESSON).read_bytes())
    strip_notebook_file(target)
    return target


def picture_outputs(path: Path) -> int:
    """Outputs in the file that hold a picture (SVG, PNG or HTML with an image)."""
    nb = json.loads(path.read_text())
    count = 0
    for cell in nb["cells"]:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            html = "".join(data.get("text/html", ""))
            if "image/svg+xml" in data or "image/png" in data or "<svg" in html or "<img" in html:
                count += 1
    return count


@pytest.mark.parametrize("front_end", ["lab/tree", "notebooks"], ids=["jupyterlab", "notebook7"])
def test_the_shipped_lesson_shows_every_picture_untrusted_with_a_fresh_kernel(
    make_lab, shipped_lesson, new_page, screenshots, front_end
):
    gaps = untrusted_gaps(json.loads(shipped_lesson.read_text()))
    assert gaps == [], f"re-execute the lesson with this toolkit, then run python -m toolkit.widgets.notebook_state on it: {gaps}"
    end_all_sessions(make_lab)
    expected = picture_outputs(shipped_lesson)
    assert expected >= 5
    page = new_page()
    open_and_settle(page, make_lab, f"{front_end}/{shipped_lesson.name}")
    assert not any(page.evaluate(CELLS_TRUSTED_JS))
    assert_pictures_and_no_errors(page, expected)
    first = page.locator(".jp-OutputArea-output").filter(has=page.locator("img")).first
    first.scroll_into_view_if_needed()
    page.screenshot(path=str(screenshots / f"reopen-lesson01-{'lab' if front_end == 'lab/tree' else 'nb7'}.png"))

