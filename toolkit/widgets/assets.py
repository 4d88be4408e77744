"""The widget's front-end files, shipped in ``toolkit/widgets/static/``.

``toolkit-widgets.js`` is built from ``js/`` (``npm run build``) and committed, so installing
the package needs no Node. It holds the whole user interface and Graphviz as WebAssembly;
``loader.js`` is the few hundred bytes each widget carries.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

__all__ = ["BUNDLE_NAME", "LOADER_NAME", "bundle_problem", "read_asset", "static_dir"]

BUNDLE_NAME = "toolkit-widgets.js"
LOADER_NAME = "loader.js"


def static_dir() -> Path:
    """The folder holding the built front-end files."""
    return Path(str(resources.files("toolkit.widgets").joinpath("static")))


def read_asset(name: str) -> str:
    """The text of one front-end file."""
    return (static_dir() / name).read_text(encoding="utf-8")


def bundle_problem(directory: Path | None = None) -> str:
    """Why the front-end bundle cannot be used, or ``""`` when it is fine."""
    folder = directory if directory is not None else static_dir()
    path = folder / BUNDLE_NAME
    if not path.is_file():
        return (
            f"the widget bundle {path} is missing (a source checkout without the built file?)."
            " Fix: reinstall torchscript-toolkit, or run `npm ci && npm run build` in js/"
        )
    if path.stat().st_size < 1000:
        return f"the widget bundle {path} is truncated. Fix: reinstall torchscript-toolkit"
    return ""
