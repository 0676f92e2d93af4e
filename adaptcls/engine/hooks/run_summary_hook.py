"""Per-epoch history, training-curve plots and ``summary.json`` for every training run."""
import os
import time
from typing import Dict, List, Optional

import torch
from mmengine.dist import is_main_process
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from adaptcls.registry import HOOKS
from adaptcls.utils.atomic import atomic_write_json
from adaptcls.utils.plots import plot_training_curves

SUMMARY_FILE = 'summary.json'
"""The default file name of a run's summary in its work dir (``RunSummaryHook(summary_file=...)`` changes it)."""

SUMMARY_INFO_PREFIX = 'summary/'
"""Message-hub runtime-info keys under this prefix are copied into summary.json (prefix dropped)."""


@HOOKS.register_module()
class RunSummaryHook(Hook):
    """Records loss, learning rate and validation metrics per epoch; writes the run's summary.

    Files in the work dir (written atomically, on the main process only):
    ``history.json`` and ``training_curves.png`` after every epoch, ``summary.json`` after
    training. The history and the accumulated wall time live in every checkpoint, so a
    resumed run reports the whole run.

    Other hooks add to the summary through the message hub:
    ``runner.message_hub.update_info('summary/<key>', value)``.

    Args:
        best_metric (str): validation metric that picks the best epoch; must match the
            CheckpointHook's ``save_best``. Defaults to 'top1'.
        summary_file (str): summary file name in the work dir. Defaults to 'summary.json'.
        history_file (str): per-epoch history file name. Defaults to 'history.json'.
        plot_file (str): training-curve PNG name. Defaults to 'training_curves.png'.
    """

    # After ParamSchedulerHook (LOW = 70) and ReduceLROnPlateauV2 (80), before CheckpointHook
    # (VERY_LOW = 90), so each saved checkpoint already holds the epoch it closes.
    priority = 85

    def __init__(self,
                 best_metric: str = 'top1',
                 summary_file: str = SUMMARY_FILE,
                 history_file: str = 'history.json',
                 plot_file: str = 'training_curves.png') -> None:
        self.best_metric = best_metric
        self.summary_file = summary_file
        self.history_file = history_file
        self.plot_file = plot_file
        self.history: List[Dict] = []
        self._elapsed_before_s = 0.0
        self._start: Optional[float] = None
        self._epoch_lr = float('nan')

    def before_train(self, runner) -> None:
        self._start = time.perf_counter()

    def before_train_epoch(self, runner) -> None:
        self._epoch_lr = float(_first_lr(runner))

    def after_train_epoch(self, runner) -> None:
        iterations = len(runner.train_dataloader)
        loss_buffer = runner.message_hub.get_scalar('train/loss')
        self.history.append(dict(
            epoch=runner.epoch + 1,  # the loop increments runner.epoch after this hook
            train_loss=float(loss_buffer.mean(iterations)),
            lr=self._epoch_lr,  # the lr at the start of the epoch
        ))

    def after_val_epoch(self, runner, metrics: Optional[Dict[str, float]] = None) -> None:
        if not metrics or not self.history or not runner.train_loop:
            return
        record = self.history[-1]
        if record['epoch'] == runner.epoch:
            record['val'] = {key: float(value) for key, value in metrics.items()}
            self._write_progress(runner)

    def after_train(self, runner) -> None:
        self._write_progress(runner)
        if is_main_process():
            atomic_write_json(os.path.join(runner.work_dir, self.summary_file), self.summary(runner))

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        checkpoint.setdefault('adaptcls_hooks', {})[type(self).__name__] = dict(
            history=self.history, elapsed_s=self._elapsed_s())

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        state = checkpoint.get('adaptcls_hooks', {}).get(type(self).__name__)
        if state is not None:
            self.history = list(state['history'])
            self._elapsed_before_s = float(state['elapsed_s'])

    def summary(self, runner) -> dict:
        """The content of summary.json for the finished run."""
        best = self._best_record()
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        info = {key[len(SUMMARY_INFO_PREFIX):]: value
                for key, value in runner.message_hub.runtime_info.items()
                if key.startswith(SUMMARY_INFO_PREFIX)}
        epochs_run = runner.epoch
        max_epochs = runner.max_epochs
        summary = dict(
            config=runner.cfg.filename,
            work_dir=os.path.abspath(runner.work_dir),
            best_checkpoint=runner.message_hub.get_info('best_ckpt'),
            best_epoch=best['epoch'] if best else None,
            best_metrics=best['val'] if best else {},
            epochs_run=epochs_run,
            max_epochs=max_epochs,
            stopped_early=epochs_run < max_epochs,
            stop_reason=info.pop('stop_reason', 'max_epochs reached'),
            wall_time_s=round(self._elapsed_s(), 2),
            num_classes=getattr(model, 'num_classes', None),
            classes=list(runner.train_dataloader.dataset.metainfo.get('classes', ())),
            pretrained=getattr(model, 'pretrained_source', None),
            seed=runner.seed,
            precision=training_precision(runner.optim_wrapper),
        )
        skipped = getattr(runner.optim_wrapper, 'skipped_steps', 0)
        if skipped:  # fp16 steps whose gradients overflowed
            summary['amp_skipped_steps'] = skipped
        summary.update(info)
        return summary

    def _best_record(self) -> Optional[dict]:
        """The first epoch with the highest ``best_metric`` (CheckpointHook's 'greater' rule)."""
        validated = [record for record in self.history if self.best_metric in record.get('val', {})]
        if not validated:
            return None
        return max(validated, key=lambda record: (record['val'][self.best_metric], -record['epoch']))

    def _elapsed_s(self) -> float:
        running = time.perf_counter() - self._start if self._start is not None else 0.0
        return self._elapsed_before_s + running

    def _write_progress(self, runner) -> None:
        if not is_main_process() or not self.history:
            return
        atomic_write_json(os.path.join(runner.work_dir, self.history_file), self.history)
        plot_training_curves(self.history, os.path.join(runner.work_dir, self.plot_file),
                             metric=self.best_metric)


def _first_lr(runner) -> float:
    """The current learning rate of the first parameter group."""
    lrs = runner.optim_wrapper.get_lr()
    first_key = next(iter(lrs))
    return lrs[first_key][0]


def training_precision(optim_wrapper) -> str:
    """'bfloat16' or 'float16' under mixed precision (adaptcls's wrappers' ``amp_dtype``; mmengine's
    ``AmpOptimWrapper``'s ``cast_dtype``, float16 when unset), else 'float32'."""
    dtype = getattr(optim_wrapper, 'amp_dtype', None)
    if dtype is None and hasattr(optim_wrapper, 'loss_scaler') and hasattr(optim_wrapper, 'cast_dtype'):
        dtype = optim_wrapper.cast_dtype or torch.float16
    return str(dtype).replace('torch.', '') if dtype is not None else 'float32'


def summary_file_name(cfg) -> Optional[str]:
    """The summary file name that the config's ``RunSummaryHook`` writes (in ``default_hooks`` or ``custom_hooks``),
    or None when the config has none."""
    hooks = list((cfg.get('default_hooks') or {}).values()) + list(cfg.get('custom_hooks') or [])
    for hook in hooks:
        if isinstance(hook, dict) and str(hook.get('type', '')).split('.')[-1] == RunSummaryHook.__name__:
            return hook.get('summary_file', SUMMARY_FILE)
    return None
