"""AtomicCheckpointHook: the files, pointer and message-hub records of mmengine's CheckpointHook, with the
last_checkpoint pointer written atomically and only once the checkpoint it names is complete."""
import os

import pytest

from adaptcls.engine.hooks import atomic_checkpoint_hook as module
from adaptcls.utils import load_checkpoint_file
from tests.engine.toy_runner import build_toy_runner

TOP1 = {1: 0.5, 2: 0.4, 3: 0.6, 4: 0.55}
HOOK_ARGS = dict(interval=1, max_keep_ckpts=2, save_best='top1', rule='greater')


def _run(work_dir, hook_type: str, **extra):
    runner = build_toy_runner(work_dir, TOP1, max_epochs=4, checkpoint=dict(type=hook_type, **HOOK_ARGS, **extra))
    runner.train()
    files = sorted(name for name in os.listdir(work_dir) if name.endswith('.pth'))
    with open(work_dir / 'last_checkpoint') as stream:
        pointer = os.path.relpath(os.path.join(str(work_dir), stream.read()), str(work_dir))
    info = {key: runner.message_hub.get_info(key) for key in ('keep_ckpt_ids', 'best_score')}
    info['best_ckpt'] = os.path.basename(runner.message_hub.get_info('best_ckpt'))
    info['last_ckpt'] = os.path.basename(runner.message_hub.get_info('last_ckpt'))
    return files, pointer, info


def test_it_keeps_the_files_and_records_of_mmengines_hook(tmp_path):
    ours = _run(tmp_path / 'ours', 'AtomicCheckpointHook', backend_args=dict(backend='adaptcls_atomic_local'),
                best_alias=None)
    mmengine = _run(tmp_path / 'mmengine', 'CheckpointHook')
    assert ours == mmengine
    assert ours[0] == ['best_top1_epoch_3.pth', 'epoch_3.pth', 'epoch_4.pth']
    assert ours[1] == 'epoch_4.pth' and ours[2]['keep_ckpt_ids'] == [3, 4]


def test_the_pointer_is_written_atomically_after_its_checkpoint(tmp_path, monkeypatch):
    written = []

    def spy(path, text):
        load_checkpoint_file(os.path.join(os.path.dirname(path), text))  # the checkpoint it names is complete
        written.append((os.path.basename(path), text))
        module_atomic_write_text(path, text)

    module_atomic_write_text = module.atomic_write_text
    monkeypatch.setattr(module, 'atomic_write_text', spy)
    _run(tmp_path, 'AtomicCheckpointHook')
    # epochs 1 and 3 set a new best, so their epoch checkpoint is written again after validation; the pointer is
    # relative to the work dir
    assert written == [('last_checkpoint', f'epoch_{epoch}.pth') for epoch in (1, 1, 2, 3, 3, 4)]


def test_a_failed_pointer_write_keeps_the_previous_pointer(tmp_path, monkeypatch):
    runner = build_toy_runner(tmp_path, TOP1, max_epochs=2, checkpoint=dict(type='AtomicCheckpointHook', interval=1))
    runner.train()
    pointer = (tmp_path / 'last_checkpoint').read_text()

    def failing_replace(src, dst):
        raise OSError('disk full')

    hook = next(hook for hook in runner.hooks if type(hook).__name__ == 'AtomicCheckpointHook')
    monkeypatch.setattr(os, 'replace', failing_replace)
    with pytest.raises(OSError, match='disk full'):
        hook._save_checkpoint_with_step(runner, 3, dict(epoch=3, iter=runner.iter))
    monkeypatch.undo()
    assert (tmp_path / 'last_checkpoint').read_text() == pointer
    assert load_checkpoint_file(str(tmp_path / pointer))['meta']['epoch'] == 2


def test_best_pth_is_the_best_checkpoint_updated_at_each_new_best(tmp_path, monkeypatch):
    aliased = []
    link = module.link_atomically

    def spy(target, alias):
        link(target, alias)
        aliased.append(os.path.basename(target))

    monkeypatch.setattr(module, 'link_atomically', spy)
    files, _, info = _run(tmp_path, 'AtomicCheckpointHook')
    assert aliased == ['best_top1_epoch_1.pth', 'best_top1_epoch_3.pth']  # epochs 2 and 4 are no new best
    assert files == ['best.pth', 'best_top1_epoch_3.pth', 'epoch_3.pth', 'epoch_4.pth']
    assert os.path.samefile(tmp_path / 'best.pth', tmp_path / 'best_top1_epoch_3.pth')
    assert not [name for name in os.listdir(tmp_path) if name.startswith('.tmp-')]


def test_without_hard_links_best_pth_is_a_copy(tmp_path, monkeypatch):
    def no_links(src, dst):
        raise OSError('hard links not supported')

    monkeypatch.setattr(os, 'link', no_links)
    _run(tmp_path, 'AtomicCheckpointHook')
    best, alias = tmp_path / 'best_top1_epoch_3.pth', tmp_path / 'best.pth'
    assert not os.path.samefile(best, alias) and best.read_bytes() == alias.read_bytes()


def test_a_run_without_param_schedulers_saves_without_mmengines_warning(tmp_path, capfd):
    """The adaptive recipe has no param scheduler (its ReduceLROnPlateauV2 hook owns the lr): asking mmengine to save
    the schedulers' state logged 'save_param_scheduler is True but self.param_schedulers is None' at every
    checkpoint."""
    runner = build_toy_runner(tmp_path / 'run', TOP1, max_epochs=2)
    assert runner.param_schedulers is None
    runner.train()
    assert 'self.param_schedulers` is None' not in capfd.readouterr().out
    assert 'param_schedulers' not in load_checkpoint_file(tmp_path / 'run' / 'epoch_2.pth')
