"""Bench: what an InferenceOp and a traced Pipeline cost over calling the ScriptModule directly.

Prints, per device (the CPU, and cuda:0 when there is one):

1. microseconds per call, and the ratio to a direct ``ScriptModule`` call measured in the same
   run, for the seed's MyCell (Linear(4, 4), batch 3) and a larger MLP; rows: the direct call,
   the same without ``nn.Module.__call__`` (``module.forward(...)``, the floor: ``Pipeline.run``
   calls its module's ``forward`` this way), a hand-scripted wrapper module (what a person would
   write instead of ``trace``), the eager ``InferenceOp`` call, ``Pipeline.run(dict)`` and
   ``pipeline(**kw)``;
2. on the GPU, kernels / copies / syncs per call counted with ``torch.profiler``
   (``output_to_cpu=False``, inputs already on the GPU; then ``output_to_cpu=True``);
3. throughput of N threads calling ``Pipeline.run`` at once against N threads calling the eager
   Python function (the ``nn.Module`` in Python, no TorchScript), and the scaling with N (median
   of 3 measurements each; on the GPU, calls/s counts calls issued, synchronised at the end).

Timings are medians over interleaved rounds (each variant timed once per round, in an order
that rotates every round), so drift on a noisy machine hits every variant alike. Only ratios
measured in one run mean much.

    python bench/pipeline.py                  # CPU, and GPU when available
    python bench/pipeline.py --quick          # fewer rounds, for a smoke run
    python bench/pipeline.py --json out.json  # also write the figures (the notebook plots them)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import threading
import time
import warnings
from typing import Any, Callable

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import toolkit.pipeline as tp  # noqa: E402
from toolkit.pipeline.profiling import count_gpu_activity  # noqa: E402

warnings.filterwarnings("ignore", message=r".*torch\.jit.*", category=DeprecationWarning)


class MyCell(torch.nn.Module):
    """The seed's model: ``tanh(linear(x) + h)``, returned twice."""

    def __init__(self) -> None:
        super().__init__()
        self.linear = torch.nn.Linear(4, 4)

    def forward(self, x: torch.Tensor, h: torch.Tensor):
        new_h = torch.tanh(self.linear(x) + h)
        return new_h, new_h


class MLP(torch.nn.Module):
    """A larger model: 3 layers of 256, batch 32, so compute outweighs call overhead."""

    def __init__(self, width: int = 256, depth: int = 3) -> None:
        super().__init__()
        layers: list[torch.nn.Module] = []
        for _ in range(depth):
            layers += [torch.nn.Linear(width, width), torch.nn.ReLU()]
        self.layers = torch.nn.Sequential(*layers)

    def forward(self, x: torch.Tensor):
        return self.layers(x)


class Wrapper(torch.nn.Module):
    """A hand-scripted container: what a person would write instead of ``trace``."""

    def __init__(self, model: torch.jit.ScriptModule) -> None:
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor, h: torch.Tensor):
        return self.model(x, h)


class WrapperOne(torch.nn.Module):
    def __init__(self, model: torch.jit.ScriptModule) -> None:
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor):
        return self.model(x)


def make_case(name: str, device: torch.device, *, output_to_cpu: bool) -> dict[str, Any]:
    """The model, its inputs (on ``device``) and every way of calling it."""
    torch.manual_seed(0)
    generator = torch.Generator().manual_seed(0)
    if name == "MyCell":
        model = MyCell().to(device).eval()
        inputs = (torch.rand(3, 4, generator=generator).to(device), torch.rand(3, 4, generator=generator).to(device))
        names = ("x", "h")
        wrapper_class: type[torch.nn.Module] = Wrapper
    else:
        model = MLP().to(device).eval()
        inputs = (torch.rand(32, 256, generator=generator).to(device),)
        names = ("x",)
        wrapper_class = WrapperOne
    for parameter in model.parameters():
        parameter.requires_grad_(False)
    scripted = torch.jit.trace(model, inputs)
    wrapper = torch.jit.script(wrapper_class(scripted))
    op = tp.script(scripted, device=device, output_to_cpu=output_to_cpu)

    if name == "MyCell":
        def fn(x, h):
            return op(x, h)
    else:
        def fn(x):
            return op(x)

    pipeline = tp.trace(fn, *inputs)
    feed = dict(zip(names, inputs))
    return {
        "model": model,
        "inputs": inputs,
        "feed": feed,
        "calls": {
            "direct ScriptModule call": lambda: scripted(*inputs),
            "direct .forward (no __call__)": lambda: scripted.forward(*inputs),
            "hand-scripted wrapper": lambda: wrapper(*inputs),
            "InferenceOp eager call": lambda: op(*inputs),
            "Pipeline.run(dict)": lambda: pipeline.run(feed),
            "pipeline(**kw)": lambda: pipeline(**feed),
        },
        "pipeline": pipeline,
        "op": op,
        "scripted": scripted,
    }


