"""The README, rendered with a Markdown parser, says only true things about the repository.

A stray code fence once swallowed three sections of the README, and a command it showed failed on
the machine it was written for. So: every fence closes, every relative link and every repository
path it names exists, every command it shows is one the Makefile, scripts/ or the package has,
every `toolkit.` name in the tour exists, and the GPU command collects where only torch is installed.
"""

from __future__ import annotations

import fnmatch
import glob
import importlib
import re
import shlex
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
README = REPO / "README.md"
FILE_SUFFIXES = (".py", ".sh", ".ipynb", ".yml", ".yaml", ".cfg", ".toml", ".md", ".txt", ".json", ".log")
# A span that is one path-like word: letters, digits, `_.*-` and slashes (no spaces, no `::`, no parens).
PATH_WORD = re.compile(r"[\w.][\w.*-]*(?:/[\w.*-]+)*/?")
COMMAND_PROGRAMS = ("make", "bash", "python", ".venv/bin/python", "pytest", "conda", "jupyter")


def _tokens():
    from markdown_it import MarkdownIt  # here, not at the top: `pytest -m gpu` collects this file on GPU machines

    parser = MarkdownIt("commonmark").enable("table")
    stack = list(reversed(parser.parse(README.read_text(encoding="utf-8"))))
    while stack:
        token = stack.pop()
        yield token
        stack.extend(reversed(token.children or []))


def _spans() -> list[str]:
    return [t.content for t in _tokens() if t.type == "code_inline"]


def _fences(info: str | None = None):
    return [t for t in _tokens() if t.type == "fence" and (info is None or t.info.strip() == info)]


def _git_ignored(relative: str) -> bool:
    """Is ``relative`` matched by .gitignore (asked of git, or read from the file without git)?"""
    try:
        done = subprocess.run(["git", "check-ignore", "-q", "--no-index", relative], cwd=REPO, check=False)
    except FileNotFoundError:
        patterns = (REPO / ".gitignore").read_text(encoding="utf-8").split()
        return any(fnmatch.fnmatch(relative.rstrip("/") + "/", pattern.lstrip("/")) for pattern in patterns)
    return done.returncode == 0


def _is_repo_path(word: str) -> bool:
    """Does this backticked word name a file or folder of the repository (not `text/plain`)?"""
    if PATH_WORD.fullmatch(word) is None:
        return False
    top = word.split("/")[0]
    return word.endswith(FILE_SUFFIXES) or ("/" in word and ((REPO / top).exists() or _git_ignored(top + "/")))


def _exists(word: str) -> bool:
    """A path exists (a glob matches something); a bare lesson name lives in notebooks/; a
    git-ignored path (`.venv/`, `.whl/`) is made by set-up or by the reader, never committed."""
    candidates = [word] if "/" in word else [word, f"notebooks/{word}"]
    return any(glob.glob(str(REPO / c)) for c in candidates) or _git_ignored(word)


def _makefile_targets() -> set[str]:
    text = (REPO / "Makefile").read_text(encoding="utf-8")
    return {m.group(1) for m in re.finditer(r"^([\w-]+):(?!=)", text, flags=re.MULTILINE)}


def _modules_run_with_dash_m() -> set[str]:
    """`python -m X` modules the Makefile or scripts/ run themselves."""
    texts = [(REPO / "Makefile").read_text(encoding="utf-8")]
    texts += [p.read_text(encoding="utf-8") for p in sorted((REPO / "scripts").glob("*.sh"))]
    return {m.group(1) for text in texts for m in re.finditer(r"(?:python\S*|\$\(PY\)|\"?\$PY\"?)\s+-m\s+([A-Za-z_][\w.]*)", text)}


def _package_module_runs(module: str) -> bool:
    """A toolkit module that `python -m` can run: it has a `__main__` guard or a `__main__.py`."""
    path = REPO.joinpath(*module.split("."))
    if path.is_dir():
        return (path / "__main__.py").exists()
    source = path.with_suffix(".py")
    return source.exists() and 'if __name__ == "__main__":' in source.read_text(encoding="utf-8")


def _command_lines() -> list[str]:
    """Every command the README shows: the lines of its bash blocks and the backticked spans that
    start with a program, one command per `&&`/`;`-separated part, comments dropped."""
    lines = [line for fence in _fences("bash") for line in fence.content.splitlines()]
    lines += [span for span in _spans() if span.split(" ")[0] in COMMAND_PROGRAMS]
    commands = []
    for line in lines:
        line = line.split(" #")[0].strip()
        if line and not line.startswith("#"):
            commands += [part.strip() for part in re.split(r"&&|;", line) if part.strip()]
    return commands


