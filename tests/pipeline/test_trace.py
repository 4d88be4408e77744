"""``trace``: recording a function of InferenceOps into one TorchScript module, and ``run``."""

from __future__ import annotations

import itertools
from typing import List

import pytest
import torch

import toolkit.pipeline as tp
from tests.pipeline.test_op import ENTRY_POINTS, cell_inputs, make_op, reference, seeded_cell
from toolkit.errors import PipelineError, ScriptingError


def process_with(op):
    def process(x, h):
        return op(x, h)

    return process


# --- Matx's behaviours: entry points, result types, values ------------------------------------
@pytest.mark.parametrize("kind", ENTRY_POINTS)
def test_each_entry_point_traces_and_runs(kind, tmp_path):
    op = make_op(kind, tmp_path)
    x, h = cell_inputs()
    eager = op(x, h)
    pipeline = tp.trace(process_with(op), x, h)
    ran = pipeline.run({"x": x, "h": h})
    assert isinstance(ran, tuple) and len(ran) == 2
    for got, from_op, want in zip(ran, eager, reference(kind)):
        assert got.shape == (3, 4)
        assert torch.equal(got, from_op)  # the same TorchScript runs in both phases
        torch.testing.assert_close(got, want)


def test_a_single_output_stays_bare_in_the_pipeline():
    op = tp.script(torch.nn.Linear(4, 2))
    pipeline = tp.trace(lambda x: op(x), torch.ones(1, 4))
    assert isinstance(pipeline.run({"x": torch.ones(1, 4)}), torch.Tensor)


def test_keywords_call_the_pipeline_and_positional_arguments_are_a_type_error():
    op = make_op("nn_module", None)
    x, h = cell_inputs()
    pipeline = tp.trace(process_with(op), x, h)
    assert torch.equal(pipeline(x=x, h=h)[0], pipeline.run({"x": x, "h": h})[0])
    with pytest.raises(TypeError, match=r"pipeline 'process' takes its inputs by keyword only \(x=..., h=...\), but got 2 positional argument\(s\)"):
        pipeline(x, h)
    with pytest.raises(tp.FeedError):
        pipeline(x, h=h)


@pytest.mark.parametrize(
    ("feed", "match"),
    [
        ({"x": 1}, r"got the inputs \['x'\]: missing \['h'\]. It expects exactly \['x', 'h'\]"),
        ({"x": 1, "h": 2, "c": 3}, r"got the inputs \['c', 'h', 'x'\]: unexpected \['c'\]. It expects exactly \['x', 'h'\]"),
        ({"y": 1, "h": 2}, r"missing \['x'\] and unexpected \['y'\]. It expects exactly \['x', 'h'\] \(the parameter names of the traced function\)"),
        ({}, r"got the inputs \[\]: missing \['x', 'h'\]"),
    ],
)
def test_missing_or_extra_keys_list_the_expected_names(feed, match):
    pipeline = tp.trace(process_with(make_op("nn_module", None)), *cell_inputs())
    with pytest.raises(tp.FeedError, match=match):
        pipeline.run(feed)


def test_run_wants_a_dict_and_checks_value_types():
    pipeline = tp.trace(process_with(make_op("nn_module", None)), *cell_inputs())
    with pytest.raises(tp.FeedError, match=r"run\(\) takes a dict of inputs, not a tuple. Fix: pass \{'x': ..., 'h': ...\}"):
        pipeline.run(cell_inputs())
    with pytest.raises(tp.FeedError, match=r"pipeline 'process': input 'x' is a str 'text', but the pipeline takes a Tensor there"):
        pipeline.run({"x": "text", "h": torch.ones(3, 4)})


def test_runtime_failures_name_the_pipeline_and_the_example_shapes():
    pipeline = tp.trace(process_with(make_op("nn_module", None)), *cell_inputs())
    with pytest.raises(PipelineError, match=r"pipeline 'process' failed on \(x=float32\[3, 5\] on cpu, h=float32\[3, 4\] on cpu\): .*It was traced with \(x=float32\[3, 4\] on cpu, h=float32\[3, 4\] on cpu\)") as caught:
        pipeline.run({"x": torch.zeros(3, 5), "h": torch.zeros(3, 4)})
    assert isinstance(caught.value.__cause__, RuntimeError)


def test_numpy_feeds_run_like_tensors():
    pipeline = tp.trace(process_with(make_op("nn_module", None)), *cell_inputs())
    x, h = cell_inputs()
    assert torch.equal(pipeline.run({"x": x.numpy(), "h": h.numpy()})[0], pipeline.run({"x": x, "h": h})[0])


def test_examples_may_be_numpy_and_keywords():
    op = make_op("nn_module", None)
    x, h = cell_inputs()
    pipeline = tp.trace(process_with(op), x.numpy(), h=h.numpy())
    assert pipeline.inputs == (tp.PipelineInput("x", "Tensor"), tp.PipelineInput("h", "Tensor"))
    assert torch.equal(pipeline(x=x, h=h)[0], op(x, h)[0])


