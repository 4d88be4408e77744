"""Saving a Pipeline (one file, or Matx's folder with a spec name), and loading it by Matx's device rules.

Two forms, and one rule for which you get: **the form depends only on whether you pass a name.**

* ``save(path)``: one file at ``path`` (an existing directory gets ``path/pipeline.pt``);
* ``save(folder, name)``: Matx's layout. ``folder`` (created if missing) holds ``name.pt``, the
  same one-file archive, and ``name.json``, its spec: the metadata as plain JSON, readable
  without torch. A folder may hold several pipelines, one spec each.

Both return the path of the archive, the file ``torch.jit.load`` runs. The archive is a
TorchScript file (``torch.jit.save``) with two extra files:

* ``toolkit/meta.json``: format version, input and output names, every op's attribute,
  device, traced device, ``output_to_cpu`` and baked devices, the op calls, and the torch and
  toolkit versions that wrote it;
* ``toolkit/examples.pt``: the example inputs and the eager outputs (``torch.save``), used to
  check an op that ``load`` had to move and by ``Pipeline.warmup``.

``torch.jit.load(path)`` (or libtorch's ``torch::jit::load``) runs the archive as it is: ops
stay on the devices they were saved on. ``load(path, device)`` reads either form (an archive,
a spec, or a folder) and applies the device rules:

=====================================  =====================================================
op / load device                        result
=====================================  =====================================================
CPU op, any load device                 stays on the CPU; when no op runs on a GPU, a GPU
                                        load device is not needed (it need not exist): the
                                        pipeline loads with an ``UnusedDeviceWarning``, whose
                                        text is also in ``Pipeline.notes`` (Matx remark 1)
GPU op, loaded on ``cuda:j``            moved to ``cuda:j`` (logical torch ordinal)
GPU op, loaded on the CPU               ``DeviceError`` naming the op; ``allow_gpu_to_cpu=True``
                                        moves it and checks it on the stored examples
GPU op, ``cuda:j`` does not exist       ``DeviceError``
=====================================  =====================================================

An op whose graph has device constants baked in is checked on the stored examples whenever it
lands on a device other than the one it was traced on.
"""

from __future__ import annotations

import contextlib
import errno
import io
import json
import os
import sys
import warnings
from typing import Any

import torch

from toolkit.errors import DeviceError, PipelineError, message_first
from toolkit.files import write_atomically
from toolkit.pipeline.checks import LOOSE, first_difference
from toolkit.pipeline.container import OpCall, OpSpec, Pipeline, PipelineInput, PipelineOutput
from toolkit.pipeline.devices import DeviceSpec, check_device_available, device_label, resolve_device
from toolkit.pipeline.failures import torch_message
from toolkit.pipeline.schema import SCHEMAS, check_metadata

__all__ = [
    "save",
    "load",
    "read_metadata",
    "UnusedDeviceWarning",
    "FORMAT",
    "FORMAT_VERSION",
    "META_FILE",
    "EXAMPLES_FILE",
    "SPEC_SUFFIX",
]

FORMAT = "toolkit.pipeline"
FORMAT_VERSION = 1
META_FILE = "toolkit/meta.json"
EXAMPLES_FILE = "toolkit/examples.pt"
DEFAULT_NAME = "pipeline.pt"
ARCHIVE_SUFFIX = ".pt"
SPEC_SUFFIX = ".json"
"""A folder-form pipeline ``name`` is ``name.pt`` (the archive) beside ``name.json`` (its spec)."""


class UnusedDeviceWarning(UserWarning):
    """``load`` was given a GPU, but every op of the pipeline runs on the CPU, so none used it."""


def _toolkit_version() -> str:
    """``toolkit.__version__`` (set even when the repo is used uninstalled), else the dist's."""
    declared = getattr(sys.modules.get("toolkit"), "__version__", None)
    if isinstance(declared, str):
        return declared
    try:
        from importlib.metadata import PackageNotFoundError, version

        return version("torchscript-toolkit")
    except (ImportError, PackageNotFoundError):
        return "unknown"


