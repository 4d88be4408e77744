"""GPU behaviour of InferenceOps and pipelines; skipped where ``torch.cuda.is_available()`` is False.

Run on the GPU machine with ``scripts/gpu_pipeline.sh`` (or ``pytest -m gpu tests/pipeline/test_gpu.py``).
"""

from __future__ import annotations

import warnings

import pytest
import torch
from torch.utils import _pytree as pytree

import toolkit.pipeline as tp
from tests.pipeline.test_op import cell_inputs, seeded_cell
from toolkit.errors import DeviceError, PipelineError
from toolkit.pipeline.profiling import count_gpu_activity

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA (torch.cuda.is_available() is False)"),
]

CUDA0 = torch.device("cuda", 0)


def gpu_cell(*, output_to_cpu: bool = True) -> tp.InferenceOp:
    return tp.script(seeded_cell(), device=0, output_to_cpu=output_to_cpu)


def cpu_reference():
    with torch.no_grad():
        return seeded_cell()(*cell_inputs())


def process_with(op):
    def process(x, h):
        return op(x, h)

    return process


def test_a_cuda_op_on_cuda_0_with_output_to_cpu():
    op = gpu_cell()
    assert op.device == CUDA0 and not op.is_ready
    out = op(*cell_inputs())  # CPU inputs are moved to cuda:0
    assert next(op.module.parameters()).device == CUDA0
    assert all(t.device.type == "cpu" and t.is_contiguous() for t in out)
    torch.testing.assert_close(out, cpu_reference())


def test_a_cuda_op_with_output_to_cpu_false_keeps_outputs_on_the_gpu():
    op = gpu_cell(output_to_cpu=False)
    x, h = (t.to(CUDA0) for t in cell_inputs())
    out = op(x, h)
    assert all(t.device == CUDA0 for t in out)
    torch.testing.assert_close(tuple(t.cpu() for t in out), cpu_reference())


def test_script_on_a_gpu_moves_the_module_and_reads_its_device():
    module = seeded_cell().to(CUDA0)
    op = tp.script(module)  # no device: taken from the parameters
    assert op.device == CUDA0
    op_from_matx_int = tp.script(seeded_cell(), device=0)
    assert op_from_matx_int.device == CUDA0


def test_output_devices_in_a_pipeline_follow_output_to_cpu():
    for output_to_cpu, expected in ((True, "cpu"), (False, "cuda")):
        pipeline = tp.trace(process_with(gpu_cell(output_to_cpu=output_to_cpu)), *cell_inputs())
        out = pipeline.run(dict(zip(("x", "h"), cell_inputs())))
        assert all(t.device.type == expected for t in out)
        assert pipeline.specs[0].device == "cuda:0" and pipeline.specs[0].output_to_cpu is output_to_cpu


def test_a_pipeline_mixing_cpu_and_gpu_ops():
    torch.manual_seed(0)
    pre = tp.script(torch.nn.Linear(4, 4), device="cpu")
    cell = gpu_cell(output_to_cpu=False)
    post = tp.script(torch.nn.Linear(4, 2), device=-1)

    def mixed(x, h):
        new_h, _ = cell(pre(x), h)  # CPU -> GPU
        return post(new_h), new_h  # GPU -> CPU op (moves its input), and a GPU output

    x, h = cell_inputs()
    pipeline = tp.trace(mixed, x, h)
    assert [(call.op, call.device) for call in pipeline.ops] == [("linear", "cpu"), ("my_cell2", "cuda:0"), ("linear_1", "cpu")]
    small, state = pipeline(x=x, h=h)
    assert small.device.type == "cpu" and state.device == CUDA0
    with torch.no_grad():
        eager_small, eager_state = mixed(x, h)
    torch.testing.assert_close(small, eager_small)
    torch.testing.assert_close(state, eager_state)


def test_save_and_load_on_the_gpu(tmp_path):
    pipeline = tp.trace(process_with(gpu_cell()), *cell_inputs())
    loaded = tp.load(pipeline.save(tmp_path / "gpu.pt"), "cuda:0")
    assert loaded.specs[0].device == "cuda:0" and loaded.module.my_cell2_device == CUDA0
    feed = dict(zip(("x", "h"), cell_inputs()))
    torch.testing.assert_close(loaded.run(feed), pipeline.run(feed))


