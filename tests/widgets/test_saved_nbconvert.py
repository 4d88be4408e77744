"""The committed lessons through ``jupyter nbconvert --to html``: every graph output is a picture.

Issue 12, item 1 ("in nbconvert"). Each lesson is put through the committed-form conversion
(``notebook_state``, in a temp copy) and converted by the venv's own ``jupyter nbconvert``, as a
reader would. The HTML is parsed, output by output (nbconvert writes one
``div.jp-OutputArea-child`` per output, in notebook order), and each graph output must hold a
picture: an ``<img>`` whose ``data:image/svg+xml`` URI decodes to an SVG drawing graph nodes
(``<g class="node">``), or such an inline ``<svg>``.

``--sanitize-html`` (``HTMLExporter.sanitize_html``, what nbviewer-like services set) is pinned
separately, because it shows *no* picture for any output that carries ``text/html``: nbconvert
still picks ``text/html`` first (``display_data_priority``) and passes it through its
``clean_html`` filter, a bleach allow-list (``a``, ``b``, ``code``, ``div``, ``span``, ``table``...,
attributes ``class``/``id``) that has no ``img`` and no ``svg``, so the image is escaped into
text. No HTML can carry a picture through that filter; only an output without ``text/html``
(its ``image/svg+xml`` is written as an ``<img>`` unfiltered) shows one.
``tests/browser/test_reopen_nbconvert.py`` loads both in chromium.
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup

from toolkit.widgets.notebook_state import strip_notebook_file

REPO = Path(__file__).resolve().parents[2]
LESSONS = sorted((REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))
SVG_URI = "data:image/svg+xml;base64,"
SVG_NS = "{http://www.w3.org/2000/svg}"


def notebook_outputs(path: Path) -> list[dict[str, Any]]:
    """Every output of every code cell, in order (what nbconvert writes one area for)."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    return [o for c in nb["cells"] if c["cell_type"] == "code" for o in c.get("outputs", [])]


def is_graph_output(output: dict[str, Any]) -> bool:
    """A toolkit graph: an SVG picture, or HTML that holds one as a data-URI image."""
    data = output.get("data", {})
    return "image/svg+xml" in data or SVG_URI in "".join(data.get("text/html", ""))


def draws_graph_nodes(svg_text: str) -> bool:
    """``svg_text`` parses as an SVG document with at least one Graphviz node group."""
    root = ET.fromstring(svg_text)
    if root.tag not in ("svg", f"{SVG_NS}svg"):
        return False
    return any("node" in (g.get("class") or "").split() for g in root.iter(f"{SVG_NS}g"))


def graph_pictures(area: Any) -> list[str]:
    """The graph pictures in one HTML output area: each decoded data-URI image or inline SVG."""
    found = []
    for img in area.find_all("img"):
        src = img.get("src", "")
        if src.startswith(SVG_URI):
            svg = base64.b64decode(src[len(SVG_URI):]).decode("utf-8")
            if draws_graph_nodes(svg):
                found.append(svg)
    for svg in area.find_all("svg"):
        if svg.find_parent("svg") is None and draws_graph_nodes(str(svg)):
            found.append(str(svg))
    return found


def output_areas(html_path: Path) -> list[Any]:
    return BeautifulSoup(html_path.read_text(encoding="utf-8"), "html.parser").select("div.jp-OutputArea-child")


def convert(notebooks: list[Path], out_dir: Path, *extra: str) -> list[Path]:
    """The venv's ``jupyter nbconvert --to html`` on ``notebooks`` (one process), the HTML files."""
    jupyter = Path(sys.executable).parent / "jupyter"
    subprocess.run(
        [str(jupyter), "nbconvert", "--to", "html", "--output-dir", str(out_dir), *extra, *map(str, notebooks)],
        check=True, capture_output=True, timeout=300,
    )
    return [out_dir / f"{p.stem}.html" for p in notebooks]


@pytest.fixture(scope="module")
def committed_lessons(tmp_path_factory) -> list[Path]:
    """Each lesson in its committed form (``notebook_state``), in a temp copy (never notebooks/)."""
    folder = tmp_path_factory.mktemp("committed")
    copies = []
    for lesson in LESSONS:
        copy = folder / lesson.name
        copy.write_bytes(lesson.read_bytes())
        strip_notebook_file(copy)
        copies.append(copy)
    return copies


@pytest.fixture(scope="module")
def lesson_html(committed_lessons, tmp_path_factory) -> dict[str, list[Path]]:
    out = tmp_path_factory.mktemp("html")
    return {
        "default": convert(committed_lessons, out / "default"),
        "sanitized": convert(committed_lessons, out / "sanitized", "--sanitize-html"),
    }


def test_every_lesson_has_graph_outputs_to_check(committed_lessons):
    counts = {p.name: sum(map(is_graph_output, notebook_outputs(p))) for p in committed_lessons}
    assert len(counts) >= 5 and all(n >= 1 for name, n in counts.items() if not name.startswith("07")), counts


@pytest.mark.parametrize("index", range(len(LESSONS)), ids=[p.stem[:2] for p in LESSONS])
def test_nbconvert_html_shows_a_graph_picture_in_every_graph_output(committed_lessons, lesson_html, index):
    outputs = notebook_outputs(committed_lessons[index])
    areas = output_areas(lesson_html["default"][index])
    assert len(areas) == len(outputs)  # one area per output, in order
    for number, (output, area) in enumerate(zip(outputs, areas)):
        if is_graph_output(output):
            assert graph_pictures(area), f"output {number}: no graph picture in {str(area)[:300]}"


@pytest.mark.parametrize("index", range(len(LESSONS)), ids=[p.stem[:2] for p in LESSONS])
def test_sanitized_nbconvert_escapes_the_picture_of_every_graph_output_that_carries_html(
    committed_lessons, lesson_html, index
):
    """Pins nbconvert 7's ``--sanitize-html`` (module docstring): an HTML picture becomes escaped text.

    When this fails, either nbconvert's filter began to keep images (then assert pictures), or a
    graph output lost its ``text/html`` (then its ``image/svg+xml`` must show: asserted here too).
    """
    outputs = notebook_outputs(committed_lessons[index])
    areas = output_areas(lesson_html["sanitized"][index])
    assert len(areas) == len(outputs)
    for number, (output, area) in enumerate(zip(outputs, areas)):
        if not is_graph_output(output):
            continue
        if "text/html" in output["data"]:
            assert graph_pictures(area) == [], f"output {number}"
            assert area.find("img") is None and "<img src=\"data:image/svg+xml" in area.get_text()
        else:
            assert graph_pictures(area), f"output {number}: its SVG should be shown as an image"