def test_examples_must_fit_the_signature():
    with pytest.raises(PipelineError, match=r"trace\(process\) needs one example for each of \['x', 'h'\]: missing a required argument: 'h'"):
        tp.trace(process_with(make_op("nn_module", None)), torch.ones(3, 4))


def test_varargs_and_parameterless_functions_are_refused():
    with pytest.raises(PipelineError, match=r"trace\(f\): the parameters \['args'\] are \*args/\*\*kwargs"):
        def f(*args):
            return args

        tp.trace(f, torch.ones(1))
    with pytest.raises(PipelineError, match=r"trace\(g\): the function takes no parameters"):
        def g():
            return torch.ones(1)

        tp.trace(g)


def test_string_device_spec_in_script_and_a_scripted_composition():
    """test_pytorch_op_str_device: device='cpu:0', values eager == traced, mod(x=..., h=...)."""
    op = tp.script(seeded_cell(), device="cpu:0")
    x, h = cell_inputs()
    pipeline = tp.trace(process_with(op), x, h)
    torch.testing.assert_close(pipeline(x=x, h=h), reference("nn_module"))


# --- composition: one op called 11 times ------------------------------------------------------------
class CellLoop:
    """Matx's test: an InferenceOp called 11 times inside a (scripted, there) class."""

    def __init__(self, op):
        self.op = op

    def __call__(self, x, h):
        for _ in range(11):
            x, h = self.op(x, h)
        return x, h


def test_an_op_called_eleven_times_is_one_submodule_and_eleven_calls():
    op = tp.script(seeded_cell())
    loop = CellLoop(op)
    x, h = cell_inputs()
    pipeline = tp.trace(loop, x, h)
    assert [spec.attr for spec in pipeline.specs] == ["my_cell2"]
    assert [call.name for call in pipeline.ops] == ["my_cell2"] + [f"my_cell2_{i}" for i in range(1, 11)]
    assert pipeline.ops[5].depends_on == ("my_cell2_4",)
    assert pipeline.module.code.count(".forward(") == 11
    expected = loop(x, h)
    assert all(torch.equal(a, b) for a, b in zip(pipeline(x=x, h=h), expected))


# --- plain data for the renderer ------------------------------------------------------------------------
LABELS = ["cat", "dog", "bird"]
MEAN = torch.tensor([0.5, 0.5, 0.5, 0.5])
STD = torch.tensor([0.25, 0.25, 0.25, 0.25])


@torch.jit.script
def top_labels(probabilities: torch.Tensor, k: int, labels: List[str]) -> List[List[str]]:
    indices = torch.topk(probabilities, k).indices
    rows: List[List[str]] = []
    for r in range(indices.size(0)):
        row: List[str] = []
        for j in range(k):
            row.append(labels[int(indices[r, j])])
        rows.append(row)
    return rows


