"""``warmup()`` on pipelines and ops, and ``profile``: the per-op timing table of one run."""

from __future__ import annotations


import pytest
import torch
from torch.utils import _pytree as pytree

import toolkit.pipeline as tp
from tests.pipeline.test_op import cell_inputs, make_op
from tests.pipeline.test_trace import classifier_pipeline, process_with
from toolkit.errors import FeedError, PipelineError


def cell_feed():
    x, h = cell_inputs()
    return {"x": x, "h": h}


def two_call_pipeline():
    """The cell called twice, then a Linear op: three op calls with tensor code between them."""
    cell = make_op("nn_module", None)
    torch.manual_seed(0)
    head = tp.script(torch.nn.Linear(4, 2), device=-1)

    def twice(x, h):
        a, b = cell(x, h)
        c, _ = cell(a * 2, b)
        return head(c + 1)

    return tp.trace(twice, *cell_inputs())


# --- warmup ---------------------------------------------------------------------------------------
def test_warmup_runs_a_fresh_pipeline_and_leaves_its_results_unchanged(tmp_path):
    # How much faster the first real call gets is a speed figure: it belongs in bench/, not here
    # (these machines are noisy). Here: the runs happen, are timed, and change no result.
    path = tp.trace(process_with(make_op("nn_module", None)), *cell_inputs()).save(tmp_path / "p.pt")
    loaded = tp.load(path, -1)  # a fresh module: TorchScript has profiled and optimised nothing yet
    before = loaded.run(cell_feed())
    seconds = loaded.warmup()
    assert len(seconds) == 2 and all(s > 0 for s in seconds)
    after = loaded.run(cell_feed())
    assert all(torch.equal(a, b) for a, b in zip(pytree.tree_leaves(after), pytree.tree_leaves(before), strict=True))


def test_warmup_runs_the_stored_examples_or_a_given_feed_and_counts_runs():
    pipeline = tp.trace(process_with(make_op("nn_module", None)), *cell_inputs())
    assert len(pipeline.warmup(runs=3)) == 3
    assert len(pipeline.warmup({"x": torch.ones(5, 4), "h": torch.zeros(5, 4)}, runs=1)) == 1
    with pytest.raises(FeedError, match=r"pipeline 'process' got the inputs \['x'\]: missing \['h'\]"):
        pipeline.warmup({"x": torch.ones(5, 4)})
    for runs in (0, -1, 1.5, True):
        with pytest.raises(PipelineError, match=rf"pipeline 'process'.warmup\(\): runs must be a positive int, not {runs!r}"):
            pipeline.warmup(runs=runs)


def test_an_op_warms_up_on_its_examples_or_given_inputs():
    op = make_op("nn_module", None)
    with pytest.raises(PipelineError, match=r"InferenceOp 'my_cell2'.warmup\(\) has no inputs to run. Fix: pass them"):
        op.warmup()
    seconds = op.warmup(*cell_inputs(), runs=3)  # traces it at the first of them
    assert len(seconds) == 3 and op.is_ready and all(s > 0 for s in seconds)
    assert len(op.warmup()) == 2  # now it has example inputs


# --- profile --------------------------------------------------------------------------------------
def test_profile_has_one_row_per_op_call_in_call_order():
    pipeline = two_call_pipeline()
    table = tp.profile(pipeline, cell_feed())
    assert [(row.name, row.op, row.device) for row in table.rows] == [(call.name, call.op, call.device) for call in pipeline.ops]
    assert [row.name for row in table.rows] == ["my_cell2", "my_cell2_1", "linear"]
    assert table.pipeline == "twice" and table.warmup_runs == 2
    assert pipeline.profile(cell_feed(), warmup=0).warmup_runs == 0  # the method is the same function


def test_the_stepped_run_computes_what_the_pipeline_computes():
    pipeline = two_call_pipeline()
    feed = {"x": torch.rand(6, 4), "h": torch.rand(6, 4)}
    table = pipeline.profile(feed)
    assert torch.equal(table.outputs, pipeline.run(feed))
    assert table.outputs.shape == (6, 2)


