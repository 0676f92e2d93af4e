"""``adaptcls train ... --export``: after training, the whole way to a deployed model in the same command.

The best checkpoint (``WORK_DIR/best.pth``) is evaluated on the validation set with a confusion matrix (what
``tools/test.py --confusion-matrix`` does), exported to ONNX and OpenVINO FP32 + INT8 IR, each checked against
PyTorch on real validation images (``tools/deploy.py export --int8``), and timed per backend (``tools/deploy.py
benchmark``, a short loop). ``WORK_DIR/report.md`` then gathers the figures and the plots (:mod:`.markdown_report`).
"""
import argparse
import os
import os.path as osp
from dataclasses import dataclass
from typing import Dict, List, Optional

from adaptcls.deployment.export.export_files import INT8_IR_FILE, IR_FILE
from adaptcls.engine.hooks.atomic_checkpoint_hook import BEST_ALIAS

EXPORT_DIR = 'export'
"""The export folder in the work dir."""
TEST_DIR = 'test'
"""The evaluation's log folder in the work dir."""
CONFUSION_MATRIX_PNG = 'confusion_matrix.png'
"""The validation confusion matrix, in the work dir."""
BENCHMARK_SECONDS = 3.0
"""Seconds of timed loop per backend: enough for a stable median of models that run in milliseconds, short next to
training (``tools/deploy.py benchmark`` defaults to 10 s for a finer measurement)."""
BENCHMARK_WARMUP_RUNS = 5
"""Warm-up calls per backend before timing."""
DEPLOY_MODULES = ('onnx', 'onnxruntime', 'openvino', 'nncf')
"""What exporting, INT8 quantization and the benchmark import."""


def require_deploy_packages() -> None:
    """Imports every deployment package now, so that a missing one is refused before training.

    Raises:
        MissingDeployDependency: naming the package and ``pip install -e '.[deploy]'``.
    """
    from adaptcls.deployment.dependencies import require
    for module in DEPLOY_MODULES:
        require(module)


@dataclass
class Delivery:
    """What ``--export`` produced.

    Attributes:
        checkpoint (str): the exported checkpoint.
        evaluation (dict): ``tools/test.py``'s result (metrics, confusion matrix PNG).
        export (dict): ``export.json`` (verification, INT8 accuracy, complexity, files).
        export_dir (str): where the IRs are.
        benchmark (dict): ``benchmark.json`` (one row per backend).
    """

    checkpoint: str
    evaluation: Dict
    export: Dict
    export_dir: str
    benchmark: Dict


def deliver(config_path: str, work_dir: str, data_root: Optional[str], progress=print) -> Delivery:
    """Evaluates, exports (FP32 + INT8) and benchmarks the best checkpoint of the run in ``work_dir``.

    Args:
        config_path (str): the trained config.
        work_dir (str): the run's work dir (holds ``best.pth``).
        data_root (str, optional): the data root the run trained on (None: the config's).
        progress (Callable[[str], None]): prints a stage line. Defaults to print.

    Raises:
        FileNotFoundError: the run left no best checkpoint.
    """
    from adaptcls.cli.test import evaluate
    from adaptcls.deployment.benchmark.benchmark_report import format_table, write_benchmark
    from adaptcls.deployment.benchmark.benchmark_runner import BenchmarkSettings, benchmark_backends, model_complexity
    from adaptcls.deployment.benchmark.benchmark_targets import find_targets
    from adaptcls.deployment.benchmark.latency_benchmark import TimingOptions
    from adaptcls.deployment.export.exporter import ExportOptions, export_checkpoint

    checkpoint = osp.join(work_dir, BEST_ALIAS)
    if not osp.isfile(checkpoint):
        raise FileNotFoundError(f'--export: the run left no best checkpoint ({checkpoint}); it needs a validation '
                                'set and save_best in the checkpoint hook.')
    progress(f'[--export 1/3] evaluating {checkpoint} on the validation set (confusion matrix)')
    evaluation = evaluate(argparse.Namespace(
        config=config_path, checkpoint=checkpoint, data_root=data_root, work_dir=osp.join(work_dir, TEST_DIR),
        confusion_matrix=osp.join(work_dir, CONFUSION_MATRIX_PNG), cfg_options=None, launcher='none'))
    export_dir = osp.join(work_dir, EXPORT_DIR)
    progress(f'[--export 2/3] exporting ONNX and OpenVINO FP32 + INT8 IR into {export_dir}, each verified')
    export = export_checkpoint(config_path, checkpoint, export_dir, ExportOptions(int8=True, data_root=data_root))
    progress(f'[--export 3/3] timing each backend for {BENCHMARK_SECONDS:g} s (batch 1)')
    settings = BenchmarkSettings(timing=TimingOptions(duration_s=BENCHMARK_SECONDS,
                                                      warmup_runs=BENCHMARK_WARMUP_RUNS))
    targets = find_targets(export_dir, config_path)
    results = benchmark_backends(targets, settings)
    benchmark = write_benchmark(export_dir, results, settings, model_complexity(targets, settings))
    progress(format_table(results))
    return Delivery(checkpoint, evaluation, export, export_dir, benchmark)


def delivery_lines(delivery: Delivery) -> List[str]:
    """A few lines for the console: the IR files, their agreement and accuracy, and the fastest backend."""
    int8 = delivery.export.get('int8') or {}
    rows = delivery.benchmark.get('backends') or []
    lines = [f'Exported to {delivery.export_dir}: {", ".join(delivery.export.get("files", []))}']
    if int8:
        lines.append(f'Val top-1 of the IRs: FP32 {int8["fp32_top1"]:.4f}, INT8 {int8["int8_top1"]:.4f} '
                     f'({int8["val_images"]} images)')
    if rows:
        fastest = min(rows, key=lambda row: row['median_ms'])
        lines.append(f'Fastest: {fastest["name"]} ({fastest["precision"]}), {fastest["median_ms"]:.2f} ms per image')
    model = osp.join(delivery.export_dir, INT8_IR_FILE if int8 else IR_FILE)
    lines.append(f'Predict: adaptcls predict {model} IMAGES_OR_FOLDERS')
    return lines


def relative(path: str, start: str) -> str:
    """``path`` relative to ``start`` when it lies inside it (links in report.md), else absolute."""
    path, start = os.path.abspath(path), os.path.abspath(start)
    return os.path.relpath(path, start) if os.path.commonpath([path, start]) == start else path
