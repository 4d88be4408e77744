"""A view that draws many boxes leaves its edge labels out (they dominate Graphviz's time), and says so.

Measured in ``bench/dot_labels.py``: past ``opening.LARGE_BOXES`` drawn boxes the shape labels
multiply the layout time, so they go, the key says why, and each edge's hover keeps its shape.
"""

from __future__ import annotations

import dataclasses
import warnings

import torch

from tests.browser import synthetic
from tests.fixtures import models
from toolkit.render.api import graph_view
from toolkit.render.collapse import Collapse
from toolkit.render.dot import THINNED_NOTE, assemble_dot, dot_statements, write_dot
from toolkit.render.drawing import build_drawing
from toolkit.render.opening import LARGE_BOXES, is_large
from toolkit.render.options import DotOptions
from toolkit.render.partition_drawing import partition_drawing


def _edge_lines(dot: str) -> list[str]:
    return [line for line in dot.splitlines() if " -> " in line]


def test_a_large_drawing_has_no_edge_labels_and_its_key_says_why():
    drawing = build_drawing(synthetic.wide_graph(40, 8))
    assert is_large(drawing) and len(drawing.nodes) > LARGE_BOXES
    assert sum(1 for e in drawing.edges if e.label == "1×8") > LARGE_BOXES
    dot = write_dot(drawing, DotOptions())
    edges = _edge_lines(dot)
    assert edges and not any("label=" in line for line in edges)
    assert sum(1 for line in edges if 'tooltip="' in line and '\\nTensor float32 1×8"' in line) == sum(1 for e in drawing.edges if e.label)
    assert THINNED_NOTE in dot and f"more than {LARGE_BOXES} boxes, so edges are not labelled" in dot


def test_the_same_large_drawing_drawn_collapsed_keeps_its_labels():
    drawing = build_drawing(synthetic.wide_graph(40, 8))
    options = DotOptions(depth=0)
    assert Collapse(drawing, options).drawn_count <= LARGE_BOXES
    dot = write_dot(drawing, options)
    assert sum(1 for line in _edge_lines(dot) if 'label="1×8"' in line) >= 40
    assert "edges are not labelled" not in dot


def test_labels_can_be_kept_or_dropped_by_hand_whatever_the_size(zoo):
    large = build_drawing(synthetic.wide_graph(40, 8))
    kept = assemble_dot(dot_statements(large, thin_labels=False), Collapse(large)).dot
    assert sum(1 for line in _edge_lines(kept) if 'label="1×8"' in line) > LARGE_BOXES
    assert "edges are not labelled" not in kept
    small = graph_view(zoo["ConvNet"][3]).drawing
    assert not is_large(small)
    assert 'label="1×8×16×16"' in write_dot(small)
    assert 'label="1×8×16×16"' not in assemble_dot(dot_statements(small, thin_labels=True), Collapse(small)).dot


def test_a_small_drawing_keeps_every_label_and_has_no_note(zoo):
    drawing = graph_view(zoo["ConvNet"][3]).drawing
    dot = write_dot(drawing)
    assert sum(1 for line in _edge_lines(dot) if "label=" in line) == sum(1 for e in drawing.edges if e.label)
    assert "edges are not labelled" not in dot


def test_edge_labels_false_is_not_a_thinning_and_adds_no_note():
    drawing = build_drawing(synthetic.wide_graph(40, 8))
    dot = write_dot(drawing, DotOptions(edge_labels=False))
    assert "edges are not labelled" not in dot and not any("label=" in line for line in _edge_lines(dot))


def test_thinning_keeps_the_labels_of_copies_between_devices():
    import toolkit.partition as tpart

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        part = tpart.trace(
            models.ConvNet().eval(), (torch.rand(2, 3, 16, 16),),
            supported=lambda n: n.kind != "aten::relu", minimum_segment_size=1, device="cpu",
        )
    plan = dataclasses.replace(tpart.plan_of(part), device="cuda")
    drawing = partition_drawing(plan)
    dot = assemble_dot(dot_statements(drawing, thin_labels=True), Collapse(drawing)).dot
    labelled = [line for line in _edge_lines(dot) if "label=" in line]
    assert len(labelled) == plan.transfers
    assert all('class="transfer"' in line and ("cpu→cuda" in line or "cuda→cpu" in line) for line in labelled)
