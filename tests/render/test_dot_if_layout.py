"""A scripted ``if`` reads top to bottom: its condition first, then and else side by side below it.

Checked where it matters, in the positions Graphviz lays out (``dot -Tjson``), for the tutorial's
``if x.sum() > 0`` gate and for an ``if`` with work in both blocks.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import warnings


import toolkit
from tests.fixtures import models
from toolkit.render.api import graph_view
from toolkit.render.collapse import Collapse
from toolkit.render.dot import assemble_dot, dot_statements, write_dot
from toolkit.render.drawing import Box, Cluster, Drawing, Edge
from toolkit.render.options import DotOptions


def _script(module):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return toolkit.script(module)


def _positions(dot: str) -> dict[str, tuple[float, float]]:
    """Box name -> (x, y) as laid out; Graphviz's y grows upwards, so "above" is a larger y."""
    laid = subprocess.run([shutil.which("dot") or "dot", "-Tjson"], input=dot.encode(), capture_output=True, check=True)
    objects = json.loads(laid.stdout)["objects"]
    return {o["name"]: tuple(map(float, o["pos"].split(","))) for o in objects if "pos" in o}  # type: ignore[misc]


def test_the_tutorial_gate_draws_its_condition_above_the_else_block():
    view = graph_view(_script(models.MyCell3(models.MyDecisionGate())))
    condition = next(n.id for n in view.drawing.nodes if n.kind == "if")
    negation = next(n.id for n in view.drawing.nodes if n.op == "aten::neg")
    at = _positions(view.dot)
    assert at[condition][1] > at[negation][1]
    # and below what the condition is computed from
    feeding = [e.src for e in view.drawing.edges if e.dst == condition]
    assert feeding and all(at[box][1] > at[condition][1] for box in feeding)


def test_then_and_else_start_on_the_row_below_the_condition_side_by_side():
    view = graph_view(_script(models.BothBranches()))
    boxes = {n.op: n for n in view.drawing.nodes}
    condition = next(n.id for n in view.drawing.nodes if n.kind == "if")
    then_ops = [boxes["aten::relu"].id, boxes["aten::mul"].id]
    else_ops = [boxes["aten::tanh"].id, boxes["aten::sub"].id]
    at = _positions(view.dot)
    for then_box, else_box in zip(then_ops, else_ops):
        assert at[then_box][1] == at[else_box][1]  # the same row
        assert at[then_box][0] != at[else_box][0]  # side by side
        assert at[condition][1] > at[then_box][1]
    # both blocks merge into what reads the if's result, below them
    join = boxes["aten::add"].id
    assert all(at[b][1] > at[join][1] for b in then_ops + else_ops)


def test_the_condition_leads_into_the_first_box_of_each_block_only():
    view = graph_view(_script(models.BothBranches()))
    boxes = {n.op: n.id for n in view.drawing.nodes}
    condition = next(n.id for n in view.drawing.nodes if n.kind == "if")
    flow = [line for line in view.dot.splitlines() if 'class="flow"' in line]
    assert flow == [
        f'  "{condition}" -> "{boxes["aten::relu"]}" [style=dashed color="#b58900" arrowsize=0.5'
        ' tooltip="if x.sum() > 0: then block (runs when the condition is true)" class="flow"];',
        f'  "{condition}" -> "{boxes["aten::tanh"]}" [style=dashed color="#b58900" arrowsize=0.5'
        ' tooltip="if x.sum() > 0: else block (runs when the condition is false)" class="flow"];',
    ]


def test_a_closed_if_or_module_draws_no_edge_from_a_condition_it_swallowed():
    view = graph_view(_script(models.MyCell3(models.MyDecisionGate())))
    statements = dot_statements(view.drawing, view.options)
    if_key = next(c.key for c in view.drawing.clusters if c.kind == "if")
    for options in (DotOptions(collapsed=frozenset({if_key})), DotOptions(depth=0)):
        collapse = Collapse(view.drawing, options, closes_control_flow=True)
        dot = assemble_dot(statements, collapse).dot
        assert 'class="flow"' not in dot
        assert "->" in dot


def test_an_empty_block_leads_into_the_join_where_both_blocks_meet():
    """A drawing with a join box (both blocks' results meet there): ``return x`` is drawn too."""
    key = "if:d"
    drawing = Drawing(
        name="gate",
        nodes=(
            Box(id="in:x", kind="input", label=("x",), tooltip="x"),
            Box(id="d", kind="if", label=("if x.sum() > 0",), tooltip="prim::If", cluster=key),
            Box(id="neg", kind="op", label=("neg",), tooltip="aten::neg", cluster=f"{key}/b:else"),
            Box(id="d.join", kind="join", label=("v",), tooltip="then or else result", cluster=key),
            Box(id="out", kind="output", label=("output",), tooltip="graph outputs"),
        ),
        clusters=(
            Cluster(key=key, kind="if", label="if x.sum() > 0", parent="", module_depth=0),
            Cluster(key=f"{key}/b:then", kind="then", label="then", parent=key, module_depth=0),
            Cluster(key=f"{key}/b:else", kind="else", label="else", parent=key, module_depth=0),
        ),
        edges=(Edge("in:x", "d"), Edge("in:x", "neg"), Edge("neg", "d.join"), Edge("in:x", "d.join"), Edge("d.join", "out")),
    )
    dot = write_dot(drawing)
    flow = [line.split(" [")[0].strip() for line in dot.splitlines() if 'class="flow"' in line]
    assert flow == ['"d" -> "neg"', '"d" -> "d.join"']
    assert '"d.join" [label="v" tooltip="then or else result"' in dot and "shape=point" in dot
    at = _positions(dot)
    assert at["d"][1] > at["neg"][1] > at["d.join"][1] > at["out"][1]