def _check_name(name: object, *, folder: str) -> str:
    """A folder-form name: a plain file stem (no folder part, no leading dot)."""
    if not isinstance(name, str) or not name.strip():
        raise PipelineError(
            f"Pipeline.save({folder!r}, {name!r}): the name must be a non-empty string, the stem of the files "
            "written into the folder (save(folder, 'classify') writes classify.pt and classify.json). Fix: pass a name such as 'classify'."
        )
    if name != os.path.basename(name) or "/" in name or "\\" in name or name.startswith(".") or name != name.strip():
        raise PipelineError(
            f"Pipeline.save({folder!r}, {name!r}): the name is a file stem inside the folder, so it cannot hold a "
            "folder separator, start with a dot or carry spaces at its ends. Fix: put folders in the first argument."
        )
    return name


def _parent_must_exist(target: str, *, call: str) -> None:
    folder = os.path.dirname(os.path.abspath(target))
    if not os.path.isdir(folder):
        raise PipelineError(f"{call}: the folder {folder!r} does not exist. Fix: create it first.")


def _location(path: object, *, call: str) -> str:
    """``path`` as a non-empty string, or a PipelineError naming the argument."""
    if isinstance(path, bytes):
        path = os.fsdecode(path)
    if not isinstance(path, (str, os.PathLike)):
        raise PipelineError(
            f"{call}: the path must be a string or a pathlib.Path, not a {type(path).__name__}. Fix: pass a file path "
            "such as 'pipeline.pt'."
        )
    location = os.fspath(path)
    location = os.fsdecode(location) if isinstance(location, bytes) else location
    if not location.strip():
        raise PipelineError(f"{call}: the path is empty. Fix: pass a file path such as 'pipeline.pt' (or a folder).")
    return location


_FIXES = {
    errno.ENOSPC: "free some space on that disk or save somewhere else",
    errno.EDQUOT: "free some of your disk quota or save somewhere else",
    errno.EACCES: "save into a folder you may write to",
    errno.EPERM: "save into a folder you may write to",
    errno.EROFS: "the file system is read-only: save somewhere else",
    errno.EISDIR: "a folder has that name: pick another file name",
    errno.ENOTDIR: "a part of the path is a file, not a folder: fix the path",
}


def _os_cause(error: OSError) -> str:
    code = errno.errorcode.get(error.errno or 0)
    reason = error.strerror or str(error) or type(error).__name__
    return f"{reason} ({code})" if code else reason


def _write(target: str, data: bytes | str, *, call: str) -> str:
    """``write_atomically``, with an OSError turned into a PipelineError naming the path and the cause."""
    try:
        return write_atomically(target, data)
    except OSError as error:
        fix = _FIXES.get(error.errno or 0, "check the path, the folder's permissions and the free space")
        raise PipelineError(
            f"{call}: could not write {target!r}: {_os_cause(error)}. No temporary file was left behind and any "
            f"earlier file at that path is unchanged. Fix: {fix}, then save again."
        ) from None


def _read_if_present(path: str) -> bytes | None:
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError:
        return None


