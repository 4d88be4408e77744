"""The proposal (pure, over the IR): roles, one reason per CPU op, cycle-free segments,
minimal transfers, duplicated shape ops, and the cross-check against torch.fx."""

from __future__ import annotations

import functools
import random
import time

import pytest
import torch
from torch import nn

from tests.fixtures.partition_zoo import NO_ERFINV, ZOO, Branchy, ErfinvNet, HybridGate, SeedManual, TupleReturn, ViewsChunk, in_example_layer
from toolkit.analysis.partition.proposal import (
    Decision,
    Role,
    Target,
    anchored_dependencies,
    classify,
    propose,
    with_cpu_segments,
)
from toolkit.analysis.partition.support import Reason, UserFunction, chain, exclude_ops, profile
from toolkit.ir import Block, Graph, Node, Origin, Value, graph
from toolkit.ir.build import kind_of
from tests.fixtures.partition_oracles import fx_segment_count, linear_scan, optimal_transfers

CUDA = profile("cuda")


def traced_graph(model, *inputs):
    return graph(torch.jit.trace(model, inputs, check_trace=False))


@functools.cache
def example_graph(model_class: type[nn.Module], *shape: int) -> Graph:
    """The graph of ``model_class()`` traced on one input of ``shape``, traced once per session.

    The IR is immutable and does not depend on the weights or input values, so tests share it.
    """
    return traced_graph(model_class().eval(), torch.rand(*shape))


def hand_graph(inputs, nodes, outputs) -> Graph:
    """A tiny IR graph: ``nodes`` are ``(op, input names, [(output name, type)], attributes)``."""
    built = []
    for i, (op, ins, outs, attrs) in enumerate(nodes):
        built.append(
            Node(
                id=f"n{i}",
                kind=kind_of(op),
                op=op,
                inputs=tuple(ins),
                outputs=tuple(Value(name=n, debug_name=n, type=t) for n, t in outs),
                attributes=attrs,
            )
        )
    top = Block(
        id="top",
        inputs=tuple(Value(name=n, debug_name=n, type=t) for n, t in inputs),
        nodes=tuple(built),
        outputs=tuple(outputs),
    )
    return Graph(name="hand.forward", origin=Origin.RAW_GRAPH, inlined=True, top=top)


def check_invariants(p, minimum_segment_size):
    """Every proposal must satisfy these, whatever the model."""
    g = p.graph
    seg_of = {}
    for s in p.segments:
        for a in s.anchored:
            assert a not in seg_of, f"{a} in two segments"
            seg_of[a] = s.index
        if s.target is Target.ACCELERATOR:
            assert s.compute_count >= minimum_segment_size
    assert set(seg_of) == set(p.decisions)
    for node, preds in anchored_dependencies(g, p.roles).items():
        for pred in preds:
            assert seg_of[pred] <= seg_of[node], f"{pred} runs after its user {node}"
    for node_id, decision in p.decisions.items():
        assert (decision.reason is None) == (decision.target is Target.ACCELERATOR), node_id
        assert decision.target is p.segments[seg_of[node_id]].target
    produced_by = {v.name: seg_of.get(n.id) for n in g.nodes for v in n.outputs}
    for s in p.segments:
        for value in s.inputs:
            source = produced_by.get(value)
            assert source is None or source < s.index, f"segment {s.index} reads {value} before it exists"
    for b in p.boundaries:
        assert "Tensor" in b.type or not b.transfer, "only tensors are ever copied"


# --- roles -------------------------------------------------------------------------------------


