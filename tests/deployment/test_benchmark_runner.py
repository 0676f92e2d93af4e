"""Every backend runs through the same loop and reports the same fields."""
import pytest

from adaptcls.deployment.benchmark.benchmark_runner import BenchmarkSettings, benchmark_backends, model_complexity
from adaptcls.deployment.benchmark.benchmark_targets import find_targets
from adaptcls.deployment.benchmark.latency_benchmark import TimingOptions

QUICK = TimingOptions(duration_s=0.05, warmup_runs=2, warmup_s=0.0)


@pytest.mark.parametrize('hint', ['latency', 'throughput'])
def test_onnx_and_openvino_backends(exported, hint):
    targets = find_targets(f'{exported["out"]}/model.onnx') + find_targets(f'{exported["out"]}/model.xml')
    results = benchmark_backends(targets, BenchmarkSettings(threads=1, batch=2, hint=hint, timing=QUICK))
    assert [(r.name, r.precision) for r in results] == [
        ('ONNX Runtime', 'FP32'), ('OpenVINO FP32', 'FP32'), ('OpenVINO INT8', 'INT8')]
    for result in results:
        assert result.runs >= 1 and result.batch == 2 and result.threads == 1
        assert result.median_ms > 0 and result.p90_ms >= result.median_ms
        assert result.throughput_ips == pytest.approx(2 * result.runs / result.elapsed_s)
    assert results[1].settings['INFERENCE_NUM_THREADS'] == 1
    assert results[1].settings['PERFORMANCE_HINT'] == hint.upper()


def test_complexity_from_graph_matches_pytorch(exported):
    settings = BenchmarkSettings()
    from_graph = model_complexity(find_targets(f'{exported["out"]}/model.xml'), settings)
    from_torch = model_complexity(find_targets(exported['checkpoint'], exported['config']), settings)
    assert from_graph['gmacs'] == pytest.approx(from_torch['gmacs'], rel=1e-6)
    assert 'OpenVINO' in from_graph['method'] and 'PyTorch' in from_torch['method']


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match='--hint'):
        BenchmarkSettings(hint='fast').check()
