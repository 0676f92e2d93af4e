"""``tools/deploy.py benchmark``: times each target with the same settings and loop."""
import os
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Tuple

import numpy as np
import torch

from adaptcls.errors import UserInputError
from adaptcls.utils.progress import ProgressLog
from .benchmark_targets import BenchmarkTarget
from ..complexity import graph_complexity, torch_complexity
from ..dependencies import require
from ..input_size import input_size_from_config
from ..runtime.ov_core import shared_core
from .latency_benchmark import HINTS, BackendResult, TimingOptions, time_openvino_async, time_sync
from ..export.model_loader import deploy_module, load_classifier
from ..export.onnx_export import INPUT_NAME, onnx_session
from ..runtime.ir_files import read_ir
from ..runtime.ir_metadata import RT_INFO_SECTION
from ..export.openvino_ir import inference_precision

INPUT_SEED = 0
"""Seed of the random input batch (speed does not depend on the pixel values)."""


@dataclass
class BenchmarkSettings:
    """Settings shared by every backend of one benchmark.

    Args:
        device (str): OpenVINO device. Defaults to 'CPU'.
        batch (int): images per call. Defaults to 1.
        threads (int): CPU threads for every backend. Defaults to os.cpu_count().
        hint (str): OpenVINO performance hint, 'latency' or 'throughput'. Defaults to 'latency'.
        input_size (tuple[int, int], optional): (height, width) for a PyTorch checkpoint; None reads
            the config's test pipeline. Defaults to None.
        precision_hint (str, optional): OpenVINO ``INFERENCE_PRECISION_HINT`` ('f32', 'bf16', 'f16');
            None keeps the device's default (CPUs with BF16 run FP32 IRs in bf16). Defaults to None.
        timing (TimingOptions): warm-up and loop length. Defaults to TimingOptions().
    """

    device: str = 'CPU'
    batch: int = 1
    threads: int = field(default_factory=os.cpu_count)
    hint: str = 'latency'
    input_size: Optional[Tuple[int, int]] = None
    precision_hint: Optional[str] = None
    timing: TimingOptions = field(default_factory=TimingOptions)

    def check(self) -> None:
        if self.hint not in HINTS:
            raise UserInputError(f'--hint must be one of {HINTS}, got "{self.hint}".')
        if self.batch < 1 or self.threads < 1 or self.timing.duration_s <= 0:
            raise UserInputError('--batch and --threads must be at least 1 and --time positive.')


