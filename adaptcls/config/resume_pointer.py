"""The work dir's pointer to its latest checkpoint, which ``--resume`` without a path continues."""
import os.path as osp

from adaptcls.errors import UserInputError

LAST_CHECKPOINT_FILE = 'last_checkpoint'
"""The file in the work dir that names the latest checkpoint, relative to the work dir (written by
:class:`adaptcls.engine.hooks.AtomicCheckpointHook`), so that a work dir moved as a whole still resumes from its own
checkpoints."""


def latest_checkpoint(work_dir: str) -> str:
    """The checkpoint that ``--resume`` without a path continues: the one ``WORK_DIR/last_checkpoint`` names.

    The pointer holds a path relative to the work dir (:class:`adaptcls.engine.hooks.AtomicCheckpointHook`), so a
    work dir moved as a whole resumes from its own checkpoints; a URL is returned as it is (the checkpoint loader
    refuses an unsafe one). An absolute pointer (written by mmengine's own hook or by adaptcls before 2026-12-06)
    is used only when it names a file inside the work dir: one outside it is another run's checkpoint.

    Raises:
        FileNotFoundError: the work dir holds no run to resume, or the pointer names a missing file.
        ValueError: an absolute pointer names a checkpoint outside the work dir.
    """
    pointer_file = osp.join(work_dir, LAST_CHECKPOINT_FILE)
    if not osp.isfile(pointer_file):
        raise FileNotFoundError(f'--resume: the work dir "{work_dir}" holds no run to resume (no '
                                f'{LAST_CHECKPOINT_FILE} file); give the checkpoint (--resume PATH), the run\'s '
                                '--work-dir, or drop --resume to start a new run.')
    with open(pointer_file, encoding='utf-8') as stream:
        pointer = stream.read().strip()
    if '://' in pointer:
        return pointer
    work_dir = osp.abspath(work_dir)
    if osp.isabs(pointer) and osp.commonpath([osp.abspath(pointer), work_dir]) != work_dir:
        raise UserInputError(f'--resume: {pointer_file} names "{pointer}", outside the work dir (a moved or '
                             'received work '
                             'dir resumes its own checkpoints only); give the checkpoint to resume from explicitly '
                             'with '
                             '--resume PATH.')
    path = osp.join(work_dir, pointer)
    if not osp.isfile(path):
        raise FileNotFoundError(f'--resume: {pointer_file} names "{pointer}", which does not exist; give the '
                                'checkpoint to resume from with --resume PATH.')
    return path
