"""torch-neuron's ``trace`` options as code written for torch-neuron uses them: the log lines,
``fallback=False`` caught as ``AttributeError``, neuron-cc ``compiler_args``, a
``subgraph_builder_function`` that selects, and ``strict=False`` for a dict output."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import textwrap

import pytest
import torch
from torch import nn

import toolkit.partition as tp
from tests.fixtures.partition_zoo import NO_ERFINV, ErfinvNet, SeedManual, SeedNet, in_example_layer
from toolkit.errors import FallbackError, PartitionError, TracingError
from toolkit.partition import logs
from toolkit.partition.backends import max_abs_diff
from toolkit.partition.compiler_args import NEURON_CC_FLAGS, TORCHSCRIPT_FLAGS, parse_compiler_args

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SEED_LOG = [
    "Partitioning SeedManual: 3 compute ops of 3 kinds, for the accelerator (cpu here) with CPU fallback",
    "segment 0: compiled for the accelerator (cpu here) (2 compute ops)",
    "Compiled for the accelerator (cpu here): aten::_convolution x1, aten::add x1",
    "CPU fallback: aten::mul x1 (user-excluded)",
    "66.67% of compute operations (2 of 3) run on the accelerator (cpu here)",
]


def run(module, *inputs):
    with torch.no_grad():
        return module(*inputs)


# --- logging ---------------------------------------------------------------------------------------


def test_the_seed_manual_partitioning_log_says_what_is_compiled_and_what_falls_back(caplog):
    caplog.set_level(logging.INFO, logger="toolkit.partition")
    torch.manual_seed(0)
    tp.trace(SeedManual().eval(), torch.rand(1, 1, 3, 3), subgraph_builder_function=in_example_layer, device="cpu")
    ours = [r for r in caplog.records if r.name == "toolkit.partition"]
    assert [r.getMessage() for r in ours] == SEED_LOG
    assert {r.levelno for r in ours} == {logging.INFO}


def test_fallback_false_logs_the_partition_before_raising(caplog):
    caplog.set_level(logging.INFO, logger="toolkit.partition")
    with pytest.raises(FallbackError, match=r"cannot run on the accelerator \(cpu here\)"):
        tp.trace(ErfinvNet().eval(), torch.rand(2, 3, 8, 8), supported=NO_ERFINV, fallback=False, device="cpu")
    assert [r.getMessage() for r in caplog.records if r.name == "toolkit.partition"] == [
        "Partitioning ErfinvNet: 10 compute ops of 9 kinds, for the accelerator (cpu here) with CPU fallback"
    ]


def test_outside_a_notebook_nothing_is_attached_and_nothing_printed(capfd):
    tp.trace(SeedNet().eval(), torch.rand(1, 1, 3, 3), device="cpu")
    assert "toolkit.partition" not in capfd.readouterr().err
    assert not [h for h in logging.getLogger("toolkit.partition").handlers if isinstance(h, logs.NotebookHandler)]
    assert not logs.in_notebook_kernel()


def test_a_script_shows_the_lines_only_once_logging_is_configured(tmp_path):
    script = textwrap.dedent(
        """
        import logging, sys, torch
        import toolkit.partition as tp

        def foo(x, y):
            return 2 * x + y

        inputs = (torch.rand(3), torch.rand(3))
        tp.trace(foo, inputs, device="cpu")
        sys.stderr.write("--configured--\\n")
        logging.basicConfig(level=logging.INFO)
        tp.trace(foo, inputs, device="cpu")
        """
    )
    done = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", script], cwd=REPO, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    before, _, after = done.stderr.partition("--configured--\n")
    assert "toolkit.partition" not in before
    assert "INFO:toolkit.partition:Partitioning foo: 2 compute ops of 2 kinds" in after
    assert "INFO:toolkit.partition:Compiled for the accelerator (cpu here): aten::add x1, aten::mul x1" in after


@pytest.mark.parametrize(
    ("in_kernel", "configure", "attach"),
    [
        (False, None, False),
        (True, None, True),
        (True, "handler on the logger", False),
        (True, "level on the logger", False),
        (True, "handler on the root", False),
    ],
)
def test_the_notebook_rule_attaches_only_in_a_kernel_where_logging_is_unconfigured(in_kernel, configure, attach):
    target, root = logging.Logger("toolkit.partition.rule"), logging.RootLogger(logging.WARNING)
    if configure == "handler on the logger":
        target.addHandler(logging.NullHandler())
    elif configure == "level on the logger":
        target.setLevel(logging.WARNING)
    elif configure == "handler on the root":
        root.addHandler(logging.NullHandler())
    assert logs.should_attach(target, root, in_kernel=in_kernel) is attach


def test_in_a_real_notebook_kernel_info_lines_are_shown_by_default(tmp_path):
    nbclient = pytest.importorskip("nbclient")
    nbformat = pytest.importorskip("nbformat")
    cells = [
        "import torch, warnings\nwarnings.simplefilter('ignore')\nimport toolkit.partition as tp\n"
        "def foo(x, y):\n    return 2 * x + y\n"
        "m = tp.trace(foo, (torch.rand(3), torch.rand(3)), device='cpu')",
        "import logging\nlogging.getLogger('toolkit.partition').setLevel(logging.WARNING)\n"
        "m = tp.trace(foo, (torch.rand(3), torch.rand(3)), device='cpu')",
    ]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    nbclient.NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": REPO}}).execute()

    def stderr(cell):
        return "".join(o.get("text", "") for o in cell.outputs if o.get("name") == "stderr")

    shown = stderr(nb.cells[0]).splitlines()
    assert [line for line in shown if line.startswith("INFO:toolkit.partition:")] == [
        "INFO:toolkit.partition:Partitioning foo: 2 compute ops of 2 kinds, for the accelerator (cpu here) with CPU fallback",
        "INFO:toolkit.partition:segment 0: compiled for the accelerator (cpu here) (2 compute ops)",
        "INFO:toolkit.partition:Compiled for the accelerator (cpu here): aten::add x1, aten::mul x1",
        "INFO:toolkit.partition:CPU fallback: no operation",
        "INFO:toolkit.partition:100.00% of compute operations (2 of 2) run on the accelerator (cpu here)",
    ]
    assert "toolkit.partition" not in stderr(nb.cells[1])


# --- fallback=False --------------------------------------------------------------------------------


def test_fallback_false_is_caught_as_the_attribute_error_torch_neuron_documents():
    model, x = ErfinvNet().eval(), torch.rand(2, 3, 8, 8)
    try:
        tp.trace(model, x, supported=NO_ERFINV, fallback=False, device="cpu")
    except AttributeError as error:
        caught: Exception = error
    assert isinstance(caught, FallbackError) and "aten::erfinv" in str(caught)
    try:
        tp.trace(model, x, compiler_args=["--reject-op", "aten::tanh"], fallback=False, device="cpu")
    except AttributeError as error:
        caught = error
    assert isinstance(caught, FallbackError) and "failed to compile" in str(caught)


def test_fallback_false_is_caught_as_a_partition_error_too():
    with pytest.raises(PartitionError, match=r"fallback=False, but 2 operation\(s\) of SeedManual") as caught:
        tp.trace(SeedManual().eval(), torch.rand(1, 1, 3, 3), supported={"aten::add"}, fallback=False, device="cpu")
    assert type(caught.value) is FallbackError and isinstance(caught.value, AttributeError)


# --- compiler_args ---------------------------------------------------------------------------------


def test_the_seed_compiler_args_are_accepted_with_a_note_that_they_do_not_apply():
    torch.manual_seed(0)
    model, x = SeedNet().eval(), torch.rand(1, 1, 3, 3)
    with pytest.warns(
        tp.PartitionWarning,
        match=r"compiler_args: '--neuroncore-pipeline-cores 4' is a neuron-cc flag \(shard each subgraph over N"
        r" NeuronCores\); it does not apply to the TorchScript compiler for cpu, so it is accepted and ignored",
    ):
        result = tp.trace(model, x, compiler_args=["--neuroncore-pipeline-cores", "4"], device="cpu")
    assert max_abs_diff(run(result, x), run(model, x)) == 0.0
    assert tp.plan_of(result).notes[-1].startswith("compiler_args: '--neuroncore-pipeline-cores 4' is a neuron-cc flag")


def _sample(flag) -> list[str]:
    samples = {"N": "4", "LEVEL": "INFO", "METHOD": "none", "KIND": "aten::tanh"}
    return [flag.name] if flag.value is None else [flag.name, samples[flag.value]]


@pytest.mark.parametrize("name", sorted(NEURON_CC_FLAGS))
def test_every_neuron_cc_flag_of_the_table_is_accepted_and_not_applied(name):
    words = _sample(NEURON_CC_FLAGS[name])
    parsed = parse_compiler_args(words)
    assert parsed.rejected_ops == ()
    assert parsed.not_applied == ((name, words[1] if len(words) == 2 else None),)
    (note,) = parsed.notes("cuda")
    assert note.startswith(f"compiler_args: {' '.join(words)!r} is a neuron-cc flag") and "for cuda" in note


def test_flags_mix_and_take_their_value_after_an_equals_sign():
    words = ["--fast-math=none", "--reject-op", "aten::tanh", "--enable-fast-context-switch"] + _sample(TORCHSCRIPT_FLAGS["--reject-op"])
    parsed = parse_compiler_args(words)
    assert parsed.rejected_ops == ("aten::tanh", "aten::tanh")
    assert parsed.not_applied == (("--fast-math", "none"), ("--enable-fast-context-switch", None))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ("--neuroncore-pipeline-cores 4", r"is one string; it must be a list of strings.*Fix: compiler_args=\['--neuroncore-pipeline-cores', '4'\]"),
        (7, r"compiler_args must be a list of strings, not int"),
        (["--neuroncore-pipeline-cores", 4], r"holds 4 \(int\); every item must be a string.*Fix: compiler_args=\['--neuroncore-pipeline-cores', '4'\]"),
        (["--neuroncore-pipeline-cores"], r"--neuroncore-pipeline-cores needs a value \(N\) after it"),
        (["--neuroncore-pipeline-cores", "--fast-math", "none"], r"--neuroncore-pipeline-cores needs a value \(N\)"),
        (["--neuroncore-pipeline-cores", "four"], r"--neuroncore-pipeline-cores 'four' is malformed: N must be a positive whole number"),
        (["--neuroncore-pipeline-cores", "0"], r"'0' is malformed: N must be a positive whole number"),
        (["--reject-op", "tanh"], r"--reject-op 'tanh' is malformed: KIND must be an op kind such as 'aten::tanh'"),
        (["--verbose", "loud"], r"--verbose 'loud' is malformed: LEVEL must be a log level"),
        (["4"], r"'4' in \['4'\] is a value with no flag before it"),
        (["--enable-fast-context-switch=1"], r"--enable-fast-context-switch takes no value, but got '--enable-fast-context-switch=1'"),
        (["--O3"], r"unknown compiler argument '--O3'.*Known flags: --reject-op, --enable-fast-context-switch"),
    ],
)
def test_malformed_compiler_args_are_rejected_before_tracing(args, message):
    with pytest.raises(PartitionError, match=message):
        tp.trace(SeedNet().eval(), torch.rand(1, 1, 3, 3), compiler_args=args, device="cpu")


# --- subgraph_builder_function selects -------------------------------------------------------------


def test_true_puts_back_an_op_that_supported_leaves_out():
    torch.manual_seed(0)
    model, x = ErfinvNet().eval(), torch.rand(2, 3, 8, 8)
    result = tp.trace(model, x, supported=NO_ERFINV, subgraph_builder_function=lambda node: True, device="cpu")
    plan = tp.plan_of(result)
    assert [s.target.value for s in plan.segments] == ["accelerator"]
    assert {r["kind"]: r["placement"] for r in plan.table()}["aten::erfinv"] == "accelerator"
    assert plan.profile == "subgraph_builder_function (over cuda + exclude-ops)"
    assert max_abs_diff(run(result, x), run(model, x)) <= 1e-5


def test_the_seed_function_over_a_narrow_supported_set_selects_the_conv_layer():
    plan = tp.analyze_model(
        SeedManual().eval(), torch.rand(1, 1, 3, 3), supported={"aten::add"}, subgraph_builder_function=in_example_layer, device="cpu"
    )
    assert plan.table() == [
        {"kind": "aten::_convolution", "count": 1, "placement": "accelerator", "reason": ""},
        {"kind": "aten::add", "count": 1, "placement": "accelerator", "reason": ""},
        {"kind": "aten::mul", "count": 1, "placement": "cpu", "reason": "user-excluded"},
    ]


# --- **kwargs to torch.jit.trace -------------------------------------------------------------------


class DictHeads(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 3)

    def forward(self, x):
        logits = self.fc(x)
        return {"logits": logits, "probs": torch.softmax(logits, -1)}


def test_strict_false_reaches_torch_jit_trace_for_a_dict_output():
    torch.manual_seed(0)
    model, x = DictHeads().eval(), torch.rand(2, 4)
    with pytest.raises(TracingError, match=r"pass strict=False to trace\(\)"):
        tp.trace(model, x, device="cpu")
    result = tp.trace(model, x, device="cpu", strict=False)
    got = run(result, x)
    assert sorted(got) == ["logits", "probs"] and max_abs_diff(got, run(model, x)) == 0.0

