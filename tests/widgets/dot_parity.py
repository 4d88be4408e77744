"""The cases of the Python <-> browser DOT parity check, and the fixture that stores the browser's answers.

Python writes every DOT statement (:mod:`toolkit.render.dot`); the browser's ``assemble.js``
only chooses and orders them for a widget state, with ``collapse.js`` deciding what is open.
The unit suite cannot run JavaScript, so the browser suite runs ``assembleDot`` on these
cases and stores what it returned in ``fixtures/assembled_dot.json``; the unit suite then
checks that Python's :func:`~toolkit.render.dot.assemble_dot` gives the same text. Each stored
answer carries a digest of its input, so a change on the Python side that the stored answers
predate says so (and how to refresh them) instead of failing obscurely. Answers are stored as
a digest of the DOT, with the text itself for the small ones (to read a difference).
"""

from __future__ import annotations

import hashlib
import json
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

import toolkit
from tests.browser import synthetic
from tests.fixtures import models
from toolkit.render.api import graph_view
from toolkit.render.collapse import Collapse
from toolkit.render.dot import DotStatements, assemble_dot, dot_statements
from toolkit.render.drawing import Drawing
from toolkit.render.folds import Fold, all_folds
from toolkit.render.options import DotOptions

FIXTURE = Path(__file__).parent / "fixtures" / "assembled_dot.json"
REPO_ROOT = Path(__file__).resolve().parents[2]
TEXT_KEPT_BELOW = 12_000  # characters of DOT stored as text; longer answers keep their digest only
REFRESH = "UPDATE_SNAPSHOTS=1 .venv/bin/python -m pytest -q tests/browser -m browser -k same_dot"


@dataclass(frozen=True)
class ParityCase:
    """One drawing in one widget state."""

    name: str
    drawing: Drawing
    options: DotOptions
    folds: tuple[Fold, ...]
    limit: int | None

    @property
    def statements(self) -> DotStatements:
        return dot_statements(self.drawing, self.options, folds=self.folds, limit=self.limit)

    def browser_input(self) -> list[Any]:
        """What ``assembleDot`` is called with: statements, drawing, folds, state, options."""
        o = self.options
        return [
            self.statements.to_json(),
            self.drawing.to_json(),
            [f.to_json() for f in self.folds],
            {"depth": o.depth, "expanded": sorted(o.expanded), "collapsed": sorted(o.collapsed)},
            {"folds": bool(self.folds), **({"limit": self.limit} if self.limit is not None else {})},
        ]

    def digest(self) -> str:
        """A digest of the browser's input that does not depend on where the checkout lives.

        The drawing carries each node's source file as an absolute path; a clone in another folder
        (CI's) must give the same digest, so the checkout's root is replaced before hashing.
        """
        text = json.dumps(self.browser_input(), sort_keys=True, ensure_ascii=False)
        text = text.replace(str(REPO_ROOT), "<repo>")
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def python_dot(self) -> str:
        """Python's assembly of the same statements, with the widget's collapse rule."""
        collapse = Collapse(self.drawing, self.options, folds=self.folds, closes_control_flow=True)
        return assemble_dot(self.statements, collapse, limit=self.limit).dot


def parity_cases(zoo: dict) -> list[ParityCase]:
    """Ten states of six drawings: depths, expansions, folds (repeats, library code with its
    checks; with a depth; library folds opened), closed if/loop blocks, a limit."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.manual_seed(0)
        cell3 = toolkit.trace(models.MyCell3(models.MyDecisionGate()), models.example_inputs("MyCell3"), script_submodules=("dg",))
        modules = {
            "MyCell3-hybrid": cell3.module,
            "GatedLSTM-script": zoo["GatedLSTMCell"][2],
            "GatedLSTM-trace": zoo["GatedLSTMCell"][3],
            "ResNet-trace": zoo["ResNet50ish"][3],
            "Evil-trace": synthetic.traced_evil_names(),
            "Library-script": torch.jit.script(synthetic.LibraryCalls().eval()),
        }
    cases = []
    for name, module in modules.items():
        drawing = graph_view(module).drawing
        folds = all_folds(drawing)  # repeats and library code
        module_clusters = [c for c in drawing.clusters if c.kind == "module"]
        deep = frozenset([c.key for c in module_clusters if c.module_depth == 2][:2])
        flow = frozenset([c.key for c in drawing.clusters if c.kind in ("if", "loop")][:1])
        states = {
            "all": (DotOptions(), (), None),
            "depth0": (DotOptions(depth=0), (), None),
            "depth1+deep": (DotOptions(depth=1, expanded=deep), (), None),
            "first-closed": (DotOptions(collapsed=frozenset(c.key for c in module_clusters[:1])), (), None),
            "depth1-LR-unlabelled": (DotOptions(depth=1, rankdir="LR", edge_labels=False), (), None),
            "folded": (DotOptions(), folds, None),
            "flow-closed": (DotOptions(collapsed=flow), folds, None),
            "limit5": (DotOptions(), folds, 5),
            # depth together with folds (a closed module holding a fold), and library folds opened
            # through `expanded` (the internals toggle): collapse.js's singleBox and boxFold paths
            "depth1-folded": (DotOptions(depth=1), folds, None),
            "library-open": (DotOptions(expanded=frozenset(f.key for f in folds if f.kind == "library")), folds, None),
        }
        cases.extend(ParityCase(f"{name} {state}", drawing, o, f, limit) for state, (o, f, limit) in states.items())
    return cases


def dot_digest(dot: str) -> str:
    return hashlib.sha256(dot.encode()).hexdigest()


def stored_answer(case: ParityCase, dot: str) -> dict[str, str]:
    """What the fixture keeps of the browser's ``dot`` for ``case``."""
    answer = {"input": case.digest(), "dot_sha256": dot_digest(dot)}
    if len(dot) < TEXT_KEPT_BELOW:
        answer["dot"] = dot
    return answer


def read_fixture() -> dict[str, dict[str, str]]:
    """``case name -> {"input", "dot_sha256", "dot" (small ones)}`` as the browser last wrote it."""
    return json.loads(FIXTURE.read_text(encoding="utf-8"))["cases"]


def write_fixture(answers: dict[str, dict[str, str]]) -> None:
    """Store the browser's answers (``case name -> stored_answer(...)``), atomically."""
    from toolkit.files import write_atomically

    text = json.dumps({"written_by": REFRESH, "cases": answers}, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    write_atomically(FIXTURE, text, mode=0o644)