def time_interleaved(calls: dict[str, Callable[[], Any]], *, rounds: int, batch_seconds: float, device: torch.device) -> dict[str, float]:
    """Median microseconds per call of each variant over ``rounds`` interleaved rounds.

    Each round times a batch of calls lasting about ``batch_seconds``; the batch size is set
    once from the first variant, so every variant runs the same number of calls.
    """
    synchronize = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)

    def timed(call: Callable[[], Any]) -> float:
        synchronize()
        start = time.perf_counter()
        for _ in range(number):
            call()
        synchronize()
        return (time.perf_counter() - start) / number * 1e6

    samples: dict[str, list[float]] = {key: [] for key in calls}
    with torch.no_grad():
        for call in calls.values():  # warm-up: TorchScript's profiling executor settles
            for _ in range(20):
                call()
        number = 20
        estimate = timed(next(iter(calls.values())))
        number = max(20, min(20000, int(batch_seconds / (estimate * 1e-6))))
        keys = list(calls)
        for round_index in range(rounds):
            # rotate the order every round, so no variant always runs first (or after the same one)
            for key in keys[round_index % len(keys):] + keys[: round_index % len(keys)]:
                samples[key].append(timed(calls[key]))
    return {key: statistics.median(values) for key, values in samples.items()}


def thread_scaling(case: dict[str, Any], *, threads: list[int], seconds: float, repeats: int = 3) -> dict[str, dict[int, float]]:
    """Calls per second with N threads calling ``Pipeline.run`` / the eager model at once.

    Each (caller, N) is measured ``repeats`` times, the measurements taking turns, and the
    median is kept.
    """
    pipeline, feed, model, inputs = case["pipeline"], case["feed"], case["model"], case["inputs"]
    variants: dict[str, Callable[[], Any]] = {
        "Pipeline.run": lambda: pipeline.run(feed),
        "eager Python (nn.Module)": lambda: model(*inputs),
    }

    def calls_per_second(call: Callable[[], Any], count: int) -> float:
        done = [0] * count
        stop = threading.Event()

        def worker(slot: int) -> None:
            with torch.no_grad():
                while not stop.is_set():
                    call()
                    done[slot] += 1

        workers = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
        for w in workers:
            w.start()
        time.sleep(seconds)
        stop.set()
        for w in workers:
            w.join()
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        return sum(done) / seconds

    samples: dict[str, dict[int, list[float]]] = {key: {n: [] for n in threads} for key in variants}
    for _ in range(repeats):
        for count in threads:
            for key, call in variants.items():
                samples[key][count].append(calls_per_second(call, count))
    return {key: {n: statistics.median(values) for n, values in by.items()} for key, by in samples.items()}