class Classifier(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(4, 3)

    def forward(self, x):
        return torch.softmax(self.fc(x), -1)


def classifier_pipeline():
    torch.manual_seed(0)
    net = tp.script(Classifier())
    labeller = tp.script(top_labels, device=-1)

    def classify(x):
        scores = net((x - MEAN) / STD)
        return labeller(scores, 2, LABELS), scores

    return classify, torch.rand(2, 4, generator=torch.Generator().manual_seed(1))


def test_pre_and_post_processing_are_recorded_in_torchscript():
    classify, x = classifier_pipeline()
    pipeline = tp.trace(classify, x)
    labels, scores = pipeline(x=x)
    eager_labels, eager_scores = classify(x)
    assert labels == eager_labels and all(len(row) == 2 and set(row) <= set(LABELS) for row in labels)
    assert torch.equal(scores, eager_scores)
    code = pipeline.module.code
    assert "torch.sub(x," in code and "torch.div(" in code
    assert "[\"cat\", \"dog\", \"bird\"]" in code


def test_ops_describe_each_call_for_a_drawing():
    classify, x = classifier_pipeline()
    pipeline = tp.trace(classify, x)
    net_call, label_call = pipeline.ops
    assert net_call == tp.OpCall(
        name="classifier",
        op="classifier",
        device="cpu",
        output_to_cpu=True,
        inputs=("truediv",),
        outputs=("classifier_out",),
        depends_on=("x",),
    )
    assert label_call.inputs == ("classifier_out", "2", "['cat', 'dog', 'bird']")
    assert label_call.depends_on == ("classifier",)
    assert pipeline.outputs == (
        tp.PipelineOutput(name="top_labels", depends_on=("top_labels",)),
        tp.PipelineOutput(name="classifier_out", depends_on=("classifier",)),
    )
    assert pipeline.input_names == ("x",) and pipeline.output_names == ("top_labels", "classifier_out")
    assert [spec.source for spec in pipeline.specs] == ["nn_module", "script_function"]
    assert isinstance(pipeline.module, torch.jit.ScriptModule)
    assert isinstance(pipeline.op_module("classifier"), torch.jit.ScriptModule)
    assert repr(pipeline) == "Pipeline('classify', inputs=('x',), outputs=('top_labels', 'classifier_out'), ops=[classifier@cpu, top_labels@cpu])"


def test_dict_outputs_are_named_by_their_keys():
    op = make_op("nn_module", None)

    def named(x, h):
        new_h, _ = op(x, h)
        return {"state": new_h, "doubled": new_h * 2}

    pipeline = tp.trace(named, *cell_inputs())
    assert pipeline.output_names == ("state", "doubled")
    result = pipeline(x=cell_inputs()[0], h=cell_inputs()[1])
    assert set(result) == {"state", "doubled"} and torch.equal(result["doubled"], result["state"] * 2)


def test_description_is_json_ready_data():
    import json

    classify, x = classifier_pipeline()
    described = tp.trace(classify, x).describe()
    assert json.loads(json.dumps(described)) == json.loads(json.dumps(described, sort_keys=True))
    assert described["ops"][0]["attr"] == "classifier" and described["calls"][1]["op"] == "top_labels"


# --- what torch.jit.trace cannot do, and the container that can ---------------------------------------
def test_torch_jit_trace_of_a_free_function_calling_a_script_module_fails_and_ours_works():
    scripted = torch.jit.trace(seeded_cell(), cell_inputs())

    def free(x, h):
        return scripted(x, h)

    with pytest.raises(RuntimeError, match="Modules that are called during a trace must be registered as submodules"):
        torch.jit.trace(free, cell_inputs())
    pipeline = tp.trace(free, *cell_inputs())  # a raw ScriptModule: registered, runs where its inputs are
    assert torch.equal(pipeline(x=cell_inputs()[0], h=cell_inputs()[1])[0], scripted(*cell_inputs())[0])
    assert pipeline.ops == ()  # not an InferenceOp: no device rule, no OpCall


def test_a_module_as_the_function_with_layers_and_parameters_of_its_own():
    class Wrapper(torch.nn.Module):
        def __init__(self, op):
            super().__init__()
            self.op = op
            self.norm = torch.nn.LayerNorm(4)
            self.scale = torch.nn.Parameter(torch.full((4,), 3.0))

        def forward(self, x, h):
            new_h, _ = self.op(self.norm(x) * self.scale, h)
            return new_h

    wrapper = Wrapper(make_op("nn_module", None))
    x, h = cell_inputs()
    pipeline = tp.trace(wrapper, x, h)
    assert pipeline.name == "Wrapper"
    with torch.no_grad():
        assert torch.equal(pipeline(x=x, h=h), wrapper(x, h))


# --- what cannot be recorded -------------------------------------------------------------------------------
def test_python_control_flow_on_a_traced_value_is_a_clear_error():
    op = make_op("nn_module", None)

    def branchy(x, h):
        new_h, _ = op(x, h)
        if new_h.sum() > 0:
            return new_h
        return -new_h

    with pytest.raises(PipelineError, match=r"trace\(branchy\) could not record the function: TraceError: .*Python control flow on a traced value \(if, while, bool\(\), len\(\), in\) cannot be"):
        tp.trace(branchy, *cell_inputs())


def test_values_frozen_at_trace_time_are_caught_by_the_check():
    op = make_op("nn_module", None)
    counter = itertools.count(1)

    def drifting(x, h):
        new_h, _ = op(x, h)
        return new_h * next(counter)  # 1 in the eager run, 2 in the recording

    with pytest.raises(PipelineError, match=r"trace\(drifting\): the compiled pipeline does not reproduce the function on the example inputs: output differs"):
        tp.trace(drifting, *cell_inputs())


def test_a_function_that_fails_eagerly_is_reported_first():
    def broken(x):
        raise ValueError("no good")

    with pytest.raises(PipelineError, match=r"trace\(broken\) ran the function on the example inputs and it raised ValueError: no good"):
        tp.trace(broken, torch.ones(1))


def test_code_torchscript_cannot_compile_is_a_scripting_error_showing_the_code():
    op = make_op("nn_module", None)

    def to_numpy(x, h):
        new_h, _ = op(x, h)
        return new_h.numpy()

    with pytest.raises(ScriptingError, match=r"trace\(to_numpy\) recorded the function, but TorchScript could not compile the result: .*The recorded code:\n"):
        tp.trace(to_numpy, *cell_inputs())


def test_an_op_first_met_while_recording_is_refused():
    ready = make_op("nn_module", None)
    late = tp.script(seeded_cell())
    calls = itertools.count()

    def sometimes(x, h):
        if next(calls) == 0:
            return ready(x, h)
        return late(x, h)

    with pytest.raises(PipelineError, match=r"InferenceOp 'my_cell2' was called while recording but not during the eager run"):
        tp.trace(sometimes, *cell_inputs())
