"""Source files as a person reads them: ``cell [n]`` for a notebook cell, the base name otherwise."""

from __future__ import annotations

import pytest

from toolkit.frames import NOTEBOOK_CELL, display_file_name, is_notebook_cell
from toolkit.ir.model import SourceLocation


def test_a_plain_file_reads_as_its_base_name():
    assert display_file_name("/home/me/project/models.py") == "models.py"
    assert display_file_name("C:\\work\\nets.py") == "nets.py"
    assert SourceLocation(file="/home/me/project/models.py", line=33).short == "models.py:33"
    assert not is_notebook_cell("/home/me/project/models.py")


@pytest.mark.parametrize("path", ["/tmp/ipykernel_123/65620258.py", "<ipython-input-3-0123abcd>"])
def test_a_cell_no_running_shell_knows_reads_as_a_notebook_cell(path):
    assert is_notebook_cell(path)
    assert display_file_name(path) == NOTEBOOK_CELL


def test_a_cell_the_shell_compiled_reads_with_its_execution_count():
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    shell.run_cell("1 + 1", store_history=True)
    shell.run_cell("import inspect\ndef where():\n    return inspect.currentframe().f_code.co_filename", store_history=True)
    count = shell.execution_count - 1
    file = shell.user_ns["where"]()
    assert is_notebook_cell(file), f"IPython names its cells differently now: {file}"
    assert display_file_name(file) == f"cell [{count}]"
    assert SourceLocation(file=file, line=2).short == f"cell [{count}]:2"


def test_an_error_in_a_cell_is_placed_at_the_cell_as_the_notebook_numbers_it():
    """The line messages quote (``toolkit.trace`` naming the user's line) names the cell, not its temp file."""
    from IPython.core.interactiveshell import InteractiveShell

    from toolkit.frames import user_location_text

    shell = InteractiveShell.instance()
    shell.run_cell("def fails():\n    raise KeyError('mask')", store_history=True)
    count = shell.execution_count - 1
    try:
        shell.user_ns["fails"]()
    except KeyError as exc:
        assert user_location_text(exc) == f" at cell [{count}]:2 `raise KeyError('mask')`"
    else:
        raise AssertionError("the cell's function did not raise")