def _command_problems(command: str) -> list[str]:
    """Why ``command`` is not one this repository has (empty when it is)."""
    words = shlex.split(command)
    program, args = words[0], words[1:]
    problems = [f"`{command}`: {word} does not exist" for word in args if _is_repo_path(word) and not _exists(word)]
    if program == "make":
        targets = [a for a in args if "=" not in a and not a.startswith("-")]
        problems += [f"`{command}`: the Makefile has no target {t!r}" for t in targets if t not in _makefile_targets()]
    elif program == "bash":
        if not (args and args[0].startswith("scripts/") and (REPO / args[0]).is_file()):
            problems.append(f"`{command}`: runs no script of scripts/")
    elif program in ("python", ".venv/bin/python"):
        if args[:1] == ["-m"]:
            module = args[1]
            runs = _package_module_runs(module) if module.split(".")[0] == "toolkit" else module in _modules_run_with_dash_m()
            if not runs:
                problems.append(f"`{command}`: neither the package nor the Makefile/scripts run `-m {module}`")
        elif not (args and args[0].endswith(".py") and (REPO / args[0]).is_file()):
            problems.append(f"`{command}`: runs no Python file of the repository")
    elif program == "conda":
        env_name = re.search(r"^name:\s*(\S+)", (REPO / "environment.yml").read_text(encoding="utf-8"), re.MULTILINE)
        if args[:1] == ["activate"] and (env_name is None or args[1:] != [env_name.group(1)]):
            problems.append(f"`{command}`: environment.yml names no environment {args[1:]}")
        elif args[:1] not in (["activate"], ["env"]):
            problems.append(f"`{command}`: not a conda command this README needs")
    elif program == "jupyter":
        if args[:1] != ["lab"]:
            problems.append(f"`{command}`: the notebook extra installs JupyterLab, not `jupyter {args[:1]}`")
    elif program != "pytest":
        problems.append(f"`{command}`: {program!r} is none of the programs the README may show {COMMAND_PROGRAMS}")
    return problems


def test_every_fence_closes_and_swallows_no_section():
    source = README.read_text(encoding="utf-8").splitlines()
    fences = _fences()
    assert fences, "the README shows no code block at all"
    fence_lines = set()
    for fence in fences:
        start, end = fence.map
        closing = source[end - 1].strip()
        assert end - start >= 2 and closing.startswith(fence.markup) and closing.strip("`~") == "", (
            f"the {fence.info or 'plain'} block opened at README line {start + 1} never closes"
        )
        fence_lines |= {start, end - 1}
        swallowed = [line for line in fence.content.splitlines() if re.match(r"#{1,6} ", line)]
        assert fence.info.strip() in ("python", "bash") or not swallowed, (
            f"the block at README line {start + 1} holds Markdown headings {swallowed}: a fence is misplaced"
        )
    stray = [n + 1 for n, line in enumerate(source) if re.match(r" {0,3}(```|~~~)", line) and n not in fence_lines]
    assert stray == [], f"fence markers outside any code block at README lines {stray}"


def test_every_section_renders_as_a_heading():
    headings = [t.map[0] for t in _tokens() if t.type == "heading_open"]
    written = [n for n, line in enumerate(README.read_text(encoding="utf-8").splitlines()) if re.match(r"#{1,6} ", line)]
    in_blocks = {n for fence in _fences() for n in range(*fence.map)}
    assert sorted(headings) == [n for n in written if n not in in_blocks]
    assert len(headings) >= 8, "the README lost its sections"


def test_every_relative_link_exists():
    links = [t.attrs["href"] for t in _tokens() if t.type == "link_open"]
    relative = [href for href in links if not re.match(r"[a-z]+:|#", str(href))]
    assert "notebooks/executed-on-gpu/" in relative, "the README links the GPU-executed lessons"
    missing = [href for href in relative if not (REPO / str(href).split("#")[0]).exists()]
    assert missing == [], f"README links to paths that do not exist: {missing}"


def test_every_repository_path_it_names_exists():
    named = [span for span in _spans() if _is_repo_path(span)]
    assert "scripts/bootstrap.sh" in named and "05_partitioning.ipynb" in named, f"the README stopped naming its set-up script or lessons: {named}"
    missing = [span for span in named if not _exists(span)]
    assert missing == [], f"README names paths that do not exist: {missing}"


