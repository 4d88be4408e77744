"""InferenceOp and pipeline trace with Matx's semantics, on CPU and GPU (torch alone).

The user-facing shape of ByteDance Matx's PyTorch integration, rebuilt on TorchScript:

* :func:`script` packs a ScriptModule, ScriptFunction, ``nn.Module``, function or saved file
  with a device into an :class:`InferenceOp`, callable eagerly with tensors, numpy arrays or
  DLPack objects;
* :func:`trace` records a Python function that calls InferenceOps into a :class:`Pipeline`:
  one TorchScript module, run with a dict (``Pipeline.run``) or keywords;
* ``Pipeline.save(path)`` writes one file that ``torch.jit.load`` runs (``save(folder, name)``
  writes Matx's folder with a spec), and :func:`load` puts either back on a device by exact
  rules: a CPU op ignores the load device (a GPU nobody needs may be missing: an
  :class:`UnusedDeviceWarning`), a GPU op asked onto the CPU is a :class:`DeviceError`, not
  Matx's undefined behaviour;
* ``warmup()`` runs a pipeline (or op) before the first real call, and :func:`profile` times
  each op call of a run (a :class:`ProfileTable` with a text, HTML and bar-chart view).

This package imports torch and nothing from Jupyter, so it runs on a machine that has only
torch (the GPU machines).
"""

from toolkit.pipeline.container import OpCall, OpSpec, Pipeline, PipelineInput, PipelineOutput
from toolkit.pipeline.convert import to_torch
from toolkit.pipeline.devices import BakedDeviceWarning, resolve_device
from toolkit.errors import FeedError
from toolkit.pipeline.op import InferenceOp, script
from toolkit.pipeline.profiling import GpuActivity, count_gpu_activity
from toolkit.pipeline.saving import UnusedDeviceWarning, load, read_metadata
from toolkit.pipeline.timing import OpTiming, ProfileTable, profile
from toolkit.pipeline.trace import trace

__all__ = [
    "script",
    "trace",
    "load",
    "read_metadata",
    "profile",
    "ProfileTable",
    "OpTiming",
    "UnusedDeviceWarning",
    "InferenceOp",
    "Pipeline",
    "PipelineInput",
    "PipelineOutput",
    "OpCall",
    "OpSpec",
    "FeedError",
    "BakedDeviceWarning",
    "to_torch",
    "resolve_device",
    "count_gpu_activity",
    "GpuActivity",
]
