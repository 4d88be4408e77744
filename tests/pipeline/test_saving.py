"""``Pipeline.save`` / ``load``: one file, metadata, device rules, round trips in a fresh process."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch

import toolkit.pipeline as tp
from tests.pipeline.test_op import ENTRY_POINTS, cell_inputs, make_op
from tests.pipeline.test_trace import classifier_pipeline, process_with
from toolkit.errors import DeviceError, PipelineError
from toolkit.pipeline.container import Pipeline
from toolkit.pipeline.saving import EXAMPLES_FILE, META_FILE

REPO = Path(__file__).resolve().parents[2]


def cell_pipeline() -> Pipeline:
    return tp.trace(process_with(make_op("nn_module", None)), *cell_inputs())


def feed():
    x, h = cell_inputs()
    return {"x": x, "h": h}


# --- saving ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ENTRY_POINTS)
def test_each_entry_point_survives_save_and_load(kind, tmp_path):
    op = make_op(kind, tmp_path)
    pipeline = tp.trace(process_with(op), *cell_inputs())
    loaded = tp.load(pipeline.save(tmp_path / "p.pt"), -1)
    before, after = pipeline.run(feed()), loaded.run(feed())
    assert isinstance(after, tuple) and len(after) == 2
    assert all(torch.equal(a, b) for a, b in zip(before, after))
    assert all(torch.equal(a, b) for a, b in zip(after, op(*cell_inputs())))


def test_save_writes_one_file_and_leaves_no_temporary(tmp_path):
    path = cell_pipeline().save(tmp_path / "cell.pt")
    assert path == str(tmp_path / "cell.pt")
    assert sorted(os.listdir(tmp_path)) == ["cell.pt"]


def test_save_into_a_directory_uses_pipeline_pt(tmp_path):
    path = cell_pipeline().save(tmp_path)
    assert path == os.path.join(str(tmp_path), "pipeline.pt")
    assert tp.load(tmp_path, "cpu").input_names == ("x", "h")


def test_save_with_a_name_writes_matx_folder_with_a_spec_and_loads_back(tmp_path):
    pipeline = cell_pipeline()
    folder = tmp_path / "served"
    path = pipeline.save(folder, "cell")  # Matx's save(folder, name): the folder is created
    assert path == str(folder / "cell.pt")
    assert sorted(os.listdir(folder)) == ["cell.json", "cell.pt"]
    spec = json.loads((folder / "cell.json").read_text())
    assert spec["archive"] == "cell.pt" and spec["name"] == "process" and spec["inputs"] == [
        {"name": "x", "type": "Tensor"},
        {"name": "h", "type": "Tensor"},
    ]
    assert spec["ops"] == tp.read_metadata(path)["ops"]
    expected = pipeline.run(feed())
    for where in (folder, folder / "cell.json", path):  # the folder, the spec, or the archive
        loaded = tp.load(where, "cpu")
        assert loaded.path == path
        assert all(torch.equal(a, b) for a, b in zip(loaded.run(feed()), expected))
    assert torch.jit.load(path)(*feed().values())[0].shape == (3, 4)  # still plain TorchScript


def test_a_folder_of_several_pipelines_needs_a_name(tmp_path):
    classify, x = classifier_pipeline()
    cell_pipeline().save(tmp_path, "cell")
    tp.trace(classify, x).save(tmp_path, "classify")
    with pytest.raises(PipelineError, match=r"load\('.*'\): the folder holds several pipelines \['cell', 'classify'\]. Fix: pick one with name="):
        tp.load(tmp_path, -1)
    assert tp.load(tmp_path, -1, name="classify").name == "classify"
    assert tp.read_metadata(tmp_path, name="cell")["name"] == "process"
    with pytest.raises(PipelineError, match=r"name='other'\): the folder holds no pipeline of that name; it holds \['cell', 'classify'\]"):
        tp.load(tmp_path, -1, name="other")
    with pytest.raises(PipelineError, match=r"name='cell'\): name= picks a pipeline inside a folder, but '.*cell.pt' is not a folder"):
        tp.load(tmp_path / "cell.pt", -1, name="cell")


def test_a_one_file_save_into_a_folder_is_found_beside_specs(tmp_path):
    cell_pipeline().save(tmp_path)  # pipeline.pt, the one-file form into a directory
    assert tp.load(tmp_path, -1).path == str(tmp_path / "pipeline.pt")
    cell_pipeline().save(tmp_path, "cell")
    with pytest.raises(PipelineError, match=r"several pipelines \['cell', 'pipeline'\]"):
        tp.load(tmp_path, -1)
    assert tp.load(tmp_path, -1, name="pipeline").path == str(tmp_path / "pipeline.pt")


@pytest.mark.parametrize("name", ["", "  ", "../up", "sub/cell", ".hidden", " cell", 3])
def test_the_folder_form_refuses_a_name_that_is_not_a_file_stem(name, tmp_path):
    with pytest.raises(PipelineError, match=r"Pipeline.save\('.*', .*\): the name (must be a non-empty string|is a file stem inside the folder)"):
        cell_pipeline().save(tmp_path / "served", name)
    assert not (tmp_path / "served").exists()


def test_the_folder_form_refuses_a_file_or_a_missing_parent(tmp_path):
    (tmp_path / "taken").write_text("x")
    with pytest.raises(PipelineError, match=r"Pipeline.save\('.*taken', 'cell'\): '.*taken' is a file, and the folder form writes into a folder"):
        cell_pipeline().save(tmp_path / "taken", "cell")
    with pytest.raises(PipelineError, match=r"Pipeline.save\('.*a/b', 'cell'\): the folder '.*a' does not exist. Fix: create it first"):
        cell_pipeline().save(tmp_path / "a" / "b", "cell")
    with pytest.raises(PipelineError, match=r"load\('.*'\): the folder holds no saved pipeline \(no .json spec, no pipeline.pt\)"):
        tp.load(tmp_path, -1)
    (tmp_path / "odd.json").write_text('{"format": "other"}')
    with pytest.raises(PipelineError, match=r"'.*odd.json' is not a toolkit pipeline spec"):
        tp.load(tmp_path / "odd.json", -1)
    (tmp_path / "escape.json").write_text('{"format": "toolkit.pipeline", "archive": "../elsewhere.pt"}')
    with pytest.raises(PipelineError, match=r"the spec names the archive '../elsewhere.pt' outside its folder"):
        tp.load(tmp_path / "escape.json", -1)


def test_save_overwrites_atomically_and_refuses_a_missing_folder(tmp_path):
    target = tmp_path / "p.pt"
    target.write_bytes(b"old")
    cell_pipeline().save(target)
    assert tp.read_metadata(target)["name"] == "process"
    with pytest.raises(PipelineError, match=r"Pipeline.save\('.*missing/p.pt'\): the folder '.*missing' does not exist. Fix: create it first"):
        cell_pipeline().save(tmp_path / "missing" / "p.pt")
    assert sorted(os.listdir(tmp_path)) == ["p.pt"]


def test_metadata_names_inputs_outputs_ops_and_versions(tmp_path):
    classify, x = classifier_pipeline()
    path = tp.trace(classify, x).save(tmp_path / "classify.pt")
    meta = tp.read_metadata(path)
    assert meta["format"] == "toolkit.pipeline" and meta["format_version"] == 1
    import toolkit

    assert meta["torch_version"] == torch.__version__ and meta["toolkit_version"] == toolkit.__version__
    assert meta["inputs"] == [{"name": "x", "type": "Tensor"}]
    assert [o["name"] for o in meta["outputs"]] == ["top_labels", "classifier_out"]
    assert [(op["attr"], op["device"], op["traced_device"], op["output_to_cpu"]) for op in meta["ops"]] == [
        ("classifier", "cpu", "cpu", True),
        ("top_labels", "cpu", "cpu", True),
    ]
    assert [call["name"] for call in meta["calls"]] == ["classifier", "top_labels"]


def test_the_saved_file_is_plain_torchscript(tmp_path):
    classify, x = classifier_pipeline()
    pipeline = tp.trace(classify, x)
    path = pipeline.save(tmp_path / "classify.pt")
    extra = {META_FILE: "", EXAMPLES_FILE: ""}
    module = torch.jit.load(path, _extra_files=extra)
    assert json.loads(extra[META_FILE])["name"] == "classify" and extra[EXAMPLES_FILE]
    labels, scores = module(x)
    assert labels == pipeline(x=x)[0] and torch.equal(scores, pipeline(x=x)[1])


# --- fresh process, other working directory ---------------------------------------------------------
CHILD = textwrap.dedent(
    """
    import sys, torch
    mode, path, inputs, out = sys.argv[1:5]
    feed = torch.load(inputs)
    if mode == "toolkit":
        import toolkit.pipeline as tp
        result = tp.load(path, "cpu").run(feed)
    else:
        result = torch.jit.load(path)(*feed.values())
        assert "toolkit" not in sys.modules, "plain torch.jit.load must not need the toolkit"
    torch.save(result, out)
    """
)


@pytest.mark.parametrize("mode", ["toolkit", "torch_only"])
def test_round_trip_in_a_fresh_process_elsewhere_is_bitwise_equal(mode, tmp_path):
    classify, x = classifier_pipeline()
    pipeline = tp.trace(classify, x)
    path = pipeline.save(tmp_path / "classify.pt")
    torch.save({"x": x}, tmp_path / "feed.pt")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "child.py").write_text(CHILD)
    env = {**os.environ, "PYTHONPATH": str(REPO) if mode == "toolkit" else ""}
    subprocess.run(
        [sys.executable, "child.py", mode, path, str(tmp_path / "feed.pt"), str(tmp_path / "out.pt")],
        cwd=elsewhere,
        env=env,
        check=True,
        capture_output=True,
    )
    labels, scores = torch.load(tmp_path / "out.pt")
    expected_labels, expected_scores = pipeline.run({"x": x})
    assert labels == expected_labels
    assert torch.equal(scores, expected_scores)
    assert scores.view(torch.int32).tolist() == expected_scores.view(torch.int32).tolist()  # bit for bit


# --- load: files and devices ----------------------------------------------------------------------------
def test_load_needs_a_device(tmp_path):
    path = cell_pipeline().save(tmp_path / "p.pt")
    with pytest.raises(DeviceError, match=r"load\('.*p.pt', device=None\): a device is required. Fix: pass -1 or 'cpu'"):
        tp.load(path, None)
    with pytest.raises(DeviceError, match=r"load\(..., device='tpu'\) got the string 'tpu', which is not a device name"):
        tp.load(path, "tpu")


# Matx remark 1: a CPU op ignores the load device; only an op that needs a device may miss it.
@pytest.mark.parametrize("device", [0, "cuda:0", "cuda:1", torch.device("cuda", 3)])
def test_an_all_cpu_pipeline_loads_on_any_gpu_spec_with_a_note(device, tmp_path):
    pipeline = cell_pipeline()
    path = pipeline.save(tmp_path / "p.pt")
    label = tp.resolve_device(device)
    with pytest.warns(tp.UnusedDeviceWarning, match=rf"load\('.*p.pt', device={re.escape(repr(device))}\): every op runs on the CPU, so no op needed {label}") as caught:
        loaded = tp.load(path, device)
    (note,) = loaded.notes
    assert [str(w.message) for w in caught if issubclass(w.category, tp.UnusedDeviceWarning)] == [note]
    assert note.endswith("the pipeline runs on the CPU (Matx: a CPU op ignores the load device).")
    assert [spec.device for spec in loaded.specs] == ["cpu"] and loaded.module.my_cell2_device == torch.device("cpu")
    assert all(torch.equal(a, b) for a, b in zip(loaded.run(feed()), pipeline.run(feed())))


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the note of a machine without CUDA")
def test_the_note_says_when_the_unused_device_is_missing_here(tmp_path):
    path = cell_pipeline().save(tmp_path / "p.pt")
    with pytest.warns(tp.UnusedDeviceWarning, match=r"no op needed cuda:0, which this machine does not have; the pipeline runs on the CPU"):
        tp.load(path, 0)


def test_a_cpu_load_gives_no_note(tmp_path, recwarn):
    loaded = tp.load(cell_pipeline().save(tmp_path / "p.pt"), -1)
    assert loaded.notes == ()
    assert not [w for w in recwarn if issubclass(w.category, tp.UnusedDeviceWarning)]


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the error of a machine without CUDA")
def test_a_gpu_op_loaded_on_a_missing_gpu_is_a_device_error(tmp_path):
    path = _claim_gpu(cell_pipeline()).save(tmp_path / "gpu.pt")
    with pytest.raises(DeviceError, match=r"load\('.*gpu.pt', device='cuda:1'\) asks for cuda:1, but this machine has no usable CUDA"):
        tp.load(path, "cuda:1")
    with pytest.raises(DeviceError, match=r"load\('.*gpu.pt', device=0\) asks for cuda:0, but this machine has no usable CUDA"):
        tp.load(path, 0)


def test_load_reports_missing_foreign_and_non_pipeline_files(tmp_path):
    with pytest.raises(PipelineError, match=r"load\('.*absent.pt'\): no such file. Fix: pass the path Pipeline.save\(\) returned"):
        tp.load(tmp_path / "absent.pt", -1)
    (tmp_path / "text.pt").write_text("hello")
    with pytest.raises(PipelineError, match=r"load\('.*text.pt'\): not a TorchScript archive"):
        tp.load(tmp_path / "text.pt", -1)
    torch.jit.save(torch.jit.script(torch.nn.ReLU()), str(tmp_path / "relu.pt"))
    with pytest.raises(PipelineError, match=r"the file is a TorchScript module but not a toolkit pipeline \(it has no toolkit/meta.json\). Fix: run it with torch.jit.load"):
        tp.load(tmp_path / "relu.pt", -1)


def test_load_refuses_another_format_version(tmp_path):
    pipeline = cell_pipeline()
    path = str(tmp_path / "future.pt")
    meta = {"format": "toolkit.pipeline", "format_version": 99}
    torch.jit.save(pipeline.module, path, _extra_files={META_FILE: json.dumps(meta)})
    with pytest.raises(PipelineError, match=r"pipeline format 'toolkit.pipeline' version 99 is not 'toolkit.pipeline' version 1. Fix: save it again"):
        tp.load(path, -1)


def test_cpu_ops_stay_on_the_cpu_and_expose_their_attributes(tmp_path):
    """test_torch_analysis: a loaded graph exposes each op's device, output_to_cpu, model, location."""
    jit_file = tmp_path / "cell.jit"
    torch.jit.save(make_op("nn_module", None).prepare(*cell_inputs()).module, str(jit_file))
    pipeline = tp.trace(process_with(tp.script(str(jit_file), output_to_cpu=False)), *cell_inputs())
    loaded = tp.load(pipeline.save(tmp_path / "p.pt"), "cpu")
    (spec,) = loaded.specs
    assert (spec.attr, spec.device, spec.traced_device, spec.output_to_cpu, spec.source) == ("cell", "cpu", "cpu", False, "file")
    assert spec.location == str(jit_file)
    assert loaded.path == str(tmp_path / "p.pt")
    assert loaded.op_module("cell").original_name == "MyCell2"
    assert "aten::linear" in str(loaded.op_module("cell").inlined_graph)
    assert loaded.module.cell_device == torch.device("cpu")
    assert loaded.ops == pipeline.ops


