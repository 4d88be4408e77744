"""Ordinary mistakes with ``trace``, ``analyze_model`` and ``plan_of``: each is a PartitionError
naming the argument, the cause and the fix, never a raw TypeError, KeyError or JSONDecodeError."""

from __future__ import annotations

import json
import math

import pytest
import torch
from torch import nn

import toolkit.partition as tp
from toolkit.errors import PartitionError


def small_model() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(3, 3), nn.ReLU()).eval()


def fail(_node):
    return 1 / 0


BAD_OPTIONS = [
    ({"minimum_segment_size": "2"}, r"minimum_segment_size must be a non-negative int, not '2'\..*Fix: minimum_segment_size=2"),
    ({"minimum_segment_size": 2.0}, r"minimum_segment_size must be a non-negative int, not 2\.0"),
    ({"minimum_segment_size": -1}, r"minimum_segment_size must be a non-negative int, not -1"),
    ({"device": "cpu:7"}, r"device='cpu:7': the CPU is one device, it has no index 7\. Fix: device='cpu'"),
    ({"device": "cuda:x"}, r"device='cuda:x' is not a device\. Fix: device='cuda', 'cuda:1' or 'cpu'"),
    ({"device": "meta"}, r"device='meta': toolkit.partition compiles for CUDA or the CPU only\. Fix:"),
    ({"supported": 5}, r"supported= must be None, a profile name, .* not int \(5\)\. Fix: supported='cuda'"),
    ({"supported": "tpu"}, r"unknown backend profile 'tpu'; known profiles: .*Fix:"),
    ({"supported": fail}, r"the supported= predicate raised ZeroDivisionError on the node aten::linear: division by zero\..*Fix:"),
    ({"subgraph_builder_function": 3}, r"subgraph_builder_function must be callable \(node -> bool\), not int\. Fix:"),
    ({"subgraph_builder_function": fail}, r"subgraph_builder_function raised ZeroDivisionError on the node aten::linear.*Fix:"),
    ({"options": {}}, r"options= must be a toolkit.partition.PartitionOptions, not dict\. Fix:"),
]


def _case_id(options: dict) -> str:
    """A test id that is the same in every process (a function's repr holds its address)."""
    return ",".join(f"{k}={getattr(v, '__name__', None) or repr(v)}" for k, v in options.items())


@pytest.mark.parametrize("entry", [tp.trace, tp.analyze_model], ids=["trace", "analyze_model"])
@pytest.mark.parametrize(("options", "message"), BAD_OPTIONS, ids=[_case_id(o) for o, _ in BAD_OPTIONS])
def test_bad_partition_options_name_the_argument_cause_and_fix(entry, options, message):
    options = {"device": "cpu", **options}
    with pytest.raises(PartitionError, match=message):
        entry(small_model(), torch.rand(2, 3), **options)


TRACE_ONLY = [
    ({"fallback": "no"}, r"fallback must be True or False, not 'no' \(str\).*Fix: fallback=True or fallback=False"),
    ({"dynamic_batch_size": "yes"}, r"dynamic_batch_size must be True or False, not 'yes'"),
    ({"compiler_timeout": "10"}, r"compiler_timeout must be a number of seconds or None, not '10' \(str\)\. Fix: compiler_timeout=60"),
    ({"compiler_timeout": math.nan}, r"compiler_timeout=nan is not a finite number of seconds, 0 or more.*Fix:"),
    ({"compiler_timeout": -1}, r"compiler_timeout=-1 is not a finite number of seconds, 0 or more"),
    ({"compiler_workdir": 3}, r"compiler_workdir= must be a folder path \(a non-empty string\), not 3\. Fix:"),
    ({"compiler_workdir": ""}, r"compiler_workdir= must be a folder path \(a non-empty string\), not ''"),
]


@pytest.mark.parametrize(("options", "message"), TRACE_ONLY, ids=[_case_id(o) for o, _ in TRACE_ONLY])
def test_bad_trace_options_name_the_argument_cause_and_fix(options, message):
    with pytest.raises(PartitionError, match=message):
        tp.trace(small_model(), torch.rand(2, 3), device="cpu", **options)


@pytest.fixture(scope="module")
def partitioned():
    return tp.trace(small_model(), torch.rand(2, 3), device="cpu")


def _good_plan(partitioned) -> dict:
    return json.loads(partitioned.partition_plan)


def _edited(data: dict, **changes) -> str:
    edited = dict(data)
    for key, value in changes.items():
        if value is ...:
            del edited[key]
        else:
            edited[key] = value
    return json.dumps(edited)


def corrupt_plans(good: dict) -> list[tuple[str, str]]:
    text = json.dumps(good)
    return [
        (text[: len(text) // 2], r"it is not valid JSON \(.* at line 1, column \d+\)"),
        ("[1, 2]", r"it holds a JSON list, not an object"),
        (_edited(good, format="toolkit.partition.plan/99"), r"its format is 'toolkit.partition.plan/99', not 'toolkit.partition.plan/1'"),
        (_edited(good, roles=...), r"the field\(s\) roles are missing"),
        (_edited(good, roles={"n1": "boss"}), r"the field 'roles' \(.*\) is malformed: ValueError: 'boss' is not a valid Role"),
        (_edited(good, segments=[[0, "accelerator"]]), r"the field 'segments' .* is malformed: ValueError: not enough values to unpack"),
        (_edited(good, minimum_segment_size="2"), r"the field 'minimum_segment_size' \(\"2\"\) is malformed: TypeError: expected an integer, got str"),
        (_edited(good, notes="a note"), r"the field 'notes' .* is malformed: TypeError: expected a list, got str"),
        (_edited(good, compiled=["yes"]), r"the field 'compiled' .* is malformed: TypeError: expected true, false or null, got str"),
        (_edited(good, batch={"mode": "native", "bogus": 1}), r"the field 'batch' .* is malformed: TypeError"),
        (_edited(good, graph={"nodes": 3}), r"the field 'graph' .* is malformed"),
    ]


def test_corrupt_plans_each_give_a_partition_error_naming_what_is_wrong(partitioned):
    good = _good_plan(partitioned)
    assert tp.plan_of(partitioned).device == "cpu"
    for text, message in corrupt_plans(good):
        partitioned.partition_plan = text
        try:
            with pytest.raises(PartitionError, match=r"the module's partition_plan attribute is not a partition plan: " + message + r".*Fix: partition the model again"):
                tp.plan_of(partitioned)
        finally:
            partitioned.partition_plan = json.dumps(good)
