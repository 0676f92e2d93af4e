"""``adaptcls train ... --export``: after training, the whole way to a deployed model in the same command.

The best checkpoint (``WORK_DIR/best.pth``) is evaluated on the validation set with a confusion matrix (what
``tools/test.py --confusion-matrix`` does), its errors and the data's labels analysed (``--analyze``), calibrated (a
temperature fitted on the validation set, stored in the checkpoint: ``adaptcls calibrate``), exported to ONNX and
OpenVINO FP32 + INT8 IR, each checked against PyTorch on real validation images (``tools/deploy.py export --int8``),
and timed per backend (``tools/deploy.py benchmark``, a short loop). ``WORK_DIR/report.md`` and ``report.html`` then
gather the figures and the plots (:mod:`.markdown_report`, :mod:`.html_report`).
"""
import argparse
import os
import os.path as osp
from dataclasses import dataclass, field
from typing import Dict, List, Optional

from adaptcls.deployment.export.export_files import INT8_IR_FILE, IR_FILE
from adaptcls.engine.hooks.atomic_checkpoint_hook import BEST_ALIAS
from adaptcls.utils import atomic_write_json

EXPORT_DIR = 'export'
"""The export folder in the work dir."""
TEST_DIR = 'test'
"""The evaluation's log folder in the work dir."""
EVALUATION_FILE = osp.join(TEST_DIR, 'result.json')
"""The evaluation's result (``tools/test.py --out``'s JSON), in the work dir: report.html reads it."""
CONFUSION_MATRIX_PNG = 'confusion_matrix.png'
"""The validation confusion matrix, in the work dir."""
ANALYSIS_DIR = 'analysis'
"""The error analysis (``tools/test.py --analyze``'s folder), in the work dir."""
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
        config (str): the config it was evaluated and exported with (the run's copy in the work dir).
        evaluation (dict): ``tools/test.py``'s result (metrics, confusion matrix PNG).
        export (dict): ``export.json`` (verification, INT8 accuracy, complexity, files).
        export_dir (str): where the IRs are.
        benchmark (dict): ``benchmark.json`` (one row per backend).
        calibration (dict): the temperature fitted on the validation set, ECE and NLL before and after
            (``WORK_DIR/calibration/calibration.json``); the checkpoint holds the temperature and the IRs apply it.
        analysis (dict): ``WORK_DIR/analysis/analysis.json``: per-class table, confused pairs, the most confidently
            wrong images with saliency overlays, label-issue suspects (``tools/test.py --analyze``).
    """

    checkpoint: str
    config: str
    evaluation: Dict
    export: Dict
    export_dir: str
    benchmark: Dict
    calibration: Dict = field(default_factory=dict)
    analysis: Dict = field(default_factory=dict)


def deliver(work_dir: str, data_root: Optional[str], progress=print) -> Delivery:
    """Evaluates, exports (FP32 + INT8) and benchmarks the best checkpoint of the run in ``work_dir``.

    Everything uses the config the run trained with, as it wrote it into the work dir (``--img-size``, ``--epochs``
    and ``--cfg-options`` applied), not the recipe file: a model validated at 64 px is evaluated and exported at
    64 px.

    Args:
        work_dir (str): the run's work dir (holds ``best.pth`` and the run's config).
        data_root (str, optional): the data root the run trained on (None: the config's).
        progress (Callable[[str], None]): prints a stage line. Defaults to print.

    Raises:
        FileNotFoundError: the run left no best checkpoint.
    """
    from adaptcls.apis.calibration import calibrate_checkpoint
    from adaptcls.apis.classifier import run_config
    from adaptcls.apis.validation_analysis import analysis_summary, analyze_checkpoint
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
    config_path = run_config(checkpoint)
    progress(f'[--export 1/5] evaluating {checkpoint} on the validation set (confusion matrix)')
    evaluation = evaluate(argparse.Namespace(
        config=config_path, checkpoint=checkpoint, data_root=data_root, work_dir=osp.join(work_dir, TEST_DIR),
        confusion_matrix=osp.join(work_dir, CONFUSION_MATRIX_PNG), cfg_options=None, launcher='none'))
    atomic_write_json(osp.join(work_dir, EVALUATION_FILE), evaluation)
    progress(f'[--export 2/5] error analysis and label-issue search into {osp.join(work_dir, ANALYSIS_DIR)}')
    analysis = analyze_checkpoint(config_path, checkpoint, osp.join(work_dir, ANALYSIS_DIR), data_root)
    progress(analysis_summary(analysis, osp.join(work_dir, ANALYSIS_DIR)))
    progress(f'[--export 3/5] fitting a temperature on the validation set (calibrated probabilities, stored in '
             f'{checkpoint})')
    calibration = calibrate_checkpoint(config_path, checkpoint, data_root).to_dict()
    progress(f'Calibration: temperature {calibration["temperature"]:.3f}; expected calibration error '
             f'{calibration["ece_before"]:.4f} before, {calibration["ece_after"]:.4f} after ({calibration["images"]} '
             'validation images; top-1 unchanged)')
    export_dir = osp.join(work_dir, EXPORT_DIR)
    progress(f'[--export 4/5] exporting ONNX and OpenVINO FP32 + INT8 IR into {export_dir}, each verified')
    # the run owns WORK_DIR/export (the work-dir guard covers the run): its previous export is replaced
    export = export_checkpoint(config_path, checkpoint, export_dir,
                               ExportOptions(int8=True, data_root=data_root, overwrite=True))
    progress(f'[--export 5/5] timing each backend for {BENCHMARK_SECONDS:g} s (batch 1)')
    settings = BenchmarkSettings(timing=TimingOptions(duration_s=BENCHMARK_SECONDS,
                                                      warmup_runs=BENCHMARK_WARMUP_RUNS))
    targets = find_targets(export_dir, config_path)
    results = benchmark_backends(targets, settings)
    benchmark = write_benchmark(export_dir, results, settings, model_complexity(targets, settings))
    progress(format_table(results))
    return Delivery(checkpoint, config_path, evaluation, export, export_dir, benchmark, calibration, analysis)


class ReevaluationMismatchError(RuntimeError):
    """The best checkpoint, evaluated again on the validation set, does not score what training recorded for it:
    evaluation and training do not see the same images or pixels (a defect, not a user error)."""


def check_reevaluation(summary: Dict, delivery: Delivery) -> None:
    """Checks that the re-evaluation of the best checkpoint equals the training's best val top-1 within one image.

    Both evaluate the same checkpoint on the same validation images, so they agree up to the arithmetic of
    batching; a larger gap means the evaluation runs another pipeline (e.g. another input size) than training
    validated with, and every figure of the export would describe another model.

    Raises:
        ReevaluationMismatchError: naming both figures, the image count and the config used.
    """
    trained = (summary.get('best_metrics') or {}).get('top1')
    evaluated = (delivery.evaluation.get('metrics') or {}).get('top1')
    images = delivery.evaluation.get('num_images') or 0
    if trained is None or evaluated is None or not images:
        return
    if abs(trained - evaluated) > 1.0 / images + 1e-6:
        raise ReevaluationMismatchError(
            f'the best checkpoint {delivery.checkpoint} scored val top-1 {trained:.4f} in training but '
            f'{evaluated:.4f} when evaluated again with {delivery.config} on {images} images (more than one image '
            'apart): evaluation and export do not run what training validated. Please report this as a bug with '
            'the command line.')


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