def save(pipeline: Pipeline, path: str | os.PathLike, name: str | None = None) -> str:
    """Writes ``pipeline`` atomically, as one file or (with ``name``) as Matx's folder.

    Args:
        pipeline: what to write.
        path: without ``name``, the file to write (an existing directory gets
            ``path/pipeline.pt``); with ``name``, the folder to write into (created if missing;
            its parent must exist).
        name: the spec name of the folder form: ``name.pt`` and ``name.json`` are written.

    Returns:
        The path of the archive written (what ``torch.jit.load`` and ``load`` read).

    Raises:
        PipelineError: ``path`` is not a non-empty path, a parent folder does not exist,
            ``path`` is a file where a folder is wanted, ``name`` is not a plain file stem, or
            the disk refused the write (full, read-only, no permission): the message names the
            path and the cause, no temporary file is left and an earlier file stays intact.
    """
    if name is None:
        location = _location(path, call=f"Pipeline.save({path!r})")
        call = f"Pipeline.save({location!r})"
        if location.endswith((os.sep, "/")) and not os.path.isdir(location):
            raise PipelineError(f"{call}: the path ends with a separator, so it names a folder, and that folder does not exist. Fix: create it first or drop the separator.")
        target = os.path.join(location, DEFAULT_NAME) if os.path.isdir(location) else location
        _parent_must_exist(target, call=call)
        _, archive = _serialise(pipeline, call=call)
        return _write(target, archive, call=call)
    location = _location(path, call=f"Pipeline.save({path!r}, {name!r})")
    stem = _check_name(name, folder=location)
    call = f"Pipeline.save({location!r}, {name!r})"
    if os.path.exists(location) and not os.path.isdir(location):
        raise PipelineError(f"{call}: {location!r} is a file, and the folder form writes into a folder. Fix: pick another folder.")
    _parent_must_exist(location, call=call)
    meta, archive = _serialise(pipeline, call=call)
    created = not os.path.isdir(location)
    try:
        os.makedirs(location, exist_ok=True)
    except OSError as error:
        raise PipelineError(f"{call}: could not create the folder {location!r}: {_os_cause(error)}. Fix: save into a folder you may write to.") from None
    archive_path = os.path.join(location, stem + ARCHIVE_SUFFIX)
    previous = _read_if_present(archive_path)
    spec = {**meta, "archive": stem + ARCHIVE_SUFFIX}
    try:
        target = _write(archive_path, archive, call=call)
        try:
            _write(os.path.join(location, stem + SPEC_SUFFIX), json.dumps(spec, indent=1, sort_keys=True) + "\n", call=call)
        except PipelineError:
            _restore(archive_path, previous, call=call)
            raise
    except PipelineError:
        if created:
            with contextlib.suppress(OSError):
                os.rmdir(location)  # only if still empty
        raise
    return target


def _restore(archive_path: str, previous: bytes | None, *, call: str) -> None:
    """Puts back the archive as it was before a folder-form save whose spec could not be written."""
    try:
        if previous is None:
            os.unlink(archive_path)
        else:
            write_atomically(archive_path, previous)
    except OSError as error:
        raise PipelineError(
            f"{call}: the spec could not be written, and putting back the earlier {archive_path!r} failed too "
            f"({_os_cause(error)}); the archive there is the new one. Fix: free some space, then save again."
        ) from None


def _serialise(pipeline: Pipeline, *, call: str) -> tuple[dict[str, Any], bytes]:
    """The metadata and the archive's bytes (serialised in memory, so a failing disk never meets torch's writer).

    The bytes are read back in memory before anything is written: torch.jit.save writes some
    submodule and attribute names (quotes, backslashes, newlines, keywords such as ``class``,
    non-ASCII) that torch.jit.load then cannot parse, and a file that load refuses is no save.
    """
    meta = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        **pipeline.describe(),
        "torch_version": torch.__version__,
        "toolkit_version": _toolkit_version(),
    }
    examples = io.BytesIO()
    torch.save({"inputs": pipeline.example_inputs, "outputs": pipeline.example_outputs}, examples)
    extra = {META_FILE: json.dumps(meta, indent=1, sort_keys=True), EXAMPLES_FILE: examples.getvalue()}
    archive = io.BytesIO()
    try:
        torch.jit.save(pipeline.module, archive, _extra_files=extra)
        torch.jit.load(io.BytesIO(archive.getvalue()), map_location="cpu")
    except Exception as error:  # torch raises RuntimeError, SyntaxError-like frontend errors and more here
        raise PipelineError(
            f"{call}: pipeline {pipeline.name!r} cannot be saved so that load() reads it back: TorchScript "
            f"refused its own archive ({type(error).__name__}: {_parse_failure(error)}); a submodule or attribute "
            "name is probably not a plain Python identifier (quotes, backslashes, newlines, keywords such as "
            "'class' or 'None', non-ASCII letters). Nothing was written. Fix: rename the submodule or attribute "
            "to an identifier such as 'layer1', then trace and save again."
        ) from None
    return meta, archive.getvalue()