def test_roles_separate_compute_from_free_and_host_nodes():
    g = example_graph(ViewsChunk, 2, 3, 4)
    roles = classify(g)
    by_op = {}
    for n in g.nodes:
        by_op.setdefault(n.op, set()).add(roles[n.id])
    assert by_op["aten::size"] == {Role.SHAPE}
    assert by_op["prim::NumToTensor"] == {Role.SHAPE}
    assert by_op["aten::Int"] == {Role.SHAPE}
    assert by_op["aten::view"] == {Role.VIEW}
    assert by_op["aten::chunk"] == {Role.COMPUTE}
    assert by_op["prim::ListUnpack"] == {Role.UNPACK}
    assert by_op["prim::ListConstruct"] == {Role.PACK}
    assert by_op["prim::GetAttr"] == {Role.PARAM}
    assert by_op["prim::Constant"] == {Role.CONSTANT}
    hybrid_graph = example_graph(HybridGate, 3, 4)
    hybrid = classify(hybrid_graph)
    host = {n.op for n in hybrid_graph.nodes if hybrid[n.id] is Role.HOST}
    assert host == {"aten::Bool", "prim::If"}


def test_repacked_tuples_are_forwarded_not_unpacked():
    g = example_graph(TupleReturn, 2, 4)
    p = propose(g, NO_ERFINV)
    check_invariants(p, 2)
    unpack = next(n for n in g.nodes if n.op == "prim::TupleUnpack")
    pack = next(n for n in g.nodes if n.op == "prim::TupleConstruct")
    assert p.roles[unpack.id] is Role.FORWARD
    assert {p.canonical(v.name) for v in unpack.outputs} == set(pack.inputs)
    assert not p.segment_of(unpack.id) and not p.segment_of(pack.id)
    assert all(v.name not in s.inputs for s in p.segments for v in unpack.outputs)


# --- decisions and reasons ---------------------------------------------------------------------


def test_seed_manual_partitioning_keeps_conv_and_add_on_the_accelerator():
    g = example_graph(SeedManual, 1, 1, 3, 3)
    p = propose(g, chain(CUDA, UserFunction(in_example_layer)))
    check_invariants(p, 2)
    assert [s.target for s in p.segments] == [Target.ACCELERATOR, Target.CPU]
    assert [g.node(n).op for n in p.segments[0].anchored] == ["aten::_convolution", "aten::add"]
    (mul,) = p.segments[1].anchored
    assert p.decisions[mul] == Decision(Target.CPU, Reason.USER_EXCLUDED, "subgraph_builder_function returned False for aten::mul")
    assert p.transfers == 2


def test_minimum_segment_size_counts_compute_ops_and_says_so():
    g = example_graph(SeedManual, 1, 1, 3, 3)
    p = propose(g, chain(CUDA, UserFunction(in_example_layer)), minimum_segment_size=3)
    check_invariants(p, 3)
    assert not p.segments_on(Target.ACCELERATOR) and p.transfers == 0
    reasons = {g.node(n).op: d for n, d in p.decisions.items()}
    assert reasons["aten::_convolution"].reason is Reason.MIN_SEGMENT
    assert "had 2 compute op(s) < minimum_segment_size=3" in reasons["aten::_convolution"].detail
    assert reasons["aten::mul"].reason is Reason.USER_EXCLUDED  # its own reason is kept


def test_branchy_model_needs_two_segments_not_three():
    g = example_graph(Branchy, 2, 3, 4, 4)
    p = propose(g, NO_ERFINV)
    check_invariants(p, 2)
    assert sorted(s.target.value for s in p.segments) == ["accelerator", "cpu"]
    reasons = sorted((g.node(n).op, d.reason.value) for n, d in p.decisions.items() if d.reason)
    # erfinv is excluded; the one op that would be alone on the accelerator after it falls back
    assert reasons[0] == ("aten::add", "min-segment-size") or reasons[0] == ("aten::mul", "min-segment-size")
    assert ("aten::erfinv", "excluded-op") in reasons and len(reasons) == 2
    scan = linear_scan(p)
    assert len(p.segments_on(Target.ACCELERATOR)) == 1 < scan.accelerator_segments
    assert p.transfers == 3 < scan.transfers
    assert fx_segment_count(p) == 1


