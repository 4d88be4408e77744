"""Every public call on real models: transformers, torch.nn's built-in layers and torchvision.

One module-scoped fixture per model (tests/real_models/corpus.py) traces, scripts and checks it
once; the tests read what those calls gave. A call may refuse a model with a ToolkitError (our
message, naming the cause and the fix); it may never let a raw torch or Python error out.
Models that take several seconds a call are marked slow (they still run in ``make test``).
"""

from __future__ import annotations

import inspect
import linecache
import re
import traceback
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable

import pytest
import torch

import toolkit
from tests.real_models import corpus as corpus_module
from tests.real_models.corpus import CORPUS, RealModel
from toolkit.ir import lint

MAX_DEFAULT_BOXES = 60

# The trace-specific Python decisions transformers makes from shapes, at their own file and line:
# a padding length computed from the mask's shape, and SDPA's is_causal chosen from the query length.
TRACE_SPECIFIC_LINES = {
    "gpt2": (
        ("transformers/masking_utils.py", "padding_length := kv_length + kv_offset - attention_mask.shape[-1]"),
        ("transformers/integrations/sdpa_attention.py", "is_causal = q_length > 1"),
    ),
    "bert": (
        ("transformers/masking_utils.py", "padding_length := kv_length + kv_offset - attention_mask.shape[-1]"),
        ("transformers/integrations/sdpa_attention.py", "is_causal = q_length > 1"),
    ),
}


@dataclass
class Calls:
    """What each public call gave one model: its result, or the ToolkitError it raised."""

    entry: RealModel
    model: torch.nn.Module
    inputs: tuple[Any, ...]
    results: dict[str, Any] = field(default_factory=dict)
    raw_errors: dict[str, str] = field(default_factory=dict)

    def run(self, name: str, call: Callable[[], Any]) -> Any:
        """Run ``call`` once; a ToolkitError is kept as the result. Any other error is a bug: it is
        kept, with where it was raised, for the test that fails on it, so the other tests still
        read the calls that worked."""
        if name not in self.results:
            try:
                self.results[name] = call()
            except toolkit.ToolkitError as refused:
                self.results[name] = refused
            except Exception as raw:  # noqa: BLE001 - recorded and failed on below
                frame = traceback.extract_tb(raw.__traceback__)[-1]
                self.raw_errors[name] = f"{type(raw).__name__}: {raw} (at {frame.filename}:{frame.lineno})"
                self.results[name] = None
        return self.results[name]

    def built(self, name: str) -> Any:
        """The call's result; ``None`` when it was refused or not made (no script of a transformers model)."""
        result = self.results.get(name)
        return None if isinstance(result, toolkit.ToolkitError) else result


def _params() -> list[Any]:
    return [pytest.param(entry, id=entry.name, marks=[pytest.mark.slow] if entry.slow else []) for entry in CORPUS]


