"""``toolkit.partition.trace`` end to end on the CPU: the seed's examples, options, errors,
fallbacks, dynamic batch, save/load in a fresh process, and the plan contract."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest
import torch
from torch import nn

import toolkit.partition as tp
from tests.fixtures import models as fixtures
from tests.analysis.partition.test_proposal import SizeBoth
from tests.fixtures.partition_zoo import (
    NO_ERFINV,
    ZOO,
    ErfinvNet,
    HybridGate,
    HybridLoop,
    SeedManual,
    SeedNet,
    ViewsChunk,
    in_example_layer,
    seed_foo,
)
from toolkit.errors import FallbackError, MissingExampleInputsError, PartitionError, TracingError
from toolkit.ir import to_text
from toolkit.partition.backends import max_abs_diff
from tests.fixtures.partition_oracles import fx_segment_count

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def cpu_trace(model, inputs, **options):
    """trace on the CPU, with the device note (tested separately) left out."""
    return tp.trace(model, inputs, device="cpu", **options)


def run(module, *inputs):
    with torch.no_grad():
        return module(*inputs)


# --- the seed's examples -------------------------------------------------------------------------


def test_function_compilation_round_trips(tmp_path):
    x, y = torch.rand(3), torch.rand(3)
    traced_foo = cpu_trace(seed_foo, (x, y))
    assert torch.equal(run(traced_foo, x, y), seed_foo(x, y))
    path = tmp_path / "foo.pt"
    torch.jit.save(traced_foo, str(path))
    loaded = torch.jit.load(str(path))
    assert torch.equal(loaded(x, y), seed_foo(x, y))
    plan = tp.plan_of(traced_foo)
    node = plan.graph.node(plan.segments[0].anchored[0])
    assert node.scope.types == ("seed_foo",)


def test_module_compilation_of_forward_and_of_the_module():
    torch.manual_seed(0)
    n = SeedNet().eval()
    inputs = torch.rand(1, 1, 3, 3)
    neuron_forward = cpu_trace(n.forward, inputs)
    neuron_net = cpu_trace(n, inputs)
    for module in (neuron_forward, neuron_net):
        assert isinstance(module, torch.jit.ScriptModule)
        assert max_abs_diff(run(module, inputs), run(n, inputs)) == 0.0


def test_manual_partitioning_compiles_conv_and_add_but_not_mul():
    torch.manual_seed(0)
    model = SeedManual().eval()
    inputs = torch.rand(1, 1, 3, 3)
    seen = []

    def subgraph_builder_function(node) -> bool:
        seen.append((node.kind, node.name, node.path))
        return in_example_layer(node)

    neuron_model = cpu_trace(model, inputs, subgraph_builder_function=subgraph_builder_function)
    assert run(neuron_model, inputs).equal(run(model, inputs))
    assert seen == [
        ("aten::_convolution", ("SeedManual", "ExampleConvolutionLayer", "Conv2d"), "layer.conv"),
        ("aten::add", ("SeedManual", "ExampleConvolutionLayer"), "layer"),
        ("aten::mul", ("SeedManual",), ""),
    ]
    table = tp.plan_of(neuron_model).table()
    assert table == [
        {"kind": "aten::_convolution", "count": 1, "placement": "accelerator", "reason": ""},
        {"kind": "aten::add", "count": 1, "placement": "accelerator", "reason": ""},
        {"kind": "aten::mul", "count": 1, "placement": "cpu", "reason": "user-excluded"},
    ]


def test_a_pretrained_style_resnet_runs_on_the_accelerator_in_one_segment():
    torch.manual_seed(0)
    model = fixtures.ResNet50ish(num_classes=10, width=8).eval()
    image = torch.rand(1, 3, 32, 32)
    result = cpu_trace(model, image, check_trace=False)
    assert max_abs_diff(run(result, image), run(model, image)) <= 1e-5
    plan = tp.plan_of(result)
    assert len(plan.segments) == 1 and plan.transfers == 2
    assert plan.summary()[1] == "100.00% of compute operations (174 of 174) run on the accelerator (cpu here)"


# --- options and their errors ----------------------------------------------------------------------


def test_fallback_false_lists_each_op_and_its_reason():
    torch.manual_seed(0)
    with pytest.raises(FallbackError, match=r"^fallback=False, but 1 operation") as caught:
        cpu_trace(ErfinvNet().eval(), torch.rand(2, 3, 8, 8), supported=NO_ERFINV, fallback=False)
    message = str(caught.value)
    assert message.startswith("fallback=False, but 1 operation(s) of ErfinvNet cannot run on the accelerator (cpu here):")
    assert "aten::erfinv (partition_zoo.py:" in message and "excluded-op: aten::erfinv was excluded" in message
    assert message.rstrip().endswith("Fix: allow CPU fallback (fallback=True), or widen supported= / subgraph_builder_function.")
    with pytest.raises(PartitionError, match=r"(?s)2 operation\(s\).*aten::_convolution.*unsupported.*aten::mul.*unsupported"):
        cpu_trace(SeedManual().eval(), torch.rand(1, 1, 3, 3), supported={"aten::add"}, fallback=False)


def test_fallback_false_ignores_minimum_segment_size_when_everything_is_supported():
    model = SeedNet().eval()
    result = cpu_trace(model, torch.rand(1, 1, 3, 3), fallback=False, minimum_segment_size=50)
    plan = tp.plan_of(result)
    assert [s.target.value for s in plan.segments] == ["accelerator"]


def test_a_segment_that_fails_to_compile_falls_back_with_a_warning():
    torch.manual_seed(0)
    model, x = ErfinvNet().eval(), torch.rand(2, 3, 8, 8)
    with pytest.warns(tp.PartitionWarning, match=r"segment 0 failed to compile for the accelerator \(cpu here\): the compiler rejected aten::tanh \(--reject-op\); it runs as CPU fallback"):
        result = cpu_trace(model, x, supported=NO_ERFINV, compiler_args=["--reject-op", "aten::tanh"])
    assert max_abs_diff(run(result, x), run(model, x)) <= 1e-5
    plan = tp.plan_of(result)
    assert plan.compiled == (False, None, True)
    assert plan.segments[0].target.value == "cpu"
    reasons = {plan.graph.node(n).op: plan.proposal.decisions[n].reason.value for n in plan.segments[0].anchored}
    assert set(reasons.values()) == {"compile-failed"} and "aten::tanh" in reasons
    assert "Compiled 1 of 2 accelerator segments (50.00%); 1 failed and became CPU fallback" in plan.summary()
    with pytest.raises(FallbackError, match=r"fallback=False, but 1 segment\(s\) failed to compile for the accelerator \(cpu here\): segment 0: the compiler rejected aten::tanh.*Fix: allow CPU fallback"):
        cpu_trace(model, x, compiler_args=["--reject-op", "aten::tanh"], fallback=False)


def test_compiler_timeout_raises_timeout_expired():
    with pytest.raises(tp.CompileTimeout, match=r"over compiler_timeout=0 s \(stopped after segment 0\)") as caught:
        cpu_trace(SeedNet().eval(), torch.rand(1, 1, 3, 3), compiler_timeout=0)
    assert isinstance(caught.value, subprocess.TimeoutExpired) and isinstance(caught.value, PartitionError)


def test_compiler_args_are_checked():
    with pytest.raises(PartitionError, match=r"unknown compiler argument '--O3' in compiler_args=\['--O3'\]: neither the TorchScript compiler \('--reject-op KIND'\) nor neuron-cc has it"):
        cpu_trace(SeedNet().eval(), torch.rand(1, 1, 3, 3), compiler_args=["--O3"])


def test_compiler_workdir_keeps_source_plan_and_log(tmp_path):
    work = tmp_path / "work"
    result = cpu_trace(ErfinvNet().eval(), torch.rand(2, 3, 8, 8), supported=NO_ERFINV, compiler_workdir=str(work))
    names = sorted(os.listdir(work))
    source = [n for n in names if n.startswith("tsk_partition_") and n.endswith(".py")]
    assert len(source) == 1 and "plan.txt" in names and "compile.log" in names
    text = (work / source[0]).read_text()
    assert "class Segment0Accelerator(torch.nn.Module):" in text and "class Partitioned(torch.nn.Module):" in text
    assert (work / "plan.txt").read_text().startswith(tp.plan_of(result).summary()[0])
    assert (work / "compile.log").read_text().splitlines() == [
        "segment 0: compiled for the accelerator (cpu here) (5 compute ops)",
        "segment 2: compiled for the accelerator (cpu here) (4 compute ops)",
    ]


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the CPU-only default")
def test_device_defaults_to_the_cpu_with_a_note():
    with pytest.warns(tp.PartitionWarning, match=r"CUDA is not available, so the accelerator segments run on the CPU \(device='cpu'\)"):
        result = tp.trace(SeedNet().eval(), torch.rand(1, 1, 3, 3))
    plan = tp.plan_of(result)
    assert plan.device == "cpu" and plan.notes[0].startswith("CUDA is not available")
    with pytest.raises(PartitionError, match=r"device='cuda' but CUDA is not available on this machine. Fix: device='cpu'"):
        tp.trace(SeedNet(), torch.rand(1, 1, 3, 3), device="cuda")


def test_bad_options_get_clear_errors():
    model, x = SeedNet(), torch.rand(1, 1, 3, 3)
    for bad in (-1, True, "2", 1.5):
        with pytest.raises(PartitionError, match=r"minimum_segment_size must be a non-negative int"):
            cpu_trace(model, x, minimum_segment_size=bad)
    with pytest.raises(PartitionError, match=r"subgraph_builder_function must be callable \(node -> bool\), not int"):
        cpu_trace(model, x, subgraph_builder_function=3)
    with pytest.raises(PartitionError, match=r"device='mps': toolkit.partition compiles for CUDA or the CPU only"):
        tp.trace(model, x, device="mps")
    with pytest.raises(PartitionError, match=r"device='gpu0' is not a device"):
        tp.trace(model, x, device="gpu0")
    with pytest.raises(MissingExampleInputsError, match=r"needs example_inputs"):
        cpu_trace(model, None)
    with pytest.raises(MissingExampleInputsError, match=r"not dict"):
        cpu_trace(model, {"x": x})
    with pytest.raises(TracingError, match=r"^toolkit\.partition\.trace: torch\.jit\.trace rejected the options for SeedNet: trace\(\) got an unexpected keyword argument 'no_such_option'\. Fix: pass only torch\.jit\.trace's keyword arguments"):
        cpu_trace(model, x, no_such_option=1)
    with pytest.raises(TracingError, match=r"is already scripted"):
        cpu_trace(torch.jit.script(SeedNet()), x)
    with pytest.raises(TracingError, match=r"tracing SeedNet on example inputs \[\(1, 2, 3, 3\)\] failed: RuntimeError"):
        cpu_trace(model, torch.rand(1, 2, 3, 3))


def test_options_object_replaces_the_keywords_and_a_conflict_names_both():
    model, x = SeedManual().eval(), torch.rand(1, 1, 3, 3)
    options = tp.PartitionOptions(subgraph_builder_function=in_example_layer, minimum_segment_size=3)
    by_object = tp.analyze_model(model, x, device="cpu", options=options)
    by_keywords = tp.analyze_model(model, x, device="cpu", subgraph_builder_function=in_example_layer, minimum_segment_size=3)
    assert by_object.table() == by_keywords.table()
    assert tp.plan_of(cpu_trace(model, x, options=options, minimum_segment_size=3)).table() == by_keywords.table()
    with pytest.raises(PartitionError, match=r"options= and minimum_segment_size= disagree: options has minimum_segment_size=3"):
        cpu_trace(model, x, options=options, minimum_segment_size=1)
    with pytest.raises(PartitionError, match=r"options= must be a toolkit.partition.PartitionOptions, not dict"):
        tp.analyze_model(model, x, device="cpu", options={"fallback": False})


def test_the_plan_is_given_to_the_module_when_it_is_built():
    result = cpu_trace(SeedNet().eval(), torch.rand(1, 1, 3, 3))
    plan = tp.plan_of(result)
    assert result.partition_plan == plan.to_json()
    assert tp.plan_of(result) is plan
    assert not [name for name in vars(result) if "plan" in name]


# --- what runs where -------------------------------------------------------------------------------


def test_analyze_model_gives_the_op_table_and_neuron_style_summary():
    torch.manual_seed(0)
    plan = tp.analyze_model(ErfinvNet().eval(), torch.rand(2, 3, 8, 8), supported=NO_ERFINV, device="cpu")
    assert plan.compiled == ()
    assert plan.summary() == [
        "90.91% of all operations (including views and shape ops) (10 of 11) run on the accelerator (cpu here)",
        "90.00% of compute operations (9 of 10) run on the accelerator (cpu here)",
        "CPU fallback: 1 op of 1 type: aten::erfinv x1 (excluded-op)",
        "The partitioner created 3 segments: 2 on the accelerator (cpu here), 1 CPU fallback",
        "Nothing was compiled (analysis only)",
        "Transfers per inference: 4 (9.6 KiB)",
    ]
    table = plan.table()
    assert table[-1] == {"kind": "aten::erfinv", "count": 1, "placement": "cpu", "reason": "excluded-op"}
    assert {r["placement"] for r in table[:-1]} == {"accelerator"}
    assert sum(r["count"] for r in table) == 11
    rows = {r["kind"]: r for r in plan.op_rows()}
    assert rows["aten::_convolution"]["module"] == "ErfinvNet.Block.Conv2d"
    assert rows["aten::_convolution"]["scope"] == "block.conv"
    assert rows["aten::erfinv"]["source"].startswith("partition_zoo.py:")
    report = str(plan)
    assert report.splitlines()[0] == plan.summary()[0] and "aten::erfinv" in report.splitlines()[-1]


def test_views_and_size_ops_follow_their_consumers():
    plan = tp.analyze_model(ViewsChunk().eval(), torch.rand(2, 3, 4), supported="neuron-like", device="cpu")
    placements = {p.op: p for p in plan.nodes}
    assert placements["aten::erfinv"].reason == "unsupported"
    assert placements["aten::mul"].reason == "min-segment-size"
    assert placements["aten::view"].target == "accelerator" and placements["aten::view"].reason is None
    assert placements["aten::size"].target == "accelerator"


def test_control_flow_of_scripted_submodules_runs_on_the_cpu():
    torch.manual_seed(0)
    model = HybridGate().eval()
    x = torch.rand(3, 4)
    result = cpu_trace(model, x)
    for sample in (x, -x, x - 0.5):
        assert max_abs_diff(run(result, sample), run(model, sample)) <= 1e-6
    plan = tp.plan_of(result)
    if_node = next(p for p in plan.nodes if p.op == "prim::If")
    assert if_node.target == "cpu" and if_node.reason == "host-only"
    nested = next(n.id for n in plan.graph.walk() if "." in n.id)
    assert plan.placement(nested) == if_node


def test_loops_and_branches_inside_a_cpu_segment_follow_the_data():
    torch.manual_seed(0)
    model = HybridLoop().eval()
    result = cpu_trace(model, torch.rand(5, 4) - 0.5)
    for rows in (1, 3, 8):
        x = torch.rand(rows, 4) - 0.5
        assert max_abs_diff(run(result, x), run(model, x)) <= 1e-6
    rows = tp.plan_of(result).op_rows()
    nested = [r for r in rows if r["role"] == "nested"]
    assert {r["kind"] for r in nested} >= {"aten::select", "aten::sum", "aten::Bool", "prim::If", "aten::add"}
    assert {(r["placement"], r["reason"]) for r in nested} == {("cpu", "host-only")}


def test_in_place_update_read_later_runs_in_place_inside_one_segment():
    class Hazard(nn.Module):
        def forward(self, x):
            a = torch.relu(x)
            view = a[0]
            a.mul_(2)
            return view + 1

    model = Hazard()
    result = cpu_trace(model, torch.rand(2, 3))
    x = torch.rand(2, 3)
    assert torch.equal(result(x), model(x))


def test_zoo_needs_no_more_accelerator_segments_than_torch_fx():
    for entry in ZOO:
        plan = tp.analyze_model(entry.build(), entry.inputs(), device="cpu", check_trace=False, **entry.options)
        assert len(plan.proposal.segments_on(plan.segments[0].target.__class__("accelerator"))) <= fx_segment_count(plan.proposal), entry.name


# --- dynamic batch ----------------------------------------------------------------------------------


class IntBaked(nn.Module):
    def forward(self, x):
        n = int(x.size(0))
        return torch.tanh(x.reshape(n, -1)) * 2


class FlatOne(nn.Module):
    def forward(self, x):
        return torch.tanh(x.view(1, -1)) * 2


@pytest.fixture(scope="module")
def dynamic_erfinv():
    """ErfinvNet partitioned with dynamic_batch_size=True, once for the tests that only read it."""
    torch.manual_seed(0)
    model = ErfinvNet().eval()
    return model, cpu_trace(model, torch.rand(2, 3, 8, 8), supported=NO_ERFINV, dynamic_batch_size=True)


def test_dynamic_batch_runs_natively_when_the_trace_allows(dynamic_erfinv):
    model, result = dynamic_erfinv
    batch = tp.plan_of(result).batch
    assert batch.mode == "native" and batch.checked == (1, 2, 5) and batch.baked == ()
    assert all(d <= 1e-5 for d in batch.max_abs_diff)
    seven = torch.rand(7, 3, 8, 8)
    assert max_abs_diff(run(result, seven), run(model, seven)) <= 1e-5


def test_batch_baked_constants_are_reported_and_chunked():
    with pytest.warns(tp.PartitionWarning) as caught:
        result = cpu_trace(IntBaked(), torch.rand(2, 3, 4), dynamic_batch_size=True)
    message = next(str(w.message) for w in caught if "dynamic_batch_size" in str(w.message))
    assert "runs in chunks of the traced batch (2)" in message
    assert "constant 2 at batch 2 became 5 at batch 5, used by prim::ListConstruct at test_trace.py:" in message
    assert "`return torch.tanh(x.reshape(n, -1)) * 2`" in message
    batch = tp.plan_of(result).batch
    assert batch.mode == "chunked" and batch.checked == (1, 2, 5)
    x = torch.rand(5, 3, 4)
    assert max_abs_diff(run(result, x), IntBaked()(x)) <= 1e-6


def test_outputs_without_the_batch_first_are_refused_or_chunked():
    with pytest.raises(PartitionError, match=r"output 0 has shape \(1, 24\) for a batch of 2.*silently wrong"):
        cpu_trace(FlatOne(), torch.rand(2, 3, 4), dynamic_batch_size=True)
    with pytest.warns(tp.PartitionWarning, match=r"output 0 has shape \(1, 48\) at batch 4: its dimension 0 does not follow the batch"):
        result = cpu_trace(FlatOne(), torch.rand(1, 3, 4), dynamic_batch_size=True)
    x = torch.rand(3, 3, 4)
    expected = torch.cat([FlatOne()(x[i : i + 1]) for i in range(3)])
    assert max_abs_diff(run(result, x), expected) <= 1e-6
    with pytest.raises(PartitionError, match=r"sharing dimension 0.*\[\(2, 3\), \(3, 3\)\]"):
        cpu_trace(lambda a, b: a.sum() + b.sum(), (torch.rand(2, 3), torch.rand(3, 3)), dynamic_batch_size=True)


# --- save, load, plan -------------------------------------------------------------------------------

CHILD = textwrap.dedent(
    """
    import sys, torch
    model = torch.jit.load(sys.argv[1])
    inputs = torch.load(sys.argv[2])
    with torch.no_grad():
        outputs = [model(x) for x in inputs]
    torch.save(outputs, sys.argv[3])
    print("toolkit imported:", any(name.startswith("toolkit") for name in sys.modules))
    print("plan bytes:", len(model.partition_plan) > 1000)
    """
)


def test_fresh_process_in_another_directory_loads_and_matches_eager(tmp_path, dynamic_erfinv):
    model, result = dynamic_erfinv
    saved, data, out = tmp_path / "model.pt", tmp_path / "inputs.pt", tmp_path / "outputs.pt"
    torch.jit.save(result, str(saved))
    inputs = [torch.rand(b, 3, 8, 8) for b in (1, 2, 5, 5)]
    torch.save(inputs, str(data))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    script = elsewhere / "child.py"
    script.write_text(CHILD)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run(
        [sys.executable, str(script), str(saved), str(data), str(out)],
        cwd=str(elsewhere), capture_output=True, text=True, env=env, timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.splitlines() == ["toolkit imported: False", "plan bytes: True"]
    outputs = torch.load(str(out))
    for x, got in zip(inputs, outputs):
        assert max_abs_diff(got, run(model, x)) <= 1e-5


def test_plan_travels_with_the_saved_module(tmp_path):
    result = cpu_trace(ErfinvNet().eval(), torch.rand(2, 3, 8, 8), supported=NO_ERFINV)
    plan = tp.plan_of(result)
    path = tmp_path / "m.pt"
    torch.jit.save(result, str(path))
    loaded = tp.plan_of(torch.jit.load(str(path)))
    assert loaded is not plan
    assert loaded.nodes == plan.nodes and loaded.segments == plan.segments and loaded.boundaries == plan.boundaries
    assert loaded.summary() == plan.summary() and loaded.compiled == plan.compiled
    assert to_text(loaded.graph) == to_text(plan.graph)
    assert json.loads(loaded.to_json()) == json.loads(plan.to_json())


def test_plan_of_other_modules_says_how_to_get_one():
    with pytest.raises(PartitionError, match=r"SeedNet carries no partition plan: it was not made by toolkit.partition.trace"):
        tp.plan_of(torch.jit.trace(SeedNet(), torch.rand(1, 1, 3, 3)))
    with pytest.raises(PartitionError, match=r"Linear carries no partition plan"):
        tp.plan_of(nn.Linear(2, 2))


def test_plan_contract_for_drawing():
    plan = tp.plan_of(cpu_trace(SizeBoth().eval(), torch.rand(3, 8), supported=NO_ERFINV))
    assert [p.id for p in plan.nodes] == [n.id for n in plan.graph.nodes]
    assert {p.target for p in plan.nodes} <= {"accelerator", "cpu", "both", "host", "none"}
    for p in plan.nodes:
        assert (p.reason is not None) == (p.target in ("cpu", "both", "host")), p
    assert {p.target for p in plan.nodes if p.op == "aten::size"} == {"both"}
    for b in plan.boundaries:
        assert b.producer is None or plan.graph.node(b.producer)
        assert b.source is None or 0 <= b.source < len(plan.segments)
        assert b.dest is None or 0 <= b.dest < len(plan.segments)
    assert [plan.segment_device(s.index) for s in plan.segments] == ["cpu"] * len(plan.segments)
    edges = plan.edges()
    assert sum(e["transfer"] for e in edges) == plan.transfers
    node_ids = {n.id for n in plan.graph.nodes}
    for e in edges:
        assert e["consumer"] is None or e["consumer"] in node_ids
        assert e["consumer"] is not None or e["dest_segment"] is None
        if e["transfer"]:
            assert e["from_device"] != e["to_device"] or plan.device == "cpu"
    (cpu_segment,) = [s.index for s in plan.segments if s.target.value == "cpu"]
    into_cpu = [e for e in edges if e["dest_segment"] == cpu_segment and e["transfer"]]
    assert [plan.graph.node(e["producer"]).op for e in into_cpu] == ["aten::tanh"]
    assert [plan.graph.node(e["consumer"]).op for e in into_cpu] == ["aten::view"]  # the view runs where erfinv runs
    assert into_cpu[0]["bytes"] == 3 * 8 * 4 and into_cpu[0]["dtype"] == "float32" and into_cpu[0]["shape"] == (3, 8)
