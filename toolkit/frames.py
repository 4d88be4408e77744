"""Where code lives: library code (torch, installed packages, the standard library, the
toolkit, TorchScript's built-ins) or the user's (their files and notebook cells).

Every "which line of *your* code did this?" answer in the toolkit (a TracerWarning, a node's
traced source range, a failed trace, a tensor read as a Python value) walks frames outward
until it leaves library code; views fold library control flow and analyses never blame the user
for it. The one definition is here, decided from the file's path alone.

What counts as library code:

- torch, the toolkit and the standard library (and frozen modules);
- any installed package: a file under one of the interpreter's ``site-packages`` /
  ``dist-packages`` directories (torchvision, transformers, timm, ...), or under a ``sys.path``
  folder that pip installed packages into (it holds ``*.dist-info`` folders: ``pip install
  --target``, as the real-model tests do with torchvision);
- in graphs only, TorchScript's built-in helpers, whose source file is ``"<string>"``
  (``list_with_default`` from adaptive pooling): :func:`is_library_source`. Frames keep
  ``<string>`` as user code, because ``exec``'d user code has that file name too.

:func:`library_code` changes the rule: ``library=`` adds path prefixes (a vendored package in the
user's tree), ``user=`` takes prefixes back (an editable install of the package being taught).
"""

from __future__ import annotations

import contextlib
import linecache
import os
import re
import site
import sys
import sysconfig
from dataclasses import dataclass
from typing import Iterable, Iterator

import torch

__all__ = [
    "NOTEBOOK_CELL",
    "STDLIB_DIR",
    "TOOLKIT_DIR",
    "TORCH_DIR",
    "LibraryRule",
    "innermost_user_frame",
    "is_library_path",
    "is_library_source",
    "library_code",
    "library_rule",
    "display_file_name",
    "is_notebook_cell",
    "is_torch_path",
    "user_location_text",
]

TORCH_DIR = os.path.dirname(torch.__file__) + os.sep
TOOLKIT_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep
STDLIB_DIR = os.path.dirname(contextlib.__file__) + os.sep


def _installed_package_dirs() -> tuple[str, ...]:
    """Every directory installed packages live in, each ending in the path separator."""
    found: set[str] = set()
    for key in ("purelib", "platlib"):
        with contextlib.suppress(KeyError):
            found.add(sysconfig.get_paths()[key])
    with contextlib.suppress(AttributeError):
        found.update(site.getsitepackages())
    with contextlib.suppress(AttributeError):
        found.add(site.getusersitepackages())
    return tuple(sorted(os.path.abspath(d) + os.sep for d in found if d))


@dataclass(frozen=True)
class LibraryRule:
    """The path prefixes that decide library code; see the module docstring.

    Attributes:
        library: prefixes that are library code (torch, the toolkit, the standard library and
            the installed-package directories, plus any the user added).
        user: prefixes that are the user's even inside ``library`` (checked first).
    """

    library: tuple[str, ...]
    user: tuple[str, ...] = ()

    def covers(self, path: str) -> bool:
        """True when ``path`` is library code under this rule."""
        if path.startswith("<frozen"):
            return True
        absolute = _absolute(path)
        if any(absolute.startswith(prefix) for prefix in self.user):
            return False
        return any(absolute.startswith(prefix) for prefix in self.library + _pip_target_dirs())


_target_dirs_cache: dict[tuple[str, ...], tuple[str, ...]] = {}


def _pip_target_dirs() -> tuple[str, ...]:
    """The ``sys.path`` folders, beyond site-packages, that pip installed packages into.

    Read again whenever ``sys.path`` changes (a test adds such a folder at run time); the empty
    entry (the working directory) is never one, so a project checked out there stays the user's.
    """
    key = tuple(sys.path)
    found = _target_dirs_cache.get(key)
    if found is None:
        folders = []
        for entry in key:
            if entry and os.path.isdir(entry):
                with contextlib.suppress(OSError):
                    if any(name.endswith(".dist-info") for name in os.listdir(entry)):
                        folders.append(os.path.abspath(entry) + os.sep)
        found = tuple(folders)
        _target_dirs_cache.clear()
        _target_dirs_cache[key] = found
    return found


_DEFAULT_RULE = LibraryRule(library=(TORCH_DIR, TOOLKIT_DIR, STDLIB_DIR, *_installed_package_dirs()))
_rule = _DEFAULT_RULE


