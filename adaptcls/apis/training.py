"""Training a built config, as ``tools/train.py`` does: the work-dir lock, the data split, the LR search, the run, the
summary."""
import os
import os.path as osp
from typing import Optional

from mmengine.config import Config

from adaptcls.config.data_config import RUN_CONFIG_FILE, config_as_data
from adaptcls.config.data_splits import pending_data_split, record_data_split
from adaptcls.engine.hooks.run_summary_hook import summary_file_name
from adaptcls.engine.runner import build_runner
from adaptcls.lr_search import apply_auto_lr, auto_lr_mode
from adaptcls.optim import OptimizerStateLayoutError
from adaptcls.utils import atomic_write_json, install_checkpoint_safety
from adaptcls.utils.json_files import read_json_object
from .work_dir_guard import checkpoint_folder, claim_work_dir, move_aside

"""The run's figures, written to the work dir by ``RunSummaryHook``."""


def train(cfg: Config, overwrite: bool = False, auto_lr: Optional[str] = None,
          no_auto_lr: bool = False, verbose: bool = False) -> Optional[dict]:
    """Trains ``cfg`` (from :func:`adaptcls.config.build_config` with mode ``'train'``) and returns its summary.

    Checkpoints load weights-only (``install_checkpoint_safety``, as every entry point installs it). The work dir is
    locked for the run and a previous run's results there are refused (or, with ``overwrite``,
    moved aside: :func:`claim_work_dir`); then the data split that building ``cfg`` made, if any, is written into
    ``WORK_DIR/data_split`` (:func:`_record_data_split`); the initial LR is searched first when ``auto_lr`` or the
    config's ``lr_search.auto_lr`` asks for it (and ``no_auto_lr`` does not forbid it), with its cost in the summary.

    Args:
        cfg (Config): the training config.
        overwrite (bool): move a previous run's results into ``replaced_<date>_<time>/`` instead of refusing.
        auto_lr (str, optional): search the initial LR with this mode ('tpe', 'grid' or 'range_test').
        no_auto_lr (bool): train at the config's lr even if the config sets ``lr_search.auto_lr``.
        verbose (bool): mmengine's set-up records (environment, config, hooks) on the console too, not only in the
            log file (:func:`adaptcls.engine.runner.build_runner`).

    Returns:
        dict | None: the run's summary (summary.json, or the file name of the config's ``RunSummaryHook``); None
            on the ranks > 0 of a distributed run and for a config without a ``RunSummaryHook``.

    Raises:
        WorkDirInUseError: another run holds the work dir (see :func:`claim_work_dir` for the other refusals).
    """
    install_checkpoint_safety()  # what the tools' init_entry_point does; a no-op after it
    rank = int(os.environ.get('RANK', '0'))
    locks = [claim_work_dir(cfg.work_dir, resume=bool(cfg.resume), overwrite=overwrite, rank=rank)]
    # checkpoints written elsewhere (default_hooks.checkpoint.out_dir) are guarded like the work dir: another run
    # whose work dir has the same name would write into the same folder
    out_dir = checkpoint_folder(cfg.work_dir, ((cfg.get('default_hooks') or {}).get('checkpoint') or {}).get('out_dir'))
    try:
        if out_dir and os.path.abspath(out_dir) != os.path.abspath(cfg.work_dir):
            locks.append(claim_work_dir(out_dir, resume=bool(cfg.resume), overwrite=overwrite, rank=rank,
                                        kind='checkpoint folder (default_hooks.checkpoint.out_dir)'))
        _record_data_split(cfg, rank)
        search_mode = auto_lr_mode(cfg, auto_lr, no_auto_lr)
        lr_search_summary = apply_auto_lr(cfg, search_mode) if search_mode else None
        runner = build_runner(cfg, verbose)
        if runner.rank == 0:  # the resolved config as data: predict/test/export read it without running code
            atomic_write_json(osp.join(cfg.work_dir, RUN_CONFIG_FILE), config_as_data(runner.cfg))
        if lr_search_summary:  # RunSummaryHook copies it into summary.json
            runner.message_hub.update_info('summary/lr_search', lr_search_summary)
        try:
            runner.train()
        except OptimizerStateLayoutError as error:  # the optimizer cannot name the checkpoint itself
            raise OptimizerStateLayoutError(f'cannot resume from {cfg.load_from or "the latest checkpoint of "}'
                                            f'{"" if cfg.load_from else cfg.work_dir}: {error}') from error
    finally:
        for lock in locks:
            if lock is not None:
                lock.close()  # releases the lock
    summary_name = summary_file_name(cfg)
    summary_file = osp.join(cfg.work_dir, summary_name) if summary_name else None
    if runner.rank != 0 or summary_file is None or not osp.isfile(summary_file):
        return None
    return read_json_object(summary_file, fix='train again with --resume to rewrite it')


def _record_data_split(cfg: Config, rank: int) -> None:
    """Writes the data split that building ``cfg`` made (none: nothing to do) into ``WORK_DIR/data_split``, now that
    this run holds the work dir; a recorded split that it replaces (``--overwrite`` after the data changed) is moved
    aside first, by rank 0."""
    pending = pending_data_split(cfg)
    if pending is not None and pending.replaces_stale and rank == 0 and osp.isdir(pending.split_dir):
        folder = move_aside(pending.work_dir, [osp.basename(pending.split_dir)])
        print(f'note: --overwrite: the data changed since the recorded split; it is moved to {folder} and the data '
              'is split again')
    record_data_split(cfg)
