"""The same warm-up and timed loop for PyTorch eager, ONNX Runtime and OpenVINO.

Each backend runs one batch per call with its thread count set to ``threads``
(``torch.set_num_threads``, ORT ``intra_op_num_threads``, OpenVINO ``INFERENCE_NUM_THREADS``).
Warm-up: at least ``warmup_runs`` calls and at least ``warmup_s`` seconds. Timed loop: calls
until ``duration_s`` seconds have passed. Latency = wall time of one call; throughput =
batch * calls / elapsed. OpenVINO's 'throughput' hint keeps its optimal number of asynchronous
requests busy (the latency of a run is then OpenVINO's start-to-completion time of that request);
the other backends, and OpenVINO's 'latency' hint, run one synchronous call after another.
"""
import time
from dataclasses import asdict, dataclass, field
from typing import Callable, Dict, List, Tuple

import numpy as np

HINTS = ('latency', 'throughput')
P90 = 90


@dataclass
class TimingOptions:
    """How long each backend warms up and runs.

    Args:
        duration_s (float): length of the timed loop in seconds. Defaults to 10.
        warmup_runs (int): minimum warm-up calls. Defaults to 10.
        warmup_s (float): minimum warm-up seconds. Defaults to 1.
    """

    duration_s: float = 10.0
    warmup_runs: int = 10
    warmup_s: float = 1.0


@dataclass
class BackendResult:
    """The latency figures of one backend on one model file."""

    name: str
    backend: str
    file: str
    precision: str
    batch: int
    threads: int
    runs: int
    elapsed_s: float
    median_ms: float
    p90_ms: float
    mean_ms: float
    min_ms: float
    throughput_ips: float
    settings: Dict[str, object] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)


def latency_stats(latencies_s: List[float], elapsed_s: float, batch: int) -> Dict[str, float]:
    """Median, p90, mean and min latency (ms) and throughput (images/s) of a timed loop."""
    milliseconds = np.asarray(latencies_s) * 1e3
    return dict(runs=len(latencies_s), elapsed_s=elapsed_s, median_ms=float(np.median(milliseconds)),
                p90_ms=float(np.percentile(milliseconds, P90)), mean_ms=float(milliseconds.mean()),
                min_ms=float(milliseconds.min()), throughput_ips=batch * len(latencies_s) / elapsed_s)


def _warm_up(run_once: Callable[[], None], timing: TimingOptions) -> None:
    start, runs = time.perf_counter(), 0
    while runs < timing.warmup_runs or time.perf_counter() - start < timing.warmup_s:
        run_once()
        runs += 1


def time_sync(run_once: Callable[[], None], batch: int, timing: TimingOptions) -> Dict[str, float]:
    """Warms up, then calls ``run_once`` until ``timing.duration_s`` has passed; returns latency_stats."""
    _warm_up(run_once, timing)
    latencies, start = [], time.perf_counter()
    while True:
        before = time.perf_counter()
        run_once()
        after = time.perf_counter()
        latencies.append(after - before)
        if after - start >= timing.duration_s:
            return latency_stats(latencies, after - start, batch)


def _keep_requests_busy(requests: list, min_runs: int, seconds: float) -> Tuple[List[float], float]:
    """Restarts each request as soon as it finishes, round robin, until ``min_runs`` have been
    started and ``seconds`` have passed; then waits for the rest.

    No Python callback is involved (an ``AsyncInferQueue`` callback needs the GIL from an
    OpenVINO thread and can deadlock when the queue is destroyed); each request's own
    ``latency`` (start to completion, ms) is read after it finishes.

    Returns:
        tuple: per-run latencies (s) and the elapsed seconds.
    """
    start = time.perf_counter()
    for request in requests:
        request.start_async()
    latencies, submitted, index = [], len(requests), 0
    while len(latencies) < submitted:
        request = requests[index % len(requests)]
        index += 1
        request.wait()
        latencies.append(request.latency / 1e3)
        if submitted < min_runs or time.perf_counter() - start < seconds:
            request.start_async()
            submitted += 1
    return latencies, time.perf_counter() - start


def time_openvino_async(compiled, inputs, batch: int, timing: TimingOptions) -> Dict[str, float]:
    """Keeps the compiled model's optimal number of requests busy; returns latency_stats.

    Args:
        compiled (openvino.CompiledModel): the model.
        inputs (openvino.Tensor): the input batch, set once on every request.
        batch (int): images per request.
        timing (TimingOptions): warm-up and loop length.
    """
    count = compiled.get_property('OPTIMAL_NUMBER_OF_INFER_REQUESTS')
    requests = [compiled.create_infer_request() for _ in range(count)]
    for request in requests:
        request.set_input_tensor(inputs)
    _keep_requests_busy(requests, timing.warmup_runs, timing.warmup_s)
    latencies, elapsed = _keep_requests_busy(requests, 0, timing.duration_s)
    stats = latency_stats(latencies, elapsed, batch)
    stats['infer_requests'] = count
    return stats