def library_rule() -> LibraryRule:
    """The rule in force now (frozen, hashable): what caches built under a rule are keyed by."""
    return _rule


@contextlib.contextmanager
def library_code(*, library: Iterable[str] = (), user: Iterable[str] = ()) -> Iterator[LibraryRule]:
    """Within the block, also treat ``library`` prefixes as library code and ``user`` ones as the user's.

    ``with toolkit.library_code(user=["/src/mypackage"]): toolkit.show(model)`` draws an editable
    install's control flow as the user's. Prefixes are files or folders; folders match their contents.
    """
    global _rule
    previous = _rule
    _rule = LibraryRule(
        library=previous.library + tuple(_prefix(p) for p in library),
        user=previous.user + tuple(_prefix(p) for p in user),
    )
    try:
        yield _rule
    finally:
        _rule = previous


def _prefix(path: str) -> str:
    absolute = os.path.abspath(os.fspath(path))
    return absolute + os.sep if os.path.isdir(absolute) else absolute


def is_torch_path(path: str) -> bool:
    """True for a file inside the installed torch package."""
    return _absolute(path).startswith(TORCH_DIR)


def is_library_path(path: str) -> bool:
    """True for library code (torch, installed packages, the standard library, the toolkit): not the user's."""
    return _rule.covers(path)


def is_library_source(path: str) -> bool:
    """:func:`is_library_path` for a graph node's source file, where ``<string>`` is a TorchScript built-in."""
    return path == "<string>" or _rule.covers(path)


NOTEBOOK_CELL = "notebook cell"
# ipykernel compiles each cell to <tmp>/ipykernel_<pid>/<hash>.py; plain IPython names it <ipython-input-N-hash>.
_CELL_FILE = re.compile(r"(ipykernel_\d+[/\\]\d+\.py$)|(^<ipython-input-)")


def is_notebook_cell(path: str) -> bool:
    """True for the file name IPython or ipykernel gave a cell's code."""
    return bool(_CELL_FILE.search(path))


def display_file_name(path: str) -> str:
    """A file as a person should read it: ``cell [3]`` for the notebook cell run third, its base
    name otherwise (``models.py``).

    A cell's file name is a hash; IPython's compiler keeps the execution count each name was
    compiled under (``get_ipython().compile._filename_map``), so the name the notebook shows
    beside the cell is recovered. A cell file that map does not know (another kernel's, or
    IPython not running) reads ``notebook cell``. IPython is only consulted when it is already
    imported: this never imports notebook packages.
    """
    if not is_notebook_cell(path):
        return path.replace("\\", "/").rsplit("/", 1)[-1] or path
    count = _cell_execution_count(path)
    return f"cell [{count}]" if count is not None else NOTEBOOK_CELL


def _cell_execution_count(path: str) -> int | None:
    ipython_module = sys.modules.get("IPython")
    get_ipython = getattr(ipython_module, "get_ipython", None)
    shell = get_ipython() if callable(get_ipython) else None
    filename_map = getattr(getattr(shell, "compile", None), "_filename_map", None)
    if not isinstance(filename_map, dict):
        return None
    count = filename_map.get(path)
    return count if isinstance(count, int) else None


def innermost_user_frame(exc: BaseException) -> tuple[str, int] | None:
    """``(file, line)`` of the innermost user frame in ``exc``'s traceback, or ``None``."""
    tb = exc.__traceback__
    found = None
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if not is_library_path(filename):
            found = (filename, tb.tb_lineno)
        tb = tb.tb_next
    return found


_SOURCE_CHARS = 160  # a message quotes one line of the user's code, not a wall of it


def user_location_text(exc: BaseException) -> str:
    """`` at file:line `source` `` for the user's innermost frame in ``exc``, or ``""``: for messages.

    A notebook cell is named as the notebook shows it (``cell [3]``, :func:`display_file_name`);
    other files keep their path. The quoted line is clipped to 160 characters.
    """
    where = innermost_user_frame(exc)
    if where is None:
        return ""
    file = display_file_name(where[0]) if is_notebook_cell(where[0]) else where[0]
    text = linecache.getline(where[0], where[1]).strip()
    if len(text) > _SOURCE_CHARS:
        text = text[: _SOURCE_CHARS - 3] + "..."
    return f" at {file}:{where[1]}" + (f" `{text}`" if text else "")


def _absolute(path: str) -> str:
    return path if path.startswith("<") else os.path.abspath(path)
