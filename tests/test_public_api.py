"""The public API is curated, and importing the torch-only layers pulls in no notebook packages."""

from __future__ import annotations

import subprocess
import sys

import toolkit

NOTEBOOK_PACKAGES = ("ipywidgets", "anywidget", "graphviz", "IPython", "matplotlib")


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


def _imported_after(statement: str) -> set[str]:
    code = f"import sys\n{statement}\nprint(' '.join(sorted({{m.split('.')[0] for m in sys.modules}})))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return set(out.split())


def test_import_toolkit_leaves_notebook_packages_out():
    loaded = _imported_after("import toolkit")
    assert not loaded & set(NOTEBOOK_PACKAGES), loaded & set(NOTEBOOK_PACKAGES)


def test_torch_only_layers_leave_notebook_packages_out():
    loaded = _imported_after(
        "import toolkit.ir, toolkit.analysis, toolkit.analysis.diff, toolkit.capture, toolkit.pipeline,"
        " toolkit.partition, toolkit.analysis.lost_flow, toolkit.analysis.partition"
    )
    assert not loaded & set(NOTEBOOK_PACKAGES), loaded & set(NOTEBOOK_PACKAGES)