def test_a_host_scalar_keeps_its_consumer_on_the_cpu_with_reason_non_tensor():
    g = hand_graph(
        inputs=[("x", "Tensor"), ("n", "int")],
        nodes=[
            ("aten::relu", ["x"], [("a", "Tensor")], {}),
            ("aten::mul", ["a", "n"], [("b", "Tensor")], {}),
            ("aten::tanh", ["b"], [("c", "Tensor")], {}),
        ],
        outputs=["c"],
    )
    p = propose(g, CUDA, minimum_segment_size=1)
    check_invariants(p, 1)
    assert p.decisions["n1"].reason is Reason.NON_TENSOR
    assert "needs host value %n from a graph input" in p.decisions["n1"].detail
    assert p.decisions["n0"].target is Target.ACCELERATOR and p.decisions["n2"].target is Target.ACCELERATOR


def test_scalar_chains_of_sizes_are_not_host_values():
    g = hand_graph(
        inputs=[("x", "Tensor")],
        nodes=[
            ("prim::Constant", [], [("zero", "int")], {"value": 0}),
            ("aten::size", ["x", "zero"], [("s", "int")], {}),
            ("prim::NumToTensor", ["s"], [("st", "Tensor")], {}),
            ("aten::Int", ["st"], [("si", "int")], {}),
            ("aten::relu", ["x"], [("a", "Tensor")], {}),
            ("aten::mul", ["a", "si"], [("b", "Tensor")], {}),
        ],
        outputs=["b"],
    )
    p = propose(g, CUDA)
    check_invariants(p, 2)
    assert all(d.target is Target.ACCELERATOR for d in p.decisions.values())
    (segment,) = p.segments
    assert {"n1", "n2", "n3"} <= set(segment.nodes)


def test_every_cpu_op_of_the_zoo_has_exactly_one_reason():
    for entry in ZOO:
        model, inputs = entry.build(), entry.inputs()
        if not isinstance(model, nn.Module):
            continue
        strict = entry.options.get("strict", True)
        g = graph(torch.jit.trace(model, inputs, check_trace=False, strict=strict))
        rule = entry.options.get("supported")
        rule = profile(rule) if isinstance(rule, str) else (rule or CUDA)
        p = propose(g, rule)
        check_invariants(p, 2)
        for node_id, decision in p.decisions.items():
            if decision.target is Target.CPU:
                assert isinstance(decision.reason, Reason) and decision.detail, (entry.name, node_id)


# --- shape ops are duplicated, never transferred -----------------------------------------------


class SizeBoth(nn.Module):
    """``h.size(0)`` is needed by a CPU op and by an accelerator op."""

    def __init__(self):
        super().__init__()
        self.a = nn.Linear(8, 8)
        self.b = nn.Linear(8, 8)

    def forward(self, x):
        h = torch.relu(self.a(x))
        n = h.size(0)
        e = torch.erfinv(torch.tanh(h).view(n, 2, -1))
        return self.b(e.view(n, -1)) * 2


def test_size_is_computed_in_each_segment_that_needs_it():
    g = example_graph(SizeBoth, 3, 8)
    p = propose(g, NO_ERFINV)
    check_invariants(p, 2)
    sizes = [n.id for n in g.nodes if n.op == "aten::size"]
    assert sizes
    targets = {p.segments[i].target for n in sizes for i in p.segment_of(n)}
    assert targets == {Target.CPU, Target.ACCELERATOR}
    assert not [b for b in p.boundaries if b.type == "int"]
    metadata = [b for b in p.boundaries if b.metadata_only]
    assert all(not b.transfer for b in metadata)
    assert p.transfers == optimal_transfers(p)


# --- transfers, bytes, compile-failure revision --------------------------------------------------


def test_boundaries_carry_bytes_and_each_value_is_copied_once_per_device():
    g = example_graph(ErfinvNet, 2, 3, 8, 8)
    p = propose(g, NO_ERFINV)
    check_invariants(p, 2)
    copies = [b for b in p.boundaries if b.transfer]
    assert len(copies) == p.transfers == 4
    assert len({(b.value, b.dest_target) for b in copies}) == len(copies)
    into_cpu = [b for b in copies if b.dest_target is Target.CPU and b.dest is not None]
    assert into_cpu and all(b.bytes == 2 * 8 * 8 * 8 * 4 for b in into_cpu)
    assert p.transfer_bytes == sum(b.bytes for b in copies)


