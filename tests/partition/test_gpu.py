"""``toolkit.partition`` on a real accelerator (CUDA). Skipped without CUDA; the lead runs them
on the GPU machine with ``scripts/gpu_partition.sh``."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest
import torch

import toolkit.partition as tp
from tests.fixtures.partition_real import corpus_models
from tests.fixtures.partition_zoo import NO_ERFINV, ZOO, ErfinvNet
from toolkit.analysis.partition.proposal import Target
from toolkit.partition.backends import magnitude, max_abs_diff

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA"),
]


def close(got, want, rtol=1e-2) -> bool:
    """TF32 convolutions (cuDNN's default) differ from the CPU in the third or fourth digit."""
    scale = max(1.0, float(want.abs().max())) if isinstance(want, torch.Tensor) else 1.0
    return max_abs_diff(got, want) <= rtol * scale


def run(module, *inputs):
    with torch.no_grad():
        return module(*inputs)


def test_default_device_is_cuda_and_segments_live_there():
    torch.manual_seed(0)
    model, x = ErfinvNet().eval(), torch.rand(2, 3, 8, 8)
    result = tp.trace(model, x, supported=NO_ERFINV)
    plan = tp.plan_of(result)
    assert plan.device == "cuda" and plan.notes == ()
    assert [plan.segment_device(s.index) for s in plan.segments] == ["cuda", "cpu", "cuda"]
    assert result.seg0.anchor.device.type == "cuda" and result.seg1.anchor.device.type == "cpu"
    out = run(result, x)
    assert out.device.type == "cpu" and close(out, run(model, x))
    on_gpu = run(result, x.cuda())
    assert on_gpu.device.type == "cuda" and close(on_gpu.cpu(), run(model, x))


@pytest.mark.parametrize("entry", ZOO, ids=[z.name for z in ZOO])
def test_zoo_on_cuda_reproduces_eager(entry):
    model, inputs = entry.build(), entry.inputs()
    result = tp.trace(model, inputs, device="cuda", **entry.options)
    assert close(run(result, *inputs), run(model, *inputs)), entry.name
    plan = tp.plan_of(result)
    assert all(c is not False for c in plan.compiled), plan.notes


def test_a_segment_cuda_cannot_run_falls_back_to_the_cpu():
    @torch.library.custom_op("tsk_partition_test::host_only", mutates_args=(), device_types="cpu")
    def host_only(x: torch.Tensor) -> torch.Tensor:
        return x * 3

    def model(x):
        return torch.ops.tsk_partition_test.host_only(torch.relu(x) + 1) - 2

    x = torch.rand(4, 4)
    with pytest.warns(tp.PartitionWarning, match=r"segment 0 failed to compile for the accelerator \(cuda\): "):
        result = tp.trace(model, x, supported=lambda node: True, minimum_segment_size=1)
    assert torch.allclose(run(result, x), model(x))
    plan = tp.plan_of(result)
    assert False in plan.compiled
    failed = [plan.graph.node(n).op for s in plan.segments if s.target.value == "cpu" for n in s.anchored]
    assert "tsk_partition_test::host_only" in failed


def test_reject_op_falls_back_on_cuda_too():
    torch.manual_seed(0)
    model, x = ErfinvNet().eval(), torch.rand(2, 3, 8, 8)
    with pytest.warns(tp.PartitionWarning, match=r"segment 2 failed to compile for the accelerator \(cuda\): the compiler rejected aten::linear"):
        result = tp.trace(model, x, supported=NO_ERFINV, compiler_args=["--reject-op", "aten::linear"])
    assert close(run(result, x), run(model, x))
    assert tp.plan_of(result).compiled == (True, None, False)


def test_dynamic_batch_on_cuda():
    torch.manual_seed(0)
    model = ErfinvNet().eval()
    result = tp.trace(model, torch.rand(2, 3, 8, 8), supported=NO_ERFINV, dynamic_batch_size=True)
    assert tp.plan_of(result).batch.mode == "native"
    for b in (1, 2, 5, 9):
        x = torch.rand(b, 3, 8, 8)
        assert close(run(result, x), run(model, x))


CHILD = textwrap.dedent(
    """
    import sys, torch
    torch.backends.cudnn.allow_tf32 = False  # compare fp32 with fp32
    torch.backends.cuda.matmul.allow_tf32 = False
    location = None if sys.argv[4] == "default" else sys.argv[4]
    model = torch.jit.load(sys.argv[1], map_location=location)
    inputs = torch.load(sys.argv[2])
    with torch.no_grad():
        outputs = [model(x).cpu() for x in inputs]
    torch.save(outputs, sys.argv[3])
    print(torch.cuda.is_available(), model.seg0.anchor.device.type)
    """
)


@pytest.mark.parametrize(
    "location, hide_gpu, expected, rtol",
    [("default", False, "True cuda", 1e-4), ("cpu", True, "False cpu", 1e-5)],
    ids=["on-gpu", "cpu-only-machine"],
)
def test_saved_cuda_partition_loads_in_a_fresh_process(tmp_path, location, hide_gpu, expected, rtol):
    torch.manual_seed(0)
    model = ErfinvNet().eval()
    result = tp.trace(model, torch.rand(2, 3, 8, 8), supported=NO_ERFINV, dynamic_batch_size=True)
    saved, data, out = tmp_path / "m.pt", tmp_path / "in.pt", tmp_path / "out.pt"
    torch.jit.save(result, str(saved))
    inputs = [torch.rand(b, 3, 8, 8) for b in (1, 2, 5, 5)]
    torch.save(inputs, str(data))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "child.py").write_text(CHILD)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    if hide_gpu:
        env["CUDA_VISIBLE_DEVICES"] = ""
    done = subprocess.run(
        [sys.executable, "child.py", str(saved), str(data), str(out), location],
        cwd=str(elsewhere), capture_output=True, text=True, env=env, timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == expected
    for x, got in zip(inputs, torch.load(str(out))):
        assert close(got, run(model, x), rtol=rtol)


@pytest.mark.parametrize("entry", corpus_models(), ids=lambda m: m.name)
def test_real_models_on_cuda_are_one_compiled_segment_reproducing_eager(entry):
    """torchvision, transformers and torch.nn models (small configs) run whole on the GPU."""
    options = {"minimum_segment_size": 1} if entry.name == "transformer_encoder_layer" else {}
    model, inputs = entry.build(), entry.inputs(2)
    result = tp.trace(model, inputs, check_trace=False, **entry.trace_kwargs, **options)
    plan = tp.plan_of(result)
    assert [s.target for s in plan.segments] == [Target.ACCELERATOR] and plan.compiled == (True,), plan.notes
    want = run(model, *inputs)
    assert max_abs_diff(run(result, *inputs), want) <= 1e-2 * max(1.0, magnitude(want))
