"""Saved notebooks keep the static pictures and lose the widget state (notebook_state.py)."""

from __future__ import annotations

import base64
import copy
import json
import os
import re
import stat
import sys

import pytest

from toolkit.errors import NotebookStateError
from toolkit.widgets.notebook_state import WIDGET_VIEW_MIME, main, strip_notebook_file, strip_widget_state, untrusted_gaps
from toolkit.render.saved_picture import image_only, inline_svgs_as_images, picture_html

VIEW = {"version_major": 2, "version_minor": 0, "model_id": "abc123"}
SVG = '<svg width="8pt" height="8pt"><g id="node:n1"><title>a &lt;b&gt;</title></g></svg>'
PICTURE = picture_html(SVG, title="<GraphView m>")


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
                        "data": {"text/plain": "<GraphView m>", "image/svg+xml": SVG, "text/html": PICTURE, WIDGET_VIEW_MIME: VIEW},
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
    assert set(shown) == {"text/plain", "image/svg+xml", "text/html"}
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
    assert stripped["cells"][1]["outputs"][0]["data"] == {"text/plain": "<GraphView m>", "image/svg+xml": SVG, "text/html": PICTURE}
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


# --- pictures an untrusted notebook shows -------------------------------------------------------


def test_the_saved_picture_is_an_escaped_image_of_the_svg_itself():
    markup = picture_html(SVG, title='<GraphView "x" & y>')
    encoded = base64.b64encode(image_only(SVG).encode()).decode()
    assert markup.startswith(f'<div class=\'tst-saved-picture\'><img src="data:image/svg+xml;base64,{encoded}"')
    assert 'alt="&lt;GraphView &quot;x&quot; &amp; y&gt;"' in markup and "<svg" not in markup
    assert "run the cell again for the interactive view" in markup
    assert picture_html(SVG, title="t") == picture_html(SVG, title="t")


def test_inline_svgs_in_our_html_become_images_and_the_rest_stays():
    markup = f"<div class='tst-compare'><b>a&lt;b</b>{SVG}<pre>code</pre>{SVG.replace('n1', 'n2')}</div>"
    converted = inline_svgs_as_images(markup, title="MyCell")
    images = re.findall(r'src="data:image/svg\+xml;base64,([^"]+)"', converted)
    assert [base64.b64decode(i).decode() for i in images] == [image_only(SVG), image_only(SVG.replace("n1", "n2"))]
    assert len(images) == 2
    assert "<svg" not in converted and "<b>a&lt;b</b>" in converted and "<pre>code</pre>" in converted


def output(data: dict) -> dict:
    return {"cell_type": "code", "execution_count": 1, "metadata": {}, "source": "", "outputs": [
        {"output_type": "display_data", "metadata": {}, "data": data}]}


@pytest.mark.parametrize(
    "data, gap",
    [
        ({"image/svg+xml": SVG, "text/plain": "g"}, "code cell 0: only image/svg+xml, which an untrusted notebook does not show"),
        ({"text/html": ["<div>", SVG, "</div>"], "text/plain": "c"}, "code cell 0: its HTML draws inline <svg>"),
        ({"image/svg+xml": SVG, "text/html": PICTURE, "text/plain": "g"}, None),
        ({"image/svg+xml": SVG, "image/png": "iVBOR", "text/plain": "g"}, None),
        ({"text/html": "<table><tr><td>no picture</td></tr></table>", "text/plain": "t"}, None),
    ],
    ids=["svg-only", "inline-svg-html", "toolkit-picture", "png", "plain-html"],
)
def test_untrusted_gaps_name_the_outputs_that_would_show_no_picture(data, gap):
    gaps = untrusted_gaps({"cells": [{"cell_type": "markdown", "source": ""}, output(data)], "metadata": {}})
    if gap is None:
        assert gaps == []
    else:
        assert len(gaps) == 1 and gaps[0].startswith(gap)


def test_check_fails_on_a_gap_and_says_how_to_fix_it(tmp_path, capsys):
    path = tmp_path / "old.ipynb"
    path.write_text(json.dumps({"cells": [output({"image/svg+xml": SVG, "text/plain": "g"})], "metadata": {}}))
    assert main([str(path)]) == 0  # nothing to strip; the conversion adds no pictures
    assert main(["--check", str(path)]) == 1
    out = capsys.readouterr().out
    assert f"no picture when untrusted: {path}: code cell 0: only image/svg+xml" in out
    assert "Fix: re-execute the notebook with this toolkit" in out


# --- make lab's settings (the browser checks them in tests/browser/test_reopen.py) ----------------

REPO = os.path.join(os.path.dirname(__file__), "..", "..")


def test_make_lab_puts_its_settings_folder_on_the_jupyter_config_path():
    makefile = open(os.path.join(REPO, "Makefile"), encoding="utf-8").read()
    recipe = makefile.split("\nlab:", 1)[1].split("\n\n", 1)[0]
    assert 'JUPYTER_CONFIG_PATH="$(CURDIR)/scripts/jupyter' in recipe and "jupyter lab" in recipe


def test_every_default_setting_names_a_real_plugin_setting_with_a_valid_value():
    # A misspelt plugin id or key would be ignored silently by JupyterLab.
    import jsonschema

    defaults = json.load(open(os.path.join(REPO, "scripts", "jupyter", "labconfig", "default_setting_overrides.json")))
    share = os.path.join(sys.prefix, "share", "jupyter")
    schema_dirs = [os.path.join(share, "lab", "schemas")] + [
        os.path.join(share, "labextensions", package, "schemas")
        for package in ("@jupyter-widgets/jupyterlab-manager",)
    ]
    assert set(defaults) == {"@jupyter-widgets/jupyterlab-manager:plugin", "@jupyterlab/apputils-extension:notification"}
    for plugin, values in defaults.items():
        package, name = plugin.split(":")
        path = next(p for d in schema_dirs if os.path.exists(p := os.path.join(d, package, f"{name}.json")))
        schema = json.load(open(path))
        assert set(values) <= set(schema["properties"]), plugin
        jsonschema.validate(values, schema)
