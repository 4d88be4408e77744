"""The bad-input campaign as a table: one row per mistake a student can make with the public API.

Why a table: issue 11 found raw torch errors, crashes and leftover files by feeding the public
calls bad arguments. Each :class:`Case` here is one such input, with the ``ToolkitError`` subclass
it must raise and two words the message must carry (the input it names, the cause it gives).
``tests/bad_inputs/test_bad_inputs.py`` asserts every row; ``bench/bad_inputs.py`` runs the same
rows and counts the outcomes (clear ToolkitError, raw error, crash, files left).

A row's ``prepare`` builds what the call needs (files, models) in the row's own folder before the
folder is listed; ``call`` then receives what ``prepare`` returned (or the folder itself).
"""

from __future__ import annotations

import json
import math
import os
import re
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import torch
from torch import nn

import toolkit
import toolkit.partition as tpart
import toolkit.pipeline as tp
from toolkit.errors import (
    CheckOptionsError,
    DeviceError,
    FeedError,
    MissingExampleInputsError,
    NotebookStateError,
    NotTorchScriptError,
    PartitionError,
    PipelineError,
    ScriptingError,
    ToolkitError,
    TracingError,
    ViewOptionError,
)
from toolkit.pipeline.saving import EXAMPLES_FILE, META_FILE
from toolkit.render.options import DotOptions
from toolkit.widgets import notebook_state

FIX_MARKER = "Fix:"
"""The house marker for the advice that ends every message (``toolkit/errors.py``'s promise)."""


@dataclass(frozen=True)
class Case:
    """One bad input.

    Attributes:
        id: the parametrised test id.
        call: runs the public call; receives ``prepare``'s result, or the row's folder.
        error: the ToolkitError subclass the call must raise.
        names: a literal the message must contain: the argument's name or the bad value.
        cause: a regular expression (case-insensitive) the message must match: why it is wrong.
        prepare: builds inputs in the row's folder before the folder is listed.
    """

    id: str
    call: Callable[[Any], Any]
    error: type[ToolkitError]
    names: str
    cause: str
    prepare: Callable[[Path], Any] | None = None


# --- models and inputs ------------------------------------------------------------------------------
def x4() -> torch.Tensor:
    return torch.ones(2, 4)


def linear() -> nn.Module:
    torch.manual_seed(0)
    return nn.Linear(4, 4)


def scripted() -> torch.jit.ScriptModule:
    return torch.jit.script(linear())


class Raiser(nn.Module):
    def forward(self, x):
        raise ValueError("boom: the model refuses every input")


class BuiltinForward(nn.Module):
    forward = torch.relu  # a builtin: no Python source, no signature


class DictUnpack(nn.Module):
    def forward(self, x):
        d = {"a": x}
        return {**d}["a"]


class LooksUp(nn.Module):
    def forward(self, x):
        return {"a": x}["b"]  # the user's own KeyError


class GradModeGate(nn.Module):
    """Takes another path without autograd, so torch's no_grad re-check of its trace differs."""

    def forward(self, x):
        if torch.is_grad_enabled():
            return x * 2
        return x + 1


def cell(x, h):
    return torch.tanh(x + h)


def cell_pipeline() -> tp.Pipeline:
    op = tp.script(linear(), device="cpu")

    def process(x):
        return op(x)

    return tp.trace(process, x4())


def saved_pipeline(folder: Path) -> Path:
    return Path(cell_pipeline().save(folder / "p.pt"))


def rewritten_archive(folder: Path, *, meta: Callable[[str], str] | None = None, examples: bytes | None = None) -> Path:
    """A saved pipeline whose metadata or examples were edited by hand (re-saved with torch.jit.save)."""
    (folder / "orig").mkdir()
    source = saved_pipeline(folder / "orig")
    extra = {META_FILE: "", EXAMPLES_FILE: ""}
    module = torch.jit.load(str(source), _extra_files=extra)
    text = extra[META_FILE].decode() if isinstance(extra[META_FILE], bytes) else extra[META_FILE]
    new = {META_FILE: meta(text) if meta else text, EXAMPLES_FILE: examples if examples is not None else extra[EXAMPLES_FILE]}
    target = folder / "edited.pt"
    torch.jit.save(module, str(target), _extra_files=new)
    return target


def edit_meta(change: Callable[[dict], Any]) -> Callable[[str], str]:
    def edit(text: str) -> str:
        meta = json.loads(text)
        changed = change(meta)
        return json.dumps(meta if changed is None else changed)

    return edit


