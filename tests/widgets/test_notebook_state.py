"""Saved notebooks keep the static pictures and lose the widget state (notebook_state.py)."""

from __future__ import annotations

import copy
import json
import os
import stat

import pytest

from toolkit.errors import NotebookStateError
from toolkit.widgets.notebook_state import WIDGET_VIEW_MIME, main, strip_notebook_file, strip_widget_state

VIEW = {"version_major": 2, "version_minor": 0, "model_id": "abc123"}


def notebook() -> dict:
    return {
        "cells": [
            {"cell_type": "markdown", "metadata": {}, "source": "# lesson"},
            {
                "cell_type": "code",
                "execution_count": 1,
                "metadata": {},
                "source": "toolkit.show(m)",
                "outputs": [
                    {
                        "output_type": "execute_result",
                        "execution_count": 1,
                        "metadata": {},
                        "data": {"text/plain": "<GraphView m>", "image/svg+xml": "<svg/>", WIDGET_VIEW_MIME: VIEW},
                    }
                ],
            },
            {
                "cell_type": "code",
                "execution_count": 2,
                "metadata": {},
                "source": "ipywidgets.IntSlider()",
                "outputs": [
                    {"output_type": "display_data", "metadata": {}, "data": {"text/plain": "IntSlider(value=0)", WIDGET_VIEW_MIME: VIEW}}
                ],
            },
        ],
        "metadata": {"widgets": {"application/vnd.jupyter.widget-state+json": {"state": {"abc123": {"state": {"_esm": "x" * 1000}}}}}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def test_strip_removes_state_and_widget_references_that_have_a_static_picture():
    nb = notebook()
    assert strip_widget_state(nb) is True
    assert "widgets" not in nb["metadata"]
    shown = nb["cells"][1]["outputs"][0]["data"]
    assert set(shown) == {"text/plain", "image/svg+xml"}
    # A widget with nothing static to fall back on is left as it was.
    assert WIDGET_VIEW_MIME in nb["cells"][2]["outputs"][0]["data"]
    assert strip_widget_state(nb) is False


def test_strip_file_is_atomic_keeps_the_mode_and_check_only_reports(tmp_path, capsys):
    path = tmp_path / "lesson.ipynb"
    path.write_text(json.dumps(notebook()))
    os.chmod(path, 0o644)
    before = path.read_text()
    assert main(["--check", str(path)]) == 1
    assert path.read_text() == before
    assert "would strip widget state" in capsys.readouterr().out
    assert main([str(path)]) == 0
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    stripped = json.loads(path.read_text())
    assert stripped["cells"][1]["outputs"][0]["data"] == {"text/plain": "<GraphView m>", "image/svg+xml": "<svg/>"}
    assert path.read_text().endswith("}\n") and [p.name for p in tmp_path.iterdir()] == ["lesson.ipynb"]
    assert main(["--check", str(path)]) == 0


def test_a_file_that_is_not_a_notebook_is_a_clear_error(tmp_path):
    bad = tmp_path / "notes.ipynb"
    bad.write_text("{not json")
    with pytest.raises(NotebookStateError, match=r"notes\.ipynb is not a notebook: invalid JSON .* Fix: pass \.ipynb files"):
        strip_notebook_file(bad)
    bad.write_text("[]")
    with pytest.raises(NotebookStateError, match=r"has no 'cells'"):
        strip_notebook_file(bad)


@pytest.mark.parametrize(
    "content, cause",
    [
        (None, r"no such file"),
        ("folder", r"is a directory \(folder\), not a notebook file"),
        (b"\xff\xfe\x00garbage", r"not UTF-8 text \(invalid byte at offset 0\)"),
        ('{"cells": 3, "metadata": {}}', r"its 'cells' is a int, not a list"),
        ('{"cells": [3], "metadata": {}}', r"cell 0 in 'cells' is a int, not an object"),
        ('{"cells": [], "metadata": []}', r"its 'metadata' is a list, not an object"),
    ],
    ids=["missing", "directory", "binary", "cells-not-list", "cell-not-object", "metadata-list"],
)
def test_a_file_that_cannot_be_read_as_a_notebook_is_a_clear_error_and_is_left_alone(tmp_path, content, cause):
    path = tmp_path / "odd.ipynb"
    if content == "folder":
        path.mkdir()
    elif isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content, encoding="utf-8")
    before = path.read_bytes() if path.is_file() else None
    with pytest.raises(NotebookStateError, match=rf"odd\.ipynb.*{cause}.* Fix: pass \.ipynb files"):
        main([str(path)])
    assert (path.read_bytes() if path.is_file() else None) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ([] if content is None else ["odd.ipynb"])


def test_the_committed_lessons_carry_no_widget_state():
    root = os.path.join(os.path.dirname(__file__), "..", "..", "notebooks")
    for name in sorted(os.listdir(root)):
        if name.endswith(".ipynb"):
            nb = json.load(open(os.path.join(root, name), encoding="utf-8"))
            assert strip_widget_state(copy.deepcopy(nb)) is False, f"{name}: run python -m toolkit.widgets.notebook_state notebooks/*.ipynb"