def _claim_gpu(pipeline: Pipeline, *, outputs=None) -> Pipeline:
    """The same pipeline, described as traced on cuda:0 (the rules are tested without a GPU here)."""
    specs = tuple(dataclasses.replace(spec, device="cuda:0", traced_device="cuda:0") for spec in pipeline.specs)
    return Pipeline(
        module=pipeline.module,
        name=pipeline.name,
        inputs=pipeline.inputs,
        outputs=pipeline.outputs,
        specs=specs,
        calls=pipeline.ops,
        example_inputs=pipeline.example_inputs,
        example_outputs=pipeline.example_outputs if outputs is None else outputs,
    )


def test_a_gpu_op_loaded_on_the_cpu_is_a_device_error_naming_it(tmp_path):
    path = _claim_gpu(cell_pipeline()).save(tmp_path / "gpu.pt")
    with pytest.raises(DeviceError, match=r"the pipeline has GPU op\(s\) 'my_cell2' \(on cuda:0\), and a GPU op loaded on the CPU is undefined in Matx. .*pass allow_gpu_to_cpu=True"):
        tp.load(path, "cpu")


def test_allow_gpu_to_cpu_moves_and_checks_the_op(tmp_path):
    path = _claim_gpu(cell_pipeline()).save(tmp_path / "gpu.pt")
    loaded = tp.load(path, -1, allow_gpu_to_cpu=True)
    assert loaded.specs[0].device == "cpu" and loaded.specs[0].traced_device == "cuda:0"
    assert loaded.ops[0].device == "cpu"
    assert all(torch.equal(a, b) for a, b in zip(loaded.run(feed()), cell_pipeline().run(feed())))