def _drop(key: str) -> Callable[[dict], None]:
    def drop(meta: dict) -> None:
        del meta[key]

    return drop


def _set(key: str, value: Any) -> Callable[[dict], None]:
    return lambda meta: meta.__setitem__(key, value)


def _first_op(change: Callable[[dict], None]) -> Callable[[dict], None]:
    def edit(meta: dict) -> None:
        change(meta["ops"][0])

    return edit


class PlanHolder(nn.Module):
    """A ScriptModule whose ``partition_plan`` string is not a plan."""

    def __init__(self) -> None:
        super().__init__()
        self.partition_plan = '{"format": "not a plan", "segments": ['

    def forward(self, x):
        return x


def write(folder: Path, name: str, content: str | bytes) -> Path:
    path = folder / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def not_a_pipeline(folder: Path) -> Path:
    path = folder / "plain.pt"
    torch.jit.save(scripted(), str(path))
    return path


def cli(*args: str) -> Callable[[Any], Any]:
    return lambda paths: notebook_state.main([*args, *(str(p) for p in (paths if isinstance(paths, list) else [paths]))])


# --- the table ---------------------------------------------------------------------------------------
CASES: list[Case] = [
    # toolkit.trace
    Case("trace-none-model", lambda _: toolkit.trace(None, (x4(),)), NotTorchScriptError, "None", r"needs an nn.Module"),
    Case("trace-no-example-inputs", lambda _: toolkit.trace(linear()), MissingExampleInputsError, "example inputs", r"needs|without|no example"),
    Case("trace-unknown-keyword", lambda _: toolkit.trace(linear(), (x4(),), bogus_flag=1), TracingError, "bogus_flag", r"unknown|unexpected|not a keyword|does not take"),
    Case("trace-wrong-shape", lambda _: toolkit.trace(linear(), (torch.ones(3, 5),)), TracingError, "Linear", r"shape|size|multipl"),
    Case("trace-model-raises", lambda _: toolkit.trace(Raiser(), (x4(),)), TracingError, "Raiser", r"boom"),
    Case("trace-script-submodule-missing", lambda _: toolkit.trace(nn.Sequential(linear()), (x4(),), script_submodules=["nope"]), ScriptingError, "nope", r"no (sub)?module|not a submodule|does not have|has no"),
    Case("trace-string-model", lambda _: toolkit.trace("model", (x4(),)), NotTorchScriptError, "str", r"needs an nn.Module"),
    Case("trace-user-key-error", lambda _: toolkit.trace(LooksUp(), (x4(),)), TracingError, "KeyError", r"could not run LooksUp .* at .*cases.py"),
    Case("trace-check-fails", lambda _: toolkit.trace(GradModeGate().train(), (torch.rand(2, 5, 16),)), TracingError, "GradModeGate", r"check .* gave another graph"),
    Case("trace-method-missing", lambda _: toolkit.trace(linear(), (x4(),), method="decode"), NotTorchScriptError, "decode", r"has no method"),
    # toolkit.script
    Case("script-none", lambda _: toolkit.script(None), NotTorchScriptError, "None", r"needs an nn.Module"),
    Case("script-int", lambda _: toolkit.script(42), NotTorchScriptError, "int", r"needs an nn.Module"),
    Case("script-lambda", lambda _: toolkit.script(lambda x: x + 1), ScriptingError, "lambda", r"lambda|source"),
    Case("script-builtin-forward", lambda _: toolkit.script(BuiltinForward()), ScriptingError, "forward", r"builtin|no (python )?source|cannot"),
    Case("script-dict-unpacking", lambda _: toolkit.script(DictUnpack()), ScriptingError, "**", r"unpack|not support|refuse"),
    Case("script-trace-submodule-missing", lambda _: toolkit.script(nn.Sequential(linear()), trace_submodules={"nope": (x4(),)}), ScriptingError, "nope", r"no (sub)?module|not a submodule|has no"),
    # toolkit.graph
    Case("graph-none", lambda _: toolkit.graph(None), NotTorchScriptError, "NoneType", r"not|no graph"),
    Case("graph-eager-module", lambda _: toolkit.graph(linear()), NotTorchScriptError, "Linear", r"trace or script|not a ScriptModule|eager"),
    Case("graph-string", lambda _: toolkit.graph("graph(%x): return (%x)"), NotTorchScriptError, "str", r"not|no graph"),
    Case("graph-unknown-method", lambda _: toolkit.graph(scripted(), "nope"), NotTorchScriptError, "nope", r"no method|has no|not a method"),
    Case("graph-method-not-a-string", lambda _: toolkit.graph(scripted(), 3), NotTorchScriptError, "3", r"method"),
    # toolkit.lint
    Case("lint-none", lambda _: toolkit.lint(None), NotTorchScriptError, "None", r"not (an? )?(IR )?Graph|graph"),
    Case("lint-eager-module", lambda _: toolkit.lint(linear()), NotTorchScriptError, "Linear", r"not (an? )?(IR )?Graph|graph"),
    Case("lint-string", lambda _: toolkit.lint("graph"), NotTorchScriptError, "str", r"not (an? )?(IR )?Graph|graph"),
    # toolkit.to_dot / toolkit.show options
    Case("to_dot-depth-string", lambda _: toolkit.to_dot(scripted(), depth="a"), ViewOptionError, "depth", r"not a non-negative int|int"),
    Case("to_dot-depth-negative", lambda _: toolkit.to_dot(scripted(), depth=-1), ViewOptionError, "depth", r"non-negative"),
    Case("to_dot-depth-bool", lambda _: toolkit.to_dot(scripted(), depth=True), ViewOptionError, "depth", r"int"),
    Case("to_dot-rankdir-unknown", lambda _: toolkit.to_dot(scripted(), rankdir="up"), ViewOptionError, "rankdir", r"'TB' or 'LR'"),
    Case("to_dot-rankdir-injection", lambda _: toolkit.to_dot(scripted(), rankdir='LR" URL="javascript:alert(1)'), ViewOptionError, "rankdir", r"'TB' or 'LR'"),
    Case("to_dot-rankdir-in-options", lambda _: toolkit.to_dot(scripted(), options=DotOptions(rankdir="LR]; x [URL=\"javascript:1\"")), ViewOptionError, "rankdir", r"'TB' or 'LR'"),
    Case("to_dot-marks-string", lambda _: toolkit.to_dot(scripted(), marks={"n1": "lost"}), ViewOptionError, "marks", r"mapping|classes"),
    Case("to_dot-marks-markup", lambda _: toolkit.to_dot(scripted(), marks={"n1": ['x" onclick="alert(1)']}), ViewOptionError, "marks", r"class|identifier|name"),
    Case("to_dot-expanded-string", lambda _: toolkit.to_dot(scripted(), expanded="m:layer1"), ViewOptionError, "expanded", r"collection"),
    Case("to_dot-edge-labels-string", lambda _: toolkit.to_dot(scripted(), edge_labels="yes"), ViewOptionError, "edge_labels", r"True or False"),
    Case("to_dot-options-dict", lambda _: toolkit.to_dot(scripted(), options={}), ViewOptionError, "options", r"is a dict"),
    Case("to_dot-unknown-option", lambda _: toolkit.to_dot(scripted(), bogus_option=1), ViewOptionError, "bogus_option", r"unknown|not an option"),
    Case("to_dot-method-empty", lambda _: toolkit.to_dot(scripted(), method=""), ViewOptionError, "method", r"method name"),
    Case("to_dot-inlined-string", lambda _: toolkit.to_dot(scripted(), inlined="no"), ViewOptionError, "inlined", r"True or False"),
    Case("to_dot-none", lambda _: toolkit.to_dot(None), NotTorchScriptError, "NoneType", r"not|no graph"),
    Case("show-none", lambda _: toolkit.show(None), NotTorchScriptError, "NoneType", r"not|no graph"),
    Case("show-depth-float", lambda _: toolkit.show(scripted(), depth=1.5), ViewOptionError, "depth", r"int"),
    Case("show-rankdir-int", lambda _: toolkit.show(scripted(), rankdir=1), ViewOptionError, "rankdir", r"'TB' or 'LR'"),
    Case("show-per-op-string", lambda _: toolkit.show(scripted(), per_op="x"), ViewOptionError, "per_op", r"True or False"),
    # toolkit.code
    Case("code-none", lambda _: toolkit.code(None), NotTorchScriptError, "NoneType", r"no TorchScript code"),
    Case("code-eager-module", lambda _: toolkit.code(linear()), NotTorchScriptError, "Linear", r"no TorchScript code"),
    Case("code-int", lambda _: toolkit.code(42), NotTorchScriptError, "int", r"no TorchScript code"),
    # toolkit.compare
    Case("compare-no-inputs", lambda _: toolkit.compare(linear(), None), MissingExampleInputsError, "example inputs", r"needs|without|no example"),
    Case("compare-against-unknown", lambda _: toolkit.compare(linear(), (x4(),), against="onnx"), ViewOptionError, "onnx", r"against"),
    Case("compare-depth-string", lambda _: toolkit.compare(linear(), (x4(),), depth="a"), ViewOptionError, "depth", r"int"),
    Case("compare-exported-without-export", lambda _: toolkit.compare(linear(), (x4(),), exported=object()), ViewOptionError, "exported", r"export side"),
    Case("compare-wrong-shape", lambda _: toolkit.compare(linear(), (torch.ones(3, 5),)), TracingError, "Linear", r"shape|size|multipl"),
    Case("compare-none-model", lambda _: toolkit.compare(None, (x4(),)), NotTorchScriptError, "None", r"needs an nn.Module"),
    Case("compare-check-trace-string", lambda _: toolkit.compare(linear(), (x4(),), check_trace="no"), ViewOptionError, "check_trace", r"True or False"),
    Case("compare-method-missing", lambda _: toolkit.compare(linear(), (x4(),), method="decode"), NotTorchScriptError, "decode", r"has no method"),
    Case("compare-user-key-error", lambda _: toolkit.compare(LooksUp(), (x4(),)), TracingError, "KeyError", r"could not run LooksUp"),
    # toolkit.check_trace
    Case("check_trace-no-inputs", lambda _: toolkit.check_trace(linear(), None), MissingExampleInputsError, "example inputs", r"needs|without|no example"),
    Case("check_trace-budget-string", lambda _: toolkit.check_trace(linear(), (x4(),), budget_s="10"), CheckOptionsError, "budget_s", r"number|seconds"),
    Case("check_trace-budget-nan", lambda _: toolkit.check_trace(linear(), (x4(),), budget_s=math.nan), CheckOptionsError, "budget_s", r"nan|number|positive"),
    Case("check_trace-budget-negative", lambda _: toolkit.check_trace(linear(), (x4(),), budget_s=-1), CheckOptionsError, "budget_s", r"greater than|positive|negative"),
    Case("check_trace-options-unknown-key", lambda _: toolkit.check_trace(linear(), (x4(),), options={"bogus": 1}), CheckOptionsError, "bogus", r"neither a torch\.jit\.trace argument"),
    Case("check_trace-check-inputs-string", lambda _: toolkit.check_trace(linear(), (x4(),), check_inputs="x"), CheckOptionsError, "check_inputs", r"sequence|list|tuple"),
    Case("check_trace-wrong-shape", lambda _: toolkit.check_trace(linear(), (torch.ones(3, 5),)), TracingError, "Linear", r"shape|size|multipl"),
    Case("check_trace-none-model", lambda _: toolkit.check_trace(None, (x4(),)), TracingError, "None", r"needs an nn.Module"),
    # toolkit.check_script
    Case("check_script-none", lambda _: toolkit.check_script(None), NotTorchScriptError, "None", r"needs an nn.Module"),
    Case("check_script-int", lambda _: toolkit.check_script(42), NotTorchScriptError, "int", r"needs an nn.Module"),
    Case("check_script-rounds-zero", lambda _: toolkit.check_script(linear(), max_rounds=0), ViewOptionError, "max_rounds", r"positive|at least"),
    Case("check_script-rounds-string", lambda _: toolkit.check_script(linear(), max_rounds="a"), ViewOptionError, "max_rounds", r"int"),
    # toolkit.pipeline.script
    Case("pipeline.script-none", lambda _: tp.script(None), PipelineError, "None", r"not a (model|module|function|file)"),
    Case("pipeline.script-device-cpu7", lambda _: tp.script(linear(), device="cpu:7"), DeviceError, "cpu:7", r"one CPU|no CPU 7|only 'cpu'|not a device"),
    Case("pipeline.script-device-tpu", lambda _: tp.script(linear(), device="tpu"), DeviceError, "tpu", r"not a device"),
    Case("pipeline.script-device-missing-gpu", lambda _: tp.script(linear(), device=99), DeviceError, "99", r"no GPU|does not exist|not available"),
    Case("pipeline.script-output-to-cpu-string", lambda _: tp.script(linear(), output_to_cpu="yes"), PipelineError, "output_to_cpu", r"True or False"),
    Case("pipeline.script-trace-func-int", lambda _: tp.script(linear(), trace_func=3), PipelineError, "trace_func", r"callable|function"),
    Case("pipeline.script-missing-file", lambda here: tp.script(str(here / "nope.pt")), PipelineError, "nope.pt", r"no such file"),
    Case("pipeline.script-example-inputs-short", lambda _: tp.script(cell, device="cpu", example_inputs=[x4()]), PipelineError, "'h'", r"missing|takes"),
    # toolkit.pipeline.trace
    Case("pipeline.trace-none", lambda _: tp.trace(None, x4()), PipelineError, "None", r"not (a )?callable|function"),
    Case("pipeline.trace-no-examples", lambda _: tp.trace(cell), PipelineError, "example", r"needs|missing|no example"),
    Case("pipeline.trace-fn-raises", lambda _: tp.trace(lambda x: x.no_such_method(), x4()), PipelineError, "no_such_method", r"has no attribute|failed"),
    # Pipeline.run / __call__
    Case("pipeline.run-missing-input", lambda p: p.run({}), FeedError, "'x'", r"missing", prepare=lambda _: cell_pipeline()),
    Case("pipeline.run-extra-input", lambda p: p.run({"x": x4(), "zz": 1}), FeedError, "zz", r"unexpected|extra|unknown", prepare=lambda _: cell_pipeline()),
    Case("pipeline.run-string-input", lambda p: p.run({"x": "text"}), FeedError, "'x'", r"tensor|str", prepare=lambda _: cell_pipeline()),
    Case("pipeline.run-feed-none", lambda p: p.run(None), FeedError, "NoneType", r"mapping|dict", prepare=lambda _: cell_pipeline()),
    Case("pipeline.call-unknown-keyword", lambda p: p(x=x4(), bogus=1), FeedError, "bogus", r"unexpected|extra|unknown", prepare=lambda _: cell_pipeline()),
    Case("pipeline.run-wrong-shape", lambda p: p.run({"x": torch.ones(3, 5)}), PipelineError, "3, 5", r"shape|size|multipl", prepare=lambda _: cell_pipeline()),
    # Pipeline.save
    Case("pipeline.save-empty-path", lambda p: p.save(""), PipelineError, "''", r"empty|no path|not a path", prepare=lambda _: cell_pipeline()),
    Case("pipeline.save-missing-folder", lambda p: p[0].save(p[1] / "missing" / "p.pt"), PipelineError, "missing", r"does not exist", prepare=lambda here: (cell_pipeline(), here)),
    Case("pipeline.save-path-int", lambda p: p.save(3), PipelineError, "3", r"path", prepare=lambda _: cell_pipeline()),
    Case("pipeline.save-name-escapes", lambda p: p[0].save(p[1], name="../evil"), PipelineError, "../evil", r"name|folder|separator", prepare=lambda here: (cell_pipeline(), here)),
    Case("pipeline.save-name-empty", lambda p: p[0].save(p[1], name=""), PipelineError, "name", r"empty|name", prepare=lambda here: (cell_pipeline(), here)),
    Case("pipeline.save-folder-is-file", lambda p: p[0].save(p[1], name="a"), PipelineError, "taken", r"is a file", prepare=lambda here: (cell_pipeline(), write(here, "taken", "x"))),
    Case("pipeline.save-rename-fails", lambda p: p[0].save(p[1]), PipelineError, "pipeline.pt", r"directory|cannot|could not|failed",
         prepare=lambda here: (cell_pipeline(), _blocked_target(here))),
    # toolkit.pipeline.load
    Case("pipeline.load-missing", lambda here: tp.load(here / "nope.pt", "cpu"), PipelineError, "nope.pt", r"no such file"),
    Case("pipeline.load-device-tpu", lambda path: tp.load(path, "tpu"), DeviceError, "tpu", r"not a device", prepare=saved_pipeline),
    Case("pipeline.load-device-cpu7", lambda path: tp.load(path, "cpu:7"), DeviceError, "cpu:7", r"one CPU|no CPU 7|only 'cpu'|not a device", prepare=saved_pipeline),
    Case("pipeline.load-garbage-bytes", lambda path: tp.load(path, "cpu"), PipelineError, "junk.pt", r"not a (saved )?pipeline|not a TorchScript|cannot read|corrupt",
         prepare=lambda here: write(here, "junk.pt", b"\x00garbage" * 64)),
    Case("pipeline.load-empty-folder", lambda here: tp.load(here, "cpu"), PipelineError, "no pipeline", r"no pipeline|holds no"),
    Case("pipeline.load-plain-torchscript", lambda path: tp.load(path, "cpu"), PipelineError, "plain.pt", r"not a (saved )?pipeline|no toolkit|Pipeline.save", prepare=not_a_pipeline),
    Case("pipeline.load-name-on-file", lambda path: tp.load(path, "cpu", name="x"), PipelineError, "name=", r"not a folder", prepare=saved_pipeline),
    Case("pipeline.load-spec-invalid-json", lambda path: tp.load(path, "cpu"), PipelineError, "p.json", r"JSON|spec",
         prepare=lambda here: write(here, "p.json", "{not json")),
    Case("pipeline.load-meta-invalid-json", lambda path: tp.load(path, "cpu"), PipelineError, "meta.json", r"JSON",
         prepare=lambda here: rewritten_archive(here, meta=lambda text: text[: len(text) // 2])),
    Case("pipeline.load-meta-missing-ops", lambda path: tp.load(path, "cpu"), PipelineError, "ops", r"missing|required",
         prepare=lambda here: rewritten_archive(here, meta=edit_meta(_drop("ops")))),
    Case("pipeline.load-meta-unknown-field", lambda path: tp.load(path, "cpu"), PipelineError, "surprise", r"unknown|unexpected",
         prepare=lambda here: rewritten_archive(here, meta=edit_meta(_set("surprise", 1)))),
    Case("pipeline.load-meta-wrong-type", lambda path: tp.load(path, "cpu"), PipelineError, "ops", r"list|array|type",
         prepare=lambda here: rewritten_archive(here, meta=edit_meta(_set("ops", "not a list")))),
    Case("pipeline.load-meta-not-an-object", lambda path: tp.load(path, "cpu"), PipelineError, "meta.json", r"object|mapping|dict",
         prepare=lambda here: rewritten_archive(here, meta=lambda _text: "[1, 2, 3]")),
    Case("pipeline.load-meta-unknown-op", lambda path: tp.load(path, "cpu"), PipelineError, "op_404", r"not in ops|no (such )?op|unknown",
         prepare=lambda here: rewritten_archive(here, meta=edit_meta(_first_op(lambda op: op.__setitem__("attr", "op_404"))))),
    Case("pipeline.load-meta-future-version", lambda path: tp.load(path, "cpu"), PipelineError, "version", r"newer|unknown|not supported|version 99",
         prepare=lambda here: rewritten_archive(here, meta=edit_meta(_set("version", 99)))),
    Case("pipeline.load-garbage-examples", lambda path: tp.load(path, "cpu"), PipelineError, "examples.pt", r"not|corrupt|cannot read",
         prepare=lambda here: rewritten_archive(here, examples=b"\x80\x02garbage")),
    # Pipeline.profile / warmup
    Case("pipeline.profile-none", lambda _: tp.profile(None), PipelineError, "None", r"not a Pipeline|pipeline"),
    Case("pipeline.profile-bad-feed", lambda p: tp.profile(p, {"x": "text"}), FeedError, "'x'", r"tensor|str", prepare=lambda _: cell_pipeline()),
    Case("pipeline.profile-warmup-negative", lambda p: tp.profile(p, warmup=-1), PipelineError, "warmup", r"negative|at least|>= ?0", prepare=lambda _: cell_pipeline()),
    Case("pipeline.warmup-runs-zero", lambda p: p.warmup(runs=0), PipelineError, "runs", r"positive|at least", prepare=lambda _: cell_pipeline()),
    Case("pipeline.warmup-runs-string", lambda p: p.warmup(runs="a"), PipelineError, "runs", r"int", prepare=lambda _: cell_pipeline()),
    Case("pipeline.warmup-missing-input", lambda p: p.warmup({}), FeedError, "'x'", r"missing", prepare=lambda _: cell_pipeline()),
    # toolkit.partition
    Case("partition.trace-no-inputs", lambda _: tpart.trace(linear(), None), MissingExampleInputsError, "example_inputs", r"needs|without|no example"),
    Case("partition.trace-none-model", lambda _: tpart.trace(None, (x4(),)), TracingError, "None", r"neither an nn.Module|needs an nn.Module"),
    Case("partition.trace-segment-size-float", lambda _: tpart.trace(linear(), (x4(),), minimum_segment_size=1.5), PartitionError, "minimum_segment_size", r"int"),
    Case("partition.trace-segment-size-string", lambda _: tpart.trace(linear(), (x4(),), minimum_segment_size="a"), PartitionError, "minimum_segment_size", r"int"),
    Case("partition.trace-compiler-args-string", lambda _: tpart.trace(linear(), (x4(),), compiler_args="-O2"), PartitionError, "compiler_args", r"list|sequence|string"),
    Case("partition.trace-compiler-timeout-negative", lambda _: tpart.trace(linear(), (x4(),), compiler_timeout=-1), PartitionError, "compiler_timeout", r"0 or more|positive|negative"),
    Case("partition.trace-workdir-is-file", lambda path: tpart.trace(linear(), (x4(),), compiler_workdir=str(path)), PartitionError, "workdir", r"could not create|is a file|not a folder",
         prepare=lambda here: write(here, "workdir", "x")),
    Case("partition.trace-supported-int", lambda _: tpart.trace(linear(), (x4(),), supported=42), PartitionError, "supported", r"set|collection|callable"),
    Case("partition.trace-device-tpu", lambda _: tpart.trace(linear(), (x4(),), device="tpu"), PartitionError, "tpu", r"not a device"),
    Case("partition.trace-options-dict", lambda _: tpart.trace(linear(), (x4(),), options={}), PartitionError, "options", r"PartitionOptions|is a dict"),
    Case("partition.trace-option-twice", lambda _: tpart.trace(linear(), (x4(),), options=tpart.PartitionOptions(), minimum_segment_size=3), PartitionError, "minimum_segment_size", r"once|both"),
    Case("partition.plan_of-eager", lambda _: tpart.plan_of(linear()), PartitionError, "Linear", r"no partition plan"),
    Case("partition.plan_of-none", lambda _: tpart.plan_of(None), PartitionError, "NoneType", r"no partition plan"),
    Case("partition.plan_of-corrupt-plan", lambda _: tpart.plan_of(torch.jit.script(PlanHolder())), PartitionError, "partition_plan", r"corrupt|not a (valid )?plan|cannot read|JSON"),
    Case("partition.analyze_model-no-inputs", lambda _: tpart.analyze_model(linear(), None), MissingExampleInputsError, "example_inputs", r"needs|without|no example"),
    Case("partition.analyze_model-none-model", lambda _: tpart.analyze_model(None, (x4(),)), TracingError, "None", r"neither an nn.Module|needs an nn.Module"),
    Case("partition.analyze_model-segment-size-negative", lambda _: tpart.analyze_model(linear(), (x4(),), minimum_segment_size=-1), PartitionError, "minimum_segment_size", r"non-negative"),
    Case("partition.analyze_model-supported-int", lambda _: tpart.analyze_model(linear(), (x4(),), supported=42), PartitionError, "supported", r"set|collection|callable"),
    Case("partition.analyze_model-device-tpu", lambda _: tpart.analyze_model(linear(), (x4(),), device="tpu"), PartitionError, "tpu", r"not a device"),
    # python -m toolkit.widgets.notebook_state
    Case("notebook_state-missing-file", lambda here: notebook_state.main([str(here / "nope.ipynb")]), NotebookStateError, "nope.ipynb", r"no such file|does not exist"),
    Case("notebook_state-invalid-json", cli(), NotebookStateError, "bad.ipynb", r"invalid JSON", prepare=lambda here: write(here, "bad.ipynb", "{nope")),
    Case("notebook_state-json-list", cli(), NotebookStateError, "list.ipynb", r"no 'cells'|not a notebook", prepare=lambda here: write(here, "list.ipynb", "[1, 2]")),
    Case("notebook_state-directory", cli(), NotebookStateError, "folder.ipynb", r"folder|directory", prepare=lambda here: _mkdir(here / "folder.ipynb")),
    Case("notebook_state-binary", cli(), NotebookStateError, "binary.ipynb", r"UTF-8|not text|invalid", prepare=lambda here: write(here, "binary.ipynb", b"\xff\xfe\x00garbage")),
    Case("notebook_state-cells-not-list", cli(), NotebookStateError, "cells.ipynb", r"cells", prepare=lambda here: write(here, "cells.ipynb", '{"cells": 3, "metadata": {}}')),
    Case("notebook_state-metadata-list", cli(), NotebookStateError, "meta.ipynb", r"metadata", prepare=lambda here: write(here, "meta.ipynb", '{"cells": [], "metadata": []}')),
    Case("notebook_state-check-invalid-json", cli("--check"), NotebookStateError, "bad.ipynb", r"invalid JSON", prepare=lambda here: write(here, "bad.ipynb", "")),
]


def _blocked_target(here: Path) -> Path:
    """A folder whose ``pipeline.pt`` is a non-empty folder: saving there must fail at the rename."""
    (here / "out" / "pipeline.pt").mkdir(parents=True)
    (here / "out" / "pipeline.pt" / "keep").write_text("keep", encoding="utf-8")
    return here / "out"


def _mkdir(path: Path) -> Path:
    path.mkdir()
    return path


def prepared(case: Case, folder: Path) -> Any:
    """What ``case.call`` receives: ``prepare``'s result, or the folder."""
    return case.prepare(folder) if case.prepare is not None else folder


def listing(folder: Path) -> dict[str, int]:
    """Every path under ``folder`` with its size (-1 for folders), to see what a call left behind."""
    found = {}
    for root, dirs, files in os.walk(folder):
        for name in dirs:
            found[os.path.relpath(os.path.join(root, name), folder)] = -1
        for name in files:
            path = os.path.join(root, name)
            found[os.path.relpath(path, folder)] = os.path.getsize(path) if os.path.exists(path) else -2
    return found




def torch_frames(text: str) -> list[str]:
    """The traceback lines of ``text`` that point into torch's own files."""
    return [line for line in text.splitlines() if line.lstrip().startswith("File ") and TORCH_DIR in line]


TORCH_DIR = os.path.dirname(torch.__file__) + os.sep


@dataclass(frozen=True)
class Outcome:
    """What one row did: the exception (or None), what a student sees, and the files it left."""

    error: BaseException | None
    shown: str
    left: dict[str, int]


def what_a_notebook_prints(error: BaseException) -> str:
    """The traceback a student sees when a notebook cell raises ``error``.

    IPython's ``showtraceback`` asks the exception for ``_render_traceback_`` and prints its lines
    when it has one (every ToolkitError does); otherwise it prints the whole chained traceback,
    as ``traceback.format_exception`` does.
    """
    render = getattr(error, "_render_traceback_", None)
    if callable(render):
        return "\n".join(render()) + "\n"
    return "".join(traceback.format_exception(error))


def run_case(case: Case, root: Path) -> Outcome:
    """Run ``case`` with ``root/work`` as the current folder; list ``root`` before and after."""
    work = root / "work"
    work.mkdir(parents=True, exist_ok=True)
    old = os.getcwd()
    os.chdir(work)
    try:
        argument = prepared(case, work)
        before = listing(root)
        error: BaseException | None = None
        try:
            case.call(argument)
        except Exception as exc:  # noqa: BLE001 - classifying every outcome is the point
            error = exc
        after = listing(root)
    finally:
        os.chdir(old)
    shown = what_a_notebook_prints(error) if error is not None else ""
    left = {path: size for path, size in after.items() if before.get(path) != size}
    return Outcome(error=error, shown=shown, left=left)


def problems(case: Case, outcome: Outcome) -> list[str]:
    """Every way ``outcome`` misses the house standard for ``case`` (empty when it meets it)."""
    found = []
    error = outcome.error
    if error is None:
        found.append(f"no error raised (wanted {case.error.__name__})")
    elif not isinstance(error, case.error):
        found.append(f"raised {type(error).__module__}.{type(error).__name__}, not {case.error.__name__}: {str(error)[:300]}")
    if error is not None:
        message = str(error)
        if case.names not in message:
            found.append(f"message does not name the input {case.names!r}: {message[:300]}")
        if not re.search(case.cause, message, flags=re.IGNORECASE):
            found.append(f"message does not give the cause /{case.cause}/: {message[:300]}")
        if FIX_MARKER not in message:
            found.append(f"message has no {FIX_MARKER!r}: {message[:300]}")
        if "weights_only=False" in message:
            found.append("message advises weights_only=False (unsafe loading)")
        frames = torch_frames(outcome.shown)
        if frames:
            found.append(f"{len(frames)} torch frame(s) shown, first: {frames[0].strip()}")
        if "The above exception was the direct cause" in outcome.shown or "During handling of the above exception" in outcome.shown:
            found.append("a chained traceback is printed above our message")
    if outcome.left:
        found.append(f"files left behind: {sorted(outcome.left)}")
    return found
