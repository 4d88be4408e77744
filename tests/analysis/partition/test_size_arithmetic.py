"""Size arithmetic that the trace records as 0-dim tensor ops is a shape op, not compute.

torchvision's ViT computes ``n_h = h // p`` on ``x.size(2)``; the trace records it as
``aten::floor_divide`` on ``prim::NumToTensor``. As compute it put an ``aten::Int`` (a host
read) in the middle of the model and sent ``torch.cat`` of the class token and the patches to
the CPU; as a shape op it is recomputed wherever it is needed and the model is one segment.
Ops that take a list of tensors (``cat``, ``stack``, ``hstack``, ``index``, ``einsum``) run with
those tensors: the list is packing, built in the segment of its consumer.
"""

from __future__ import annotations

import torch
from torch import nn

from toolkit.analysis.partition.proposal import Role, Target, classify, propose
from toolkit.analysis.partition.support import exclude_ops, profile
from toolkit.ir import graph


class PatchTokens(nn.Module):
    """ViT's patch embedding and class token in small."""

    def __init__(self, patch: int = 4, hidden: int = 8):
        super().__init__()
        self.patch = patch
        self.proj = nn.Conv2d(3, hidden, patch, stride=patch)
        self.class_token = nn.Parameter(torch.zeros(1, 1, hidden))

    def forward(self, x):
        n, _, h, w = x.shape
        n_h, n_w = h // self.patch, w // self.patch
        x = self.proj(x).reshape(n, -1, n_h * n_w).permute(0, 2, 1)
        tokens = torch.cat([self.class_token.expand(n, -1, -1), x], dim=1)
        return torch.relu(tokens)


class ReadsATensorValue(nn.Module):
    """A 0-dim tensor computed from data, not sizes: it stays compute."""

    def forward(self, x):
        return x * ((x > 0).sum() * 2)


def traced(model, *inputs):
    return graph(torch.jit.trace(model, inputs, check_trace=False))


def test_size_arithmetic_is_a_shape_op():
    g = traced(PatchTokens().eval(), torch.rand(2, 3, 16, 16))
    roles = classify(g)
    by_op: dict[str, set[Role]] = {}
    for n in g.nodes:
        by_op.setdefault(n.op, set()).add(roles[n.id])
    assert by_op["aten::floor_divide"] == {Role.SHAPE}
    assert by_op["aten::mul"] == {Role.SHAPE}
    assert by_op["aten::cat"] == {Role.COMPUTE}


def test_cat_of_accelerator_tensors_stays_on_the_accelerator():
    g = traced(PatchTokens().eval(), torch.rand(2, 3, 16, 16))
    proposal = propose(g, profile("cuda"))
    assert [s.target for s in proposal.segments] == [Target.ACCELERATOR]
    assert all(d.target is Target.ACCELERATOR for d in proposal.decisions.values())
    assert proposal.transfers == 2  # the input in, the output back


def test_tensor_data_arithmetic_stays_compute():
    g = traced(ReadsATensorValue(), torch.rand(3, 4))
    roles = classify(g)
    muls = [n for n in g.nodes if n.op == "aten::mul"]
    assert muls and all(roles[n.id] is Role.COMPUTE for n in muls)


class TensorLists(nn.Module):
    def forward(self, x, idx):
        stacked = torch.stack([x, x * 2], dim=0).sum()
        beside = torch.hstack([x, x + 1]).sum()
        rows = x[idx, :].sum()
        products = torch.einsum("ij,kj->ik", x, x).sum()
        halves = torch.cat(torch.chunk(x, 2, dim=1), dim=0).sum()
        return stacked + beside + rows + products + halves


def test_ops_taking_tensor_lists_stay_on_the_accelerator():
    g = traced(TensorLists(), torch.rand(4, 4), torch.tensor([0, 2]))
    proposal = propose(g, profile("cuda"))
    kinds = {n.op for n in g.nodes}
    assert {"aten::stack", "aten::hstack", "aten::index", "aten::einsum", "aten::cat"} <= kinds
    assert [s.target for s in proposal.segments] == [Target.ACCELERATOR]


class MixedCat(nn.Module):
    def forward(self, x):
        return torch.cat([torch.erfinv(x.clamp(-0.5, 0.5)), torch.relu(x) * 2], dim=1) + 1


def test_a_list_mixing_cpu_and_accelerator_tensors_moves_only_the_cpu_element():
    g = traced(MixedCat(), torch.rand(3, 4))
    proposal = propose(g, exclude_ops({"aten::erfinv"}), minimum_segment_size=1)
    cat = next(n for n in g.nodes if n.op == "aten::cat")
    assert proposal.decisions[cat.id].target is Target.ACCELERATOR
    moved = [b for b in proposal.boundaries if b.transfer and b.dest_target is Target.ACCELERATOR]
    assert [b.type for b in moved] == ["Tensor", "Tensor"]  # the input x, and erfinv's output: never the list


def test_a_host_value_read_through_a_view_names_the_view():
    from tests.analysis.partition.test_proposal import hand_graph

    g = hand_graph(
        inputs=[("x", "Tensor")],
        nodes=[
            ("aten::sum", ["x"], [("total", "Tensor")], {}),
            ("aten::Int", ["total"], [("rows", "int")], {}),
            ("prim::ListConstruct", ["rows"], [("shape", "List[int]")], {}),
            ("aten::reshape", ["x", "shape"], [("flat", "Tensor")], {}),
            ("aten::tanh", ["flat"], [("y", "Tensor")], {}),
        ],
        outputs=["y"],
    )
    proposal = propose(g, profile("cuda"), minimum_segment_size=1)
    tanh = next(n for n in g.nodes if n.op == "aten::tanh")
    assert "needs host value %rows from aten::Int (n1) through aten::reshape (n3)" in proposal.decisions[tanh.id].detail
