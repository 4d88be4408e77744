"""Keep widget state out of saved notebooks, so lesson files stay small and show pictures.

Why: ``nbconvert --execute`` (and JupyterLab with "Save Widget State Automatically") stores
every widget's state in ``metadata.widgets``: for these views, the graph data and once the
850 kB front-end bundle. And an output that still names a widget model shows "Error
displaying widget: model not found" in JupyterLab until its cell is run again, even though
the same output carries a static picture.

:func:`strip_widget_state` removes ``metadata.widgets`` and, from each output that *also*
has a static picture (SVG, PNG or HTML), the widget reference, so the saved notebook shows
the static fallback everywhere: GitHub, nbconvert, JupyterLab before the cell is re-run.
Outputs that have nothing but the widget are left alone. nbval never compares widget
references, so stripped notebooks still pass ``pytest --nbval``.

Command line (``--check`` changes nothing and exits 1 when a file would change)::

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

__all__ = ["strip_notebook_file", "strip_widget_state"]

WIDGET_VIEW_MIME = "application/vnd.jupyter.widget-view+json"
_STATIC_MIMES = ("image/svg+xml", "image/png", "text/html")


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
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if a file carries widget state")
    args = parser.parse_args(argv)
    dirty = [p for p in args.notebooks if strip_notebook_file(p, check=args.check)]
    for p in dirty:
        print(f"{'would strip' if args.check else 'stripped'} widget state: {p}")
    return 1 if (args.check and dirty) else 0


if __name__ == "__main__":
    sys.exit(main())
