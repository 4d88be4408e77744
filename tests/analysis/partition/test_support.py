"""Support rules: each answers with one reason, and chains keep the first rejection."""

from __future__ import annotations

import pytest
import torch

from tests.fixtures.partition_zoo import SeedManual
from toolkit.analysis.partition.proposal import classify, node_info
from toolkit.analysis.partition.support import (
    NEURON_LIKE_OPS,
    AllowOps,
    Reason,
    TorchScriptCoverage,
    as_rule,
    chain,
    exclude_modules,
    exclude_ops,
    allow_ops,
    profile,
    UserFunction,
    UserSelection,
    Verdict,
)
from toolkit.errors import PartitionError
from toolkit.ir import graph


@pytest.fixture(scope="module")
def seed_nodes():
    """NodeInfo of every compute node of the seed's manual-partitioning model, by op."""
    traced = torch.jit.trace(SeedManual().eval(), torch.rand(1, 1, 3, 3))
    g = graph(traced)
    roles = classify(g)
    return {n.op: node_info(g, n) for n in g.nodes if roles[n.id].value == "compute"}


def test_node_name_is_the_tuple_of_module_class_names(seed_nodes):
    conv = seed_nodes["aten::_convolution"]
    assert conv.name == ("SeedManual", "ExampleConvolutionLayer", "Conv2d")
    assert "ExampleConvolutionLayer" in conv.name
    assert conv.path == "layer.conv"
    assert conv.kind == "aten::_convolution"
    assert conv.source is not None and conv.source.file.endswith("partition_zoo.py")
    assert conv.line == conv.source.line and conv.where.startswith("partition_zoo.py:")
    assert seed_nodes["aten::mul"].name == ("SeedManual",)
    assert seed_nodes["aten::add"].name == ("SeedManual", "ExampleConvolutionLayer")


def test_torchscript_coverage_accepts_aten_tensor_ops_only(seed_nodes):
    rule = TorchScriptCoverage()
    assert rule(seed_nodes["aten::_convolution"]).supported
    fake = seed_nodes["aten::mul"]
    custom = type(fake)(**{**fake.__dict__, "kind": "quantized::conv2d"})
    verdict = rule(custom)
    assert not verdict.supported and verdict.reason is Reason.UNSUPPORTED and "quantized::" in verdict.detail
    host = type(fake)(**{**fake.__dict__, "kind": "aten::item", "output_types": ("Scalar",)})
    assert rule(host).reason is Reason.UNSUPPORTED


def test_allow_list_and_exclusions_give_their_own_reasons(seed_nodes):
    conv, mul = seed_nodes["aten::_convolution"], seed_nodes["aten::mul"]
    allow = allow_ops({"aten::_convolution"}, label="tiny")
    assert allow(conv).supported
    assert allow(mul).reason is Reason.UNSUPPORTED and "tiny" in allow(mul).detail
    assert exclude_ops({"aten::mul"})(mul).reason is Reason.EXCLUDED_OP
    assert exclude_ops({"aten::mul"})(conv).supported
    by_class = exclude_modules({"ExampleConvolutionLayer"})
    assert by_class(conv).reason is Reason.EXCLUDED_MODULE and by_class(mul).supported
    by_path = exclude_modules({"layer.conv"})
    assert by_path(conv).reason is Reason.EXCLUDED_MODULE
    assert by_path(seed_nodes["aten::add"]).supported


def test_chain_reports_the_first_rejection_only(seed_nodes):
    mul = seed_nodes["aten::mul"]
    rule = chain(allow_ops({"aten::_convolution"}), exclude_ops({"aten::mul"}), UserFunction(lambda n: False))
    verdict = rule(mul)
    assert verdict.reason is Reason.UNSUPPORTED
    flipped = chain(exclude_ops({"aten::mul"}), allow_ops({"aten::_convolution"}))
    assert flipped(mul).reason is Reason.EXCLUDED_OP
    nested = chain(chain(profile("cuda")), UserFunction(lambda n: "ExampleConvolutionLayer" in n.name))
    assert len(nested.rules) == 2
    assert nested(mul).reason is Reason.USER_EXCLUDED
    assert nested(seed_nodes["aten::add"]).supported
    assert nested.label == "cuda + subgraph_builder_function"


def test_as_rule_accepts_every_documented_form(seed_nodes):
    conv, mul = seed_nodes["aten::_convolution"], seed_nodes["aten::mul"]
    assert isinstance(as_rule(None, default="cuda"), TorchScriptCoverage)
    assert isinstance(as_rule("neuron-like", default="cuda"), AllowOps)
    kinds = as_rule({"aten::_convolution", "aten::add"}, default="cuda")
    assert kinds(conv).supported and kinds(mul).reason is Reason.UNSUPPORTED
    predicate = as_rule(lambda n: n.kind != "aten::mul", default="cuda")
    assert predicate(conv).supported and not predicate(mul).supported
    assert as_rule(exclude_ops({"aten::mul"}), default="cuda")(mul).reason is Reason.EXCLUDED_OP
    assert "aten::erfinv" not in NEURON_LIKE_OPS and "aten::_convolution" in NEURON_LIKE_OPS


def test_bad_support_specs_say_what_to_pass():
    with pytest.raises(PartitionError, match=r"unknown backend profile 'tpu'.*known profiles"):
        profile("tpu")
    with pytest.raises(PartitionError, match=r"got the string 'aten::relu'.*exclude_ops\(\{'aten::relu'\}\)"):
        exclude_ops("aten::relu")
    with pytest.raises(PartitionError, match=r"\['relu'\].*not op kinds.*namespace::name"):
        as_rule(["relu"], default="cuda")


def test_profiles_are_fresh_rules():
    assert profile("cuda").label == "cuda" and profile("cpu").label == "cpu"
    assert isinstance(profile("torchscript"), TorchScriptCoverage)


def test_user_selection_true_overrides_supported_but_not_the_backend_coverage(seed_nodes):
    conv, mul = seed_nodes["aten::_convolution"], seed_nodes["aten::mul"]
    only_add = allow_ops({"aten::add"})
    selection = UserSelection(lambda n: True, coverage=profile("cpu"), default=only_add)
    assert not only_add(conv).supported and selection(conv).supported
    assert selection.label == "subgraph_builder_function (over allow-list)"
    custom = type(mul)(**{**mul.__dict__, "kind": "quantized::mul"})
    verdict = selection(custom)
    assert verdict.reason is Reason.UNSUPPORTED and "quantized::" in verdict.detail
    refusing = UserSelection(lambda n: n.kind != "aten::mul", coverage=profile("cpu"), default=profile("cpu"))
    assert refusing(conv).supported
    assert refusing(mul) == Verdict(False, Reason.USER_EXCLUDED, "subgraph_builder_function returned False for aten::mul")