@pytest.fixture(scope="module", params=_params())
def calls(request) -> Calls:
    entry: RealModel = request.param
    model, inputs = entry.build()
    done = Calls(entry, model, inputs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        done.run("trace", lambda: toolkit.trace(model, inputs, **dict(entry.trace_kwargs)))
        if entry.scriptable:
            done.run("script", lambda: toolkit.script(model))
        for side in ("trace", "script"):
            captured = done.results.get(side)
            if captured is not None and not isinstance(captured, toolkit.ToolkitError):
                done.run(f"show({side})", lambda c=captured: toolkit.show(c))
                done.run(f"code({side})", lambda c=captured: toolkit.code(c))
        strict = dict(entry.trace_kwargs).get("strict", True)
        done.run("compare", lambda: toolkit.compare(model, inputs, strict=strict))
        # The corpus's wrappers (`return self.model(...)`) are this suite's code, not the student's:
        # declared library code, so findings name the packages' own lines as a student's would.
        with toolkit.library_code(library=[corpus_module.__file__]):
            done.run("check_trace", lambda: toolkit.check_trace(model, inputs, options=dict(entry.trace_kwargs) or None))
    return done


def _line_at(location: str) -> tuple[str, str]:
    """``"path:12"`` -> ``(path, text of line 12)``."""
    file, _, line = location.rpartition(":")
    return (file, linecache.getline(file, int(line)).strip()) if line.isdigit() else (location, "")


def _captured(calls: Calls) -> dict[str, Any]:
    return {side: calls.built(side) for side in ("trace", "script") if calls.built(side) is not None}


def test_every_public_call_returns_or_refuses_with_a_toolkit_error(calls):
    """No raw error escapes a public call; a refusal reads as ours (a fix, no traceback dump)."""
    assert not calls.raw_errors, calls.raw_errors
    for name, result in calls.results.items():
        if isinstance(result, toolkit.ToolkitError):
            message = str(result)
            assert "Fix:" in message or "fix" in message.lower(), f"{name} refused without a fix: {message}"
            assert "Traceback (most recent call last)" not in message, f"{name} dumped a traceback: {message[:300]}"


def test_the_model_traces_and_scripts_where_torch_can(calls):
    if calls.entry.traceable:
        assert calls.built("trace") is not None, f"toolkit.trace refused: {calls.results['trace']}"
    else:
        assert isinstance(calls.results["trace"], toolkit.TracingError), calls.results["trace"]
    if calls.entry.scriptable:
        assert calls.built("script") is not None, f"toolkit.script refused: {calls.results['script']}"


def test_built_graphs_are_lint_clean(calls):
    built = _captured(calls)
    assert built, "nothing was built to lint"
    for side, captured in built.items():
        lint(captured.ir)


def test_the_default_view_draws_at_most_60_boxes(calls):
    built = _captured(calls)
    assert built
    for side in built:
        view = calls.built(f"show({side})")
        assert view is not None, f"toolkit.show({side}) refused: {calls.results[f'show({side})']}"
        boxes = view.visible_node_count()
        assert 0 < boxes <= MAX_DEFAULT_BOXES, f"the {side} view opens with {boxes} boxes"


def test_code_shows_the_method_of_every_built_graph(calls):
    for side in _captured(calls):
        view = calls.built(f"code({side})")
        assert view is not None, f"toolkit.code({side}) refused: {calls.results[f'code({side})']}"
        assert view.sections and all(section.text.strip() for section in view.sections)
        assert any(re.search(r"\bdef forward", section.text) for section in view.sections)


def test_compare_draws_the_trace_and_the_script(calls):
    view = calls.built("compare")
    assert view is not None, f"toolkit.compare refused: {calls.results['compare']}"
    if calls.entry.traceable:
        assert view.traced is not None, f"compare has no trace: {view.trace_error}"
    else:
        assert view.traced is None and view.trace_error, "an untraceable model's compare says why"
    if calls.entry.scriptable:
        assert view.scripted is not None, f"compare has no script: {view.scripting_error}"
    else:
        assert view.scripting_error, "a model torch cannot script says why"


def test_check_trace_reports_what_the_trace_really_loses(calls):
    """A report always; for torchvision's eval-mode models nothing proven (they trace faithfully);
    for the transformers models with hand-checked lines, those lines named at their own file."""
    report = calls.built("check_trace")
    assert report is not None, f"toolkit.check_trace refused: {calls.results['check_trace']}"
    if not calls.entry.traceable:
        assert report.trace_error, "check_trace of a model torch cannot trace says so"
        return
    assert not report.trace_error, report.trace_error
    if calls.entry.family == "torchvision":
        assert not report.proven, [f"{f.category} {f.file}:{f.line} {f.what}" for f in report.proven]
    named = [(f.file, f.source_line or "") for f in (*report.proven, *report.suspected)]
    named += [(w.file, w.source_line or "") for w in report.tracer_warnings]
    # A TracerWarning also keeps where it was raised: in library code that is the deciding line.
    named += [_line_at(w.raised_at) for w in report.tracer_warnings]
    for file_suffix, text in TRACE_SPECIFIC_LINES.get(calls.entry.name, ()):
        assert any(file.replace("\\", "/").endswith(file_suffix) and text in line for file, line in named), (
            f"nothing points at {file_suffix} `{text}`; the report names {sorted(set(named))}"
        )


@pytest.mark.parametrize("entry", [entry for entry in CORPUS if entry.partition], ids=lambda entry: entry.name)
def test_a_partitioned_model_computes_what_the_model_does(entry):
    """A few quick end-to-end partitions (tests/partition covers real models in depth)."""
    model, inputs = entry.build()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        partitioned = toolkit.partition.trace(model, inputs, device="cpu", **dict(entry.trace_kwargs))
    with torch.no_grad():
        expected, got = model(*inputs), partitioned(*inputs)
    torch.testing.assert_close(got, expected, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("entry", [pytest.param(e, id=e.name, marks=[pytest.mark.slow] if e.slow else []) for e in CORPUS if e.family == "torchvision"])
def test_nodes_without_a_module_are_the_root_forwards_own(entry):
    """A node the inliner left without a module hierarchy joins the module that called it, so in a
    torchvision model only the root's own ``forward`` (with TorchScript's built-ins, and nodes with
    no source) stays at the top: a detector's box helpers belong to its heads. (torch.nn's layers
    are left out: they call torch.nn.functional straight from their root ``forward``.)"""
    model, _ = entry.build()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scripted = toolkit.script(model)
    root_file = inspect.getsourcefile(type(model).forward)
    stray = [
        f"{n.id} {n.op} {n.source.short}"
        for n in scripted.ir.walk()
        if not n.scope.path and n.source is not None and n.source.file not in (root_file, "<string>")
    ]
    assert not stray, stray[:10]
    # The root's forward lines stay at the root (a classifier's forward may only call a helper method).
    body, first = inspect.getsourcelines(type(model).forward)
    own = [n for n in scripted.ir.walk() if n.source is not None and n.source.file == root_file and first <= n.source.line < first + len(body)]
    moved = [f"{n.id} {n.op} {n.source.short} -> {n.scope.dotted}" for n in own if n.scope.path]
    assert not moved, moved[:10]