def test_a_gpu_op_loaded_on_the_cpu_is_refused_then_moved_on_request(tmp_path):
    pipeline = tp.trace(process_with(gpu_cell()), *cell_inputs())
    path = pipeline.save(tmp_path / "gpu.pt")
    with pytest.raises(DeviceError, match=r"the pipeline has GPU op\(s\) 'my_cell2' \(on cuda:0\), and a GPU op loaded on the CPU is undefined in Matx"):
        tp.load(path, -1)
    moved = tp.load(path, "cpu", allow_gpu_to_cpu=True)
    assert moved.specs[0].device == "cpu" and next(moved.op_module("my_cell2").parameters()).device.type == "cpu"
    feed = dict(zip(("x", "h"), cell_inputs()))
    torch.testing.assert_close(moved.run(feed), pipeline.run(feed))


def test_an_all_cpu_pipeline_loaded_on_a_gpu_stays_on_the_cpu_with_a_note(tmp_path):
    op = tp.script(seeded_cell(), device=-1)
    path = tp.trace(process_with(op), *cell_inputs()).save(tmp_path / "cpu.pt")
    count = torch.cuda.device_count()
    with pytest.warns(tp.UnusedDeviceWarning, match=r"every op runs on the CPU, so no op needed cuda:0; the pipeline runs on the CPU"):
        loaded = tp.load(path, 0)
    assert loaded.specs[0].device == "cpu" and next(loaded.op_module("my_cell2").parameters()).device.type == "cpu"
    with pytest.warns(tp.UnusedDeviceWarning, match=rf"no op needed cuda:{count}, which this machine does not have"):
        tp.load(path, count)  # a GPU that does not exist is fine when no op needs it


def test_profile_counts_the_copies_to_and_from_the_gpu():
    x, h = cell_inputs()
    to_cpu = tp.trace(process_with(gpu_cell()), x, h).profile({"x": x, "h": h})
    ((name, device, copies_in, copies_out),) = [(r.name, r.device, r.copies_in, r.copies_out) for r in to_cpu.rows]
    assert (name, device, copies_in, copies_out) == ("my_cell2", "cuda:0", 2, 2)  # x, h in; both outputs out
    xg, hg = x.to(CUDA0), h.to(CUDA0)
    stays = tp.trace(process_with(gpu_cell(output_to_cpu=False)), xg, hg).profile({"x": xg, "h": hg})
    assert [(r.copies_in, r.copies_out) for r in stays.rows] == [(0, 0)]
    assert all(t.device == CUDA0 for t in stays.outputs)


def test_warmup_on_the_gpu_runs_and_leaves_the_results_unchanged(tmp_path):
    # How much faster the first real call gets is a speed figure for bench/, not a test assertion.
    path = tp.trace(process_with(gpu_cell()), *cell_inputs()).save(tmp_path / "gpu.pt")
    loaded = tp.load(path, 0)
    feed = dict(zip(("x", "h"), cell_inputs()))
    before = loaded.run(feed)
    seconds = loaded.warmup()
    assert len(seconds) == 2 and all(s > 0 for s in seconds)
    after = loaded.run(feed)  # in the same grad mode as the warm-up
    assert all(torch.equal(a, b) for a, b in zip(pytree.tree_leaves(after), pytree.tree_leaves(before), strict=True))


def test_a_gpu_ordinal_beyond_the_device_count_is_refused(tmp_path):
    path = tp.trace(process_with(gpu_cell()), *cell_inputs()).save(tmp_path / "gpu.pt")
    count = torch.cuda.device_count()
    with pytest.raises(DeviceError, match=rf"asks for cuda:{count}, but torch sees {count} CUDA device\(s\)"):
        tp.load(path, count)


class MakesZeros(torch.nn.Module):
    """Traced on a GPU, ``device=x.device`` becomes the constant ``cuda:0`` (pytorch #31141)."""

    def __init__(self):
        super().__init__()
        self.scale = torch.nn.Parameter(torch.ones(4))

    def forward(self, x):
        return x * self.scale + torch.zeros(x.shape, device=x.device)