def _parse_failure(error: BaseException) -> str:
    """What torch.jit.load's parser says first (``expected ident but found 'class' here``), the name it tripped on."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return lines[0].rstrip(":") if lines else type(error).__name__


def _read_spec(path: str) -> tuple[dict[str, Any] | None, str]:
    """The spec at ``path``, or None and why it is not one."""
    try:
        with open(path, encoding="utf-8") as handle:
            spec = json.load(handle)
    except OSError as error:
        return None, f"it cannot be read ({_os_cause(error)})"
    except ValueError as error:
        return None, f"it is not valid JSON ({error})"
    if not isinstance(spec, dict) or spec.get("format") != FORMAT:
        return None, f"its 'format' field is not {FORMAT!r}"
    if not isinstance(spec.get("archive"), str):
        return None, "its 'archive' field, the name of the .pt file beside it, is missing or not a string"
    return spec, ""


def _is_spec(path: str) -> bool:
    return _read_spec(path)[0] is not None


def _archive_of_spec(spec_path: str, *, shown: str) -> str:
    spec, why = _read_spec(spec_path)
    if spec is None:
        raise PipelineError(
            f"load({shown!r}): {spec_path!r} is not a toolkit pipeline spec (the {SPEC_SUFFIX} file that "
            f"Pipeline.save(folder, name) writes): {why}. Fix: pass the folder or the .pt archive, or save the pipeline again."
        )
    archive = spec["archive"]
    if archive != os.path.basename(archive) or not archive:
        raise PipelineError(f"load({shown!r}): the spec names the archive {archive!r} outside its folder. Fix: save the pipeline again.")
    _refuse_bad_metadata(spec, where=repr(spec_path), shown=shown, extra=frozenset({"archive"}))
    return os.path.join(os.path.dirname(spec_path), archive)


def _refuse_bad_metadata(meta: Any, *, where: str, shown: str, extra: frozenset[str] = frozenset()) -> None:
    """A PipelineError listing every schema problem of ``meta`` (read from ``where``), if any."""
    if not isinstance(meta, dict):
        raise PipelineError(f"load({shown!r}): the metadata in {where} is {type(meta).__name__}, not a JSON object. Fix: save the pipeline again.")
    if meta.get("format") != FORMAT or meta.get("format_version") not in SCHEMAS:
        raise PipelineError(
            f"load({shown!r}): pipeline format {meta.get('format')!r} version {meta.get('format_version')!r} is not "
            f"{FORMAT!r} version {FORMAT_VERSION}. Fix: save it again with this toolkit."
        )
    problems = check_metadata(meta, version=meta["format_version"], extra=extra)
    if problems:
        listed = "".join(f"\n  - {problem}" for problem in problems)
        raise PipelineError(
            f"load({shown!r}): the metadata in {where} was changed by hand or damaged; "
            f"{len(problems)} problem(s):{listed}\nFix: save the pipeline again from the traced pipeline rather than editing the file."
        )


def _pipelines_in(folder: str) -> dict[str, str]:
    """The pipelines a folder holds: spec name -> archive (``pipeline`` for a one-file save into it)."""
    found: dict[str, str] = {}
    for entry in sorted(os.listdir(folder)):
        candidate = os.path.join(folder, entry)
        if entry.endswith(SPEC_SUFFIX) and _is_spec(candidate):
            found[entry[: -len(SPEC_SUFFIX)]] = _archive_of_spec(candidate, shown=folder)
    legacy = os.path.join(folder, DEFAULT_NAME)
    if os.path.isfile(legacy):
        found.setdefault(DEFAULT_NAME[: -len(ARCHIVE_SUFFIX)], legacy)
    return found


def _locate(path: str | os.PathLike, *, name: str | None) -> str:
    """The archive that ``path`` (and ``name``) mean: an archive, a spec, or a folder."""
    location = os.fspath(path)
    if os.path.isdir(location):
        found = _pipelines_in(location)
        if name is not None:
            if name not in found:
                raise PipelineError(
                    f"load({location!r}, name={name!r}): the folder holds no pipeline of that name; it holds "
                    f"{sorted(found) or 'none'}. Fix: pass one of those names."
                )
            return found[name]
        if len(found) == 1:
            return next(iter(found.values()))
        if not found:
            raise PipelineError(
                f"load({location!r}): the folder holds no saved pipeline (no {SPEC_SUFFIX} spec, no {DEFAULT_NAME}). "
                "Fix: pass the path Pipeline.save() returned."
            )
        raise PipelineError(
            f"load({location!r}): the folder holds several pipelines {sorted(found)}. Fix: pick one with name=..."
        )
    if name is not None:
        raise PipelineError(f"load({location!r}, name={name!r}): name= picks a pipeline inside a folder, but {location!r} is not a folder. Fix: drop name= or pass the folder.")
    if location.endswith(SPEC_SUFFIX) and os.path.isfile(location):
        return _archive_of_spec(location, shown=location)
    return location


def read_metadata(path: str | os.PathLike, *, name: str | None = None) -> dict[str, Any]:
    """The metadata of a saved pipeline (either form), without applying any device rule.

    Raises:
        PipelineError: no such file, not a TorchScript archive, not a toolkit pipeline, or
            metadata that does not fit the schema (each problem named by its field).
    """
    _, meta, _ = _open(_locate(_location(path, call=f"read_metadata({path!r})"), name=_name_argument(name, call="read_metadata")))
    return meta


def _name_argument(name: object, *, call: str) -> str | None:
    if name is not None and not isinstance(name, str):
        raise PipelineError(f"{call}(..., name={name!r}): name must be a string, the spec name given to Pipeline.save(folder, name), or None. Fix: pass a string or None.")
    return name


def _open(location: str) -> tuple[torch.jit.ScriptModule, dict[str, Any], bytes]:
    if not os.path.isfile(location):
        raise PipelineError(f"load({location!r}): no such file. Fix: pass the path Pipeline.save() returned.")
    extra: dict[str, Any] = {META_FILE: "", EXAMPLES_FILE: ""}  # torch.jit.load replaces each value with the file's bytes
    try:
        module = torch.jit.load(location, map_location="cpu", _extra_files=extra)
    except RuntimeError as error:
        raise PipelineError(
            f"load({location!r}): not a TorchScript archive ({torch_message(error)}). Fix: pass a file written by Pipeline.save()."
        ) from error
    raw_meta = extra[META_FILE]
    if not raw_meta:
        raise PipelineError(
            f"load({location!r}): the file is a TorchScript module but not a toolkit pipeline (it has no {META_FILE}). "
            "Fix: run it with torch.jit.load, or wrap it as an op with toolkit.pipeline.script(path, device=...)."
        )
    try:
        meta = json.loads(raw_meta)
    except ValueError as error:
        raise PipelineError(
            f"load({location!r}): {META_FILE} inside the archive is not valid JSON ({error}); it was edited or damaged "
            "after saving. Fix: save the pipeline again."
        ) from None
    _refuse_bad_metadata(meta, where=f"{META_FILE} of {location!r}", shown=location)
    _refuse_missing_ops(module, meta, location=location)
    return module, meta, extra[EXAMPLES_FILE]


def _refuse_missing_ops(module: torch.jit.ScriptModule, meta: dict[str, Any], *, location: str) -> None:
    """The metadata must describe this module: every op attribute present, the inputs its forward's parameters."""
    problems = [
        f"ops[{index}].attr is {spec['attr']!r}, but the module has no op of that name"
        for index, spec in enumerate(meta["ops"])
        if not isinstance(getattr(module, spec["attr"], None), torch.jit.ScriptModule) or not hasattr(module, f"{spec['attr']}_device")
    ]
    schema = module.forward.schema  # type: ignore[attr-defined]  # a ScriptMethod has .schema
    expected = [argument.name for argument in schema.arguments[1:]]
    given = [item["name"] for item in meta["inputs"]]
    if given != expected:
        problems.append(f"inputs names {given}, but the module's forward takes {expected}")
    if problems:
        listed = "".join(f"\n  - {problem}" for problem in problems)
        raise PipelineError(
            f"load({location!r}): the metadata in {META_FILE} does not describe the module stored with it; "
            f"{len(problems)} problem(s):{listed}\nFix: save the pipeline again from the traced pipeline rather than editing the file."
        )


