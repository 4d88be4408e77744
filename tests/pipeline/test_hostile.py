"""Hostile input to the pipeline (issue 11): full disks, hand-edited archives, ordinary argument mistakes."""

from __future__ import annotations

import errno
import io
import json
import os
import subprocess
import zipfile
from pathlib import Path

import pytest
import torch

import toolkit.pipeline as tp
import toolkit.files
from tests.pipeline.test_op import cell_inputs
from tests.pipeline.test_saving import cell_pipeline
from toolkit.errors import DeviceError, PipelineError
from toolkit.pipeline.container import Pipeline
from toolkit.pipeline.saving import EXAMPLES_FILE, META_FILE

OLD = b"the old file"


@pytest.fixture(scope="module")
def pipeline() -> Pipeline:
    return cell_pipeline()


@pytest.fixture(scope="module")
def archive(pipeline, tmp_path_factory) -> Path:
    return Path(pipeline.save(tmp_path_factory.mktemp("archive") / "cell.pt"))


class _Cell(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.linear = torch.nn.Linear(4, 4)

    def forward(self, x, h):
        return torch.tanh(self.linear(x) + h)


def _no_space(*args, **kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


# --- defect 2: a failing disk never kills the process nor leaves a file ---------------------------
@pytest.mark.parametrize("step", ["replace", "fsync", "write"])
def test_an_injected_disk_failure_is_a_pipeline_error_and_keeps_the_old_file(step, pipeline, tmp_path, monkeypatch):
    target = tmp_path / "p.pt"
    target.write_bytes(OLD)
    if step == "write":
        real_fdopen = os.fdopen

        class FullDisk:
            def __init__(self, fd, mode):
                self._stream = real_fdopen(fd, mode)

            def __enter__(self):
                return self

            def __exit__(self, *exc):
                self._stream.close()

            def write(self, data):
                _no_space()

        monkeypatch.setattr(toolkit.files.os, "fdopen", FullDisk)
    else:
        monkeypatch.setattr(toolkit.files.os, step, _no_space)
    with pytest.raises(PipelineError, match=r"Pipeline.save\('.*p.pt'\): could not write '.*p.pt': No space left on device \(ENOSPC\)\. .*free some space"):
        pipeline.save(target)
    monkeypatch.undo()
    assert sorted(os.listdir(tmp_path)) == ["p.pt"] and target.read_bytes() == OLD


@pytest.mark.parametrize("failing_call", [1, 2], ids=["archive", "spec"])
def test_a_folder_form_save_that_fails_puts_both_files_back(failing_call, pipeline, tmp_path, monkeypatch):
    folder = tmp_path / "served"
    folder.mkdir()
    (folder / "cell.pt").write_bytes(OLD)
    (folder / "cell.json").write_bytes(b"{}")
    real_replace, calls = os.replace, []

    def replace(source, destination):
        calls.append(destination)
        if len(calls) == failing_call:
            _no_space()
        real_replace(source, destination)

    monkeypatch.setattr(toolkit.files.os, "replace", replace)
    with pytest.raises(PipelineError, match=r"Pipeline.save\('.*served', 'cell'\): could not write '.*cell\.(pt|json)': No space left"):
        pipeline.save(folder, "cell")
    monkeypatch.undo()
    assert sorted(os.listdir(folder)) == ["cell.json", "cell.pt"]
    assert (folder / "cell.pt").read_bytes() == OLD and (folder / "cell.json").read_bytes() == b"{}"


def test_a_new_folder_form_save_that_fails_leaves_no_folder(pipeline, tmp_path, monkeypatch):
    monkeypatch.setattr(toolkit.files.os, "fsync", _no_space)
    with pytest.raises(PipelineError, match=r"could not write '.*new.cell\.pt': No space left on device"):
        pipeline.save(tmp_path / "new", "cell")
    assert os.listdir(tmp_path) == []


def test_a_real_failing_rename_is_a_pipeline_error(pipeline, tmp_path):
    (tmp_path / "cell.pt").mkdir()  # os.replace cannot put a file over a non-empty folder
    (tmp_path / "cell.pt" / "inside").write_bytes(OLD)
    with pytest.raises(PipelineError, match=r"Pipeline.save\('.*', 'cell'\): could not write '.*cell\.pt': .*(EISDIR|ENOTEMPTY|EEXIST)"):
        pipeline.save(tmp_path, "cell")
    assert sorted(os.listdir(tmp_path)) == ["cell.pt"] and os.listdir(tmp_path / "cell.pt") == ["inside"]


def _mount_tmpfs(folder: Path, options: str) -> None:
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root; this test runs the real file system only as root")
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)], capture_output=True, text=True)
    if result.returncode != 0:
        pytest.skip(f"mount -t tmpfs failed here (a container without CAP_SYS_ADMIN?): {result.stderr.strip()}")


