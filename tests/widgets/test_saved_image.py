"""The saved picture's image carries only what an image draws (saved_picture.image_only).

A widget's saved output holds its SVG twice (inline for trusted front ends, and base64 inside the
HTML that untrusted ones show), and JupyterLab sanitises that HTML again for its table of contents
whenever the notebook changes: what an ``<img>`` never uses (hover titles, tooltip links, ids,
comments) is left out of the image, and everything it draws is kept.
"""

from __future__ import annotations

import base64
import re
import warnings
import xml.dom.minidom

import pytest
import torch

from tests.fixtures import models
from toolkit.render.api import graph_view
from toolkit.render.saved_picture import image_only, svg_image

DRAWN = ("<path", "<polygon", "<polyline", "<ellipse", "<text", "<g")


@pytest.fixture(scope="module")
def svg() -> str:
    warnings.simplefilter("ignore")
    torch.manual_seed(0)
    scripted = torch.jit.script(models.MyDecisionGate())  # an if/else: clusters, edges, tooltips
    return graph_view(scripted).svg()  # the system `dot`, as every saved picture is drawn


def test_every_drawn_element_stays_and_only_unseen_parts_go(svg):
    slim = image_only(svg)
    for tag in DRAWN:
        assert slim.count(tag) == svg.count(tag), tag
    assert re.findall(r"<text[^>]*>([^<]*)</text>", slim) == re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    assert "<title>" in svg and "xlink:title" in svg and ' id="' in svg  # there was something to drop
    assert "<title>" not in slim and "xlink:title" not in slim and ' id="' not in slim
    assert slim.count(' class="node') == svg.count(' class="node')  # which group is a node, edge, cluster
    assert "<!--" not in slim
    xml.dom.minidom.parseString(slim)  # still a well-formed SVG document
    assert len(slim) < 0.8 * len(svg)


def test_hostile_names_stay_escaped_in_the_image():
    hostile = '<svg><g id="node:n1" class="node"><title>&lt;script&gt;</title><a xlink:title="&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"><text>&lt;b&gt;x</text></a></g></svg>'
    slim = image_only(hostile)
    assert slim == '<svg><g class="node"><text>&lt;b&gt;x</text></g></svg>'
    encoded = re.search(r'base64,([^"]+)"', svg_image(hostile, title="t")).group(1)
    assert base64.b64decode(encoded).decode() == slim