def test_devices_baked_into_a_gpu_trace_warn_and_fail_the_move_to_cpu(tmp_path):
    with pytest.warns(tp.BakedDeviceWarning, match=r"InferenceOp 'makes_zeros' runs on cuda:0 but its graph has the device constant\(s\) cuda:0 baked in"):
        op = tp.script(MakesZeros(), device=0, example_inputs=torch.ones(2, 4))
    assert op.baked_devices == ("cuda:0",) and not op.is_portable
    pipeline = tp.trace(lambda x: op(x), torch.ones(2, 4))
    path = pipeline.save(tmp_path / "baked.pt")
    with pytest.raises(DeviceError, match=r"op\(s\) 'makes_zeros' \(cuda:0 -> cpu, baked devices: \['cuda:0'\]\) were moved and then failed on the stored example inputs"):
        tp.load(path, "cpu", allow_gpu_to_cpu=True)
    assert tp.load(path, 0).run({"x": torch.ones(2, 4)}).tolist() == [[1.0] * 4] * 2


def test_a_scripted_model_has_nothing_baked():
    with warnings.catch_warnings():
        warnings.simplefilter("error", tp.BakedDeviceWarning)
        op = tp.script(MakesZeros(), device=0, trace_func=torch.jit.script)
    assert op.baked_devices == ()


@pytest.mark.skipif(torch.cuda.device_count() < 2, reason="needs two GPUs")
def test_a_gpu_op_loaded_on_cuda_1_runs_there(tmp_path):
    pipeline = tp.trace(process_with(gpu_cell(output_to_cpu=False)), *cell_inputs())
    loaded = tp.load(pipeline.save(tmp_path / "gpu.pt"), 1)
    out = loaded.run(dict(zip(("x", "h"), cell_inputs())))
    assert all(t.device == torch.device("cuda", 1) for t in out)
    torch.testing.assert_close(tuple(t.cpu() for t in out), cpu_reference())


@pytest.mark.skipif(torch.cuda.device_count() < 2, reason="needs two GPUs")
def test_a_baked_op_moved_to_cuda_1_is_checked(tmp_path):
    op = tp.script(MakesZeros(), device=0, example_inputs=torch.ones(2, 4))
    path = tp.trace(lambda x: op(x), torch.ones(2, 4)).save(tmp_path / "baked.pt")
    with pytest.raises(DeviceError, match=r"'makes_zeros' \(cuda:0 -> cuda:1, baked devices: \['cuda:0'\]\) were moved and then failed"):
        tp.load(path, "cuda:1")


def test_no_extra_kernels_copies_or_syncs_with_output_to_cpu_false():
    op = gpu_cell(output_to_cpu=False)
    x, h = (t.to(CUDA0) for t in cell_inputs())
    pipeline = tp.trace(process_with(op), x, h)
    feed = {"x": x, "h": h}
    direct = count_gpu_activity(lambda: op.module(x, h), calls=20)
    through_pipeline = count_gpu_activity(lambda: pipeline.run(feed), calls=20)
    eager_op = count_gpu_activity(lambda: op(x, h), calls=20)
    assert direct.kernels > 0
    assert through_pipeline == direct and eager_op == direct
    assert through_pipeline.copies == 0


def test_output_to_cpu_costs_one_copy_per_output():
    op = gpu_cell(output_to_cpu=True)
    x, h = (t.to(CUDA0) for t in cell_inputs())
    pipeline = tp.trace(process_with(op), x, h)
    direct = count_gpu_activity(lambda: op.module(x, h), calls=10)
    to_cpu = count_gpu_activity(lambda: pipeline.run({"x": x, "h": h}), calls=10)
    assert to_cpu.kernels == direct.kernels
    assert to_cpu.copies - direct.copies == 2 * 10
    assert to_cpu.syncs > direct.syncs


def test_gpu_state_outside_an_inference_op_is_refused():
    raw = torch.jit.trace(seeded_cell().to(CUDA0), tuple(t.to(CUDA0) for t in cell_inputs()))

    def uses_a_raw_gpu_module(x, h):
        return raw(x.to("cuda:0"), h.to("cuda:0"))

    with pytest.raises(PipelineError, match=r"trace\(uses_a_raw_gpu_module\): my_cell2\.linear\.bias on cuda:0, my_cell2\.linear\.weight on cuda:0 live\(s\) on a GPU outside any InferenceOp"):
        tp.trace(uses_a_raw_gpu_module, *cell_inputs())
