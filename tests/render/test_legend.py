"""Every colour a view paints is explained in the picture, and no colour it does not paint.

Compare views (lost by the trace, only in the script or the trace), partition drawings (where
each op runs, copies between devices, boundaries that copy nothing) and pipelines (where each op
call runs) each carry a legend node written into the DOT statements, so the static SVG and the
widget, which assembles the same statements, show the same key.
"""

from __future__ import annotations

import dataclasses
import html
import warnings

import pytest
import torch

import toolkit
from tests.fixtures import models
from toolkit.render.api import compare_view, graph_view
from toolkit.render.collapse import Collapse
from toolkit.render.dot import assemble_dot, dot_statements
from toolkit.render.legend import BOX_SWATCHES, EDGE_SWATCHES, Swatch, legend_statement
from toolkit.render.partition_drawing import partition_drawing


def _legend_line(dot: str) -> str:
    lines = [line for line in dot.splitlines() if line.lstrip().startswith('"__legend__"')]
    assert len(lines) <= 1
    return lines[0] if lines else ""


def _meanings(dot: str) -> list[str]:
    line = _legend_line(dot)
    every = {**{m: s.meaning for m, s in BOX_SWATCHES.items()}, **{m: s.meaning for m, s in EDGE_SWATCHES.items()}}
    return [mark for mark, meaning in every.items() if f">{html.escape(meaning)}<" in line]


@pytest.fixture(scope="module")
def compared():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.manual_seed(0)
        model = models.MyCell3(models.MyDecisionGate())
        inputs = models.example_inputs("MyCell3")
        return compare_view(toolkit.trace(model, inputs), toolkit.script(model))


def test_a_compare_view_explains_the_colours_it_uses(compared):
    script_marks = {m for n in compared.scripted.drawing.nodes for m in n.marks}
    assert script_marks == {"lost", "only-script"}
    assert _meanings(compared.scripted.dot) == ["lost", "only-script"]
    svg = compared.scripted.svg()
    assert "lost by the trace (control flow the trace did not record)" in svg
    assert 'fill="#ffd6d6"' in svg  # the swatch, painted as a lost box is


def test_a_view_with_no_marked_colour_has_no_legend(compared, zoo):
    assert not any(n.marks for n in compared.traced.drawing.nodes)
    assert _legend_line(compared.traced.dot) == ""
    assert _legend_line(graph_view(zoo["ConvNet"][3]).dot) == ""


def test_the_widget_assembles_the_same_legend_in_every_state(compared):
    view = compared.scripted
    statements = dot_statements(view.drawing, view.options)
    line = _legend_line(compared.scripted.dot)
    for depth in (0, 1, None):
        collapse = Collapse(view.drawing, view.options.with_state(depth=depth, expanded=(), collapsed=()), closes_control_flow=True)
        assert _legend_line(assemble_dot(statements, collapse).dot) == line
    assert statements.head[-1].strip() == line.strip()


def test_rows_follow_the_table_order_whatever_order_the_marks_come_in():
    assert legend_statement(["target-cpu", "lost", "lost"], ["transfer"]) == legend_statement(["lost", "target-cpu"], ["transfer"])
    assert legend_statement(["not-a-colour"], []) == ""
    line = legend_statement(["target-cpu", "lost"], [])
    assert line.index("lost by the trace") < line.index("runs on the CPU")


def test_legend_words_are_escaped_for_graphviz_html_labels(monkeypatch):
    import toolkit.render.legend as legend

    monkeypatch.setitem(legend.BOX_SWATCHES, "odd", Swatch("#ffffff", "#000000", "a <b> & \"c\""))
    line = legend_statement(["odd"], [])
    assert "a &lt;b&gt; &amp; &quot;c&quot;" in line and "<b> &" not in line


