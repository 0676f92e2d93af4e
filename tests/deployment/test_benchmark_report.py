"""The benchmark table, JSON and chart."""
import json
import os

from adaptcls.deployment.benchmark.benchmark_report import format_table, write_benchmark
from adaptcls.deployment.benchmark.benchmark_runner import BenchmarkSettings
from adaptcls.deployment.benchmark.latency_benchmark import BackendResult, TimingOptions


def _result(name: str, median_ms: float) -> BackendResult:
    return BackendResult(name=name, backend='openvino', file='m.xml', precision='FP32', batch=1, threads=2,
                         runs=100, elapsed_s=1.0, median_ms=median_ms, p90_ms=median_ms * 1.5,
                         mean_ms=median_ms, min_ms=median_ms / 2, throughput_ips=1000 / median_ms)


def test_table_has_a_row_per_backend():
    lines = format_table([_result('OpenVINO FP32', 2.0), _result('ONNX Runtime', 4.0)]).splitlines()
    assert lines[0].split()[:3] == ['backend', 'precision', 'median']
    assert lines[2].split() == ['OpenVINO', 'FP32', 'FP32', '2.000', '3.000', '500.0', '100']
    assert len(lines) == 4


def test_write_benchmark(tmp_path):
    settings = BenchmarkSettings(threads=2, timing=TimingOptions(duration_s=3))
    complexity = dict(params=10, gmacs=0.5, method='test')
    write_benchmark(str(tmp_path), [_result('OpenVINO FP32', 2.0)], settings, complexity)
    summary = json.loads((tmp_path / 'benchmark.json').read_text())
    assert summary['settings'] == dict(device='CPU', batch=1, threads=2, hint='latency', time_s=3,
                                       warmup_runs=10, warmup_s=1.0)
    assert summary['model'] == complexity and summary['backends'][0]['median_ms'] == 2.0
    assert os.path.getsize(tmp_path / 'benchmark.png') > 5000
