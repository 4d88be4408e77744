"""Hostile input to ``toolkit.partition.trace``: names from a model never reach the generated
source as code, and a failing write of the generated files leaves nothing behind.

The names come from places a user does not control (an ``nn.ParameterDict`` key read from a
checkpoint, a ``register_buffer`` name built from a config), so each must either partition and
match eager, or give a PartitionError: never a SyntaxError, and never run code.
"""

from __future__ import annotations

import errno
import os
import subprocess
import sys

import pytest
import torch
from torch import nn

import toolkit.partition as tp
from toolkit.errors import PartitionError

# The payload breaks out of the generated method body to module level and defines a function
# for the rest of the line: with names pasted into the source it ran ``touch PWNED`` on import.
# torch refuses names with a dot, so the payload avoids them.
BREAKOUT = "x\ngetattr(__import__('os'),'system')('touch PWNED')\ndef f(self):\n        x"
HOSTILE_NAMES = {
    "newline": "a\nb",
    "quotes": "q'\"x\"\"\"'''",
    "breakout": BREAKOUT,
    "import-call": "getattr(__import__('os'),'system')('touch PWNED')",
    "keyword": "class",
    "keyword-None": "None",
    "unicode": "é名\u200b",
    "space": " ",
    "digit-first": "0abc",
    "double-underscore": "x__acc",
    "10kB": "n" * 10_000,
}


class InParameterDict(nn.Module):
    def __init__(self, name: str):
        super().__init__()
        self.table = nn.ParameterDict({name: nn.Parameter(torch.linspace(-1, 1, 3))})

    def forward(self, x):
        return torch.relu(x * list(self.table.values())[0]) + 1


class InBuffer(nn.Module):
    def __init__(self, name: str):
        super().__init__()
        self.register_buffer(name, torch.linspace(-1, 1, 3))
        self.buffer_name = name

    def forward(self, x):
        return torch.relu(x * getattr(self, self.buffer_name)) + 1


class InSubmodule(nn.Module):
    def __init__(self, name: str):
        super().__init__()
        torch.manual_seed(0)
        self.add_module(name, nn.Linear(3, 3))
        self.child_name = name

    def forward(self, x):
        return torch.relu(getattr(self, self.child_name)(x)) + 1


@pytest.mark.parametrize("where", [InParameterDict, InBuffer, InSubmodule], ids=lambda c: c.__name__)
@pytest.mark.parametrize("name", list(HOSTILE_NAMES.values()), ids=list(HOSTILE_NAMES))
def test_hostile_names_partition_and_match_eager_without_running_code(tmp_path, monkeypatch, where, name):
    monkeypatch.chdir(tmp_path)
    model = where(name).eval()
    x = torch.linspace(-2, 2, 6).reshape(2, 3)
    work = tmp_path / "work"
    result = tp.trace(model, x, device="cpu", compiler_workdir=str(work))
    torch.testing.assert_close(result(x), model(x), rtol=0, atol=0)
    assert not (tmp_path / "PWNED").exists()
    source = next(work.glob("tsk_partition_*.py")).read_text()
    assert "__import__" not in source and "PWNED" not in source and "n" * 100 not in source and "é" not in source


def test_the_breakout_payload_is_a_real_exploit_when_pasted(tmp_path):
    """The payload above is not a strawman: pasted as the old generator did, it runs on import."""
    pasted = (
        "import torch\n\nclass Segment(torch.nn.Module):\n    def forward(self, v_x):\n"
        f"        v_w = self.p_table__{BREAKOUT}\n        return v_w\n"
    )
    (tmp_path / "pasted.py").write_text(pasted)
    subprocess.run([sys.executable, "pasted.py"], cwd=tmp_path, check=True, capture_output=True)
    assert (tmp_path / "PWNED").exists()


def test_generated_source_names_parameters_by_number(tmp_path):
    work = tmp_path / "work"
    tp.trace(InParameterDict("weights"), torch.rand(2, 3), device="cpu", compiler_workdir=str(work))
    source = next(work.glob("tsk_partition_*.py")).read_text()
    assert "self.p0" in source and "self.weights" not in source and "p_weights" not in source