def print_table(title: str, timings: dict[str, float], baseline: str) -> None:
    print(f"\n{title}")
    print(f"  {'call':<30} {'µs/call':>9} {'× direct':>9}")
    for key, value in timings.items():
        print(f"  {key:<30} {value:9.2f} {value / timings[baseline]:9.3f}")


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds and shorter thread runs")
    parser.add_argument("--device", choices=["cpu", "cuda", "all"], default="all")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args(argv)

    rounds, batch_seconds, seconds = (5, 0.01, 0.2) if args.quick else (21, 0.03, 0.5)
    devices = []
    if args.device in ("cpu", "all"):
        devices.append(torch.device("cpu"))
    if args.device in ("cuda", "all") and torch.cuda.is_available():
        devices.append(torch.device("cuda", 0))
    print(f"torch {torch.__version__}, Python {platform.python_version()}, {os.cpu_count()} CPU cores, "
          f"intra-op threads {torch.get_num_threads()}"
          + (f", GPU {torch.cuda.get_device_name(0)}" if torch.cuda.is_available() else ", no GPU"))
    print(f"median of {rounds} interleaved rounds, each a batch of about {batch_seconds * 1e3:.0f} ms of calls")

    figures: dict[str, Any] = {"torch": torch.__version__, "devices": {}}
    for device in devices:
        label = "cpu" if device.type == "cpu" else "cuda:0"
        per_device: dict[str, Any] = {"timings": {}}
        output_to_cpu = device.type == "cpu"
        for name in ("MyCell", "MLP"):
            case = make_case(name, device, output_to_cpu=output_to_cpu)
            timings = time_interleaved(case["calls"], rounds=rounds, batch_seconds=batch_seconds, device=device)
            per_device["timings"][name] = timings
            note = "" if device.type == "cpu" else ", output_to_cpu=False, inputs on the GPU"
            print_table(f"[{label}] {name}{note}", timings, "direct ScriptModule call")
        if device.type == "cuda":
            cost = make_case("MyCell", device, output_to_cpu=True)
            with_copy = time_interleaved(
                {"direct ScriptModule call": cost["calls"]["direct ScriptModule call"], "Pipeline.run, output_to_cpu=True": cost["calls"]["Pipeline.run(dict)"]},
                rounds=rounds, batch_seconds=batch_seconds, device=device,
            )
            print_table(f"[{label}] MyCell, the cost of output_to_cpu=True (2 outputs to the host)", with_copy, "direct ScriptModule call")
            per_device["output_to_cpu_cost"] = with_copy
            counts: dict[str, Any] = {}
            for output_to_cpu in (False, True):
                case = make_case("MyCell", device, output_to_cpu=output_to_cpu)
                for key in ("direct ScriptModule call", "InferenceOp eager call", "Pipeline.run(dict)"):
                    if output_to_cpu and key == "direct ScriptModule call":
                        continue
                    activity = count_gpu_activity(case["calls"][key], calls=50)
                    counts[f"{key}, output_to_cpu={output_to_cpu}"] = activity.per_call()
            print(f"\n[{label}] MyCell, GPU work per call (torch.profiler, 50 calls)")
            print(f"  {'call':<52} {'kernels':>8} {'copies':>7} {'syncs':>6}")
            for key, (kernels, copies, syncs) in counts.items():
                print(f"  {key:<52} {kernels:8.2f} {copies:7.2f} {syncs:6.2f}")
            per_device["gpu_activity"] = counts

        thread_counts = [1, 2, 4] + ([8] if (os.cpu_count() or 1) >= 8 else [])
        previous = torch.get_num_threads()
        torch.set_num_threads(1)  # one intra-op thread per caller: the callers are the parallelism
        try:
            scaling = {name: thread_scaling(make_case(name, device, output_to_cpu=output_to_cpu), threads=thread_counts, seconds=seconds) for name in ("MyCell", "MLP")}
        finally:
            torch.set_num_threads(previous)
        print(f"\n[{label}] threads calling at once (torch.set_num_threads(1)): calls/s, and × one thread")
        print(f"  {'model / caller':<36} " + " ".join(f"{f'{n} thr':>16}" for n in thread_counts))
        for name, variants in scaling.items():
            for key, by_count in variants.items():
                cells = " ".join(f"{by_count[n]:9.0f} ×{by_count[n] / by_count[1]:5.2f}" for n in thread_counts)
                print(f"  {name + ', ' + key:<36} {cells}")
            ratio = [variants["Pipeline.run"][n] / variants["eager Python (nn.Module)"][n] for n in thread_counts]
            print(f"  {name + ', Pipeline.run ÷ eager':<36} " + " ".join(f"{r:16.2f}" for r in ratio))
        per_device["threads"] = {name: {key: {str(n): v for n, v in by.items()} for key, by in variants.items()} for name, variants in scaling.items()}
        figures["devices"][label] = per_device

    if args.json:
        with open(args.json, "w") as handle:
            json.dump(figures, handle, indent=1)
        print(f"\nfigures written to {args.json}")
    return figures


if __name__ == "__main__":
    main()
