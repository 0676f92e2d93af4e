"""The timing loop: hand-computed statistics, warm-up before the clock, the loop's length."""
import time

import pytest

from adaptcls.deployment.benchmark.latency_benchmark import TimingOptions, _keep_requests_busy, latency_stats, time_sync


def test_latency_stats_hand_computed():
    stats = latency_stats([0.001, 0.002, 0.003, 0.004], elapsed_s=0.02, batch=2)
    assert stats['runs'] == 4
    assert stats['median_ms'] == pytest.approx(2.5)
    assert stats['p90_ms'] == pytest.approx(3.7)  # numpy's linear interpolation: 3 + 0.7 * (4 - 3)
    assert stats['mean_ms'] == pytest.approx(2.5) and stats['min_ms'] == pytest.approx(1.0)
    assert stats['throughput_ips'] == pytest.approx(2 * 4 / 0.02)


def test_time_sync_warms_up_then_times_for_the_duration():
    calls = []

    def run_once():
        calls.append(time.perf_counter())
        time.sleep(0.002)

    stats = time_sync(run_once, batch=1, timing=TimingOptions(duration_s=0.1, warmup_runs=5, warmup_s=0.0))
    assert len(calls) == 5 + stats['runs']  # the warm-up calls are not timed
    assert 0.1 <= stats['elapsed_s'] < 0.2
    assert stats['median_ms'] >= 2.0
    assert stats['throughput_ips'] == pytest.approx(stats['runs'] / stats['elapsed_s'])


def test_warm_up_lasts_at_least_warmup_s():
    calls = []
    time_sync(lambda: calls.append(time.perf_counter()), batch=1,
              timing=TimingOptions(duration_s=0.01, warmup_runs=1, warmup_s=0.05))
    assert calls[-1] - calls[0] >= 0.05


class _FakeRequest:
    """Counts starts and waits like an OpenVINO InferRequest; each run 'takes' 2 ms."""

    def __init__(self):
        self.starts, self.waits, self.running, self.latency = 0, 0, False, 2.0

    def start_async(self):
        assert not self.running, 'restarted before it finished'
        self.starts, self.running = self.starts + 1, True

    def wait(self):
        self.waits, self.running = self.waits + 1, False


def test_async_requests_run_at_least_min_runs_and_each_run_is_counted_once():
    requests = [_FakeRequest() for _ in range(3)]
    latencies, elapsed = _keep_requests_busy(requests, min_runs=7, seconds=0.0)
    assert len(latencies) == sum(request.starts for request in requests) == 7
    assert all(request.waits == request.starts and not request.running for request in requests)
    assert latencies == [0.002] * 7 and elapsed >= 0
