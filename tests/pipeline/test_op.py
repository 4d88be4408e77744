"""InferenceOp built by ``script()``: the entry points, eager calls, output rules and errors."""

from __future__ import annotations

import threading
import warnings
from typing import List

import numpy as np
import pytest
import torch

import toolkit.pipeline as tp
from tests.fixtures.models import MLP, MyCell1, MyCell2
from toolkit.errors import DeviceError, PipelineError, ScriptingError, TracingError


def cell_inputs():
    generator = torch.Generator().manual_seed(0)
    return torch.rand(3, 4, generator=generator), torch.rand(3, 4, generator=generator)


def seeded_cell() -> MyCell2:
    torch.manual_seed(0)
    return MyCell2()


def bare_cell(x, h):
    """Matx's fourth entry point: a plain function, scripted with backend='PyTorch', device=-1."""
    new_h = torch.tanh(x * 0.5 + h)
    return new_h, new_h


def make_op(kind: str, tmp_path):
    """One InferenceOp per Matx entry point, all on the CPU."""
    x, h = cell_inputs()
    if kind == "nn_module":
        return tp.script(seeded_cell())
    if kind == "script_module":
        return tp.script(torch.jit.trace(seeded_cell(), (x, h)))
    if kind == "file":
        path = tmp_path / "cell.jit"
        torch.jit.save(torch.jit.trace(seeded_cell(), (x, h)), str(path))
        return tp.script(str(path))
    if kind == "function":
        return tp.script(bare_cell, device=-1)
    raise AssertionError(kind)


def reference(kind: str):
    x, h = cell_inputs()
    with torch.no_grad():
        return bare_cell(x, h) if kind == "function" else seeded_cell()(x, h)


ENTRY_POINTS = ["nn_module", "script_module", "file", "function"]


# --- the four entry points, eagerly -----------------------------------------------------------
@pytest.mark.parametrize("kind", ENTRY_POINTS)
def test_each_entry_point_matches_torch_eager(kind, tmp_path):
    op = make_op(kind, tmp_path)
    assert op.source == kind
    result = op(*cell_inputs())
    expected = reference(kind)
    assert isinstance(result, tuple) and len(result) == 2
    for got, want in zip(result, expected):
        assert got.shape == (3, 4) and got.device.type == "cpu"
        torch.testing.assert_close(got, want)


def test_nn_module_is_traced_at_the_first_call_and_kept():
    op = tp.script(seeded_cell())
    assert not op.is_ready
    with pytest.raises(PipelineError, match=r"InferenceOp 'my_cell2' has no module yet: .*traced at its first call"):
        _ = op.module
    op(*cell_inputs())
    assert op.is_ready and isinstance(op.module, torch.jit.ScriptModule)
    assert op.example_inputs is not None and len(op.example_inputs) == 2
    module = op.module
    op(*cell_inputs())
    assert op.module is module


def test_example_inputs_trace_at_script_time():
    op = tp.script(seeded_cell(), example_inputs=cell_inputs())
    assert op.is_ready and op.signature.names == ("x", "h")
    assert "Tuple[Tensor, Tensor]" in op.signature.describe()


def test_trace_func_script_compiles_without_examples():
    op = tp.script(seeded_cell(), trace_func=torch.jit.script)
    assert op.is_ready and op.source == "nn_module"
    torch.testing.assert_close(op(*cell_inputs()), reference("nn_module"))


def test_a_custom_trace_func_is_called_with_the_model_and_the_inputs():
    seen = []

    def my_trace(model, inputs):
        seen.append((type(model).__name__, len(inputs)))
        return torch.jit.trace(model, inputs)

    op = tp.script(seeded_cell(), trace_func=my_trace)
    op(*cell_inputs())
    assert seen == [("MyCell2", 2)]


def test_a_trace_func_must_return_torchscript():
    op = tp.script(seeded_cell(), trace_func=lambda model, inputs: model)
    with pytest.raises(PipelineError, match=r"trace_func '<lambda>' returned a MyCell2 .*must return a ScriptModule or ScriptFunction"):
        op(*cell_inputs())


def test_trace_func_is_ignored_for_torchscript_objects():
    scripted = torch.jit.trace(seeded_cell(), cell_inputs())
    op = tp.script(scripted, trace_func=lambda *a: pytest.fail("must not be called"))
    assert op.module is scripted


def test_tracing_failures_are_tracing_errors_naming_the_op():
    op = tp.script(seeded_cell())
    with pytest.raises(TracingError, match=r"torch.jit.trace failed on InferenceOp 'my_cell2' with inputs \(float32\[3, 5\] on cpu, float32\[3, 4\] on cpu\): .*mat1 and mat2"):
        op(torch.zeros(3, 5), torch.zeros(3, 4))


