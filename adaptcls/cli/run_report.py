"""The short human summary ``tools/train.py`` prints at the end of a run (summary.json has every figure)."""
import os.path as osp
import shlex
from typing import List, Mapping

from adaptcls.config.data_config import RUN_CONFIG_FILE
from adaptcls.engine.hooks.atomic_checkpoint_hook import BEST_ALIAS


def run_report(summary: Mapping, config_file: str, summary_file: str, export_hint: bool = True) -> str:
    """A few lines for a person: best top-1 and mAP and their epoch, why training stopped, the learning rate
    and what choosing it cost, where the model is, and the command that exports it.

    Args:
        summary (Mapping): the run's summary.json.
        config_file (str): the config the run trained (for the export command: the run's ``run_config.json``
            beside the checkpoint when there is one).
        summary_file (str): the path of summary.json.
        export_hint (bool): end with the export command (not when ``--export`` exported already). Defaults to True.
    """
    metrics = summary.get('best_metrics') or {}
    lines: List[str] = []
    if summary.get('stopped_early'):
        lines.append(f'Stopped early after epoch {summary["epochs_run"]} of {summary["max_epochs"]}: '
                     f'{summary.get("stop_reason")}.')
    else:
        lines.append(f'Ran all {summary.get("epochs_run")} epochs ({summary.get("stop_reason")}).')
    if metrics:
        lines.append(f'Best val top-1 {metrics.get("top1", float("nan")):.4f}, mAP {metrics.get("mAP", float("nan")):.4f} '
                     f'at epoch {summary.get("best_epoch")}; {summary.get("wall_time_s", 0):.0f} s of training.')
    search = summary.get('lr_search')
    if search and search.get('stopped_for_time'):
        lines.append(f'Learning rate {search["chosen_lr"]:g}, the config\'s: the {search["mode"]} LR search stopped '
                     f'after {search["wall_time_s"]:.0f} s ({search["stopped_for_time"]}).')
    elif search:
        lines.append(f'Learning rate {search["chosen_lr"]:g}, chosen by the {search["mode"]} LR search '
                     f'({search["total_trained_epochs"]:.1f} epochs, {search["wall_time_s"]:.0f} s; '
                     f'{search.get("result_file", "")}).')
    checkpoint = summary.get('best_checkpoint')
    if checkpoint:
        alias = osp.join(osp.dirname(checkpoint), BEST_ALIAS)
        if osp.isfile(alias):  # AtomicCheckpointHook's stable name for the best checkpoint
            checkpoint, epoch_file = alias, osp.basename(checkpoint)
            lines.append(f'Model: {checkpoint} (= {epoch_file})')
        else:
            lines.append(f'Model: {checkpoint}')
        export_dir = osp.join(osp.dirname(checkpoint), 'export')
        if export_hint:
            # the run's resolved config, as data (its input size, epochs and options applied), when it wrote one
            run_copy = osp.join(osp.dirname(checkpoint), RUN_CONFIG_FILE)
            config_file = run_copy if osp.isfile(run_copy) else config_file
            lines.append('Export it (ONNX, OpenVINO FP32 + INT8): adaptcls export '
                         f'{shlex.quote(config_file)} {shlex.quote(checkpoint)} --out {shlex.quote(export_dir)} '
                         '--int8')
    lines.append(f'Every figure: {summary_file}')
    return '\n'.join(lines)