def _no_temporary_files(folder) -> list[str]:
    return [n for n in os.listdir(folder) if n.endswith(".tmp") or n.startswith(".")]


def test_a_failing_rename_raises_a_partition_error_naming_the_path_and_leaves_no_temp_file(tmp_path, monkeypatch):
    work = tmp_path / "work"

    def full_disk(source, target):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "replace", full_disk)
    with pytest.raises(PartitionError, match=r"could not write '.*work/tsk_partition_\w+\.py': No space left on device\. .*Fix: free some space"):
        tp.trace(InBuffer("w"), torch.rand(2, 3), device="cpu", compiler_workdir=str(work))
    assert _no_temporary_files(work) == []


def test_a_failing_plan_write_names_plan_txt(tmp_path, monkeypatch):
    work = tmp_path / "work"
    real_replace = os.replace

    def refuse_plan(source, target):
        if os.path.basename(target) == "plan.txt":
            raise OSError(errno.EIO, os.strerror(errno.EIO))
        real_replace(source, target)

    monkeypatch.setattr(os, "replace", refuse_plan)
    with pytest.raises(PartitionError, match=r"could not write '.*work/plan\.txt': Input/output error"):
        tp.trace(InBuffer("w"), torch.rand(2, 3), device="cpu", compiler_workdir=str(work))
    assert _no_temporary_files(work) == []


def test_a_workdir_that_cannot_be_created_is_a_partition_error(tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    with pytest.raises(PartitionError, match=r"could not create the folder '.*a_file/work': .*Fix: .*compiler_workdir"):
        tp.trace(InBuffer("w"), torch.rand(2, 3), device="cpu", compiler_workdir=str(blocker / "work"))


@pytest.fixture
def tiny_tmpfs(tmp_path):
    """A real 64 kB tmpfs, mounted when root; skipped with the reason otherwise."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    folder = tmp_path / "tiny"
    folder.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(folder)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"mount -t tmpfs failed: {done.stderr.strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=True)


def test_a_full_tmpfs_raises_a_partition_error_and_leaves_no_temp_file(tiny_tmpfs):
    with open(tiny_tmpfs / "filler", "wb", buffering=0) as filler:  # fill every page of the tmpfs
        with pytest.raises(OSError, match="No space left on device"):
            for _ in range(1000):
                filler.write(b"\0" * 4096)
    work = tiny_tmpfs / "work"
    with pytest.raises(PartitionError, match=r"could not write '.*tiny/work/tsk_partition_\w+\.py': No space left on device"):
        tp.trace(InBuffer("w"), torch.rand(2, 3), device="cpu", compiler_workdir=str(work))
    assert _no_temporary_files(work) == []


@pytest.mark.parametrize(
    ("check", "text", "message"),
    [
        ("_identifier", "relu(); __import__('os')", r"cannot generate code for the op x .relu\(\); __import__\('os'\).: it is not a plain Python identifier"),
        ("_identifier", "lambda", r"it is not a plain Python identifier"),
        ("_annotation", "List[Tensor]); __import__('os'", r"cannot generate code for a value of type .*: it is not a TorchScript type annotation"),
        ("_annotation", "Tuple[lambda]", r"it is not a TorchScript type annotation"),
        ("_dtype", "float32; x", r"cannot generate code for a tensor of dtype 'float32; x': it is not a torch dtype"),
        ("_number", "1) + __import__('os').getpid(", r"cannot generate code for the tensor constant value .*: it is not a number"),
    ],
)
def test_text_from_the_graph_is_checked_before_it_reaches_the_source(check, text, message):
    """Op names, types, dtypes and printed constants come from the IR, not from the user
    directly; they are still checked, so a crafted graph cannot put code into the source."""
    from toolkit.partition import codegen

    with pytest.raises(PartitionError, match=message):
        if check == "_identifier":
            codegen._identifier(text, "op x")
        else:
            getattr(codegen, check)(text)


def test_checked_text_that_is_safe_passes_unchanged():
    from toolkit.partition import codegen

    assert codegen._annotation("Optional[List[Device]]") == "Optional[List[torch.device]]"
    assert codegen._dtype("float16") == "float16" and codegen._number("-2") == -2 and codegen._number("nan") != codegen._number("nan")