def test_script_function_and_torch_script_of_a_function():
    @torch.jit.script
    def scale(x: torch.Tensor, k: float = 2.0) -> torch.Tensor:
        return x * k

    op = tp.script(scale, device="cpu")
    assert op.source == "script_function" and op.function is scale
    assert op(torch.ones(2)).tolist() == [2.0, 2.0]
    assert op(torch.ones(2), 3.0).tolist() == [3.0, 3.0]
    assert op(torch.ones(2), k=4.0).tolist() == [4.0, 4.0]
    scripted_now = tp.script(bare_cell, device=-1, trace_func=torch.jit.script)
    assert scripted_now.is_ready
    torch.testing.assert_close(scripted_now(*cell_inputs()), reference("function"))


# --- result shapes, dtypes and the output rule -------------------------------------------------
class OneOutput(torch.nn.Module):
    def forward(self, x):
        return (x * 2,)


class Transposed(torch.nn.Module):
    def forward(self, x):
        return x.t(), [x.t(), x], {"t": x.t()}


class SumSqueeze(torch.nn.Module):
    def forward(self, x):
        return x.sum().squeeze()


def test_a_single_tensor_comes_back_bare_and_a_one_tuple_is_unwrapped():
    assert isinstance(tp.script(torch.nn.Linear(4, 4))(torch.ones(1, 4)), torch.Tensor)
    assert isinstance(tp.script(OneOutput(), device=-1)(torch.ones(2)), torch.Tensor)


def test_outputs_are_contiguous_in_tensors_lists_and_dicts():
    op = tp.script(Transposed(), device="cpu")
    source = torch.arange(6.0).reshape(2, 3)
    bare, listed, mapped = op(source)
    assert bare.is_contiguous() and all(t.is_contiguous() for t in listed) and mapped["t"].is_contiguous()
    assert torch.equal(bare, source.t()) and torch.equal(mapped["t"], source.t())


def test_float16_inputs_and_outputs_keep_their_dtype():
    torch.manual_seed(0)
    layer = torch.nn.Linear(4, 4).half()
    op = tp.script(layer)
    x = torch.rand(2, 4).half()
    out = op(x)
    assert out.dtype == torch.float16
    torch.testing.assert_close(out, layer(x))


def test_zero_dim_outputs_stay_zero_dim_and_other_shapes_run():
    """A documented deviation: Matx unsqueezed a 0-dim output to shape [1]; we keep it 0-dim."""
    op = tp.script(SumSqueeze(), device=-1, example_inputs=torch.ones(1, 1))
    assert op(torch.ones(1, 1)).shape == torch.Size([])
    assert op(torch.ones(5, 7)).item() == 35.0


def test_numpy_and_dlpack_inputs_give_the_tensor_result():
    op = tp.script(seeded_cell())
    x, h = cell_inputs()
    from_tensors = op(x, h)
    from_numpy = op(x.numpy(), h.numpy())
    sliced = np.ascontiguousarray(np.concatenate([x.numpy(), x.numpy()], axis=1))[:, ::2]
    from_slices = op(sliced, h.numpy())
    assert all(torch.equal(a, b) for a, b in zip(from_tensors, from_numpy))
    torch.testing.assert_close(from_slices[0], op(torch.from_numpy(np.ascontiguousarray(sliced)), h)[0])


def test_keyword_arguments_bind_by_name():
    op = tp.script(seeded_cell(), example_inputs=cell_inputs())
    x, h = cell_inputs()
    assert torch.equal(op(h=h, x=x)[0], op(x, h)[0])
    with pytest.raises(PipelineError, match=r"InferenceOp 'my_cell2' got unknown keyword argument\(s\) \['y'\]; its signature is \(x: Tensor, h: Tensor\)"):
        op(x, y=h)
    with pytest.raises(PipelineError, match=r"InferenceOp 'my_cell2' is missing the argument 'h'"):
        op(x=x)


def test_runtime_failures_name_the_op_and_keep_the_torch_traceback():
    op = tp.script(seeded_cell(), example_inputs=cell_inputs())
    with pytest.raises(PipelineError, match=r"InferenceOp 'my_cell2' on cpu failed on \(float32\[3, 5\] on cpu, float32\[3, 4\] on cpu\): .*mat1 and mat2 shapes cannot be multiplied.*first called with float32\[3, 4\]") as caught:
        op(torch.zeros(3, 5), torch.zeros(3, 4))
    assert isinstance(caught.value.__cause__, RuntimeError)


def test_eager_calls_do_not_track_gradients_and_parameters_are_frozen():
    module = seeded_cell()
    op = tp.script(module)
    x, h = cell_inputs()
    out, _ = op(x.requires_grad_(), h)
    assert not any(p.requires_grad for p in module.parameters())
    assert not module.training