def test_profile_times_add_up_to_the_stepped_run():
    table = two_call_pipeline().profile()  # the example inputs by default
    assert all(row.seconds > 0 for row in table.rows)
    assert table.between_seconds > 0  # a * 2 and c + 1 run between the ops
    assert table.op_seconds == pytest.approx(sum(row.seconds for row in table.rows))
    assert table.op_seconds + table.between_seconds <= table.stepped_seconds
    assert table.run_seconds > 0


def test_profile_attributes_time_to_the_op_that_spends_it():
    @torch.jit.script
    def slow(x: torch.Tensor) -> torch.Tensor:
        y = x
        for _ in range(30):
            y = torch.tanh(y @ x)
        return y

    @torch.jit.script
    def quick(x: torch.Tensor) -> torch.Tensor:
        return x + 1

    slow_op, quick_op = tp.script(slow, device=-1), tp.script(quick, device=-1)
    pipeline = tp.trace(lambda x: quick_op(slow_op(x)), torch.rand(200, 200))
    rows = pipeline.profile().rows
    assert [row.name for row in rows] == ["slow", "quick"] and all(row.seconds > 0 for row in rows)


def test_cpu_ops_copy_nothing():
    classify, x = classifier_pipeline()
    table = tp.trace(classify, x).profile({"x": x})
    assert [(row.copies_in, row.copies_out) for row in table.rows] == [(0, 0), (0, 0)]


def test_profile_refuses_a_loaded_pipeline_and_bad_arguments(tmp_path):
    pipeline = two_call_pipeline()
    loaded = tp.load(pipeline.save(tmp_path / "p.pt"), -1)
    with pytest.raises(PipelineError, match=r"profile\(pipeline 'twice'\): this pipeline was loaded from '.*p.pt', and profile steps through the torch.fx graph that trace\(\) compiled"):
        loaded.profile()
    with pytest.raises(PipelineError, match=r"warmup must be an int >= 0, not -1"):
        pipeline.profile(warmup=-1)
    with pytest.raises(FeedError, match=r"missing \['h'\]"):
        pipeline.profile({"x": torch.ones(3, 4)})


def test_the_table_prints_as_text_and_html_with_names_escaped():
    op = make_op("nn_module", None)
    table = tp.trace(lambda x, h: op(x, h), *cell_inputs()).profile()
    text = str(table)
    assert text.splitlines()[0] == "profile of pipeline '<lambda>': one run after 2 warm-up run(s)"
    assert "copies in/out" in text.splitlines()[1]
    assert text.splitlines()[2].split()[:3] == ["my_cell2", "my_cell2", "cpu"]
    assert text.splitlines()[2].endswith("0 / 0")
    assert [line.split("  ")[0] for line in text.splitlines()[3:]] == [
        "between ops (pre/post-processing)",
        "stepped run, in all",
        "Pipeline.run (TorchScript)",
    ]
    page = table.to_html()
    assert "&#x27;&lt;lambda&gt;&#x27;" in page and "<lambda>" not in page
    assert page.count("<tr>") == 1 + 1 + 3  # header, one op call, three totals
    assert table._repr_mimebundle_() == {"text/html": page, "text/plain": text}
    assert table._repr_mimebundle_(include=["text/plain"]) == {"text/plain": text}
    assert table._repr_mimebundle_(exclude=["text/html"]) == {"text/plain": text}


def test_the_plot_has_a_bar_per_op_call_in_milliseconds():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    table = two_call_pipeline().profile()
    ax = table.plot()
    try:
        bars = ax.patches
        assert [bar.get_width() for bar in bars] == pytest.approx([row.seconds * 1e3 for row in table.rows])
        assert [label.get_text() for label in ax.get_yticklabels()] == ["my_cell2 (cpu)", "my_cell2_1 (cpu)", "linear (cpu)"]
        assert [text.get_text() for text in ax.texts] == [" copies 0 in / 0 out"] * 3
        assert ax.get_xlabel() == "milliseconds per call (one stepped run)"
    finally:
        plt.close(ax.figure)
