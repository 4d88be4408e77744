"""Shared fixtures: the model zoo, traced and scripted once per session (per xdist worker), and snapshot files.

Safe under ``pytest -n``: tests write only under ``tmp_path``, snapshots are written only with
UPDATE_SNAPSHOTS=1 (each test its own names, atomically), and subprocesses get their own files.
"""

from __future__ import annotations

import importlib.util
import itertools
import os
import pathlib
import re

import pytest

# torch and the zoo are imported inside the hooks and fixtures that use them: the pytest-xdist
# controller process loads this file too, and only its workers need torch.

SNAPSHOTS = pathlib.Path(__file__).parent / "snapshots"
TESTS = pathlib.Path(__file__).parent

# Test modules that import a notebook or test-only package at module level (the widget shells,
# IPython, hypothesis),
# with the packages they need. A GPU machine has torch and no notebook stack, and the README
# promises that `python -m pytest -m gpu tests` collects there; see pytest_ignore_collect.
NEEDS_NOTEBOOK_PACKAGES = {
    "widgets/test_shells.py": ("anywidget", "ipywidgets"),
    "browser/test_widgets_page.py": ("anywidget", "ipywidgets"),
    "widgets/test_export_widget.py": ("anywidget", "ipywidgets"),
    "browser/test_export_program_page.py": ("anywidget", "ipywidgets"),
    "browser/test_navigation.py": ("anywidget", "ipywidgets"),
    "browser/test_reopen.py": ("anywidget", "ipywidgets", "nbformat"),
    "browser/test_reopen_nokernel.py": ("anywidget", "ipywidgets", "nbformat"),
    "browser/test_reopen_nbconvert.py": ("bs4", "nbconvert"),
    "widgets/test_saved_nbconvert.py": ("bs4", "nbconvert"),
    "widgets/test_saved_github.py": ("bs4", "nbconvert"),
    "property/test_random_modules.py": ("hypothesis",),
    "test_errors.py": ("IPython",),
}
_MARK = re.compile(r"pytest\.mark\.(\w+)")


def _missing_packages(needed: tuple[str, ...]) -> list[str]:
    return [name for name in needed if importlib.util.find_spec(name) is None]


def _selectable(path: pathlib.Path, markexpr: str) -> bool:
    """Could ``-m markexpr`` select any test of the module at ``path``?

    Conservative: every subset of the marks its source names is tried (a test carries some of
    them), so a module is called unselectable only when no combination matches.
    """
    if not markexpr:
        return True
    from _pytest.mark.expression import Expression

    expression = Expression.compile(markexpr)
    marks = sorted(set(_MARK.findall(path.read_text(encoding="utf-8"))))
    subsets = itertools.chain.from_iterable(itertools.combinations(marks, k) for k in range(len(marks) + 1))
    return any(expression.evaluate(lambda name, /, _on=set(subset), **_: name in _on) for subset in subsets)


_NOT_COLLECTED = pytest.StashKey[dict]()


def _not_collected(config) -> dict[str, list[str]]:
    """module -> missing packages, for the modules this run leaves out; computed once per run."""
    if _NOT_COLLECTED not in config.stash:
        left_out = {}
        markexpr = config.getoption("markexpr", default="") or ""
        for relative, needed in NEEDS_NOTEBOOK_PACKAGES.items():
            missing = _missing_packages(needed)
            if missing and not _selectable(TESTS / relative, markexpr):
                left_out[f"tests/{relative}"] = missing
        config.stash[_NOT_COLLECTED] = left_out
    return config.stash[_NOT_COLLECTED]


def pytest_ignore_collect(collection_path, config):
    """Leave out a module whose notebook packages are missing, but only when the run's ``-m``
    selection could not pick any of its tests anyway (``-m gpu`` on a GPU machine). Any other
    run, ``make test`` included, still imports it, so a missing package fails loudly there."""
    path = pathlib.Path(collection_path)
    if path.suffix == ".py" and path.is_relative_to(TESTS):
        if f"tests/{path.relative_to(TESTS).as_posix()}" in _not_collected(config):
            return True
    return None


def _not_collected_lines(config) -> list[str]:
    return [
        f"not collected: {module} (no test in it matches -m {config.getoption('markexpr')!r}, "
        f"and it needs {', '.join(missing)}, not installed)"
        for module, missing in sorted(_not_collected(config).items())
    ]


def pytest_report_header(config):
    return _not_collected_lines(config)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    lines = _not_collected_lines(config)
    if lines:
        terminalreporter.section("modules left out")
        for line in lines:
            terminalreporter.write_line(line)


def pytest_configure(config):
    # Under pytest-xdist (`make test-unit` passes -n) each worker gets its share of the cores for
    # torch's intra-op threads, so N workers do not run N x cores threads on the same cores.
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "0"))
    if workers > 1:
        import torch

        torch.set_num_threads(max(1, (os.cpu_count() or 1) // workers))


def pytest_collection_modifyitems(config, items):
    import torch

    if torch.cuda.is_available():
        return
    skip_gpu = pytest.mark.skip(reason="needs CUDA: run on the GPU machine (see README)")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip_gpu)


@pytest.fixture(scope="session")
def zoo():
    """name -> (eager model, example inputs, scripted, traced), built once per process."""
    import torch

    from tests.fixtures import models

    torch.manual_seed(0)
    built = {}
    for name in ("MyCell1", "MyCell2", "MyCell3", "MyDecisionGate", "MLP", "ConvNet", "GatedLSTMCell", "ResNet50ish"):
        model = getattr(models, name)().eval()
        inputs = models.example_inputs(name)
        scripted = torch.jit.script(model)
        traced = torch.jit.trace(model, inputs, check_trace=False)
        built[name] = (model, inputs, scripted, traced)
    traced_fn, script_fn, Net = models.hybrid_net_parts()
    net = Net()
    built["HybridNet"] = (net, (torch.tensor([5]),), torch.jit.script(net), torch.jit.trace(net, (torch.tensor([5]),)))
    built["loop_product"] = (models.loop_product, (torch.tensor(4),), script_fn, None)
    return built


def compare_snapshot(path: pathlib.Path, text: str, *, update: bool, rerun: str) -> None:
    """Assert ``text`` equals the file at ``path``; with ``update``, write it instead (atomically).

    A missing snapshot fails, like a changed one; ``rerun`` is the command that (re)writes it.
    """
    shown = path.relative_to(SNAPSHOTS.parent.parent) if path.is_relative_to(SNAPSHOTS.parent.parent) else path
    if update:
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            from toolkit.files import write_atomically  # lazily: a broken toolkit fails its tests, not conftest

            write_atomically(path, text, mode=0o644)
        return
    if not path.exists():
        pytest.fail(f"snapshot {shown} is missing; create it with `{rerun}`, review it and commit it", pytrace=False)
    assert text == path.read_text(encoding="utf-8"), f"{shown} changed; if intended, rerun `{rerun}` and review the diff"


@pytest.fixture
def snapshot(request):
    """``snapshot(name, text)`` asserts ``text`` equals tests/snapshots/<name>.

    A missing snapshot fails, like a changed one; ``UPDATE_SNAPSHOTS=1`` (re)writes it, to be
    reviewed and committed. Each test writes only its own names, atomically, so parallel
    workers (pytest -n) never see half a file.
    """
    update = os.environ.get("UPDATE_SNAPSHOTS") == "1"
    rerun = f"UPDATE_SNAPSHOTS=1 python -m pytest {request.node.nodeid.split('::')[0]}"

    def check(name: str, text: str) -> None:
        compare_snapshot(SNAPSHOTS / name, text, update=update, rerun=rerun)

    return check