def test_the_lazy_trace_happens_once_under_concurrent_first_calls():
    traces = []

    def counting_trace(model, inputs):
        traces.append(1)
        return torch.jit.trace(model, inputs)

    op = tp.script(seeded_cell(), trace_func=counting_trace)
    x, h = cell_inputs()
    results = []
    threads = [threading.Thread(target=lambda: results.append(op(x, h)[0])) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(traces) == 1 and len(results) == 6
    assert all(torch.equal(r, results[0]) for r in results)


# --- devices ------------------------------------------------------------------------------------
def test_device_defaults_to_the_parameters_device_and_accepts_matx_forms():
    assert tp.script(seeded_cell()).device == torch.device("cpu")
    for spec in (-1, "cpu", "cpu:0", torch.device("cpu")):
        assert tp.script(seeded_cell(), device=spec).device == torch.device("cpu")


def test_a_module_without_parameters_needs_a_device():
    with pytest.raises(DeviceError, match=r"script\(my_cell1\) cannot tell the op's device: the module has no parameters or buffers .*Fix: pass device=-1 or 'cpu'"):
        tp.script(MyCell1())
    assert tp.script(MyCell1(), device=-1).device.type == "cpu"


def test_a_function_needs_a_device():
    with pytest.raises(DeviceError, match=r"script\(bare_cell\) needs device= for a function: .*PyTorchDeviceNotSetError"):
        tp.script(bare_cell)


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the error of a machine without CUDA")
def test_a_gpu_device_on_a_cpu_machine_is_refused_at_script_time():
    with pytest.raises(DeviceError, match=r"script\(mlp, device=0\) asks for cuda:0, but this machine has no usable CUDA"):
        tp.script(MLP(), device=0)


def test_baked_non_cpu_devices_warn_at_script_time():
    @torch.jit.script
    def uses_gpu_zeros(x: torch.Tensor) -> torch.Tensor:
        return x + torch.zeros(1, device=torch.device("cuda:0"))

    with pytest.warns(tp.BakedDeviceWarning, match=r"InferenceOp 'uses_gpu_zeros' runs on cpu but its graph has the device constant\(s\) cuda:0 baked in"):
        op = tp.script(uses_gpu_zeros, device="cpu")
    assert op.baked_devices == ("cuda:0",) and not op.is_portable


def test_a_cpu_trace_with_cpu_constants_is_portable_and_silent():
    class MakesZeros(torch.nn.Module):
        def forward(self, x):
            return x + torch.zeros(x.shape, device=x.device)

    with warnings.catch_warnings():
        warnings.simplefilter("error", tp.BakedDeviceWarning)
        op = tp.script(MakesZeros(), device=-1, example_inputs=torch.ones(2))
    assert op.baked_devices == ("cpu",) and op.is_portable


# --- what script() refuses -------------------------------------------------------------------------
def test_script_refuses_classes_non_callables_and_ops():
    with pytest.raises(PipelineError, match=r"script\(\) got the class MyCell2, not an instance. Fix: pass MyCell2\(...\)"):
        tp.script(MyCell2)
    with pytest.raises(PipelineError, match=r"script\(\) got a int; it takes a ScriptModule, a ScriptFunction, an nn.Module"):
        tp.script(3)
    op = tp.script(MyCell1(), device=-1)
    with pytest.raises(PipelineError, match=r"is an InferenceOp already"):
        tp.script(op)
    with pytest.raises(PipelineError, match=r"output_to_cpu=\) must be True or False, not 'yes'"):
        tp.script(MyCell1(), device=-1, output_to_cpu="yes")


def test_script_from_a_path_reports_missing_and_foreign_files(tmp_path):
    with pytest.raises(PipelineError, match=r"script\('.*nothing.jit'\): no such file. Fix: pass the path of a file saved with torch.jit.save"):
        tp.script(str(tmp_path / "nothing.jit"))
    text = tmp_path / "notes.txt"
    text.write_text("not a model")
    with pytest.raises(PipelineError, match=r"the file is not a TorchScript archive torch.jit.load can read"):
        tp.script(str(text), device="cpu")


def test_script_from_a_path_remembers_the_location(tmp_path):
    path = tmp_path / "cell.jit"
    torch.jit.save(torch.jit.trace(seeded_cell(), cell_inputs()), str(path))
    op = tp.script(path)
    assert op.location == str(path) and op.name == "cell"


def test_scripting_failures_are_scripting_errors():
    class Unscriptable(torch.nn.Module):
        def forward(self, x):
            return np.tanh(x)

    with pytest.raises(ScriptingError, match=r"torch.jit.script could not compile 'unscriptable'"):
        tp.script(Unscriptable(), device=-1, trace_func=torch.jit.script)


def test_outputs_the_output_rule_cannot_walk_are_refused():
    @torch.jit.script
    def nested(x: torch.Tensor) -> List[List[torch.Tensor]]:
        return [[x]]

    with pytest.raises(PipelineError, match=r"InferenceOp 'nested' returns List\[List\[Tensor\]\]; InferenceOp outputs may hold tensors as Tensor, tuples, List\[Tensor\] or Dict\[str, Tensor\]"):
        tp.script(nested, device=-1)


def test_repr_is_deterministic():
    assert repr(tp.script(MyCell1(), device=-1)) == "InferenceOp(name='my_cell1', device='cpu', output_to_cpu=True, source='nn_module', not traced yet)"
