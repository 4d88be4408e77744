"""Device specs and device rules for InferenceOps and pipelines.

Matx names a device by an int (``-1`` is the CPU, ``N`` is ``cuda:N``) or a string
(``"cpu"``, ``"cpu:0"``, ``"cuda:1"``). We accept those and ``torch.device`` objects, and turn
every one into a normalised ``torch.device`` (``cpu`` or ``cuda:N``, always with an index for
CUDA) so that comparisons and saved metadata are exact.

GPU ordinals are *logical* torch ordinals: ``cuda:1`` is the second device torch sees, after
``CUDA_VISIBLE_DEVICES`` has been applied. (Matx remapped physical ids through that variable;
we do not.)

A trace can bake a device into its graph as a constant (``prim::Constant[value="cuda:0"]``,
pytorch issues #31141, #19637, #62961); moving such a module's parameters to another device
does not move those constants. :func:`find_baked_devices` finds them so that ``script`` can
warn and ``load`` can verify a moved op before trusting it.
"""

from __future__ import annotations

from typing import Iterable, Union

import torch

from toolkit.errors import DeviceError
from toolkit.ir.build import baked_devices

__all__ = [
    "DeviceSpec",
    "BakedDeviceWarning",
    "resolve_device",
    "check_device_available",
    "module_device",
    "find_baked_devices",
    "device_label",
]

DeviceSpec = Union[int, str, torch.device]
"""What callers may pass as a device: ``-1``/``N``, ``"cpu"``/``"cuda:N"``, or a ``torch.device``."""

CPU = torch.device("cpu")


class BakedDeviceWarning(UserWarning):
    """A traced graph holds a device constant, so the op may not run on another device."""


def _usage(what: str) -> str:
    return (
        f"{what} use -1 or 'cpu' for the CPU, N or 'cuda:N' for GPU N "
        "(or a torch.device of type 'cpu' or 'cuda')"
    )


def resolve_device(spec: DeviceSpec, *, what: str = "device") -> torch.device:
    """Turns a Matx-style device spec into a normalised ``torch.device``.

    Args:
        spec: ``-1`` (CPU), ``N >= 0`` (``cuda:N``), ``"cpu"``, ``"cpu:0"``, ``"cuda"``,
            ``"cuda:N"`` or a ``torch.device``.
        what: how the error message names the argument (``"script(..., device=)"``).

    Returns:
        ``torch.device("cpu")`` or ``torch.device("cuda", N)``. ``"cuda"`` without an index
        becomes ``cuda:0`` so that saved metadata never depends on the current device.

    Raises:
        DeviceError: for anything else (bools, other negative ints, unknown strings, device
            types other than cpu and cuda).
    """
    if isinstance(spec, bool) or not isinstance(spec, (int, str, torch.device)):
        raise DeviceError(f"{what} got {spec!r} ({type(spec).__name__}). {_usage('Fix:')}.")
    if isinstance(spec, int):
        if spec == -1:
            return CPU
        if spec < -1:
            raise DeviceError(f"{what} got {spec}; negative ids other than -1 mean nothing. {_usage('Fix:')}.")
        return torch.device("cuda", spec)
    if isinstance(spec, str):
        try:
            device = torch.device(spec.strip())
        except (RuntimeError, ValueError):
            raise DeviceError(f"{what} got the string {spec!r}, which is not a device name. {_usage('Fix:')}.") from None
    else:
        device = spec
    if device.type == "cpu":
        if device.index not in (None, 0):
            raise DeviceError(
                f"{what} got {spec!r}, CPU number {device.index}, but torch has one CPU device that spans every core "
                f"('cpu', also written 'cpu:0' or -1). Fix: pass 'cpu'. For a GPU, use N or 'cuda:N'."
            )
        return CPU
    if device.type == "cuda":
        return torch.device("cuda", 0 if device.index is None else device.index)
    raise DeviceError(
        f"{what} got {spec!r} of type {device.type!r}; InferenceOps run on the CPU or on CUDA GPUs only. {_usage('Fix:')}."
    )


def check_device_available(device: torch.device, *, what: str = "device") -> None:
    """Raises ``DeviceError`` unless ``device`` exists on this machine.

    Args:
        device: a device returned by :func:`resolve_device`.
        what: how the error message names the thing that asked for the device.
    """
    if device.type != "cuda":
        return
    if not torch.cuda.is_available():
        raise DeviceError(
            f"{what} asks for {device_label(device)}, but this machine has no usable CUDA "
            "(torch.cuda.is_available() is False), so no GPU is available. Fix: use -1 or 'cpu', or run on a GPU machine."
        )
    count = torch.cuda.device_count()
    if device.index is not None and device.index >= count:
        raise DeviceError(
            f"{what} asks for {device_label(device)}, but torch sees {count} CUDA device(s) "
            f"(cuda:0 to cuda:{count - 1}; ordinals are logical, after CUDA_VISIBLE_DEVICES); "
            "Fix: pick one of those."
        )


def device_label(device: torch.device) -> str:
    """``"cpu"`` or ``"cuda:N"``: the form used in metadata and messages."""
    return "cpu" if device.type == "cpu" else f"{device.type}:{device.index}"


def module_device(module: torch.nn.Module, *, what: str) -> torch.device | None:
    """The one device that holds ``module``'s parameters (or buffers), or None if it has none.

    Matx takes ``next(model.parameters()).device``; we also refuse a module split over several
    devices, because an InferenceOp moves all its inputs to one device.

    Raises:
        DeviceError: the parameters and buffers live on more than one device.
    """
    devices: list[torch.device] = []
    for tensor in _tensors_of(module):
        if tensor.device not in devices:
            devices.append(tensor.device)
    if not devices:
        return None
    if len(devices) > 1:
        labels = ", ".join(str(d) for d in devices)
        raise DeviceError(
            f"{what} has parameters on several devices ({labels}); an InferenceOp runs on one "
            "device. Fix: pass device= to script() and it will move the whole module there."
        )
    return resolve_device(devices[0], what=f"the device of {what}'s parameters")


def _tensors_of(module: torch.nn.Module) -> Iterable[torch.Tensor]:
    yield from module.parameters()
    yield from module.buffers()


def find_baked_devices(graph: torch.Graph) -> tuple[str, ...]:
    """Device constants in ``graph`` (nested blocks included), in first-seen order.

    A traced ``torch.zeros(..., device=x.device)`` records ``x.device`` as a constant; these are
    what break a traced module moved to another device.

    Args:
        graph: an inlined TorchScript graph (``module.forward.inlined_graph``).

    Returns:
        Labels such as ``("cuda:0",)``; empty when the graph names no device.
    """
    labels = (device_label(resolve_device(device)) for device in baked_devices(graph))
    return tuple(dict.fromkeys(labels))
