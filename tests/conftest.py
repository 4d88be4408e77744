"""Shared fixtures: the model zoo, traced and scripted once per session, and snapshot files."""

from __future__ import annotations

import os
import pathlib

import pytest
import torch

from tests.fixtures import models

SNAPSHOTS = pathlib.Path(__file__).parent / "snapshots"


def pytest_collection_modifyitems(config, items):
    if torch.cuda.is_available():
        return
    skip_gpu = pytest.mark.skip(reason="needs CUDA: run on the GPU machine (see README)")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip_gpu)


@pytest.fixture(scope="session")
def zoo():
    """name -> (eager model, example inputs, scripted, traced), built once."""
    torch.manual_seed(0)
    built = {}
    for name in ("MyCell1", "MyCell2", "MyCell3", "MyDecisionGate", "MLP", "ConvNet", "GatedLSTMCell", "ResNet50ish"):
        model = getattr(models, name)().eval()
        inputs = models.example_inputs(name)
        scripted = torch.jit.script(model)
        traced = torch.jit.trace(model, inputs, check_trace=False)
        built[name] = (model, inputs, scripted, traced)
    traced_fn, script_fn, Net = models.hybrid_net_parts()
    net = Net()
    built["HybridNet"] = (net, (torch.tensor([5]),), torch.jit.script(net), torch.jit.trace(net, (torch.tensor([5]),)))
    built["loop_product"] = (models.loop_product, (torch.tensor(4),), script_fn, None)
    return built


@pytest.fixture
def snapshot():
    """``snapshot(name, text)`` compares with tests/snapshots/<name>; UPDATE_SNAPSHOTS=1 rewrites."""

    def check(name: str, text: str) -> None:
        path = SNAPSHOTS / name
        if os.environ.get("UPDATE_SNAPSHOTS") == "1" or not path.exists():
            if os.environ.get("CI") and not path.exists():
                pytest.fail(f"snapshot {name} is missing; run UPDATE_SNAPSHOTS=1 pytest locally and commit it")
            path.write_text(text)
        assert text == path.read_text(), f"{name} changed; if intended, rerun with UPDATE_SNAPSHOTS=1"

    return check
