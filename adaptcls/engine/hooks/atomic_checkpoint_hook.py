"""mmengine's CheckpointHook with an atomic ``last_checkpoint`` pointer and a ``best.pth`` alias."""
import os
import os.path as osp
import shutil
from typing import Optional

from mmengine.dist import is_main_process
from mmengine.hooks import CheckpointHook

import adaptcls.utils.atomic_file_backend  # noqa: F401  registers the 'adaptcls_atomic_local' file backend
from adaptcls.config.resume_pointer import LAST_CHECKPOINT_FILE
from adaptcls.registry import HOOKS
from adaptcls.utils.atomic import atomic_path, atomic_write_text

BEST_ALIAS = 'best.pth'
"""The default name of the alias of the best checkpoint, beside it: a stable path for the run's result."""


@HOOKS.register_module()
class AtomicCheckpointHook(CheckpointHook):
    """``CheckpointHook`` that replaces ``last_checkpoint`` atomically.

    mmengine 0.10.7 writes ``<work_dir>/last_checkpoint`` (the path that ``--resume`` without a
    path resumes from) with ``open(path, 'w')``, which empties the file before writing it: a
    process killed in between leaves an empty pointer, and the next ``--resume`` fails. This hook
    does everything ``CheckpointHook._save_checkpoint_with_step`` does (keep at most
    ``max_keep_ckpts`` checkpoints, record ``keep_ckpt_ids`` and ``last_ckpt`` in the message hub,
    save) and writes the pointer with :func:`adaptcls.utils.atomic.atomic_write_text` after the
    checkpoint it names is complete, as a path relative to the work dir (mmengine writes an absolute one, so a moved
    work dir resumed another run's checkpoint). Give it ``backend_args=dict(backend='adaptcls_atomic_local')``
    (:class:`adaptcls.utils.atomic_file_backend.AtomicLocalBackend`) so that the checkpoint files
    themselves are written atomically too. Arguments are ``CheckpointHook``'s.

    Upstream: mmengine offers no extension point for the pointer (its ``_save_checkpoint_with_step`` writes it with
    a bare ``open``), so this hook overrides that private method, mirroring mmengine 0.10.7's steps one for one
    (deepspeed's checkpoint directories aside); tests/test_upstream_overrides.py fails when the upstream method
    changes, to re-check this copy.

    With ``save_best``, the best checkpoint (mmengine's ``best_<key>_<epoch>.pth``, the first key's when there are
    several) also gets a stable name, ``best_alias`` (``best.pth``) in the same folder: a hard link (a copy where the
    file system has no hard links), replaced atomically each time a new best is saved, so it always names a
    complete checkpoint. Scripts and the next command (``tools/test.py``, export) can use ``WORK_DIR/best.pth``.

    Args:
        best_alias (str, optional): the alias's file name; None for no alias. Defaults to :data:`BEST_ALIAS`.
        **kwargs: ``CheckpointHook``'s arguments.
    """

    def __init__(self, best_alias: Optional[str] = BEST_ALIAS, **kwargs) -> None:
        super().__init__(**kwargs)
        self.best_alias = best_alias

    def after_val_epoch(self, runner, metrics) -> None:
        """mmengine's step (saves a new best checkpoint), then points the alias at a new best."""
        previous_best = runner.message_hub.get_info('best_ckpt')
        super().after_val_epoch(runner, metrics)
        best = runner.message_hub.get_info('best_ckpt')
        if self.best_alias and best and best != previous_best and is_main_process():
            link_atomically(best, osp.join(osp.dirname(best), self.best_alias))

    def _save_checkpoint_with_step(self, runner, step, meta) -> None:
        self._rotate_kept_checkpoints(runner, step)
        ckpt_filename = self.filename_tmpl.format(step)
        self.last_ckpt = self.file_backend.join_path(self.out_dir, ckpt_filename)
        runner.message_hub.update_info('last_ckpt', self.last_ckpt)
        runner.save_checkpoint(
            self.out_dir,
            ckpt_filename,
            self.file_client_args,
            save_optimizer=self.save_optimizer,
            # a run without param schedulers (the adaptive recipe: its hook owns the lr) has none to save; asking
            # would log mmengine's warning at every checkpoint
            save_param_scheduler=self.save_param_scheduler and runner.param_schedulers is not None,
            meta=meta,
            by_epoch=self.by_epoch,
            backend_args=self.backend_args,
            **self.args)
        if is_main_process():
            atomic_write_text(osp.join(runner.work_dir, LAST_CHECKPOINT_FILE),
                              osp.relpath(osp.abspath(self.last_ckpt), osp.abspath(runner.work_dir)))

    def _rotate_kept_checkpoints(self, runner, step: int) -> None:
        """Removes the oldest kept checkpoint when ``step`` would exceed ``max_keep_ckpts``
        (as mmengine does, before saving, so ``keep_ckpt_ids`` in the new checkpoint is right)."""
        if self.max_keep_ckpts <= 0 or (self.keep_ckpt_ids and self.keep_ckpt_ids[-1] == step):
            return  # the same step saved twice (after train and again after a new best)
        if len(self.keep_ckpt_ids) == self.max_keep_ckpts:
            oldest = self.keep_ckpt_ids.popleft()
            if is_main_process():
                path = self.file_backend.join_path(self.out_dir, self.filename_tmpl.format(oldest))
                if self.file_backend.isfile(path):
                    self.file_backend.remove(path)
        self.keep_ckpt_ids.append(step)
        runner.message_hub.update_info('keep_ckpt_ids', list(self.keep_ckpt_ids))


def link_atomically(target: str, alias: str) -> None:
    """Makes ``alias`` a hard link to ``target`` (a copy where hard links are not supported), replacing any previous
    ``alias`` in one rename: a reader sees the old checkpoint or the new one, never a missing or partial file."""
    with atomic_path(alias) as tmp_path:
        os.remove(tmp_path)  # os.link needs a free name
        try:
            os.link(target, tmp_path)
        except OSError:  # e.g. a file system without hard links (FAT, some network mounts)
            shutil.copyfile(target, tmp_path)
