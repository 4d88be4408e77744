"""The ``snapshot`` fixture: a missing snapshot fails unless UPDATE_SNAPSHOTS=1 writes it."""

from __future__ import annotations

import pytest

from tests.conftest import compare_snapshot

RERUN = "UPDATE_SNAPSHOTS=1 python -m pytest tests/ir/test_build.py"


def test_missing_snapshot_fails_and_says_how_to_create_it(tmp_path):
    path = tmp_path / "Model.scripted.txt"
    with pytest.raises(pytest.fail.Exception, match=r"scripted\.txt is missing; create it with `UPDATE_SNAPSHOTS=1 python"):
        compare_snapshot(path, "graph()", update=False, rerun=RERUN)
    assert not path.exists(), "a failing check must not write the snapshot"


def test_update_writes_then_the_check_passes(tmp_path):
    path = tmp_path / "Model.scripted.txt"
    compare_snapshot(path, "graph()\n", update=True, rerun=RERUN)
    assert path.read_text(encoding="utf-8") == "graph()\n"
    assert [p.name for p in tmp_path.iterdir()] == ["Model.scripted.txt"], "no temporary file left behind"
    compare_snapshot(path, "graph()\n", update=False, rerun=RERUN)


def test_changed_snapshot_fails_with_the_rerun_command(tmp_path):
    path = tmp_path / "Model.traced.dot"
    path.write_text("digraph { a }", encoding="utf-8")
    with pytest.raises(AssertionError, match=r"Model\.traced\.dot changed; if intended, rerun `UPDATE_SNAPSHOTS=1"):
        compare_snapshot(path, "digraph { b }", update=False, rerun=RERUN)
    assert path.read_text(encoding="utf-8") == "digraph { a }"


def test_update_leaves_an_unchanged_snapshot_untouched(tmp_path):
    path = tmp_path / "Model.traced.dot"
    path.write_text("digraph { a }", encoding="utf-8")
    before = path.stat().st_mtime_ns
    compare_snapshot(path, "digraph { a }", update=True, rerun=RERUN)
    assert path.stat().st_mtime_ns == before
