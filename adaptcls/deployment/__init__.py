"""Deployment: ONNX and OpenVINO export, INT8 quantization, benchmarks and IR inference.

Names are imported on first use (PEP 562), so ``from adaptcls.deployment import IRClassifier``
loads OpenVINO, numpy and Pillow only, not torch: an application that runs an IR needs nothing
else. OpenVINO, NNCF, ONNX and ONNX Runtime are optional (``pip install -e '.[deploy]'``).
"""
from adaptcls.utils.lazy_exports import lazy_getattr

_MODULE_OF = {
    'BackendResult': 'benchmark.latency_benchmark',
    'BenchmarkSettings': 'benchmark.benchmark_runner',
    'BenchmarkTarget': 'benchmark.benchmark_targets',
    'ExportOptions': 'export.exporter',
    'IRClassifier': 'runtime.ir_classifier',
    'IRMetadata': 'runtime.ir_metadata',
    'MissingDeployDependency': 'dependencies',
    'TimingOptions': 'benchmark.latency_benchmark',
    'benchmark_backends': 'benchmark.benchmark_runner',
    'evaluate_ir': 'runtime.ir_evaluation',
    'export_checkpoint': 'export.exporter',
    'find_targets': 'benchmark.benchmark_targets',
    'graph_complexity': 'complexity',
    'load_classifier': 'export.model_loader',
    'model_complexity': 'benchmark.benchmark_runner',
    'resize_bilinear': 'runtime.image_resize',
    'torch_complexity': 'complexity',
    'write_benchmark': 'benchmark.benchmark_report',
}

__all__ = sorted(_MODULE_OF)

__getattr__ = lazy_getattr(__name__, _MODULE_OF)
