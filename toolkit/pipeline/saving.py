"""Saving a Pipeline to one file, and loading it on a device by Matx's rules, made exact.

The file is a TorchScript archive (``torch.jit.save``) with two extra files:

* ``toolkit/meta.json``: format version, input and output names, every op's attribute,
  device, traced device, ``output_to_cpu`` and baked devices, the op calls, and the torch and
  toolkit versions that wrote it;
* ``toolkit/examples.pt``: the example inputs and the eager outputs (``torch.save``), used to
  check an op that ``load`` had to move.

``torch.jit.load(path)`` (or libtorch's ``torch::jit::load``) runs the file as it is: ops stay
on the devices they were saved on. ``load(path, device)`` applies the device rules:

=====================================  =====================================================
op / load device                        result
=====================================  =====================================================
CPU op, any load device                 stays on the CPU
GPU op, loaded on ``cuda:j``            moved to ``cuda:j`` (logical torch ordinal)
GPU op, loaded on the CPU               ``DeviceError`` naming the op; ``allow_gpu_to_cpu=True``
                                        moves it and checks it on the stored examples
``cuda:j`` that does not exist          ``DeviceError``
=====================================  =====================================================

An op whose graph has device constants baked in is checked on the stored examples whenever it
lands on a device other than the one it was traced on.
"""

from __future__ import annotations

import io
import json
import os
import sys
from typing import Any

import torch

from toolkit.errors import DeviceError, PipelineError
from toolkit.files import write_atomically
from toolkit.pipeline.checks import LOOSE, first_difference
from toolkit.pipeline.container import OpCall, OpSpec, Pipeline, PipelineInput, PipelineOutput
from toolkit.pipeline.devices import DeviceSpec, check_device_available, device_label, resolve_device
from toolkit.pipeline.failures import torch_message

__all__ = ["save", "load", "read_metadata", "FORMAT", "FORMAT_VERSION", "META_FILE", "EXAMPLES_FILE"]

FORMAT = "toolkit.pipeline"
FORMAT_VERSION = 1
META_FILE = "toolkit/meta.json"
EXAMPLES_FILE = "toolkit/examples.pt"
DEFAULT_NAME = "pipeline.pt"


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


def _target_file(path: str | os.PathLike) -> str:
    location = os.fspath(path)
    return os.path.join(location, DEFAULT_NAME) if os.path.isdir(location) else location


def save(pipeline: Pipeline, path: str | os.PathLike) -> str:
    """Writes ``pipeline`` to ``path`` (or ``path/pipeline.pt`` for a directory), atomically.

    Returns:
        The path of the file written.

    Raises:
        PipelineError: the directory does not exist or cannot be written.
    """
    target = _target_file(path)
    folder = os.path.dirname(os.path.abspath(target))
    if not os.path.isdir(folder):
        raise PipelineError(f"Pipeline.save({os.fspath(path)!r}): the folder {folder!r} does not exist; create it first.")
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
    archive = io.BytesIO()  # serialised in memory, so a failing disk never meets torch's writer
    torch.jit.save(pipeline.module, archive, _extra_files=extra)
    return write_atomically(target, archive.getvalue())


def read_metadata(path: str | os.PathLike) -> dict[str, Any]:
    """The metadata of a saved pipeline, without applying any device rule.

    Raises:
        PipelineError: no such file, not a TorchScript archive, or not a toolkit pipeline.
    """
    _, meta, _ = _open(path)
    return meta


def _open(path: str | os.PathLike) -> tuple[torch.jit.ScriptModule, dict[str, Any], bytes]:
    location = _target_file(path)
    if not os.path.isfile(location):
        raise PipelineError(f"load({os.fspath(path)!r}): no such file; pass the path Pipeline.save() returned.")
    extra: dict[str, Any] = {META_FILE: "", EXAMPLES_FILE: ""}  # torch.jit.load replaces each value with the file's bytes
    try:
        module = torch.jit.load(location, map_location="cpu", _extra_files=extra)
    except RuntimeError as error:
        raise PipelineError(
            f"load({location!r}): not a TorchScript archive ({torch_message(error)}); pass a file written by Pipeline.save()."
        ) from error
    raw_meta = extra[META_FILE]
    if not raw_meta:
        raise PipelineError(
            f"load({location!r}): the file is a TorchScript module but not a toolkit pipeline (it has no {META_FILE}); "
            "run it with torch.jit.load, or wrap it as an op with toolkit.pipeline.script(path, device=...)."
        )
    meta = json.loads(raw_meta)
    if meta.get("format") != FORMAT or meta.get("format_version") != FORMAT_VERSION:
        raise PipelineError(
            f"load({location!r}): pipeline format {meta.get('format')!r} version {meta.get('format_version')!r} is not "
            f"{FORMAT!r} version {FORMAT_VERSION}; save it again with this toolkit."
        )
    return module, meta, extra[EXAMPLES_FILE]


def load(path: str | os.PathLike, device: DeviceSpec, *, allow_gpu_to_cpu: bool = False) -> Pipeline:
    """Loads a saved pipeline, placing its ops by the device rules (see the module docstring).

    Args:
        path: the file ``Pipeline.save`` wrote (or its directory).
        device: required, as in Matx: ``-1``/``"cpu"`` or ``N``/``"cuda:N"`` (logical ordinal).
        allow_gpu_to_cpu: let GPU ops move to the CPU when ``device`` is the CPU; each moved op
            is then checked on the stored example inputs.

    Raises:
        DeviceError: ``device`` does not exist here, a GPU op would land on the CPU without
            ``allow_gpu_to_cpu``, or a moved op fails its check.
        PipelineError: the file is missing, unreadable, or not a toolkit pipeline.
    """
    if device is None:
        raise DeviceError(
            f"load({os.fspath(path)!r}, device=None): a device is required; pass -1 or 'cpu' for the CPU, "
            "N or 'cuda:N' for a GPU."
        )
    target = resolve_device(device, what=f"load(..., device={device!r})")
    check_device_available(target, what=f"load({os.fspath(path)!r}, device={device!r})")
    module, meta, raw_examples = _open(path)
    location = _target_file(path)
    specs = [OpSpec(**{**spec, "baked_devices": tuple(spec["baked_devices"])}) for spec in meta["ops"]]

    gpu_ops = [spec for spec in specs if spec.device != "cpu"]
    if gpu_ops and target.type == "cpu" and not allow_gpu_to_cpu:
        names = ", ".join(f"{spec.attr!r} (on {spec.device})" for spec in gpu_ops)
        raise DeviceError(
            f"load({location!r}, device={device!r}): the pipeline has GPU op(s) {names}, and a GPU op loaded on "
            "the CPU is undefined in Matx. Load it on a GPU (device=0 or 'cuda:0'), or pass allow_gpu_to_cpu=True "
            "to move those ops to the CPU and check them on the stored example inputs."
        )

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

    examples = torch.load(io.BytesIO(raw_examples), map_location="cpu", weights_only=True)
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
            f"{torch_message(error.__cause__ or error)}. A trace bakes devices into its graph; re-trace the model on "
            "the target device, or script it (trace_func=torch.jit.script)."
        ) from error
    difference = first_difference(actual, pipeline.example_outputs, **LOOSE)
    if difference is not None:
        raise DeviceError(
            f"load({location!r}): op(s) {names} were moved and no longer reproduce the stored outputs: {difference}. "
            "Re-trace the model on the target device, or script it (trace_func=torch.jit.script)."
        )
