"""Import torchvision beside a CPU-only torch, for the real-model corpus and its bench.

Why this exists: PyPI's torchvision wheels for Linux are CUDA builds. Their compiled ``_C.so``
does not load next to the CPU torch this project pins, torchvision then carries on without its
operators, and ``import torchvision`` dies in ``_meta_registrations`` with "operator
torchvision::nms does not exist", because that module attaches fake kernels to op schemas the
missing library was meant to define.

What we do instead of building torchvision from source (minutes, a compiler, a CUDA-free build
matrix to keep) or mirroring a CPU wheel index (not reachable from every machine this runs on):

1. The model definitions are pure Python, so the wheel is unpacked (``pip install --no-deps
   --target .venv/torchvision-wheel``, see scripts/bootstrap.sh) into a folder that is *not* the
   venv's site-packages. transformers probes for torchvision at import time; kept out of
   site-packages it never finds the broken copy on its own.
2. When the wheel's ``_C.so`` really loads (a GPU machine with a matching CUDA torch), we change
   nothing and import torchvision as it is.
3. Otherwise we define every ``torchvision::`` schema torchvision's Python side refers to
   (``_OP_SCHEMAS``) in a ``torch.library`` fragment, give ``nms`` and ``roi_align`` CPU kernels
   written with plain torch ops (enough for Faster R-CNN inference), import torchvision with its
   "could not load the image extension" warnings silenced, and tell its ``extension`` module the
   operators are present so ``torchvision.ops`` dispatches to our kernels. The other ops keep
   their schemas only: calling them raises torch's own "no kernel" error.

Inference only: the kernels have no backward (autograd reports that if a test ever asks).
The folder can be moved with ``TOOLKIT_TORCHVISION_PATH``.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import pathlib
import sys
import types
import warnings

import torch

REPO_ROOT = pathlib.Path(__file__).resolve().parents[2]
DEFAULT_WHEEL_FOLDER = REPO_ROOT / ".venv" / "torchvision-wheel"
PATH_VARIABLE = "TOOLKIT_TORCHVISION_PATH"

# The schemas torchvision 0.28's C++ library defines (``_cuda_version`` aside, which is only
# asked when the library loaded); its Python side (``_meta_registrations``, ``torchvision.ops``)
# names every one of them, and TorchScript resolves them when it compiles a detection model.
_OP_SCHEMAS = (
    "nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
    "qnms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
    "roi_align(Tensor input, Tensor rois, float spatial_scale, SymInt pooled_height, SymInt pooled_width, int sampling_ratio, bool aligned) -> Tensor",
    "_roi_align_backward(Tensor grad, Tensor rois, float spatial_scale, SymInt pooled_height, "
    "SymInt pooled_width, SymInt batch_size, SymInt channels, SymInt height, SymInt width, "
    "int sampling_ratio, bool aligned) -> Tensor",
    "qroi_align(Tensor input, Tensor rois, float input_scale, int input_zero_point, "
    "float rois_scale, int rois_zero_point, float spatial_scale, SymInt pooled_height, "
    "SymInt pooled_width, int sampling_ratio, bool aligned) -> Tensor",
    "ps_roi_align(Tensor input, Tensor rois, float spatial_scale, SymInt pooled_height, SymInt pooled_width, int sampling_ratio) -> (Tensor, Tensor)",
    "_ps_roi_align_backward(Tensor grad, Tensor rois, Tensor channel_mapping, float spatial_scale, "
    "SymInt pooled_height, SymInt pooled_width, int sampling_ratio, SymInt batch_size, "
    "SymInt channels, SymInt height, SymInt width) -> Tensor",
    "roi_pool(Tensor input, Tensor rois, float spatial_scale, SymInt pooled_height, SymInt pooled_width) -> (Tensor, Tensor)",
    "_roi_pool_backward(Tensor grad, Tensor rois, Tensor argmax, float spatial_scale, "
    "SymInt pooled_height, SymInt pooled_width, SymInt batch_size, SymInt channels, "
    "SymInt height, SymInt width) -> Tensor",
    "ps_roi_pool(Tensor input, Tensor rois, float spatial_scale, SymInt pooled_height, SymInt pooled_width) -> (Tensor, Tensor)",
    "_ps_roi_pool_backward(Tensor grad, Tensor rois, Tensor channel_mapping, float spatial_scale, "
    "SymInt pooled_height, SymInt pooled_width, SymInt batch_size, SymInt channels, "
    "SymInt height, SymInt width) -> Tensor",
    "deform_conv2d(Tensor input, Tensor weight, Tensor offset, Tensor mask, Tensor bias, "
    "SymInt stride_h, SymInt stride_w, SymInt pad_h, SymInt pad_w, SymInt dilation_h, "
    "SymInt dilation_w, SymInt groups, SymInt offset_groups, bool use_mask) -> Tensor",
    "_deform_conv2d_backward(Tensor grad, Tensor input, Tensor weight, Tensor offset, Tensor mask, "
    "Tensor bias, SymInt stride_h, SymInt stride_w, SymInt pad_h, SymInt pad_w, SymInt dilation_h, "
    "SymInt dilation_w, SymInt groups, SymInt offset_groups, bool use_mask) "
    "-> (Tensor, Tensor, Tensor, Tensor, Tensor)",
    "box_iou_rotated(Tensor boxes1, Tensor boxes2) -> Tensor",
)

# Kept alive for the life of the process: dropping a Library object unregisters what it defined.
_LIBRARIES: list[torch.library.Library] = []


class TorchvisionUnavailable(RuntimeError):
    """No torchvision folder was found; the message says how to make one."""


def wheel_folder() -> pathlib.Path:
    """Where the unpacked wheel lives: ``$TOOLKIT_TORCHVISION_PATH`` or ``.venv/torchvision-wheel``."""
    configured = os.environ.get(PATH_VARIABLE)
    return pathlib.Path(configured) if configured else DEFAULT_WHEEL_FOLDER


def _has_schema(name: str) -> bool:
    try:
        torch._C._dispatch_find_schema_or_throw(f"torchvision::{name}", "")
    except RuntimeError:
        return False
    return True


def _box_areas(boxes: torch.Tensor) -> torch.Tensor:
    return (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])


def _nms_kernel(dets: torch.Tensor, scores: torch.Tensor, iou_threshold: float) -> torch.Tensor:
    """Greedy non-maximum suppression: walk the boxes from the highest score down, keep a box
    unless an already kept one overlaps it by more than ``iou_threshold`` (intersection over union).
    Returns the kept indices into ``dets``, highest score first, as torchvision's kernel does."""
    if dets.numel() == 0:
        return torch.empty(0, dtype=torch.long, device=dets.device)
    order = torch.sort(scores, descending=True, stable=True).indices
    boxes = dets[order]
    top_left = torch.maximum(boxes[:, None, :2], boxes[None, :, :2])
    bottom_right = torch.minimum(boxes[:, None, 2:], boxes[None, :, 2:])
    overlap = (bottom_right - top_left).clamp(min=0).prod(dim=2)
    areas = _box_areas(boxes)
    iou = overlap / (areas[:, None] + areas[None, :] - overlap)
    suppresses = iou > iou_threshold
    removed = torch.zeros(len(boxes), dtype=torch.bool, device=dets.device)
    kept = []
    for position in range(len(boxes)):
        if not bool(removed[position]):
            kept.append(position)
            removed |= suppresses[position]
    return order[torch.tensor(kept, dtype=torch.long, device=dets.device)]