def test_with_cpu_segments_moves_a_failed_segment_and_recounts_transfers():
    g = example_graph(ErfinvNet, 2, 3, 8, 8)
    p = propose(g, NO_ERFINV)
    first_acc = p.segments_on(Target.ACCELERATOR)[0].index
    q = with_cpu_segments(p, {first_acc: "boom"})
    assert [s.index for s in q.segments] == [s.index for s in p.segments]
    assert q.segments[first_acc].target is Target.CPU
    for n in q.segments[first_acc].anchored:
        assert q.decisions[n] == Decision(Target.CPU, Reason.COMPILE_FAILED, "boom")
    assert q.transfers < p.transfers


def test_proposals_are_deterministic():
    g = example_graph(ViewsChunk, 2, 3, 4)
    assert propose(g, NO_ERFINV) == propose(g, NO_ERFINV)


# --- random programs: invariants, optimal transfers, no more segments than torch.fx ---------------

UNARY = ("relu", "tanh", "sigmoid", "erfinv", "neg", "exp", "view", "transpose")


def random_program(seed: int):
    rng = random.Random(seed)
    steps = []
    count = rng.randint(3, 12)
    for i in range(count):
        kind = rng.choice(("unary", "unary", "binary", "binary", "cat"))
        if kind == "unary":
            steps.append((kind, rng.choice(UNARY), rng.randrange(i + 1), 0))
        else:
            steps.append((kind, rng.choice(("add", "mul")), rng.randrange(i + 1), rng.randrange(i + 1)))
    outs = sorted({count} | {rng.randrange(count + 1) for _ in range(rng.randint(0, 2))})

    def program(x):
        values = [x]
        for kind, op, a, b in steps:
            u = values[a]
            if kind == "unary":
                if op == "erfinv":
                    y = torch.erfinv(u.clamp(-0.5, 0.5))
                elif op == "exp":
                    y = torch.exp(u.clamp(-3, 3))
                elif op == "view":
                    y = u.view(u.size(0), -1).view(u.shape)
                elif op == "transpose":
                    y = u.transpose(0, 1).contiguous().transpose(0, 1)
                else:
                    y = getattr(torch, op)(u)
            elif kind == "binary":
                y = getattr(torch, op)(u, values[b])
            else:
                y = torch.cat([u, values[b]], 1)[:, :4]
            values.append(y)
        return tuple(values[o] for o in outs) if len(outs) > 1 else values[outs[0]]

    return program


@pytest.mark.parametrize("seed", range(40))
def test_random_programs(seed):
    g = traced_graph(random_program(seed), torch.rand(2, 4))
    for excluded, size in (({"aten::erfinv"}, 2), ({"aten::erfinv", "aten::tanh"}, 1), ({"aten::mul", "aten::relu"}, 3)):
        p = propose(g, chain(CUDA, exclude_ops(excluded)), minimum_segment_size=size)
        check_invariants(p, size)
        assert len(p.segments_on(Target.ACCELERATOR)) <= fx_segment_count(p)
        best = optimal_transfers(p, max_free=6)
        if best is not None:
            assert p.transfers == best


# --- scale ----------------------------------------------------------------------------------------


def test_partitioning_a_deep_graph_does_not_collapse():
    class Deep(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = nn.ModuleList(nn.Linear(4, 4) for _ in range(150))

        def forward(self, x):
            for i, layer in enumerate(self.layers):
                x = torch.relu(layer(x))
                if i % 10 == 5:
                    x = torch.erfinv(x.clamp(-0.5, 0.5))
            return x

    g = traced_graph(Deep(), torch.rand(2, 4))
    assert sum(1 for _ in g.walk()) > 900
    started = time.perf_counter()
    p = propose(g, NO_ERFINV)
    elapsed = time.perf_counter() - started
    check_invariants(p, 2)
    assert len(p.segments_on(Target.ACCELERATOR)) == 16 and len(p.segments_on(Target.CPU)) == 15
    assert elapsed < 20, f"partitioning {sum(1 for _ in g.walk())} nodes took {elapsed:.1f} s"
