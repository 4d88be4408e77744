"""The public API is curated, and importing the torch-only layers pulls in no notebook packages."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

import toolkit

REPO = Path(__file__).resolve().parents[1]
NOTEBOOK_PACKAGES = ("ipywidgets", "anywidget", "graphviz", "IPython", "jupyter_client", "matplotlib")


def test_exported_members_are_exactly_all():
    public = {name for name in dir(toolkit) if not name.startswith("_")}
    submodules = {"analysis", "capture", "errors", "files", "frames", "ir", "magics", "render", "views", "widgets", "words"}
    assert public - submodules == set(toolkit.__all__)
    for name in toolkit.__all__:
        assert getattr(toolkit, name) is not None


def test_every_error_is_a_toolkit_error():
    for name in toolkit.__all__:
        obj = getattr(toolkit, name)
        if isinstance(obj, type) and issubclass(obj, Exception):
            assert issubclass(obj, toolkit.ToolkitError), name


# Importing any of these must load no notebook package: they run where only torch is installed
# (toolkit itself loads render/widgets lazily).
TORCH_ONLY_IMPORTS = (
    "toolkit",
    "toolkit.ir",
    "toolkit.analysis",
    "toolkit.analysis.diff",
    "toolkit.capture",
    "toolkit.pipeline",
    "toolkit.partition",
    "toolkit.analysis.lost_flow",
    "toolkit.analysis.partition",
    "toolkit.analysis.partition.support",
)

# One interpreter imports torch (which every toolkit module imports first) and checks it loads no
# notebook package, then forks one child per module: each child imports its module into a clean
# toolkit state, as a fresh `python -c "import torch, <module>"` would, without paying torch's
# import (about a second of CPU) nine times. Where there is no fork, each module gets a fresh
# interpreter instead.
_DRIVER = r"""
import json, os, sys, traceback

def report(error=None):
    return {"loaded": sorted({m.split(".")[0] for m in sys.modules}), "error": error}

def import_one(module):
    try:
        __import__(module)
        return report()
    except BaseException:
        return report(traceback.format_exc())

modules = sys.argv[1:]
if not hasattr(os, "fork"):
    print(json.dumps({modules[0]: import_one(modules[0])}))
    sys.exit(0)
results = {"torch": import_one("torch")}
for module in modules:
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        with os.fdopen(write, "w") as out:
            json.dump(import_one(module), out)
        os._exit(0)
    os.close(write)
    with os.fdopen(read) as child:
        text = child.read()
    os.waitpid(pid, 0)
    results[module] = json.loads(text) if text else report(f"the child importing {module} died")
print(json.dumps(results))
"""


def _run_driver(modules: tuple[str, ...]) -> dict[str, dict]:
    done = subprocess.run(
        [sys.executable, "-c", _DRIVER, *modules], cwd=REPO, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, f"the import driver failed:\n{done.stderr[-3000:]}"
    return json.loads(done.stdout.splitlines()[-1])


@pytest.fixture(scope="module")
def imports_in_fresh_processes() -> dict[str, dict]:
    """module -> {"loaded": top-level packages in sys.modules after importing it, "error": traceback or None}."""
    results = _run_driver(TORCH_ONLY_IMPORTS)
    for module in TORCH_ONLY_IMPORTS:
        if module not in results:  # no fork on this platform: one fresh interpreter per module
            results.update(_run_driver((module,)))
    return results


def test_torch_alone_loads_no_notebook_package(imports_in_fresh_processes):
    torch_only = imports_in_fresh_processes.get("torch")
    if torch_only is None:
        pytest.skip("no os.fork here: each module was checked in a fresh interpreter, torch included")
    assert torch_only["error"] is None, torch_only["error"]
    assert not set(torch_only["loaded"]) & set(NOTEBOOK_PACKAGES)


@pytest.mark.parametrize("module", TORCH_ONLY_IMPORTS)
def test_import_leaves_notebook_packages_out(imports_in_fresh_processes, module):
    result = imports_in_fresh_processes[module]
    assert result["error"] is None, f"import {module} failed:\n{result['error']}"
    loaded = set(result["loaded"]) & set(NOTEBOOK_PACKAGES)
    assert not loaded, f"import {module} loaded notebook packages {sorted(loaded)}"


def test_package_ships_py_typed():
    """Type hints are part of the API: toolkit/py.typed exists and is in the package data."""
    assert (REPO / "toolkit" / "py.typed").is_file()
    pyproject = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    package_data = re.search(r"^\[tool\.setuptools\.package-data\]\s*\ntoolkit\s*=\s*\[([^\]]*)\]", pyproject, re.M)
    assert package_data and '"py.typed"' in package_data.group(1), "add py.typed to [tool.setuptools.package-data]"


def test_the_calls_that_run_torch_raise_message_first():
    """Each is wrapped by errors.message_first, so from plain Python our message prints first,
    torch's error kept on ``torch_error`` (tests/test_errors.py shows what that prints)."""
    calls = [
        toolkit.trace, toolkit.script, toolkit.show, toolkit.compare, toolkit.check_trace, toolkit.check_script,
        toolkit.partition.trace, toolkit.pipeline.trace, toolkit.pipeline.script, toolkit.pipeline.load,
    ]
    unwrapped = [f"{c.__module__}.{c.__qualname__}" for c in calls if getattr(c, "__wrapped__", None) is None]
    assert unwrapped == []


def test_check_trace_from_plain_python_prints_our_message_first():
    import traceback

    import torch

    class Fails(torch.nn.Module):
        def forward(self, x):
            return x @ torch.ones(3)  # the inputs cannot be multiplied

    with pytest.raises(toolkit.TracingError) as caught:
        toolkit.check_trace(Fails(), (torch.ones(2),))
    error = caught.value
    printed = "".join(traceback.format_exception(error))
    # One exception printed, ours, with a line naming the one underneath; torch's is kept.
    assert "The above exception was the direct cause" not in printed and printed.count("Traceback (most recent call last)") == 1
    assert "toolkit.errors.TracingError: Fails fails in eager PyTorch on its own example inputs" in printed
    assert printed.rstrip().splitlines()[-1].startswith("(The error underneath, not shown: RuntimeError: inconsistent tensor size")
    assert type(error.torch_error) is RuntimeError