def _partitioned(device: str):
    import toolkit.partition as tpart

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        part = tpart.trace(
            models.ConvNet().eval(), (torch.rand(2, 3, 16, 16),),
            supported=lambda n: n.kind != "aten::relu", minimum_segment_size=1, device="cpu",
        )
    plan = tpart.plan_of(part)
    return plan if device == "cpu" else dataclasses.replace(plan, device=device)


def test_a_partition_on_the_cpu_itself_draws_no_copy_between_two_nodes_on_one_device():
    plan = _partitioned("cpu")
    drawing = partition_drawing(plan)
    marks = [m for e in drawing.edges for m in e.marks]
    assert "transfer" not in marks
    assert marks.count("boundary") == plan.transfers > 0  # the boundaries are still there, as boundaries
    assert not any("cpu→cpu" in e.label for e in drawing.edges)
    view = graph_view(plan)
    assert _meanings(view.dot) == ["target-accelerator", "target-cpu", "boundary"]


def test_a_partition_on_an_accelerator_draws_each_copy_with_its_direction_and_bytes():
    plan = _partitioned("cuda")
    drawing = partition_drawing(plan)
    copies = [e for e in drawing.edges if "transfer" in e.marks]
    assert len(copies) == plan.transfers
    assert {e.label.split(" ")[0] for e in copies} == {"cuda→cpu", "cpu→cuda"}
    assert all(e.label.endswith(" B") or e.label.endswith("iB") for e in copies)
    dot = graph_view(plan).dot
    assert _meanings(dot) == ["target-accelerator", "target-cpu", "transfer"]
    assert 'class="transfer"' in dot and "cuda→cpu" in dot


def test_a_pipeline_legend_names_the_devices_its_op_calls_run_on():
    import toolkit.pipeline as tp

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cell = tp.script(models.MyCell1(), device="cpu")
        pipe = tp.trace(lambda x, h: cell(x, h)[0] * 2.0, torch.rand(3, 4), torch.rand(3, 4))
    view = graph_view(pipe)
    calls = [n for n in view.drawing.nodes if n.kind == "call"]
    assert calls and all(n.marks == ("target-cpu",) for n in calls)
    assert _meanings(view.dot) == ["target-cpu"]


def test_a_pipeline_edge_between_devices_is_drawn_as_a_copy():
    from toolkit.render.pipeline_drawing import pipeline_drawing

    @dataclasses.dataclass
    class Call:
        name: str
        op: str
        device: str
        output_to_cpu: bool
        depends_on: tuple[str, ...]

    @dataclasses.dataclass
    class Named:
        name: str
        type: str = "Tensor"
        depends_on: tuple[str, ...] = ()

    @dataclasses.dataclass
    class Pipe:
        ops: tuple
        inputs: tuple
        outputs: tuple
        module: object = None
        name: str = "pipe"

    pipe = Pipe(
        ops=(Call("enc", "enc", "cuda", False, ("x",)), Call("dec", "dec", "cpu", False, ("enc",)), Call("post", "post", "cuda", True, ("enc",)), Call("tail", "tail", "cpu", False, ("post",))),
        inputs=(Named("x"),),
        outputs=(Named("y", depends_on=("dec",)),),
    )
    drawing = pipeline_drawing(pipe)
    assert [(e.src, e.dst, e.label, e.marks) for e in drawing.edges] == [
        ("in:x", "enc", "", ()),
        ("enc", "dec", "cuda→cpu", ("transfer",)),
        ("enc", "post", "", ()),
        ("post", "tail", "", ()),
        ("dec", "out:y", "", ()),
    ]
    assert [n.marks for n in drawing.nodes if n.kind == "call"] == [("target-accelerator",), ("target-cpu",), ("target-accelerator",), ("target-cpu",)]


def test_the_comparisons_keys_use_the_drawings_own_colours_and_words():
    from toolkit.render.legend import BOX_SWATCHES, key_html

    key = key_html(("lost", "only-script"))
    for mark in ("lost", "only-script"):
        assert f"background:{BOX_SWATCHES[mark].fill};" in key and BOX_SWATCHES[mark].meaning in key
    assert "only in the trace" not in key