def _random_input(shape: Tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    """Seeded random data: 0..255 for uint8 images, else standard normal (normalised images)."""
    rng = np.random.default_rng(INPUT_SEED)
    if dtype == np.uint8:
        return rng.integers(0, 256, shape, dtype=np.uint8)
    return rng.standard_normal(shape).astype(dtype)


def _normalised_batch(settings: BenchmarkSettings, input_size: Tuple[int, int]) -> np.ndarray:
    return _random_input((settings.batch, 3, *input_size), np.dtype(np.float32))


def _pytorch_module(target: BenchmarkTarget, settings: BenchmarkSettings):
    """The checkpoint's deploy module and its input size."""
    loaded = load_classifier(target.config, target.file, other_input_size=settings.input_size is not None)
    return deploy_module(loaded.model), input_size_from_config(loaded.cfg, settings.input_size)


def _time_pytorch(target: BenchmarkTarget, settings: BenchmarkSettings) -> Tuple[Dict, str, Dict]:
    torch.set_num_threads(settings.threads)
    module, input_size = _pytorch_module(target, settings)
    inputs = torch.from_numpy(_normalised_batch(settings, input_size))

    def run_once() -> None:
        with torch.inference_mode():
            module(inputs)

    return time_sync(run_once, settings.batch, settings.timing), 'FP32', dict(torch_threads=settings.threads)


def _time_onnxruntime(target: BenchmarkTarget, settings: BenchmarkSettings) -> Tuple[Dict, str, Dict]:
    session = onnx_session(target.file, settings.threads)
    height, width = session.get_inputs()[0].shape[2:]
    feed = {INPUT_NAME: _normalised_batch(settings, (height, width))}
    stats = time_sync(lambda: session.run(None, feed), settings.batch, settings.timing)
    return stats, 'FP32', dict(intra_op_num_threads=settings.threads, inter_op_num_threads=1)


def _time_openvino(target: BenchmarkTarget, settings: BenchmarkSettings) -> Tuple[Dict, str, Dict]:
    openvino = require('openvino')
    core = shared_core()
    model = _read_graph(target.file, core)
    shape = model.input().get_partial_shape()
    shape[0] = settings.batch
    model.reshape({model.input().get_any_name(): shape})
    config = {'PERFORMANCE_HINT': settings.hint.upper()}
    if settings.device == 'CPU':  # a CPU-only property
        config['INFERENCE_NUM_THREADS'] = settings.threads
    if settings.precision_hint:
        config['INFERENCE_PRECISION_HINT'] = settings.precision_hint
    compiled = core.compile_model(model, settings.device, config)
    inputs = openvino.Tensor(_random_input(tuple(shape.to_shape()), model.input().get_element_type().to_dtype()))
    if settings.hint == 'throughput':
        stats = time_openvino_async(compiled, inputs, settings.batch, settings.timing)
    else:
        request = compiled.create_infer_request()
        request.set_input_tensor(inputs)  # set once: the loop times inference, not input copies
        stats = time_sync(request.infer, settings.batch, settings.timing)
    precision_key = [RT_INFO_SECTION, 'precision']
    precision = model.get_rt_info(precision_key).astype(str) if model.has_rt_info(precision_key) else 'unknown'
    used = dict(config, infer_requests=stats.pop('infer_requests', 1),
                inference_precision=inference_precision(compiled), streams=compiled.get_property('NUM_STREAMS'))
    return stats, precision, used


_TIMERS: Dict[str, Callable] = dict(pytorch=_time_pytorch, onnxruntime=_time_onnxruntime, openvino=_time_openvino)


def benchmark_backends(targets: List[BenchmarkTarget], settings: BenchmarkSettings) -> List[BackendResult]:
    """Times every target, one after another, printing its figures and the ETA of the rest.

    The ETA assumes each remaining backend takes as long as the finished ones on average (loading,
    compiling, warm-up and the timed loop).

    Args:
        targets (list[BenchmarkTarget]): from :func:`~adaptcls.deployment.benchmark.benchmark_targets.find_targets`.
        settings (BenchmarkSettings): shared settings.
    """
    settings.check()
    results = []
    progress = ProgressLog(len(targets), 'backends timed', every_s=0.0)
    for index, target in enumerate(targets, start=1):
        print(f'[benchmark {index}/{len(targets)}] {target.name}: {target.file} (warm-up, then '
              f'{settings.timing.duration_s:g} s)', flush=True)
        stats, precision, used = _TIMERS[target.backend](target, settings)
        result = BackendResult(name=target.name, backend=target.backend, file=os.path.abspath(target.file),
                               precision=precision, batch=settings.batch, threads=settings.threads,
                               settings=used, **stats)
        print(f'  median {result.median_ms:.3f} ms, p90 {result.p90_ms:.3f} ms, '
              f'{result.throughput_ips:.1f} images/s', flush=True)
        results.append(result)
        progress.update()
    return results


def model_complexity(targets: List[BenchmarkTarget], settings: BenchmarkSettings) -> Dict[str, object]:
    """Parameters and GMACs: counted in PyTorch when a checkpoint is among the targets, else on the
    first ONNX/IR graph."""
    for target in targets:
        if target.backend == 'pytorch':
            module, input_size = _pytorch_module(target, settings)
            return torch_complexity(module, input_size)
    return graph_complexity(_read_graph(targets[0].file, shared_core()))


def _read_graph(path: str, core):
    """An ONNX file or an IR (its files checked: :func:`read_ir`) as an ``openvino.Model``."""
    return read_ir(path, core) if path.endswith('.xml') else core.read_model(path)