def test_a_moved_op_that_no_longer_reproduces_its_outputs_is_a_device_error(tmp_path):
    pipeline = cell_pipeline()
    wrong = tuple(t + 1.0 for t in pipeline.example_outputs)
    path = _claim_gpu(pipeline, outputs=wrong).save(tmp_path / "gpu.pt")
    with pytest.raises(DeviceError, match=r"op\(s\) 'my_cell2' \(cuda:0 -> cpu, baked devices: none\) were moved and no longer reproduce the stored outputs: output\[0\] differs"):
        tp.load(path, -1, allow_gpu_to_cpu=True)


def test_a_moved_op_that_fails_is_a_device_error_with_the_cause(tmp_path):
    @torch.jit.script
    def checked(x: torch.Tensor) -> torch.Tensor:
        if x.device.type == "cpu" and bool(x.sum() > 1e6):
            raise RuntimeError("this op only works on its traced device")
        return x * 2

    op = tp.script(checked, device=-1)
    pipeline = tp.trace(lambda x: op(x), torch.ones(2))
    big = (torch.full((2,), 1e7),)
    path = _claim_gpu(pipeline, outputs=pipeline.example_outputs)
    path = Pipeline(
        module=path.module, name=path.name, inputs=path.inputs, outputs=path.outputs, specs=path.specs,
        calls=path.ops, example_inputs=big, example_outputs=big[0] * 2,
    ).save(tmp_path / "fails.pt")
    with pytest.raises(DeviceError, match=r"op\(s\) 'checked' \(cuda:0 -> cpu, baked devices: none\) were moved and then failed on the stored example inputs: .*this op only works on its traced device") as caught:
        tp.load(path, "cpu", allow_gpu_to_cpu=True)
    # Our message comes first (toolkit.pipeline.load is message-first); the op's own failure is kept.
    assert caught.value.__cause__ is None and isinstance(caught.value.torch_error, torch.jit.Error)
    assert "this op only works on its traced device" in str(caught.value.torch_error)