def _read_examples(raw: bytes, *, location: str, inputs: int) -> dict[str, Any]:
    """The stored examples, read only with torch's safe loader (``weights_only=True``)."""
    problem = ""
    try:
        examples = torch.load(io.BytesIO(raw), map_location="cpu", weights_only=True)
    except Exception as error:  # noqa: BLE001 - unpickling garbage raises many types
        examples, problem = None, f"it cannot be read as plain tensors ({type(error).__name__})"
    if not problem and not (isinstance(examples, dict) and set(examples) == {"inputs", "outputs"}):
        problem = "it does not hold the 'inputs' and 'outputs' that Pipeline.save writes"
    elif not problem and not (isinstance(examples["inputs"], (list, tuple)) and len(examples["inputs"]) == inputs):
        problem = f"its 'inputs' are not a sequence of {inputs} value(s), one per pipeline input"
    if problem:
        raise PipelineError(
            f"load({location!r}): {EXAMPLES_FILE} inside the archive, the stored example inputs and outputs, is damaged: "
            f"{problem}. The toolkit reads it only with torch's safe loader and never loads it any other way. "
            "Fix: save the pipeline again from the traced pipeline."
        )
    assert isinstance(examples, dict)
    return examples


def _unused_device_note(target: torch.device, *, location: str, device: DeviceSpec) -> str:
    try:
        check_device_available(target)
        where = ""
    except DeviceError:
        where = ", which this machine does not have"
    return (
        f"load({location!r}, device={device!r}): every op runs on the CPU, so no op needed {device_label(target)}"
        f"{where}; the pipeline runs on the CPU (Matx: a CPU op ignores the load device)."
    )


