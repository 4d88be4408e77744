"""The committed lessons under a *model* of GitHub's notebook renderer: every graph output shows a picture.

Issue 12, item 1 ("on GitHub"). GitHub cannot be reached from here, and it documents no rules
for notebook outputs (jupyter/nbconvert#2016: "GitHub does some kind of cleaning ... but I
haven't been able to find" its rules). This test is **not GitHub**: it encodes what public
reports say GitHub's renderer does, and checks every graph output of notebooks/*.ipynb under it.

The model, each rule with where it comes from:

- GitHub converts with nbconvert's output priority: ``text/html`` first, then ``image/svg+xml``,
  then ``image/png``/``image/jpeg``, then ``text/plain``; it picks first and sanitises after
  (jupyter/nbviewer#453, 2015: "nbconvert prefers svg to png, and then Github strips SVG after
  it has chosen"), so an output is judged by its first type only.
- ``image/svg+xml`` is shown as a picture (xflr6/graphviz#205, 2023-10: the graphviz package's
  own notebook of ``image/svg+xml`` outputs shows in "the GH renderer"). Not always so: in
  2022-11 the same outputs were blank (xflr6/graphviz#182) and users report SVG failing where
  PNG works (UniboDIFABiophysics/programmingCourseDIFA#1, HDFGroup/hdf5-tutorial#39, 2024-01).
- ``text/html`` is sanitised: scripts, styles and inline ``<svg>`` go (jupyter/notebook#1521 and
  IRkernel/IRkernel#145, a GitHub engineer: inline SVG is rewritten "for security reasons"),
  and an ``<img>`` keeps a ``data:`` image source (activeviam/atoti-notebooks#425, 2021-12:
  ``<img src="data:image/svg+xml;base64,...">`` renders).
- ``image/png`` and ``image/jpeg`` always show (every report above that fails SVG says PNG works).

The weakest rule is the data-URI ``<img>`` one (one user's report); it matters most, because the
priority puts our ``text/html`` first: were GitHub to drop data-URI images, the HTML would hide
the ``image/svg+xml`` that GitHub does show. Under this model every graph output in the lessons
shows its picture. Under the strict reading
(only PNG is sure), none does: the lessons carry no PNG (a ``dot -Tpng`` copy would be about
3.6 times the SVG's bytes: 7.3 kB of SVG became 26.5 kB of PNG, ResNet-18's 121 kB became 515 kB).
"""

from __future__ import annotations

import base64
import html.parser
import json
from pathlib import Path
from typing import Any

import pytest

from tests.widgets.test_saved_nbconvert import LESSONS, draws_graph_nodes, is_graph_output

PRIORITY = ("text/html", "image/svg+xml", "image/png", "image/jpeg", "text/plain")
ALWAYS_SHOWN = ("image/png", "image/jpeg")
DATA_IMAGE = ("data:image/svg+xml;base64,", "data:image/png;base64,", "data:image/jpeg;base64,")
DROPPED_WITH_CONTENT = {"script", "style", "svg"}  # sanitised away, children and all


class _GitHubSanitiser(html.parser.HTMLParser):
    """Walks ``text/html`` as the model's sanitiser would, keeping each image source it lets through."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.dropping = 0
        self.images: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in DROPPED_WITH_CONTENT:
            self.dropping += 1
        elif tag == "img" and not self.dropping:
            src = dict(attrs).get("src") or ""
            if src.startswith(DATA_IMAGE):
                self.images.append(src)

    def handle_endtag(self, tag: str) -> None:
        if tag in DROPPED_WITH_CONTENT and self.dropping:
            self.dropping -= 1


def chosen_type(data: dict[str, Any]) -> str | None:
    return next((mime for mime in PRIORITY if mime in data), None)


def shows_a_graph(data: dict[str, Any]) -> bool:
    """Whether the model shows a graph picture for an output's ``data``."""
    mime = chosen_type(data)
    if mime in ALWAYS_SHOWN:
        return True
    if mime == "image/svg+xml":
        return draws_graph_nodes("".join(data[mime]))
    if mime == "text/html":
        sanitiser = _GitHubSanitiser()
        sanitiser.feed("".join(data[mime]))
        return any(_is_graph_image(src) for src in sanitiser.images)
    return False


def _is_graph_image(src: str) -> bool:
    if src.startswith(DATA_IMAGE[0]):
        return draws_graph_nodes(base64.b64decode(src[len(DATA_IMAGE[0]):]).decode("utf-8"))
    return True  # a PNG or JPEG: shown


def graph_outputs(path: Path) -> list[tuple[int, dict[str, Any]]]:
    nb = json.loads(path.read_text(encoding="utf-8"))
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    return [(n, o["data"]) for n, c in enumerate(code) for o in c.get("outputs", []) if is_graph_output(o)]


# --- the model itself: it can fail -------------------------------------------------------------

GRAPH_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><g class="graph">'
    '<g id="node1" class="node"><title>x</title></g></g></svg>'
)


def _svg_uri(svg: str) -> str:
    return DATA_IMAGE[0] + base64.b64encode(svg.encode()).decode()


def test_the_model_keeps_a_data_uri_image_and_drops_inline_svg_and_scripts():
    assert shows_a_graph({"text/html": f'<div><img src="{_svg_uri(GRAPH_SVG)}"></div>', "image/svg+xml": GRAPH_SVG})
    assert not shows_a_graph({"text/html": f"<div>{GRAPH_SVG}</div>", "image/svg+xml": GRAPH_SVG})  # html chosen first
    assert not shows_a_graph({"text/html": f'<script><img src="{_svg_uri(GRAPH_SVG)}"></script>'})
    assert not shows_a_graph({"text/html": '<img src="https://example.org/graph.svg">'})  # nothing embedded
    no_nodes = _svg_uri('<svg xmlns="http://www.w3.org/2000/svg"/>')
    assert not shows_a_graph({"text/html": f'<img src="{no_nodes}">'})  # an image, but no graph in it
    assert shows_a_graph({"image/svg+xml": GRAPH_SVG, "text/plain": "<GraphView>"})
    assert shows_a_graph({"image/png": "iVBORw0KGgo=", "text/plain": "<GraphView>"})
    assert not shows_a_graph({"text/plain": "<GraphView MyCell.forward (traced): 6 nodes drawn>"})


# --- the lessons --------------------------------------------------------------------------------


@pytest.mark.parametrize("lesson", LESSONS, ids=[p.stem[:2] for p in LESSONS])
def test_every_graph_output_of_the_committed_lesson_shows_under_the_github_model(lesson):
    outputs = graph_outputs(lesson)
    hidden = [f"code cell {n}: GitHub would render its {chosen_type(d)}, which shows no graph" for n, d in outputs if not shows_a_graph(d)]
    assert hidden == [], hidden


def test_the_lessons_have_graph_outputs_to_check():
    assert sum(len(graph_outputs(p)) for p in LESSONS) >= 20