# --- Matx's other behaviours, through all three phases -----------------------------------------------------
def test_float16_round_trips_through_trace_and_load(tmp_path):
    torch.manual_seed(0)
    op = tp.script(torch.nn.Linear(4, 4).half())
    x = torch.rand(2, 4).half()
    eager = op(x)
    pipeline = tp.trace(lambda x: op(x), x)
    loaded = tp.load(pipeline.save(tmp_path / "half.pt"), "cpu:0")  # Matx's string form at load too
    for result in (eager, pipeline(x=x), loaded(x=x)):
        assert result.dtype == torch.float16 and torch.equal(result, eager)


def test_zero_dim_outputs_and_other_shapes_after_trace_and_load(tmp_path):
    from tests.pipeline.test_op import SumSqueeze

    op = tp.script(SumSqueeze(), device=-1)
    pipeline = tp.trace(lambda x: op(x), torch.ones(1, 1))
    loaded = tp.load(pipeline.save(tmp_path / "zero_dim.pt"), -1)
    for run in (pipeline, loaded):
        assert run(x=torch.ones(1, 1)).shape == torch.Size([])
        assert run(x=torch.ones(4, 5)).item() == 20.0


def test_an_op_called_eleven_times_saves_and_loads_on_the_cpu(tmp_path):
    from tests.pipeline.test_trace import CellLoop

    loop = CellLoop(make_op("nn_module", None))
    pipeline = tp.trace(loop, *cell_inputs())
    loaded = tp.load(pipeline.save(tmp_path / "loop.pt"), device="cpu")
    assert len(loaded.ops) == 11 and loaded.ops == pipeline.ops
    assert all(torch.equal(a, b) for a, b in zip(loaded.run(feed()), loop(*cell_inputs())))