def test_every_path_in_the_layout_block_exists():
    [layout] = [fence for fence in _fences("") if fence.content.startswith("toolkit/")]
    parents: dict[int, Path] = {}
    checked = 0
    for line in layout.content.splitlines():
        indent = len(line) - len(line.lstrip(" "))
        if indent not in (0, 2, 4):
            continue  # a description's continuation line
        names = re.match(r"([\w./]+(?:, [\w./]+)*)", line.strip())
        assert names is not None, f"layout line names no path: {line!r}"
        folder = parents.get(indent - 2, REPO) if indent else REPO
        for name in names.group(1).split(", "):
            assert (folder / name).exists(), f"the layout names {folder.relative_to(REPO) / name}, which does not exist"
            checked += 1
            if name.endswith("/"):
                parents[indent] = folder / name
    assert checked >= 15


def test_every_command_it_shows_is_one_the_repository_has():
    commands = _command_lines()
    assert {"make lab", "make test", "python -m pytest -m gpu tests"} <= set(commands)
    problems = [problem for command in commands for problem in _command_problems(command)]
    assert problems == []


@pytest.mark.parametrize(
    ("command", "problem"),
    [
        ("make tset", "no target 'tset'"),
        ("bash scripts/gpu_everything.sh OUT", "runs no script"),
        ("python -m toolkit.views", "neither the package"),
        (".venv/bin/python bench/nothing.py", "runs no Python file"),
        ("pytest notebooks/nbval_sanitise.cfg", "does not exist"),
        ("npm run build", "none of the programs"),
    ],
)
def test_a_command_the_repository_lacks_is_reported(command, problem):
    assert any(problem in p for p in _command_problems(command)), _command_problems(command)


def test_every_toolkit_name_in_the_tour_exists():
    [tour] = [fence for fence in _fences("python") if "import torch, toolkit" in fence.content]
    names = sorted(set(re.findall(r"\btoolkit(?:\.\w+)+", tour.content)))
    assert len(names) >= 12
    for name in names:
        module, *attributes = name.split(".")
        obj = importlib.import_module(module)
        for attribute in attributes:
            assert hasattr(obj, attribute), f"the README's tour calls {name}, which does not exist"
            obj = getattr(obj, attribute)


# A GPU machine has torch, numpy, tqdm and pytest (and what they require), nothing else: the child
# process sees a site folder of links to just those (argv[1]), in place of site-packages.
GPU_MACHINE = textwrap.dedent(
    """
    import importlib.metadata, importlib.util, os, re, sys
    from packaging.requirements import Requirement

    def normal(name):
        return re.sub(r"[-_.]+", "-", name).lower()

    allowed, todo = set(), ["torch", "numpy", "tqdm", "pytest"]
    while todo:
        name = normal(todo.pop())
        if name in allowed:
            continue
        allowed.add(name)
        try:
            requires = importlib.metadata.requires(name) or []
        except importlib.metadata.PackageNotFoundError:
            continue
        for text in requires:
            requirement = Requirement(text)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                todo.append(requirement.name)
    site = sys.argv[1]
    for module, dists in importlib.metadata.packages_distributions().items():
        spec = importlib.util.find_spec(module) if any(normal(d) in allowed for d in dists) else None
        if spec is None or spec.origin in (None, "built-in", "frozen"):
            continue
        path = os.path.dirname(spec.origin) if spec.submodule_search_locations else spec.origin
        os.symlink(path, os.path.join(site, os.path.basename(path)))
    sys.path[:] = [os.getcwd(), site] + [p for p in sys.path if p and "-packages" not in p]
    for module in [m for m in sys.modules if m.split(".")[0] in ("packaging",)]:
        del sys.modules[module]
    for absent in ("anywidget", "ipywidgets", "IPython", "nbformat", "matplotlib", "markdown_it", "toolkit.widgets.shells"):
        assert importlib.util.find_spec(absent.split(".")[0] if absent != "toolkit.widgets.shells" else "anywidget") is None, absent
    import pytest
    sys.exit(pytest.main(["-m", "gpu", "tests", "--collect-only", "-q", "-p", "no:cacheprovider"]))
    """
)


def test_the_gpu_command_collects_with_torch_alone(tmp_path):
    """`python -m pytest -m gpu tests` on a machine without the notebook or test extras."""
    done = subprocess.run(
        [sys.executable, "-c", GPU_MACHINE, str(tmp_path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        env={"PATH": "/usr/bin:/bin", "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1", "HOME": str(tmp_path)},
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-4000:]
    assert "ERROR collecting" not in output, output[-4000:]
    assert re.search(r"\d+/\d+ tests collected \(\d+ deselected\)", output), output[-2000:]
    assert "not collected: tests/widgets/test_shells.py" in output
    assert "tests/pipeline/test_gpu.py::" in output and "tests/partition/test_gpu.py::" in output
