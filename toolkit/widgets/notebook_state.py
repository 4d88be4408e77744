"""The committed form of a notebook: static pictures that every front end shows, no widget state.

Why: a reopened notebook shows each output's best MIME type. An output that still names a widget
model shows "Error displaying widget: model not found" in JupyterLab and Notebook 7 when the
model is not in the notebook's saved state (JupyterLab saves none by default), even though the
same output carries a static picture. And ``nbconvert --execute`` (or JupyterLab with "Save
Widget State Automatically") stores every widget's state in ``metadata.widgets``: for these
views the graph data, and once per notebook the 850 kB front-end bundle.

:func:`strip_widget_state` turns widget outputs into their static form: it removes
``metadata.widgets`` and, from each output that *also* has a static picture (SVG, PNG or HTML),
the widget reference. Outputs that have nothing but the widget are left alone. nbval never
compares widget references, so converted notebooks still pass ``pytest --nbval``.

:func:`untrusted_gaps` lists outputs that would show no picture in an *untrusted* notebook
(anyone else's, or a lesson fresh from the repository): there JupyterLab refuses
``image/svg+xml`` and sanitises HTML, dropping inline ``<svg>``. The toolkit's own outputs carry
their picture as HTML holding an image (:mod:`toolkit.render.saved_picture`), which survives.
The conversion adds nothing here: the committed outputs must stay what a fresh run prints, or
nbval would fail, so a gap is fixed in the code that displays it.

The conversion is also what a teacher's own notebook needs before it is opened with *no kernel*
(JupyterLab's Open With > Notebook (no kernel)): there JupyterLab's widget manager never loads
the saved widget state (jupyterlab_widgets 3.0: its restore gives up when no kernel is set), so
a trusted output that still names a widget shows "Loading widget..." and never its picture
(``tests/browser/test_reopen_nokernel.py``).

Command line (``--check`` changes nothing and exits 1 when a file would change or has a gap)::

    python -m toolkit.widgets.notebook_state [--check] notebooks/*.ipynb
"""

from __future__ import annotations

import argparse
import json
import os
import stat
import sys
from pathlib import Path
from typing import Any, Sequence

from toolkit.errors import NotebookStateError
from toolkit.files import write_atomically
from toolkit.render.saved_picture import has_inline_svg

__all__ = ["notebook_gaps", "strip_notebook_file", "strip_widget_state", "untrusted_gaps"]

WIDGET_VIEW_MIME = "application/vnd.jupyter.widget-view+json"
_STATIC_MIMES = ("image/svg+xml", "image/png", "text/html")
_SAFE_PICTURES = ("image/png", "image/jpeg", "image/gif")


def strip_widget_state(notebook: dict[str, Any]) -> bool:
    """Remove widget state and widget references that have a static alternative, in place.

    Args:
        notebook: a notebook as parsed JSON (nbformat 4).

    Returns:
        True when something was removed.
    """
    changed = notebook.get("metadata", {}).pop("widgets", None) is not None
    for cell in notebook.get("cells", []):
        for output in cell.get("outputs", []) if cell.get("cell_type") == "code" else []:
            data = output.get("data")
            if isinstance(data, dict) and WIDGET_VIEW_MIME in data and any(m in data for m in _STATIC_MIMES):
                del data[WIDGET_VIEW_MIME]
                changed = True
    return changed


def untrusted_gaps(notebook: dict[str, Any]) -> list[str]:
    """Where an untrusted notebook would show text instead of a picture, one line each.

    A gap is an SVG output without a safe stand-in (a PNG, or HTML that holds no inline
    ``<svg>``), or HTML whose pictures are inline ``<svg>`` (the sanitiser removes them).
    """
    gaps: list[str] = []
    for number, cell in enumerate(c for c in notebook.get("cells", []) if c.get("cell_type") == "code"):
        for output in cell.get("outputs", []):
            data = output.get("data")
            if not isinstance(data, dict):
                continue
            markup = _text(data.get("text/html", ""))
            if markup and has_inline_svg(markup):
                gaps.append(f"code cell {number}: its HTML draws inline <svg>, which an untrusted notebook removes")
            elif "image/svg+xml" in data and not markup and not any(m in data for m in _SAFE_PICTURES):
                gaps.append(f"code cell {number}: only image/svg+xml, which an untrusted notebook does not show")
    return gaps