def _unmount(folder: Path) -> None:
    subprocess.run(["umount", str(folder)], check=True)


def test_a_read_only_folder_is_a_pipeline_error(pipeline, tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    if os.geteuid() == 0:  # root ignores permission bits, so use a file system mounted read-only
        _mount_tmpfs(folder, "ro,size=64k")
    else:
        folder.chmod(0o500)
    try:
        with pytest.raises(PipelineError, match=r"could not write '.*ro.p\.pt': .*\((EROFS|EACCES)\)"):
            pipeline.save(folder / "p.pt")
        with pytest.raises(PipelineError, match=r"could not write '.*ro.cell\.pt': .*\((EROFS|EACCES)\)"):
            pipeline.save(folder, "cell")
        assert os.listdir(folder) == []
    finally:
        if os.geteuid() == 0:
            _unmount(folder)
        else:
            folder.chmod(0o700)


def test_a_full_tmpfs_gives_a_clear_error_no_leftover_and_the_old_file(pipeline, tmp_path):
    folder = tmp_path / "tiny"
    folder.mkdir()
    _mount_tmpfs(folder, "size=16k")
    try:
        (folder / "p.pt").write_bytes(OLD)
        (folder / "filler").write_bytes(b"\0" * 8 * 1024)
        pipeline.save(tmp_path / "fits.pt")  # the same save elsewhere: the archive is larger than what is left
        free = os.statvfs(folder).f_bavail * os.statvfs(folder).f_frsize
        assert os.path.getsize(tmp_path / "fits.pt") > free
        for call in (lambda: pipeline.save(folder / "p.pt"), lambda: pipeline.save(folder, "cell")):
            with pytest.raises(PipelineError, match=r"could not write '.*tiny.*': No space left on device \(ENOSPC\)"):
                call()
            assert sorted(os.listdir(folder)) == ["filler", "p.pt"] and (folder / "p.pt").read_bytes() == OLD
        assert torch.equal(tp.load(tmp_path / "fits.pt", -1).run(dict(zip(("x", "h"), cell_inputs())))[0], pipeline.run(dict(zip(("x", "h"), cell_inputs())))[0])
    finally:
        _unmount(folder)


def test_an_empty_path_writes_nothing_anywhere(pipeline, tmp_path, monkeypatch):
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    with pytest.raises(PipelineError, match=r"Pipeline.save\(''\): the path is empty. Fix: pass a file path such as 'pipeline.pt'"):
        pipeline.save("")
    with pytest.raises(PipelineError, match=r"Pipeline.save\('', 'cell'\): the path is empty"):
        pipeline.save("", "cell")
    assert os.listdir(tmp_path) == ["work"] and os.listdir(work) == []


def test_a_path_ending_in_a_separator_names_a_folder_that_must_exist(pipeline, tmp_path):
    with pytest.raises(PipelineError, match=r"ends with a separator, so it names a folder, and that folder does not exist"):
        pipeline.save(f"{tmp_path}/missing/")
    assert os.listdir(tmp_path) == []


# --- defect 3: load validates the file before trusting it -----------------------------------------
def _rewrite(archive: Path, destination: Path, member: str, data: bytes) -> Path:
    """A copy of ``archive`` with the extra file ``member`` (toolkit/meta.json, ...) replaced by ``data``."""
    with zipfile.ZipFile(archive) as source, zipfile.ZipFile(destination, "w", zipfile.ZIP_STORED) as copy:
        names = [info.filename for info in source.infolist()]
        target = next(name for name in names if name.endswith(f"/extra/{member}"))
        for name in names:
            copy.writestr(name, data if name == target else source.read(name))
    return destination


def _edited(archive: Path, tmp_path: Path, edit) -> Path:
    with zipfile.ZipFile(archive) as source:
        meta = json.loads(source.read(next(n for n in source.namelist() if n.endswith(f"/extra/{META_FILE}"))))
    edit(meta)
    return _rewrite(archive, tmp_path / "edited.pt", META_FILE, json.dumps(meta).encode())


def test_an_unchanged_rewrite_still_loads(archive, tmp_path):
    copy = _edited(archive, tmp_path, lambda meta: None)
    assert tp.load(copy, -1).input_names == ("x", "h")


def _set(path: str, value):
    def edit(meta):
        *parents, last = path.split(".")
        holder = meta
        for part in parents:
            holder = holder[int(part)] if part.isdigit() else holder[part]
        holder[int(last) if last.isdigit() else last] = value

    return edit


CORRUPTIONS = {
    "missing ops": (lambda meta: meta.pop("ops"), r"the metadata in .*:\n  - the metadata: the field 'ops' is missing"),
    "unknown field": (_set("colour", "blue"), r"the field 'colour' is unknown \(the fields are \["),
    "unknown op field": (_set("ops.0.speed", 3), r"ops\[0\]: the field 'speed' is unknown"),
    "wrong type": (_set("ops.0.output_to_cpu", "yes"), r"ops\[0\]\.output_to_cpu is a string, but must be true or false"),
    "wrong item type": (_set("outputs.0.depends_on", [1]), r"outputs\[0\]\.depends_on\[0\] is an integer, but must be a string"),
    "not a list": (_set("inputs", {"x": "Tensor"}), r"inputs is an object, but must be a list"),
    "unknown op": (_set("calls.0.op", "nope"), r"calls\[0\]\.op names the op 'nope', which is not in ops \(they are \['my_cell\d*'\]\)"),
    "bad device": (_set("ops.0.device", "tpu:0"), r"ops\[0\]\.device is 'tpu:0', but must be 'cpu' or 'cuda:N'"),
    "bad source": (_set("ops.0.source", "magic"), r"ops\[0\]\.source is 'magic', but must be one of \["),
    "renamed attribute": (
        lambda meta: (_set("ops.0.attr", "renamed")(meta), _set("calls.0.op", "renamed")(meta)),
        r"ops\[0\]\.attr is 'renamed', but the module has no op of that name",
    ),
    "renamed input": (_set("inputs.1.name", "hidden"), r"inputs names \['x', 'hidden'\], but the module's forward takes \['x', 'h'\]"),
    "metadata not an object": (lambda meta: meta.clear(), r"version None is not 'toolkit.pipeline' version 1"),
}


@pytest.mark.parametrize("kind", sorted(CORRUPTIONS))
def test_each_kind_of_hand_edited_metadata_is_one_clear_error_naming_the_field(kind, archive, tmp_path):
    edit, message = CORRUPTIONS[kind]
    edited = _edited(archive, tmp_path, edit)
    for call in (lambda: tp.load(edited, -1), lambda: tp.read_metadata(edited)):
        with pytest.raises(PipelineError, match=message) as caught:
            call()
        assert caught.value.__cause__ is None and "Traceback" not in str(caught.value)


def test_several_problems_are_each_listed(archive, tmp_path):
    edited = _edited(archive, tmp_path, lambda meta: (meta.pop("calls"), _set("name", 3)(meta)))
    with pytest.raises(PipelineError, match=r"2 problem\(s\):\n  - the metadata: the field 'calls' is missing\n  - name is an integer, but must be a string"):
        tp.load(edited, -1)


def test_invalid_json_metadata_is_a_pipeline_error(archive, tmp_path):
    broken = _rewrite(archive, tmp_path / "broken.pt", META_FILE, b'{"format": "toolkit.pipeline",')
    with pytest.raises(PipelineError, match=r"toolkit/meta.json inside the archive is not valid JSON \(.*line 1 column .*\); .*Fix: save the pipeline again"):
        tp.load(broken, -1)


@pytest.mark.parametrize(
    "payload, cause",
    [
        (b"garbage", r"it cannot be read as plain tensors \(\w+\)"),
        ("unsafe", r"it cannot be read as plain tensors \(UnpicklingError\)"),
        ("wrong shape", r"it does not hold the 'inputs' and 'outputs'"),
        ("too few", r"its 'inputs' are not a sequence of 2 value\(s\)"),
    ],
)
def test_a_damaged_examples_file_never_advises_unsafe_loading(payload, cause, archive, tmp_path):
    if payload == "unsafe":  # a pickle that the safe loader refuses: an arbitrary class
        buffer = io.BytesIO()
        torch.save({"inputs": [Path("x")], "outputs": None}, buffer)
        payload = buffer.getvalue()
    elif payload in ("wrong shape", "too few"):
        buffer = io.BytesIO()
        torch.save({"a": 1} if payload == "wrong shape" else {"inputs": [torch.ones(1)], "outputs": None}, buffer)
        payload = buffer.getvalue()
    broken = _rewrite(archive, tmp_path / "broken.pt", EXAMPLES_FILE, payload)
    with pytest.raises(PipelineError, match=rf"toolkit/examples.pt inside the archive, .* is damaged: {cause}.*\. The toolkit reads it only with torch's safe loader") as caught:
        tp.load(broken, -1)
    assert "weights_only" not in str(caught.value) and caught.value.__cause__ is None


def test_an_invalid_spec_beside_the_archive_is_named(pipeline, tmp_path):
    pipeline.save(tmp_path, "cell")
    spec = json.loads((tmp_path / "cell.json").read_text())
    spec["ops"][0]["device"] = 0
    (tmp_path / "cell.json").write_text(json.dumps(spec))
    with pytest.raises(PipelineError, match=r"the metadata in '.*cell.json' [\s\S]*ops\[0\]\.device is an integer, but must be a string"):
        tp.load(tmp_path / "cell.json", -1)
    (tmp_path / "cell.json").write_text("{not json")
    with pytest.raises(PipelineError, match=r"'.*cell.json' is not a toolkit pipeline spec .*: it is not valid JSON \(Expecting"):
        tp.load(tmp_path / "cell.json", -1)


# --- defect 7: ordinary mistakes, each named ------------------------------------------------------
def test_a_list_of_example_inputs_says_the_whole_problem():
    x, h = cell_inputs()
    with pytest.raises(PipelineError, match=r"example_inputs=\[\.\.\.\]\): got a list of 2 value\(s\), but example_inputs is a tuple .*\(x, h\).* or a dict"):
        tp.script(_Cell(), example_inputs=[x, h])


def test_missing_example_inputs_are_all_named():
    with pytest.raises(PipelineError, match=r"wraps a model that takes \(x, h\), but it got 0 positional argument\(s\): missing \['x', 'h'\]"):
        tp.script(_Cell(), example_inputs=())
    x, _ = cell_inputs()
    with pytest.raises(PipelineError, match=r"got 0 positional argument\(s\) and the keywords \['x', 'y'\]: missing \['h'\]; unexpected keyword\(s\) \['y'\]"):
        tp.script(_Cell(), example_inputs={"x": x, "y": x})


def test_example_inputs_by_name_are_accepted():
    x, h = cell_inputs()
    op = tp.script(_Cell(), example_inputs={"h": h, "x": x})
    assert op.is_ready and torch.equal(op.example_inputs[0], x) and torch.equal(op.example_inputs[1], h)


@pytest.mark.parametrize("spec", ["cpu:7", "cpu:1", torch.device("cpu", 3)])
def test_a_cpu_with_an_index_is_refused_with_the_fix(spec, archive):
    pattern = r"got .*CPU number \d, but torch has one CPU device .*pass 'cpu'"
    with pytest.raises(DeviceError, match=pattern):
        tp.resolve_device(spec)
    with pytest.raises(DeviceError, match=pattern):
        tp.script(_Cell(), device=spec)
    with pytest.raises(DeviceError, match=pattern):
        tp.load(archive, spec)
    assert tp.resolve_device("cpu:0") == torch.device("cpu")


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda p, a: p.save(None), r"Pipeline.save\(None\): the path must be a string or a pathlib.Path, not a NoneType"),
        (lambda p, a: p.save(3, "cell"), r"Pipeline.save\(3, 'cell'\): the path must be a string or a pathlib.Path, not a int"),
        (lambda p, a: tp.load(None, -1), r"load\(None\): the path must be a string or a pathlib.Path"),
        (lambda p, a: tp.load(a, -1, name=3), r"load\(\.\.\., name=3\): name must be a string"),
        (lambda p, a: tp.load(a, -1, allow_gpu_to_cpu="yes"), r"allow_gpu_to_cpu='yes'\): it must be True or False"),
        (lambda p, a: tp.read_metadata(7), r"read_metadata\(7\): the path must be a string"),
        (lambda p, a: tp.profile(None), r"profile\(\) takes a Pipeline .*, not a NoneType"),
        (lambda p, a: tp.script(_Cell(), trace_func=3), r"trace_func=3\): trace_func must be callable"),
        (lambda p, a: tp.trace(None, *cell_inputs()), r"trace\(\) takes the function to record as its first argument, not None"),
        (lambda p, a: tp.trace(_Cell, *cell_inputs()), r"trace\(\) got the class _Cell, not a function or an instance. Fix: pass _Cell\(\.\.\.\)"),
    ],
    ids=["save None", "save 3", "load None", "load name", "load allow", "read_metadata", "profile None", "trace_func", "trace None", "trace class"],
)
def test_ordinary_argument_mistakes_name_the_argument(call, message, pipeline, archive):
    with pytest.raises(PipelineError, match=message) as caught:
        call(pipeline, archive)
    assert caught.value.__cause__ is None
