"""``WORK_DIR/report.md``: one page on a trained and exported model (``adaptcls train ... --export``).

The figures come from the run's own files (summary.json, the LR search's result, tools/test.py's result,
export.json, benchmark.json); the plots are the PNGs those steps wrote, linked relative to the work dir so that the
folder can be moved or shared as a whole.
"""
import os.path as osp
from typing import Dict, List, Optional

from adaptcls.datasets.data_split import SPLIT_DIR, read_split
from adaptcls.utils.atomic import atomic_write_text
from .delivery import Delivery, relative

REPORT_FILE = 'report.md'
"""The report's name in the work dir."""
TRAINING_CURVES_PNG = 'training_curves.png'
"""RunSummaryHook's plot of loss, lr and val top-1 per epoch."""
LR_SEARCH_PNG = osp.join('lr_search', 'lr_search.png')
"""The LR search's plot, when the run searched."""


def write_report(work_dir: str, config_path: str, summary: Dict, delivery: Delivery) -> str:
    """Writes ``WORK_DIR/report.md`` (atomically) and returns its path."""
    sections = [_title(config_path, summary), _data(work_dir, summary), _training(work_dir, summary),
                _evaluation(work_dir, delivery), _deployment(work_dir, delivery)]
    path = osp.join(work_dir, REPORT_FILE)
    atomic_write_text(path, '\n\n'.join(section for section in sections if section) + '\n')
    return path


def _title(config_path: str, summary: Dict) -> str:
    metrics = summary.get('best_metrics') or {}
    return (f'# {osp.splitext(osp.basename(config_path))[0]}: val top-1 {metrics.get("top1", float("nan")):.4f}\n\n'
            f'Config `{config_path}`; {summary.get("num_classes")} classes; seed {summary.get("seed")}.')


def _data(work_dir: str, summary: Dict) -> str:
    lines = ['## Data', '', f'Classes: {", ".join(map(str, summary.get("classes") or []))}.']
    split = read_split(osp.join(work_dir, SPLIT_DIR))
    if split:
        counts = split['counts']
        lines.append(f'No validation folder: {split["image_root"]} was split (val_fraction {split["val_fraction"]}, '
                     f'seed {split["seed"]}, stratified): {sum(counts["train"].values())} training and '
                     f'{sum(counts["val"].values())} validation images; the lists are in `{SPLIT_DIR}/`.')
    skipped = summary.get('skipped_images')
    if skipped:
        lines.append(f'Unreadable images left out: {skipped}.')
    return '\n'.join(lines)


def _training(work_dir: str, summary: Dict) -> str:
    metrics = summary.get('best_metrics') or {}
    stopped = ('stopped early' if summary.get('stopped_early') else 'ran all its epochs')
    lines = ['## Training', '',
             '| best val top-1 | mAP | balanced top-1 | best epoch | epochs run | why it stopped | training time |',
             '|---|---|---|---|---|---|---|',
             f'| {_fmt(metrics.get("top1"))} | {_fmt(metrics.get("mAP"))} | {_fmt(metrics.get("balanced_top1"))} | '
             f'{summary.get("best_epoch")} | {summary.get("epochs_run")} of {summary.get("max_epochs")} | '
             f'{stopped}: {summary.get("stop_reason")} | {summary.get("wall_time_s", 0):.0f} s |', '',
             f'![training curves]({TRAINING_CURVES_PNG})']
    search = summary.get('lr_search')
    if search:
        lines += ['', f'Initial learning rate {search["chosen_lr"]:g}, chosen by the {search["mode"]} LR search in '
                      f'{search["total_trained_epochs"]:.1f} epochs ({search["wall_time_s"]:.0f} s).']
        if osp.isfile(osp.join(work_dir, LR_SEARCH_PNG)):
            lines += ['', f'![LR search]({LR_SEARCH_PNG})']
    return '\n'.join(lines)


def _evaluation(work_dir: str, delivery: Delivery) -> str:
    metrics = delivery.evaluation.get('metrics') or {}
    lines = ['## Evaluation of the best checkpoint', '', f'`{relative(delivery.checkpoint, work_dir)}` on the '
             'validation set: ' + ', '.join(f'{name} {value:.4f}' for name, value in metrics.items()) + '.']
    png = delivery.evaluation.get('confusion_matrix')
    if png:
        lines += ['', f'![confusion matrix]({relative(png, work_dir)})']
    calibration = delivery.calibration
    if calibration:
        lines += ['', f'Calibration: temperature {calibration["temperature"]:.3f} fitted on {calibration["images"]} '
                      f'validation images (in the checkpoint, applied by the IRs); expected calibration error '
                      f'{calibration["ece_before"]:.4f} before, {calibration["ece_after"]:.4f} after.']
    return '\n'.join(lines)


def _deployment(work_dir: str, delivery: Delivery) -> str:
    export, folder = delivery.export, relative(delivery.export_dir, work_dir)
    checks = export.get('verification') or {}
    complexity = export.get('complexity') or {}
    size = (export.get('input') or {}).get('size') or ['?', '?']
    lines = ['## Deployment', '', f'Files in `{folder}/`: {", ".join(export.get("files", []))}. '
             f'Input {size[0]} x {size[1]} px (the size the model was validated at), '
             f'{complexity.get("params", 0):,} parameters, {complexity.get("gmacs", 0):.4f} GMACs.', '',
             '| check (validation images) | agreement with PyTorch |', '|---|---|']
    lines += [f'| {name} | {_agreement(value)} |' for name, value in checks.items()]
    int8 = export.get('int8')
    if int8:
        lines += ['', f'Val top-1 on {int8["val_images"]} images: FP32 IR {int8["fp32_top1"]:.4f}, INT8 IR '
                      f'{int8["int8_top1"]:.4f} ({(int8["int8_top1"] - int8["fp32_top1"]) * 100:+.2f} pt; calibrated on '
                      f'{int8["calibration_images"]} training images).']
    lines += ['', _latency_table(delivery.benchmark), '', f'![latency]({folder}/benchmark.png)', '',
              f'Predict: `adaptcls predict {folder}/model{"_int8" if int8 else ""}.xml IMAGES_OR_FOLDERS`']
    return '\n'.join(lines)


def _latency_table(benchmark: Dict) -> str:
    settings, host = benchmark.get('settings') or {}, benchmark.get('host') or {}
    rows: List[str] = [f'Latency ({host.get("processor")}, {settings.get("threads")} threads, batch '
                       f'{settings.get("batch")}, {settings.get("time_s")} s per backend):', '',
                       '| backend | precision | median ms | p90 ms | images/s |', '|---|---|---|---|---|']
    rows += [f'| {row["name"]} | {row["precision"]} | {row["median_ms"]:.3f} | {row["p90_ms"]:.3f} | '
             f'{row["throughput_ips"]:.1f} |' for row in benchmark.get('backends') or []]
    return '\n'.join(rows)


def _agreement(value) -> str:
    if not isinstance(value, dict):
        return str(value)
    return ', '.join(f'{key} {item:.4g}' if isinstance(item, float) else f'{key} {item}' for key, item in value.items())


def _fmt(value: Optional[float]) -> str:
    return 'n/a' if value is None else f'{value:.4f}'