def _text(value: Any) -> str:
    """A notebook string field, stored either as one string or as a list of lines."""
    return "".join(value) if isinstance(value, list) else str(value)


def notebook_gaps(path: str | os.PathLike[str]) -> list[str]:
    """:func:`untrusted_gaps` of one ``.ipynb`` file (same errors as :func:`strip_notebook_file`)."""
    return untrusted_gaps(_read_notebook(Path(path)))


def strip_notebook_file(path: str | os.PathLike[str], *, check: bool = False) -> bool:
    """Strip one ``.ipynb`` file (atomically); with ``check``, only report.

    Returns:
        True when the file had (or, with ``check``, would have had) something removed.

    Raises:
        NotebookStateError: the file cannot be read (missing, a folder, not UTF-8 text) or is not
            a notebook (bad JSON, no ``cells`` list, ``metadata`` not an object), naming the file.
    """
    path = Path(path)
    notebook = _read_notebook(path)
    changed = strip_widget_state(notebook)
    if changed and not check:
        text = json.dumps(notebook, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
        write_atomically(path, text, mode=stat.S_IMODE(path.stat().st_mode))  # keep the notebook's mode
    return changed


def _read_notebook(path: Path) -> dict[str, Any]:
    """Parse ``path`` as a notebook, or raise :class:`NotebookStateError` naming the file and the cause."""
    fix = "Fix: pass .ipynb files."
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise NotebookStateError(f"{path}: no such file. {fix}") from None
    except IsADirectoryError:
        raise NotebookStateError(f"{path} is a directory (folder), not a notebook file. {fix}") from None
    except UnicodeDecodeError as exc:
        raise NotebookStateError(
            f"{path} is not a notebook: not UTF-8 text (invalid byte at offset {exc.start}). {fix}"
        ) from None
    except OSError as exc:
        raise NotebookStateError(f"{path} cannot be read: {exc.strerror or exc}. {fix}") from None
    try:
        notebook = json.loads(text)
    except json.JSONDecodeError as exc:
        raise NotebookStateError(f"{path} is not a notebook: invalid JSON ({exc}). {fix}") from None
    if not isinstance(notebook, dict) or "cells" not in notebook:
        raise NotebookStateError(f"{path} is not a notebook: it has no 'cells'. {fix}")
    if not isinstance(notebook["cells"], list):
        raise NotebookStateError(
            f"{path} is not a notebook: its 'cells' is a {type(notebook['cells']).__name__}, not a list. {fix}"
        )
    odd = next((i for i, cell in enumerate(notebook["cells"]) if not isinstance(cell, dict)), None)
    if odd is not None:
        raise NotebookStateError(
            f"{path} is not a notebook: cell {odd} in 'cells' is a {type(notebook['cells'][odd]).__name__}, not an object. {fix}"
        )
    if not isinstance(notebook.get("metadata", {}), dict):
        raise NotebookStateError(
            f"{path} is not a notebook: its 'metadata' is a {type(notebook['metadata']).__name__}, not an object. {fix}"
        )
    return notebook


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m toolkit.widgets.notebook_state", description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument(
        "--check", action="store_true",
        help="change nothing; exit 1 if a file carries widget state or shows no picture when untrusted",
    )
    args = parser.parse_args(argv)
    dirty = [p for p in args.notebooks if strip_notebook_file(p, check=args.check)]
    for p in dirty:
        print(f"{'would strip' if args.check else 'stripped'} widget state: {p}")
    if not args.check:
        return 0
    gaps = [(p, gap) for p in args.notebooks for gap in notebook_gaps(p)]
    for p, gap in gaps:
        print(f"no picture when untrusted: {p}: {gap}")
    if gaps:
        print("Fix: re-execute the notebook with this toolkit (its views carry a safe picture), then run"
              " python -m toolkit.widgets.notebook_state on it.")
    return 1 if (dirty or gaps) else 0


if __name__ == "__main__":
    sys.exit(main())
