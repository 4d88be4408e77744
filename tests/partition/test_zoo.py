"""The oracle every model of the partitioning zoo must pass.

``toolkit.partition.trace`` on the CPU reproduces the eager model exactly, for the model's own
support rule and for "everything supported", and every op left on the CPU has a reason.
"""

from __future__ import annotations

import pytest
import torch

import toolkit.partition as tp
from tests.fixtures.partition_zoo import ZOO, ZooModel
from toolkit.partition.backends import max_abs_diff


@pytest.mark.parametrize("entry", ZOO, ids=[z.name for z in ZOO])
def test_trace_on_cpu_reproduces_eager(entry: ZooModel, recwarn):
    model, inputs = entry.build(), entry.inputs()
    with torch.no_grad():
        expected = model(*inputs)
    trace_only = {k: v for k, v in entry.options.items() if k not in ("supported", "subgraph_builder_function")}
    configurations = [entry.options] if trace_only == entry.options else [entry.options, trace_only]
    for options in configurations:  # the same options twice would partition the same way twice
        partitioned = tp.trace(model, inputs, device="cpu", **options)
        with torch.no_grad():
            got = partitioned(*inputs)
        assert max_abs_diff(got, expected) <= 1e-5, (entry.name, options)
        plan = tp.plan_of(partitioned)
        cpu_ops = [p for p in plan.nodes if p.target == "cpu" and p.role in ("compute", "host")]
        assert all(p.reason for p in cpu_ops)