@message_first
def load(
    path: str | os.PathLike, device: DeviceSpec, *, name: str | None = None, allow_gpu_to_cpu: bool = False
) -> Pipeline:
    """Loads a saved pipeline (either form), placing its ops by the device rules (module docstring).

    Args:
        path: the archive ``Pipeline.save`` returned, a folder-form spec (``name.json``), or a
            folder (holding one pipeline, or pick one with ``name``).
        device: required, as in Matx: ``-1``/``"cpu"`` or ``N``/``"cuda:N"`` (logical ordinal).
            Only GPU ops use it: a pipeline whose ops all run on the CPU loads on the CPU
            whatever the device, even one this machine lacks; it then warns with
            ``UnusedDeviceWarning`` and keeps the same text in ``Pipeline.notes``.
        name: which pipeline of a folder holding several.
        allow_gpu_to_cpu: let GPU ops move to the CPU when ``device`` is the CPU; each moved op
            is then checked on the stored example inputs.

    Raises:
        DeviceError: a GPU op needs ``device`` and it does not exist here, a GPU op would land
            on the CPU without ``allow_gpu_to_cpu``, or a moved op fails its check.
        PipelineError: the file or folder is missing, unreadable, or not a toolkit pipeline.
    """
    if device is None:
        raise DeviceError(
            f"load({path!r}, device=None): a device is required. Fix: pass -1 or 'cpu' for the CPU, "
            "N or 'cuda:N' for a GPU."
        )
    if not isinstance(allow_gpu_to_cpu, bool):
        raise PipelineError(f"load(..., allow_gpu_to_cpu={allow_gpu_to_cpu!r}): it must be True or False. Fix: pass True or False.")
    target = resolve_device(device, what=f"load(..., device={device!r})")
    location = _locate(_location(path, call=f"load({path!r})"), name=_name_argument(name, call="load"))
    module, meta, raw_examples = _open(location)
    specs = [OpSpec(**{**spec, "baked_devices": tuple(spec["baked_devices"])}) for spec in meta["ops"]]

    gpu_ops = [spec for spec in specs if spec.device != "cpu"]
    notes: list[str] = []
    if gpu_ops and target.type == "cpu" and not allow_gpu_to_cpu:
        names = ", ".join(f"{spec.attr!r} (on {spec.device})" for spec in gpu_ops)
        raise DeviceError(
            f"load({location!r}, device={device!r}): the pipeline has GPU op(s) {names}, and a GPU op loaded on "
            "the CPU is undefined in Matx. Fix: load it on a GPU (device=0 or 'cuda:0'), or pass allow_gpu_to_cpu=True "
            "to move those ops to the CPU and check them on the stored example inputs."
        )
    if gpu_ops:
        check_device_available(target, what=f"load({location!r}, device={device!r})")
    elif target.type != "cpu":
        notes.append(_unused_device_note(target, location=location, device=device))
        warnings.warn(UnusedDeviceWarning(notes[-1]), stacklevel=2)

    placed: list[OpSpec] = []
    moved: list[OpSpec] = []
    for spec in specs:
        destination = torch.device("cpu") if spec.device == "cpu" else target
        label = device_label(destination)
        getattr(module, spec.attr).to(destination)
        setattr(module, f"{spec.attr}_device", destination)
        new_spec = OpSpec(**{**spec.__dict__, "device": label})
        placed.append(new_spec)
        if label != spec.traced_device and (label == "cpu" or not spec.is_portable):
            moved.append(new_spec)

    examples = _read_examples(raw_examples, location=location, inputs=len(meta["inputs"]))
    placed_by_attr = {spec.attr: spec for spec in placed}
    pipeline = Pipeline(
        module=module,
        name=meta["name"],
        inputs=tuple(PipelineInput(**item) for item in meta["inputs"]),
        outputs=tuple(PipelineOutput(name=item["name"], depends_on=tuple(item["depends_on"])) for item in meta["outputs"]),
        specs=tuple(placed),
        calls=tuple(
            OpCall(**{
                **call,
                "device": placed_by_attr[call["op"]].device,
                "inputs": tuple(call["inputs"]),
                "outputs": tuple(call["outputs"]),
                "depends_on": tuple(call["depends_on"]),
            })
            for call in meta["calls"]
        ),
        example_inputs=tuple(examples["inputs"]),
        example_outputs=examples["outputs"],
        path=location,
        notes=tuple(notes),
    )
    if moved:
        _check_moved(pipeline, moved, location)
    return pipeline


def _check_moved(pipeline: Pipeline, moved: list[OpSpec], location: str) -> None:
    """Runs the stored examples; a failure or a wrong answer becomes a DeviceError naming the ops."""
    names = ", ".join(f"{spec.attr!r} ({spec.traced_device} -> {spec.device}, baked devices: {list(spec.baked_devices) or 'none'})" for spec in moved)
    feed = dict(zip(pipeline.input_names, pipeline.example_inputs))
    try:
        with torch.no_grad():
            actual = pipeline.run(feed)
    except PipelineError as error:
        raise DeviceError(
            f"load({location!r}): op(s) {names} were moved and then failed on the stored example inputs: "
            f"{torch_message(error.__cause__ or error)}. A trace bakes devices into its graph. Fix: re-trace the model on "
            "the target device, or script it (trace_func=torch.jit.script)."
        ) from error
    difference = first_difference(actual, pipeline.example_outputs, **LOOSE)
    if difference is not None:
        raise DeviceError(
            f"load({location!r}): op(s) {names} were moved and no longer reproduce the stored outputs: {difference}. "
            "Fix: re-trace the model on the target device, or script it (trace_func=torch.jit.script)."
        )