def _roi_align_kernel(
    input: torch.Tensor,
    rois: torch.Tensor,
    spatial_scale: float,
    pooled_height: int,
    pooled_width: int,
    sampling_ratio: int,
    aligned: bool,
) -> torch.Tensor:
    # torchvision ships a pure-torch RoIAlign for devices without its C++ kernel; imported here,
    # at call time, because torchvision is not importable yet when the kernel is registered.
    from torchvision.ops.roi_align import _roi_align

    return _roi_align(input, rois, spatial_scale, pooled_height, pooled_width, sampling_ratio, aligned)


def _define_operators() -> None:
    library = torch.library.Library("torchvision", "FRAGMENT")
    for schema in _OP_SCHEMAS:
        name = schema.split("(", 1)[0]
        if not _has_schema(name):
            library.define(schema)
    library.impl("nms", _nms_kernel, "CompositeExplicitAutograd")
    library.impl("roi_align", _roi_align_kernel, "CompositeExplicitAutograd")
    _LIBRARIES.append(library)


def _compiled_library_loads(spec: importlib.machinery.ModuleSpec) -> bool:
    """Does the wheel's own ``_C.so`` load here (a CUDA torch that matches it)?"""
    locations = list(spec.submodule_search_locations or [])
    candidates = [path for folder in locations for path in pathlib.Path(folder).glob("_C*.so")]
    for candidate in candidates:
        try:
            torch.ops.load_library(str(candidate))
        except (OSError, RuntimeError):
            return False
        return True
    return False


def _operators_present() -> bool:
    """Stands in for ``torchvision.extension._has_ops`` (TorchScript compiles it too)."""
    return True


def import_torchvision() -> types.ModuleType:
    """Return the torchvision module, importing it through the steps in the module docstring.

    Idempotent. Raises ``TorchvisionUnavailable`` when no torchvision can be found.
    """
    if "torchvision" in sys.modules:
        return sys.modules["torchvision"]
    folder = wheel_folder()
    if folder.is_dir() and str(folder) not in sys.path:
        sys.path.insert(0, str(folder))
    spec = importlib.util.find_spec("torchvision")
    if spec is None:
        raise TorchvisionUnavailable(
            f"torchvision is not installed at {folder}: run scripts/bootstrap.sh, or "
            f"pip install --no-deps --target {folder} torchvision==0.28.0, "
            f"or point {PATH_VARIABLE} at an unpacked torchvision wheel"
        )
    if _compiled_library_loads(spec):
        return importlib.import_module("torchvision")
    _define_operators()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"(?i).*(image|video)(\s+python)?\s+extension")
        warnings.filterwarnings("ignore", message=r"(?i).*torchvision\.io")
        # torchvision's own modules use torch.jit decorators, each of which warns it is deprecated.
        warnings.filterwarnings("ignore", message=r".*torch\.jit", category=DeprecationWarning)
        torchvision = importlib.import_module("torchvision")
    extension = importlib.import_module("torchvision.extension")
    original = extension._has_ops
    for name, module in list(sys.modules.items()):
        if (name == "torchvision" or name.startswith("torchvision.")) and getattr(module, "_has_ops", None) is original:
            module._has_ops = _operators_present  # type: ignore[attr-defined]
    return torchvision
