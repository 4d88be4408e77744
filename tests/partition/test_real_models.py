"""``toolkit.partition.trace`` on real library models (torchvision, transformers, torch.nn), small
configurations: each partitions into one accelerator segment and matches the eager model, or
refuses with a short ToolkitError that names the library and never asks to edit it."""

from __future__ import annotations

import warnings

import pytest
import torch

import toolkit.partition as tp
from tests.fixtures.partition_real import RealModel, corpus_models
from tests.real_models.torchvision_shim import wheel_folder
from toolkit.analysis.partition.proposal import Target
from toolkit.errors import FallbackError, PartitionError
from toolkit.frames import library_code
from toolkit.partition.backends import max_abs_diff

MODELS = {m.name: m for m in corpus_models()}
# One fused op (the encoder layer's eval fast path) is below minimum_segment_size=2 on its own.
ONE_OP = {"transformer_encoder_layer": {"minimum_segment_size": 1}}


def partition(entry: RealModel, **options):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", torch.jit.TracerWarning)
        return tp.trace(entry.build(), entry.inputs(2), device="cpu", check_trace=False, **entry.trace_kwargs, **options)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_a_real_model_is_one_accelerator_segment_matching_eager(name):
    entry = MODELS[name]
    result = partition(entry, **ONE_OP.get(name, {}))
    plan = tp.plan_of(result)
    assert [s.target for s in plan.proposal.segments] == [Target.ACCELERATOR]
    assert all(d.target is Target.ACCELERATOR for d in plan.proposal.decisions.values())
    inputs = tuple(t.clone() for t in entry.inputs(2))
    if inputs[0].is_floating_point():
        inputs = (torch.rand_like(inputs[0]),) + inputs[1:]
    with torch.no_grad():
        assert max_abs_diff(result(*inputs), entry.build()(*inputs)) <= 1e-4


def test_vit_class_token_cat_runs_with_the_patches():
    """torchvision's ViT: ``torch.cat([class_token, patches])`` is not sent to the CPU."""
    plan = tp.plan_of(partition(MODELS["vit"]))
    cats = [n for n in plan.proposal.graph.nodes if n.op == "aten::cat"]
    assert cats and all(plan.proposal.decisions[n.id].target is Target.ACCELERATOR for n in cats)
    assert plan.transfers == 2


def test_swin_split_by_the_caller_is_refused_once_naming_the_library():
    with library_code(library=(str(wheel_folder()),)):
        with pytest.raises(PartitionError) as caught:
            partition(MODELS["swin_t"], supported=lambda node: node.kind != "aten::fill_", minimum_segment_size=1)
    message = str(caught.value)
    assert message.count("\n  - ") == 1
    assert "in-place writes (aten::fill_) in ShiftedWindowAttention (swin_transformer.py) (library code)" in message
    assert "out-of-place" not in message and "supported=" in message
    assert len(message) < 800


def test_fallback_false_on_a_real_model_gives_one_line_per_cause():
    """MobileNetV3 under the neuron-like op list: 29 CPU ops, three causes, all in torch.nn."""
    with pytest.raises(FallbackError) as caught:
        partition(MODELS["mobilenet_v3_small"], supported="neuron-like", fallback=False)
    message = str(caught.value)
    lines = [line for line in message.splitlines() if line.startswith("  - ")]
    assert len(lines) == 3
    assert lines[0].startswith("  - 19 x aten::hardswish_ (Hardswish (activation.py), library code, in features.0.2 and 18 more)")
    assert len(message) < 1000
