"""Deployment: ONNX and OpenVINO export, INT8 quantization, benchmarks and IR inference.

Names are imported on first use (PEP 562), so ``from adaptcls.deployment import IRClassifier``
loads OpenVINO, numpy and Pillow only, not torch: an application that runs an IR needs nothing
else. OpenVINO, NNCF, ONNX and ONNX Runtime are optional (``pip install -e '.[deploy]'``).
"""
import importlib

_MODULE_OF = {
    'BackendResult': 'latency_benchmark',
    'BenchmarkSettings': 'benchmark_runner',
    'BenchmarkTarget': 'benchmark_targets',
    'ExportOptions': 'exporter',
    'IRClassifier': 'ir_classifier',
    'IRMetadata': 'ir_metadata',
    'MissingDeployDependency': 'dependencies',
    'TimingOptions': 'latency_benchmark',
    'benchmark_backends': 'benchmark_runner',
    'evaluate_ir': 'ir_evaluation',
    'export_checkpoint': 'exporter',
    'find_targets': 'benchmark_targets',
    'graph_complexity': 'complexity',
    'load_classifier': 'model_loader',
    'model_complexity': 'benchmark_runner',
    'resize_bilinear': 'image_resize',
    'torch_complexity': 'complexity',
    'write_benchmark': 'benchmark_report',
}

__all__ = sorted(_MODULE_OF)


def __getattr__(name: str):
    if name not in _MODULE_OF:
        raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
    return getattr(importlib.import_module(f'{__name__}.{_MODULE_OF[name]}'), name)
