"""Benchmark toolkit.partition against its peers, measured in the same run.

    python bench/partition.py [--json FILE] [--quick]
    python bench/partition.py --real [--size full|tiny] [--batch 8] [--iterations 100] [--device cuda]

With ``--real``, only section 5 runs:

5. Real models (torchvision's ResNet-50, MobileNetV3-Large, ViT-B/16, ConvNeXt-T, Swin-T and a
   4-layer BERT with bert-base widths, from tests/fixtures/partition_real.py): the partitioned
   model against the same model traced whole on the accelerator, in the same run, warmed, the
   median of interleaved rounds (inputs and outputs on the host for both), and the plan
   (segments, CPU compute ops, copies). Goal: partitioned <= 1.03 x all-accelerator.

1. Zoo (>= 10 models, CPU): copies per inference against the optimum (exhaustive search over
   the placements of every view: exact), and against a naive linear scan whose accelerator
   segments read inputs from and write outputs to the host (torch-neuron's subgraph calls);
   accelerator segment count against torch.fx's CapabilityBasedPartitioner and the scan.
2. Partition time for a graph of about 5000 nodes (goal <= 2 s), against
   CapabilityBasedPartitioner on the same dependency graph.
3. The minimum_segment_size what-if on a model with CPU islands.
4. Latency: on CUDA, partitioned vs all-GPU vs all-CPU on the note's model (24 x (Linear 1024 +
   GELU), batch 32, k erfinv "CPU islands"), and the cost of one island; on the CPU, the
   orchestration overhead of a partitioned model against the plain trace.

Figures are ratios against baselines measured here; the machines are noisy.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import statistics
import sys
import time
import warnings

import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import toolkit.partition as tp  # noqa: E402
from tests.fixtures import models as fixtures  # noqa: E402
from tests.fixtures.partition_zoo import NO_ERFINV, ZOO, Islands, ZooModel  # noqa: E402
from toolkit.analysis.partition.proposal import Role, Target, propose  # noqa: E402
from toolkit.ir import graph  # noqa: E402
from tests.fixtures.partition_oracles import fx_segment_count, linear_scan, optimal_transfers  # noqa: E402
from tests.fixtures.partition_real import corpus_models, real_models  # noqa: E402
from toolkit.errors import ToolkitError  # noqa: E402

warnings.filterwarnings("ignore", category=DeprecationWarning)
warnings.filterwarnings("ignore", category=torch.jit.TracerWarning)


def _row(cells, widths):
    return "  ".join(str(c).rjust(w) if i else str(c).ljust(w) for i, (c, w) in enumerate(zip(cells, widths)))


def _table(title, header, rows):
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)]
    print(f"\n{title}")
    print(_row(header, widths))
    print(_row(["-" * w for w in widths], widths))
    for r in rows:
        print(_row(r, widths))


# --- 1. zoo -----------------------------------------------------------------------------------


EXTRA = (
    ZooModel("ResNet50ish(w=8)", lambda: fixtures.ResNet50ish(num_classes=10, width=8).eval(), lambda: (torch.rand(1, 3, 32, 32),), {"supported": "neuron-like"}),
    ZooModel("MLP", lambda: fixtures.MLP().eval(), lambda: fixtures.example_inputs("MLP"), {"supported": {"aten::linear"}}),
)


def zoo_rows():
    rows, data = [], []
    for entry in ZOO + EXTRA:
        model, inputs = entry.build(), entry.inputs()
        plan = tp.analyze_model(model, inputs, device="cpu", check_trace=False, **entry.options)
        p = plan.proposal
        compute = [n for n, r in p.roles.items() if r is Role.COMPUTE]
        on_acc = [n for n in compute if p.decisions[n].target is Target.ACCELERATOR]
        best = optimal_transfers(p, max_free=10)
        scan = linear_scan(p)
        ours_acc = len(p.segments_on(Target.ACCELERATOR))
        fx = fx_segment_count(p)
        record = {
            "model": entry.name,
            "nodes": sum(1 for _ in p.graph.walk()),
            "compute": len(compute),
            "on_accelerator": len(on_acc),
            "segments": len(p.segments),
            "acc_segments": ours_acc,
            "fx_acc_segments": fx,
            "scan_acc_segments": scan.accelerator_segments,
            "transfers": p.transfers,
            "optimum": best,
            "scan_transfers": scan.transfers,
        }
        data.append(record)
        rows.append(
            [
                entry.name,
                record["nodes"],
                f"{len(on_acc)}/{len(compute)}",
                f"{ours_acc}/{len(p.segments)}",
                fx,
                scan.accelerator_segments,
                p.transfers,
                "n/a" if best is None else best,
                "n/a" if best is None else (f"{p.transfers / best:.2f}" if best else "1.00"),
                scan.transfers,
            ]
        )
    _table(
        "1. Zoo: segments and host<->accelerator copies per inference (CPU, analysis)",
        ["model", "nodes", "acc ops", "acc/all segs", "fx segs", "scan segs", "copies", "optimum", "ours/opt", "scan copies"],
        rows,
    )
    exact = [d for d in data if d["optimum"] is not None]
    print(
        f"   optimum exact (exhaustive) for {len(exact)}/{len(data)} models; ours == optimum on"
        f" {sum(d['transfers'] == d['optimum'] for d in exact)}/{len(exact)};"
        f" accelerator segments <= fx on {sum(d['acc_segments'] <= d['fx_acc_segments'] for d in data)}/{len(data)},"
        f" < scan on {sum(d['acc_segments'] < d['scan_acc_segments'] for d in data)}/{len(data)};"
        f" scan copies / ours = {sum(d['scan_transfers'] for d in data) / max(1, sum(d['transfers'] for d in data)):.2f}"
    )
    return data


# --- 2. partition time --------------------------------------------------------------------------


class DeepIslands(nn.Module):
    """A ~5000-node graph: Linear+GELU+view blocks with an erfinv island every 7 blocks."""

    def __init__(self, blocks: int):
        super().__init__()
        self.layers = nn.ModuleList(nn.Linear(8, 8) for _ in range(blocks))

    def forward(self, x):
        for i, layer in enumerate(self.layers):
            y = nn.functional.gelu(layer(x))
            if i % 7 == 3:
                y = torch.erfinv(y.clamp(-0.5, 0.5))
            x = y.view(y.size(0), -1) + x
        return x


def _best_of(fn, repeats=3):
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return min(times), result


def partition_time(blocks: int):
    model = DeepIslands(blocks)
    traced = torch.jit.trace(model, torch.rand(2, 8), check_trace=False)
    g = graph(traced)
    nodes = sum(1 for _ in g.walk())
    ours, proposal = _best_of(lambda: propose(g, NO_ERFINV))
    fx, fx_segments = _best_of(lambda: fx_segment_count(proposal), repeats=1)
    full, _ = _best_of(lambda: tp.analyze_model(model, torch.rand(2, 8), device="cpu", supported=NO_ERFINV, check_trace=False), repeats=1)
    _table(
        f"2. Partition time, {nodes}-node graph (goal <= 2 s)",
        ["partitioner", "seconds", "acc segments", "vs ours"],
        [
            ["toolkit propose()", f"{ours:.3f}", len(proposal.segments_on(Target.ACCELERATOR)), "1.00"],
            ["fx CapabilityBasedPartitioner", f"{fx:.3f}", fx_segments, f"{fx / ours:.2f}"],
            ["analyze_model (trace + IR + propose)", f"{full:.3f}", "", f"{full / ours:.2f}"],
        ],
    )
    return {"nodes": nodes, "propose_s": ours, "fx_s": fx, "analyze_s": full, "goal_met": ours <= 2.0}


# --- 3. minimum_segment_size what-if -------------------------------------------------------------


class Staircase(nn.Module):
    """Groups of 1, 2, 3, 5 and 8 Linear layers, each followed by an erfinv CPU island, so the
    accelerator segments hold 2, 3, 4, 6 and 9 compute ops (the clamp before each island counts)."""

    def __init__(self, groups=(1, 2, 3, 5, 8), width: int = 64):
        super().__init__()
        self.groups = nn.ModuleList(nn.Sequential(*[nn.Linear(width, width) for _ in range(g)]) for g in groups)

    def forward(self, x):
        for group in self.groups:
            x = torch.erfinv(group(x).clamp(-0.5, 0.5))
        return x


def what_if(iterations: int):
    torch.manual_seed(0)
    model = Staircase().eval()
    x = torch.rand(16, 64)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    rows, data = [], []
    for size in (1, 3, 4, 5, 7, 10):
        result = tp.trace(model, x, device=device, supported=NO_ERFINV, minimum_segment_size=size, check_trace=False)
        p = tp.plan_of(result).proposal
        acc_ops = sum(1 for n, r in p.roles.items() if r is Role.COMPUTE and p.decisions[n].target is Target.ACCELERATOR)
        ms = _latency_ms(result, x, iterations, sync)
        record = [size, len(p.segments_on(Target.ACCELERATOR)), len(p.segments_on(Target.CPU)), acc_ops, p.transfers, f"{ms:.3f}"]
        rows.append(record)
        data.append(dict(zip(("minimum_segment_size", "acc_segments", "cpu_segments", "acc_ops", "transfers", "ms"), record[:-1] + [ms])))
    _table(
        f"3. minimum_segment_size what-if (Staircase: segments of 2, 3, 4, 6, 9 compute ops), accelerator = {device}",
        ["min size", "acc segs", "cpu segs", "acc ops", "copies", "ms/iter"],
        rows,
    )
    return data


# --- 4. latency ----------------------------------------------------------------------------------


def _latency_ms(module, x, iterations, sync):
    with torch.no_grad():
        for _ in range(5):
            module(x)
        sync()
        samples = []
        for _ in range(iterations):
            started = time.perf_counter()
            module(x)
            sync()
            samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def gpu_latency(iterations: int):
    torch.manual_seed(0)
    sync = torch.cuda.synchronize
    x = torch.rand(32, 1024)
    rows, data = [], []
    for k in (0, 1, 3, 7, 11):
        model = Islands(layers=24, islands=k, width=1024).eval()  # the note's GPU experiment
        partitioned = tp.trace(model, x, device="cuda", supported=NO_ERFINV, check_trace=False)
        all_gpu = torch.jit.trace(copy.deepcopy(model).cuda(), x.cuda(), check_trace=False)  # .cuda() is in place
        all_cpu = torch.jit.trace(model, x, check_trace=False)
        plan = tp.plan_of(partitioned)
        part = _latency_ms(partitioned, x, iterations, sync)
        gpu = _latency_ms(lambda t: all_gpu(t.cuda()).cpu(), x, iterations, sync)
        cpu = _latency_ms(all_cpu, x, max(5, iterations // 4), lambda: None)
        island = (part - gpu) / k if k else float("nan")
        rows.append([k, len(plan.segments), plan.transfers, f"{part:.3f}", f"{gpu:.3f}", f"{cpu:.3f}", f"{part / gpu:.2f}", f"{cpu / part:.1f}", "" if not k else f"{island:.3f}"])
        data.append({"islands": k, "segments": len(plan.segments), "transfers": plan.transfers, "partitioned_ms": part, "all_gpu_ms": gpu, "all_cpu_ms": cpu, "per_island_ms": None if not k else island})
    _table(
        f"4. Latency on {torch.cuda.get_device_name(0)}, batch 32, median of {iterations} (ms/iter; inputs and outputs on the host)",
        ["islands", "segments", "copies", "partitioned", "all-GPU", "all-CPU", "part/GPU", "CPU/part", "ms/island"],
        rows,
    )
    return data


def cpu_overhead(iterations: int):
    torch.manual_seed(0)
    model = Islands(layers=8, islands=3, width=256).eval()
    x = torch.rand(32, 256)
    partitioned = tp.trace(model, x, device="cpu", supported=NO_ERFINV, check_trace=False)
    plain = torch.jit.trace(model, x, check_trace=False)
    part = _latency_ms(partitioned, x, iterations, lambda: None)
    base = _latency_ms(plain, x, iterations, lambda: None)
    plan = tp.plan_of(partitioned)
    _table(
        "4. Latency on the CPU (accelerator = CPU): orchestration overhead, 8 x (Linear 256 + GELU), 3 islands",
        ["model", "segments", "ms/iter", "vs plain trace"],
        [["plain torch.jit.trace", 1, f"{base:.3f}", "1.00"], ["toolkit.partition.trace", len(plan.segments), f"{part:.3f}", f"{part / base:.2f}"]],
    )
    return {"plain_ms": base, "partitioned_ms": part, "segments": len(plan.segments)}


# --- 5. real models ---------------------------------------------------------------------------

GOAL_RATIO = 1.03


def _to_host(value):
    """``value`` (a tensor, or tuples, lists and dicts of them) on the CPU."""
    if isinstance(value, torch.Tensor):
        return value.cpu()
    if isinstance(value, dict):
        return {k: _to_host(v) for k, v in value.items()}
    if isinstance(value, (tuple, list)):
        return type(value)(_to_host(v) for v in value)
    return value


def _interleaved_ms(runs: dict, inputs: tuple, rounds: int, per_round: int, sync) -> dict:
    """Median ms per call of each ``runs[name](*inputs)``, measured in alternating rounds so
    that drift of the machine (clocks, other users) falls on every contender alike."""
    samples: dict[str, list[float]] = {name: [] for name in runs}
    names = list(runs)
    with torch.no_grad():
        for name in names:
            for _ in range(10):
                runs[name](*inputs)
        sync()
        for r in range(rounds):
            for name in names if r % 2 == 0 else reversed(names):
                for _ in range(per_round):
                    started = time.perf_counter()
                    runs[name](*inputs)
                    sync()
                    samples[name].append((time.perf_counter() - started) * 1000)
    return {name: statistics.median(values) for name, values in samples.items()}


def real_latency(device: str, size: str, batch: int, iterations: int, only: set[str] | None):
    sync = torch.cuda.synchronize if device.startswith("cuda") else (lambda: None)
    rows, data = [], []
    for entry in real_models() if size == "full" else corpus_models():
        if only and entry.name.split("(")[0] not in only:
            continue
        model, inputs = entry.build(), entry.inputs(batch)
        started = time.perf_counter()
        try:
            partitioned = tp.trace(model, inputs, device=device, check_trace=False, **entry.trace_kwargs)
        except ToolkitError as error:
            message = str(error).splitlines()[0]
            rows.append([entry.name, "refused", "", "", "", "", "", "", message[:70]])
            data.append({"model": entry.name, "refused": str(error)})
            continue
        partition_s = time.perf_counter() - started
        plan = tp.plan_of(partitioned)
        p = plan.proposal
        cpu_ops = sum(1 for n, r in p.roles.items() if r is Role.COMPUTE and p.decisions[n].target is Target.CPU)
        whole = copy.deepcopy(model).to(device)  # .to() is in place: the eager model stays on the CPU
        on_device = tuple(t.to(device) for t in inputs)
        traced = torch.jit.trace(whole, on_device, check_trace=False, **entry.trace_kwargs)
        runs = {
            "partitioned": partitioned,
            "all_accelerator": lambda *xs: _to_host(traced(*(t.to(device) for t in xs))),
            "eager": lambda *xs: _to_host(whole(*(t.to(device) for t in xs))),
        }
        per_round = max(1, iterations // 10)
        ms = _interleaved_ms(runs, inputs, rounds=10, per_round=per_round, sync=sync)
        ratio = ms["partitioned"] / ms["all_accelerator"]
        segments = f"{len(p.segments_on(Target.ACCELERATOR))}/{len(p.segments)}"
        rows.append(
            [
                entry.name, segments, cpu_ops, f"{p.transfers} ({p.transfer_bytes / 1024:.0f} KiB)",
                f"{ms['partitioned']:.3f}", f"{ms['all_accelerator']:.3f}", f"{ratio:.3f}", f"{ms['eager']:.3f}",
                f"{partition_s:.1f}",
            ]
        )
        data.append(
            {
                "model": entry.name, "batch": batch if size == "full" else None, "accelerator_segments": len(p.segments_on(Target.ACCELERATOR)),
                "segments": len(p.segments), "cpu_compute_ops": cpu_ops, "transfers": p.transfers,
                "transfer_bytes": p.transfer_bytes, "partitioned_ms": ms["partitioned"],
                "all_accelerator_ms": ms["all_accelerator"], "eager_ms": ms["eager"], "ratio": ratio,
                "partition_s": partition_s, "notes": list(plan.notes),
            }
        )
    name = torch.cuda.get_device_name(0) if device.startswith("cuda") else "the CPU"
    batch_label = f"batch {batch}" if size == "full" else "the corpus's batch"
    _table(
        f"5. Real models on {name} ({device}), {batch_label}, median of {10 * max(1, iterations // 10)} interleaved"
        " calls (ms; inputs and outputs on the host)",
        ["model", "acc/all segs", "CPU ops", "copies", "partitioned", "all-acc", "part/all", "eager", "partition s"],
        rows,
    )
    measured = [d for d in data if "ratio" in d]
    met = sum(d["ratio"] <= GOAL_RATIO for d in measured)
    print(f"   goal partitioned <= {GOAL_RATIO} x all-accelerator: met on {met}/{len(measured)} models"
          f" ({len(data) - len(measured)} refused)")
    return data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", help="also write the figures to this JSON file")
    parser.add_argument("--quick", action="store_true", help="smaller graph and fewer iterations (CI smoke run)")
    parser.add_argument("--real", action="store_true", help="only section 5: real models, partitioned vs all-accelerator")
    parser.add_argument("--size", choices=("full", "tiny"), default="full", help="--real: model sizes (tiny: the corpus's small configs at their own batch, a CPU dry run)")
    parser.add_argument("--batch", type=int, default=8, help="--real: batch size")
    parser.add_argument("--iterations", type=int, default=100, help="--real: timed calls per contender")
    parser.add_argument("--device", default=None, help="--real: the accelerator (default cuda when available, else cpu)")
    parser.add_argument("--models", default="", help="--real: comma-separated names to run (resnet50,vit_b_16,bert...)")
    args = parser.parse_args()
    torch.manual_seed(0)
    print(f"torch {torch.__version__}, CUDA available: {torch.cuda.is_available()}, threads: {torch.get_num_threads()}")
    if args.real:
        device = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
        only = {m.strip() for m in args.models.split(",") if m.strip()} or None
        _write_json(args.json, {"real": real_latency(device, args.size, args.batch, args.iterations, only)})
        return
    results = {
        "zoo": zoo_rows(),
        "partition_time": partition_time(60 if args.quick else 300),
        "what_if": what_if(10 if args.quick else 50),
        "cpu_overhead": cpu_overhead(10 if args.quick else 50),
    }
    if torch.cuda.is_available():
        results["gpu_latency"] = gpu_latency(20 if args.quick else 100)
    else:
        print("\n4. GPU latency: skipped (CUDA is not available); run scripts/gpu_partition.sh on the GPU machine")
    _write_json(args.json, results)


def _write_json(path: str | None, results: dict) -> None:
    if path:
        with open(path, "w") as handle:
            json.dump(results, handle, indent=1)
        print(f"\nwrote {path}")


if __name__ == "__main__":
    main()