# --- libtorch, no Python ------------------------------------------------------------------------------------
# Only the headers the runner uses (torch/script.h would parse the whole C++ frontend: most of the compile).
CPP_RUNNER = r"""
#include <c10/core/GradMode.h>
#include <torch/csrc/jit/serialization/import.h>
#include <torch/csrc/jit/serialization/pickle.h>
#include <fstream>
#include <iterator>
#include <vector>

int main(int argc, char** argv) {
  torch::jit::Module module = torch::jit::load(argv[1]);
  std::ifstream in(argv[2], std::ios::binary);
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto inputs = torch::jit::pickle_load(bytes).toTuple()->elements();
  c10::NoGradGuard no_grad;
  auto result = module.forward(std::vector<torch::jit::IValue>(inputs.begin(), inputs.end()));
  auto out = torch::jit::pickle_save(result);
  std::ofstream(argv[3], std::ios::binary).write(out.data(), out.size());
  return 0;
}
"""


@pytest.fixture(scope="session")
def libtorch_runner() -> Path:
    """The C++ runner, compiled against this torch's libtorch, once: kept in a temporary folder keyed by
    everything that goes into the binary (source, command, compiler, libtorch), so a later session reuses it.

    -O0 and no debug info: the runner's own code is a few calls, and its cost is parsing torch's headers.
    """
    import hashlib
    import shutil
    import tempfile

    compiler = shutil.which("g++")
    torch_dir = Path(torch.__file__).parent
    assert compiler is not None, "needs g++: run `make test` (scripts/bootstrap.sh installs it), or apt-get install g++"
    header = torch_dir / "include" / "torch" / "csrc" / "jit" / "serialization" / "import.h"
    assert header.exists(), f"torch's C++ headers are missing from {torch_dir / 'include'}; reinstall torch from a full wheel"
    libtorch = torch_dir / "lib" / "libtorch_cpu.so"
    flags = [
        "-std=c++17", "-O0", "-g0", "-w", f"-I{torch_dir / 'include'}",
        f"-L{torch_dir / 'lib'}", "-ltorch_cpu", "-lc10", f"-Wl,-rpath,{torch_dir / 'lib'}",
        f"-D_GLIBCXX_USE_CXX11_ABI={int(torch._C._GLIBCXX_USE_CXX11_ABI)}",
    ]
    version = subprocess.run([compiler, "--version"], capture_output=True, text=True, check=True).stdout
    built_from = [CPP_RUNNER, compiler, version, *flags, torch.__version__, str(libtorch.stat().st_size), str(libtorch.stat().st_mtime_ns)]
    key = hashlib.sha256("\0".join(built_from).encode()).hexdigest()[:16]
    folder = Path(tempfile.gettempdir()) / f"toolkit-libtorch-runner-{key}"
    runner = folder / "run_pipeline"
    if not runner.exists():
        folder.mkdir(parents=True, exist_ok=True)
        source = folder / "run_pipeline.cpp"
        source.write_text(CPP_RUNNER)
        partial = folder / f"run_pipeline.{os.getpid()}.partial"
        subprocess.run([compiler, str(source), *flags, "-o", str(partial)], check=True, capture_output=True)
        os.replace(partial, runner)  # another session sees the whole binary or none
    return runner


@pytest.mark.slow
def test_libtorch_runs_the_saved_pipeline_without_python(tmp_path, libtorch_runner):
    import io

    linked = subprocess.run(["ldd", str(libtorch_runner)], capture_output=True, text=True).stdout
    assert "libpython" not in linked
    classify, x = classifier_pipeline()
    pipeline = tp.trace(classify, x)
    path = pipeline.save(tmp_path / "classify.pt")
    (tmp_path / "inputs.pkl").write_bytes(torch._C._pickle_save((x,)))
    subprocess.run([str(libtorch_runner), path, str(tmp_path / "inputs.pkl"), str(tmp_path / "out.pkl")], check=True, capture_output=True)
    # our own file; libtorch tags the list types, which only the full unpickler restores
    labels, scores = torch.load(io.BytesIO((tmp_path / "out.pkl").read_bytes()), weights_only=False)
    expected_labels, expected_scores = pipeline.run({"x": x})
    assert labels == expected_labels and torch.equal(scores, expected_scores)
