"""ReduceLROnPlateauV2 against hand-written schedules: scripted epochs, resume, DDP, Runner."""
import copy
import io
import itertools
import os
from types import SimpleNamespace

import pytest
import torch
import torch.multiprocessing as mp
from mmengine.evaluator import BaseMetric, Evaluator
from mmengine.hooks import Hook
from mmengine.logging import MessageHub, MMLogger
from mmengine.model import BaseModel
from mmengine.optim import OptimWrapper
from mmengine.runner import Runner
from torch import nn
from torch.utils.data import Dataset

from adaptcls.errors import UserInputError
from adaptcls.engine.hooks import ReduceLROnPlateauV2
from adaptcls.utils import load_checkpoint_file

INITIAL_LRS = (0.01, 0.02)  # a weight group and a 2x-lr bias group
_names = itertools.count()

# Scripted run: warmup 2, patience 2, early-stop patience 3, max_epochs 20, forced-drop ratio 0.3
# (forced epoch max(int(0.3 * 20), 2 + 2 + 1) = 6). Floors: 0.01 / 200 = 5e-5, 0.02 / 200 = 1e-4.
SCRIPTED_HOOK_ARGS = dict(warmup_epochs=2, patience=2, early_stop_patience=3, forced_drop_ratio=0.3)
SCRIPTED_MAX_EPOCHS = 20
# epoch, mean train loss, val top1, lr of both groups after the epoch's decisions
SCRIPTED_TABLE = [
    (1, 0.50, 0.10, 1e-2, 2e-2),  # warmup: a low loss that must not become the best
    (2, 0.40, 0.20, 1e-2, 2e-2),  # warmup
    (3, 1.00, 0.30, 1e-2, 2e-2),  # first tracked loss: best
    (4, 0.90, 0.40, 1e-2, 2e-2),
    (5, 0.80, 0.50, 1e-2, 2e-2),
    (6, 0.70, 0.60, 1e-3, 2e-3),  # improved, but no drop yet by epoch 6: forced drop
    (7, 0.70, 0.60, 1e-3, 2e-3),  # bad 1 (top1 stalls from here; lr not at min: no count)
    (8, 0.69999, 0.55, 1e-3, 2e-3),  # bad 2: better, but by less than the 2e-4 threshold
    (9, 0.70, 0.60, 1e-4, 2e-4),  # bad 3 > patience: drop
    (10, 0.70, 0.58, 1e-4, 2e-4),
    (11, 0.70, 0.59, 1e-4, 2e-4),
    (12, 0.70, 0.60, 5e-5, 1e-4),  # drop clamped to the floors; not counted (trained at the lr before)
    (13, 0.70, 0.65, 5e-5, 1e-4),  # top1 improves: count 0
    (14, 0.70, 0.64, 5e-5, 1e-4),  # count 1
    (15, 0.70, 0.65, 5e-5, 1e-4),  # plateau again, but at the floors: no drop; equal top1: count 2
    (16, 0.70, 0.50, 5e-5, 1e-4),  # count 3: stop
]
SCRIPTED_STOP_EPOCH = 16
SCRIPTED_DROPS = [(6, True, [1e-3, 2e-3]), (9, False, [1e-4, 2e-4]), (12, False, [5e-5, 1e-4])]
SCRIPTED_STOP_REASON = ('early stopping: lr at minimum and top1 did not improve for 3 evaluations '
                        '(best 0.65 at epoch 13)')


def make_runner(max_epochs: int, initial_lrs=INITIAL_LRS) -> SimpleNamespace:
    """The parts of mmengine's Runner that the hook uses, with real optimizer and message hub."""
    params = [nn.Parameter(torch.zeros(2)), nn.Parameter(torch.zeros(1))]
    sgd = torch.optim.SGD([dict(params=[param], lr=lr) for param, lr in zip(params, initial_lrs)],
                          lr=initial_lrs[0])
    name = f'rlrop_test_{next(_names)}'
    return SimpleNamespace(
        epoch=0, max_epochs=max_epochs, val_loop=object(),
        train_loop=SimpleNamespace(stop_training=False, dataloader=[]), iter=0,  # no iterations: lr tables only
        optim_wrapper=OptimWrapper(sgd),
        message_hub=MessageHub.get_instance(name),
        logger=MMLogger.get_instance(name, log_level='WARNING'))


def lrs(runner) -> list:
    return runner.optim_wrapper.get_lr()['lr']


def run_epochs(hook, runner, table) -> tuple:
    """Drives the hook as mmengine's EpochBasedTrainLoop does; returns {epoch: lrs} and stop epoch.

    Each epoch has two iterations whose losses average to the table's mean loss.
    """
    lrs_by_epoch = {}
    for epoch, loss, top1, *_ in table:
        runner.epoch = epoch - 1
        hook.before_train_epoch(runner)
        for batch_idx, iter_loss in enumerate((loss * 0.5, loss * 1.5)):
            hook.after_train_iter(runner, batch_idx, outputs=dict(loss=torch.tensor(iter_loss)))
        hook.after_train_epoch(runner)
        runner.epoch = epoch
        hook.after_val_epoch(runner, metrics=dict(top1=top1, top5=1.0))
        lrs_by_epoch[epoch] = lrs(runner)
        if runner.train_loop.stop_training:
            return lrs_by_epoch, epoch
    return lrs_by_epoch, None


def expected_lrs(table) -> dict:
    return {epoch: [lr0, lr1] for epoch, _, _, lr0, lr1 in table}


def assert_lr_table(actual: dict, table) -> None:
    expected = expected_lrs(table)
    assert sorted(actual) == sorted(expected)
    for epoch in expected:
        assert actual[epoch] == pytest.approx(expected[epoch], rel=1e-9), f'epoch {epoch}'


def assert_drops(drops: list, expected) -> None:
    assert [(drop['epoch'], drop['forced']) for drop in drops] == [(e, f) for e, f, _ in expected]
    for drop, (_, _, lr) in zip(drops, expected):
        assert drop['lr'] == pytest.approx(lr, rel=1e-9)


def start(hook, runner) -> None:
    hook.before_train(runner)


def test_scripted_schedule_matches_table():
    hook = ReduceLROnPlateauV2(**SCRIPTED_HOOK_ARGS)
    runner = make_runner(SCRIPTED_MAX_EPOCHS)
    start(hook, runner)
    assert hook.forced_drop_epoch(SCRIPTED_MAX_EPOCHS) == 6

    lrs_by_epoch, stop_epoch = run_epochs(hook, runner, SCRIPTED_TABLE)

    assert stop_epoch == SCRIPTED_STOP_EPOCH
    assert_lr_table(lrs_by_epoch, SCRIPTED_TABLE)
    assert_drops(runner.message_hub.get_info('summary/lr_drops'), SCRIPTED_DROPS)
    assert runner.message_hub.get_info('summary/stop_reason') == SCRIPTED_STOP_REASON


# The adaptive configs' schedule (configs/_base_/schedules/sam_plateau_v2.py): val top-1 drives the drops, warmup 2,
# patience 2, floor lr / 100 (two drops of 0.1 reach it exactly), early-stop patience 2, max_epochs 50 (forced epoch
# max(int(0.75 * 50), 2 + 2 + 1) = 37), initial lrs 0.003 / 0.006: in floating point 0.003 * 0.1 * 0.1 is a hair above
# the floor 0.003 / 100 = 3e-5. Floors: 3e-5 and 6e-5. The train loss falls every epoch (it must not matter).
RECIPE_LRS = (0.003, 0.006)
RECIPE_HOOK_ARGS = dict(monitor='top1', warmup_epochs=2, patience=2, min_lr_ratio=1 / 100, early_stop_patience=2)
RECIPE_MAX_EPOCHS = 50
RECIPE_TABLE = [
    (1, 3.0, 0.50, 3e-3, 6e-3),  # warmup: not tracked
    (2, 2.9, 0.60, 3e-3, 6e-3),  # warmup
    (3, 2.8, 0.55, 3e-3, 6e-3),  # first tracked top1: best 0.55
    (4, 2.7, 0.62, 3e-3, 6e-3),  # improved
    (5, 2.6, 0.61, 3e-3, 6e-3),  # bad 1
    (6, 2.5, 0.62, 3e-3, 6e-3),  # bad 2 (equal is no improvement)
    (7, 2.4, 0.60, 3e-4, 6e-4),  # bad 3 > patience: drop
    (8, 2.3, 0.66, 3e-4, 6e-4),  # improved (and a new best for early stopping)
    (9, 2.2, 0.67, 3e-4, 6e-4),  # improved
    (10, 2.1, 0.66, 3e-4, 6e-4),  # bad 1
    (11, 2.0, 0.665, 3e-4, 6e-4),  # bad 2
    (12, 1.9, 0.66, 3e-5, 6e-5),  # bad 3: drop onto the floors; not counted (epoch 12 trained at 3e-4)
    (13, 1.8, 0.665, 3e-5, 6e-5),  # the first epoch trained at the floors: early-stop count 1
    (14, 1.7, 0.665, 3e-5, 6e-5),  # count 2: stop (not a third, empty drop first)
]
RECIPE_STOP_EPOCH = 14


def run_recipe_table(hook_args: dict, table) -> tuple:
    """A fresh hook with ``hook_args`` on a runner with the recipe's lrs, driven through ``table``; returns the
    runner, {epoch: lrs} and the stop epoch."""
    hook = ReduceLROnPlateauV2(**hook_args)
    runner = make_runner(RECIPE_MAX_EPOCHS, RECIPE_LRS)
    start(hook, runner)
    return (runner, *run_epochs(hook, runner, table))


def test_recipe_schedule_matches_table():
    runner, lrs_by_epoch, stop_epoch = run_recipe_table(RECIPE_HOOK_ARGS, RECIPE_TABLE)
    assert stop_epoch == RECIPE_STOP_EPOCH
    assert_lr_table(lrs_by_epoch, RECIPE_TABLE)
    assert_drops(runner.message_hub.get_info('summary/lr_drops'), [(7, False, [3e-4, 6e-4]), (12, False, [3e-5, 6e-5])])
    assert lrs_by_epoch[12] == [RECIPE_LRS[0] / 100, RECIPE_LRS[1] / 100]  # exactly the floors
    assert runner.message_hub.get_info('summary/stop_reason') == (
        'early stopping: lr at minimum and top1 did not improve for 2 evaluations (best 0.67 at epoch 9)')


# Smoothed monitor (smoothing 0.5: s = 0.5 * s + 0.5 * top1), otherwise the recipe's rule and lrs. The raw top-1 of
# epochs 5-7 never beats epoch 4's 0.66, so without smoothing the lr drops after epoch 7; the smoothed series still
# rises there and drops only after its own plateau (epochs 8-10).
SMOOTHED_HOOK_ARGS = dict(RECIPE_HOOK_ARGS, smoothing=0.5)
SMOOTHED_TABLE = [
    (1, 3.0, 0.50, 3e-3, 6e-3),  # warmup: not tracked
    (2, 2.9, 0.60, 3e-3, 6e-3),  # warmup
    (3, 2.8, 0.60, 3e-3, 6e-3),  # s = 0.60: best
    (4, 2.7, 0.66, 3e-3, 6e-3),  # s = 0.63: improved
    (5, 2.6, 0.62, 3e-3, 6e-3),  # s = 0.625: bad 1
    (6, 2.5, 0.64, 3e-3, 6e-3),  # s = 0.6325: improved (raw: bad 2)
    (7, 2.4, 0.65, 3e-3, 6e-3),  # s = 0.64125: improved (raw: bad 3, the unsmoothed rule drops here)
    (8, 2.3, 0.64, 3e-3, 6e-3),  # s = 0.640625: bad 1
    (9, 2.2, 0.64, 3e-3, 6e-3),  # s = 0.6403: bad 2
    (10, 2.1, 0.64, 3e-4, 6e-4),  # s = 0.6402: bad 3: drop
    (11, 2.0, 0.70, 3e-4, 6e-4),  # s = 0.6701: improved; raw 0.70 is the best for early stopping
    (12, 1.9, 0.69, 3e-4, 6e-4),  # s = 0.6800: improved
    (13, 1.8, 0.69, 3e-4, 6e-4),  # s = 0.6850: improved
    (14, 1.7, 0.68, 3e-4, 6e-4),  # s = 0.6825: bad 1
    (15, 1.6, 0.68, 3e-4, 6e-4),  # bad 2
    (16, 1.5, 0.68, 3e-5, 6e-5),  # bad 3: drop onto the floors (not counted for early stopping)
    (17, 1.4, 0.69, 3e-5, 6e-5),  # raw 0.69 < 0.70: early-stop count 1
    (18, 1.3, 0.69, 3e-5, 6e-5),  # count 2: stop
]
SMOOTHED_STOP_EPOCH = 18


def test_smoothed_monitor_schedule_matches_table():
    runner, lrs_by_epoch, stop_epoch = run_recipe_table(SMOOTHED_HOOK_ARGS, SMOOTHED_TABLE)
    assert stop_epoch == SMOOTHED_STOP_EPOCH
    assert_lr_table(lrs_by_epoch, SMOOTHED_TABLE)
    assert_drops(runner.message_hub.get_info('summary/lr_drops'), [(10, False, [3e-4, 6e-4]), (16, False, [3e-5, 6e-5])])
    assert runner.message_hub.get_info('summary/lr_drops')[0]['reason'].startswith('smoothed top1 did not improve')
    assert runner.message_hub.get_info('summary/stop_reason') == (
        'early stopping: lr at minimum and top1 did not improve for 2 evaluations (best 0.7 at epoch 11)')


def test_the_same_table_unsmoothed_drops_after_epoch_7():
    runner, _, _ = run_recipe_table(RECIPE_HOOK_ARGS, SMOOTHED_TABLE[:7])
    assert [drop['epoch'] for drop in runner.message_hub.get_info('summary/lr_drops')] == [7]


@pytest.mark.parametrize('save_epoch', [5, 12])
def test_resume_keeps_the_smoothed_monitor(save_epoch):
    hook = ReduceLROnPlateauV2(**SMOOTHED_HOOK_ARGS)
    runner = make_runner(RECIPE_MAX_EPOCHS, RECIPE_LRS)
    start(hook, runner)
    run_epochs(hook, runner, SMOOTHED_TABLE[:save_epoch])
    checkpoint = dict(optimizer=runner.optim_wrapper.state_dict())
    hook.before_save_checkpoint(runner, checkpoint)

    resumed_hook = ReduceLROnPlateauV2(**SMOOTHED_HOOK_ARGS)
    resumed_runner = make_runner(RECIPE_MAX_EPOCHS, RECIPE_LRS)
    resumed_hook.after_load_checkpoint(resumed_runner, copy.deepcopy(checkpoint))
    resumed_runner.optim_wrapper.load_state_dict(checkpoint['optimizer'])
    resumed_runner.epoch = save_epoch
    start(resumed_hook, resumed_runner)
    lrs_by_epoch, stop_epoch = run_epochs(resumed_hook, resumed_runner, SMOOTHED_TABLE[save_epoch:])
    assert stop_epoch == SMOOTHED_STOP_EPOCH
    assert_lr_table(lrs_by_epoch, SMOOTHED_TABLE[save_epoch:])


def test_smoothing_outside_0_1_is_refused():
    with pytest.raises(ValueError, match=r'smoothing=1 must be in \[0, 1\)'):
        ReduceLROnPlateauV2(smoothing=1)


@pytest.mark.parametrize('save_epoch', [2, 7, 14])
def test_resume_from_saved_state_repeats_the_remaining_table(save_epoch):
    hook = ReduceLROnPlateauV2(**SCRIPTED_HOOK_ARGS)
    runner = make_runner(SCRIPTED_MAX_EPOCHS)
    start(hook, runner)
    run_epochs(hook, runner, SCRIPTED_TABLE[:save_epoch])
    checkpoint = dict(meta=dict(epoch=save_epoch), optimizer=runner.optim_wrapper.state_dict())
    hook.before_save_checkpoint(runner, checkpoint)
    buffer = io.BytesIO()
    torch.save(checkpoint, buffer)
    buffer.seek(0)
    loaded = torch.load(buffer, weights_only=True)

    resumed_hook = ReduceLROnPlateauV2(**SCRIPTED_HOOK_ARGS)
    resumed_runner = make_runner(SCRIPTED_MAX_EPOCHS)
    resumed_hook.after_load_checkpoint(resumed_runner, loaded)
    resumed_runner.optim_wrapper.load_state_dict(loaded['optimizer'])  # what mmengine's resume does
    resumed_runner.epoch = save_epoch
    start(resumed_hook, resumed_runner)
    remaining = SCRIPTED_TABLE[save_epoch:]
    lrs_by_epoch, stop_epoch = run_epochs(resumed_hook, resumed_runner, remaining)

    assert stop_epoch == SCRIPTED_STOP_EPOCH
    assert_lr_table(lrs_by_epoch, remaining)
    assert_drops(resumed_hook.state.lr_drops, SCRIPTED_DROPS)
    assert resumed_hook.state.stop_reason == SCRIPTED_STOP_REASON


def test_load_from_without_resume_starts_the_schedule_afresh():
    hook = ReduceLROnPlateauV2(**SCRIPTED_HOOK_ARGS)
    runner = make_runner(SCRIPTED_MAX_EPOCHS)
    start(hook, runner)
    run_epochs(hook, runner, SCRIPTED_TABLE[:10])
    checkpoint = dict(meta=dict(epoch=10))
    hook.before_save_checkpoint(runner, checkpoint)

    fine_tune_hook = ReduceLROnPlateauV2(**SCRIPTED_HOOK_ARGS)
    fine_tune_runner = make_runner(SCRIPTED_MAX_EPOCHS)
    fine_tune_hook.after_load_checkpoint(fine_tune_runner, checkpoint)
    start(fine_tune_hook, fine_tune_runner)  # runner.epoch == 0: load_from, not resume

    assert len(checkpoint['adaptcls_hooks']['ReduceLROnPlateauV2']['lr_drops']) == 2
    assert fine_tune_hook.state.lr_drops == []
    assert fine_tune_hook.state.best == float('inf')


def test_forced_drop_never_fires_during_or_right_after_warmup():
    # Original threshold int(0.75 * 8) - 5 = 1 would force a drop at once; the clamp gives 11 > 8.
    hook = ReduceLROnPlateauV2(warmup_epochs=5)  # the paper: warmup 5, patience 5, ratio 0.75
    runner = make_runner(max_epochs=8)
    start(hook, runner)
    improving = [(epoch, 1.0 / epoch, 0.1 * epoch, *INITIAL_LRS) for epoch in range(1, 9)]

    lrs_by_epoch, stop_epoch = run_epochs(hook, runner, improving)

    assert hook.forced_drop_epoch(8) == 11
    assert_lr_table(lrs_by_epoch, improving)
    assert stop_epoch is None
    assert hook.state.lr_drops == []


def test_clamped_forced_drop_fires_at_warmup_plus_patience_plus_one():
    hook = ReduceLROnPlateauV2(warmup_epochs=5)  # int(0.75 * 14) = 10 < 5 + 5 + 1 = 11
    runner = make_runner(max_epochs=14)
    start(hook, runner)
    improving = [(epoch, 1.0 / epoch, 0.1) for epoch in range(1, 15)]

    lrs_by_epoch, _ = run_epochs(hook, runner, improving)

    assert lrs_by_epoch[10] == pytest.approx([1e-2, 2e-2])
    assert lrs_by_epoch[11] == pytest.approx([1e-3, 2e-3])
    assert [(drop['epoch'], drop['forced']) for drop in hook.state.lr_drops] == [(11, True)]


def test_validation_metric_monitor_drops_on_a_top1_plateau():
    hook = ReduceLROnPlateauV2(monitor='top1', warmup_epochs=1, patience=1, forced_drop_ratio=1.0)
    assert hook.rule == 'greater'
    runner = make_runner(max_epochs=6)
    start(hook, runner)
    # the train loss is ignored (it rises); top1: 0.3 best, 0.3 bad 1, 0.2 bad 2 -> drop
    table = [(1, 1.0, 0.1, 1e-2, 2e-2), (2, 2.0, 0.3, 1e-2, 2e-2), (3, 3.0, 0.3, 1e-2, 2e-2),
             (4, 4.0, 0.2, 1e-3, 2e-3), (5, 5.0, 0.4, 1e-3, 2e-3)]

    lrs_by_epoch, _ = run_epochs(hook, runner, table)

    assert_lr_table(lrs_by_epoch, table)


def test_missing_metric_names_the_available_keys():
    hook = ReduceLROnPlateauV2(warmup_epochs=5)
    runner = make_runner(max_epochs=4)
    start(hook, runner)
    with pytest.raises(UserInputError, match=r'early_stop_metric="top1".*\(accuracy/top1, top5\)'):
        hook.after_val_epoch(runner, metrics={'top5': 0.9, 'accuracy/top1': 0.5})


def _ddp_worker(rank: int, init_file: str, result_dir: str) -> None:
    torch.distributed.init_process_group(
        'gloo', init_method=f'file://{init_file}', rank=rank, world_size=2)
    hook = ReduceLROnPlateauV2(warmup_epochs=0)
    runner = make_runner(max_epochs=4)
    start(hook, runner)
    hook.before_train_epoch(runner)
    rank_losses = [[1.0, 2.0], [6.0]][rank]
    for batch_idx, loss in enumerate(rank_losses):
        hook.after_train_iter(runner, batch_idx, outputs=dict(loss=torch.tensor(loss)))
    hook.after_train_epoch(runner)
    with open(os.path.join(result_dir, f'best_{rank}.txt'), 'w') as file:
        file.write(repr(hook.state.best))
    torch.distributed.destroy_process_group()


def test_mean_train_loss_is_reduced_over_ranks(tmp_path):
    # fork: the workers need no re-import of this module (spawn costs ~10 s on 2 cores)
    mp.start_processes(_ddp_worker, args=(str(tmp_path / 'init'), str(tmp_path)), nprocs=2,
                       start_method='fork')
    # (1 + 2 + 6) / 3 iterations, not the mean of the rank means (1.5 + 6) / 2
    for rank in range(2):
        assert float((tmp_path / f'best_{rank}.txt').read_text()) == pytest.approx(3.0)


# Real Runner: warmup 2 epochs (the hook's), patience 1, early-stop patience 2, max_epochs 12
# (forced epoch max(int(0.75 * 12), 4) = 9, never reached without a drop). The loss is flat from
# epoch 3: drops at 5, 7, 9 (the last one clamped to the floors); top1 best 0.6 at epoch 6, so
# evaluations 10 and 11 (the first epochs trained at the floors) stop the run after epoch 11.
RUNNER_LOSS = {epoch: 1.0 for epoch in range(1, 13)}
RUNNER_TOP1 = {1: 0.1, 2: 0.2, 3: 0.3, 4: 0.4, 5: 0.5, **{epoch: 0.6 for epoch in range(6, 13)}}
RUNNER_STOP_EPOCH = 11
RUNNER_DROP_EPOCHS = [5, 7, 9]
RUNNER_DROP_LRS = [[1e-3, 2e-3], [1e-4, 2e-4], [5e-5, 1e-4]]  # warmup ends at the base lrs
RUNNER_FINAL_LRS = [0.01 / 200, 0.02 / 200]


class ScriptedLossModel(BaseModel):
    """A linear model whose training loss is scripted per epoch (its gradient is zero)."""

    def __init__(self) -> None:
        super().__init__()
        self.linear = nn.Linear(4, 2)
        self.current_epoch = lambda: 0

    def forward(self, inputs, data_samples=None, mode='tensor'):
        logits = self.linear(inputs)
        if mode == 'loss':
            return dict(loss=logits.sum() * 0 + RUNNER_LOSS[self.current_epoch() + 1])
        return [dict(logits=row) for row in logits]


class ScriptedTop1(BaseMetric):
    """Reports the scripted top1 of the epoch just trained."""

    def __init__(self) -> None:
        super().__init__()
        self.current_epoch = lambda: 0

    def process(self, data_batch, data_samples) -> None:
        self.results.extend(data_samples)

    def compute_metrics(self, results) -> dict:
        return dict(top1=RUNNER_TOP1[self.current_epoch()])


class RandomVectors(Dataset):

    def __init__(self) -> None:
        self.inputs = torch.randn(16, 4, generator=torch.Generator().manual_seed(0))

    def __len__(self) -> int:
        return len(self.inputs)

    def __getitem__(self, index: int) -> dict:
        return dict(inputs=self.inputs[index])


def build_runner(work_dir, hook_warmup: int = 2, param_scheduler=(), custom_hooks=None, **kwargs) -> Runner:
    loader = dict(dataset=RandomVectors(), sampler=dict(type='DefaultSampler', shuffle=False),
                  batch_size=4, collate_fn=dict(type='default_collate'))
    model, metric = ScriptedLossModel(), ScriptedTop1()
    if custom_hooks is None:
        custom_hooks = [dict(type='ReduceLROnPlateauV2', patience=1, early_stop_patience=2, warmup_epochs=hook_warmup)]
    runner = Runner(
        model=model, work_dir=str(work_dir), experiment_name=f'rlrop_runner_{next(_names)}',
        train_dataloader=loader, val_dataloader=loader, val_evaluator=Evaluator([metric]),
        train_cfg=dict(by_epoch=True, max_epochs=12, val_interval=1), val_cfg=dict(),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=INITIAL_LRS[0], momentum=0.9),
                           paramwise_cfg=dict(bias_lr_mult=2.0)),
        param_scheduler=list(param_scheduler),
        default_hooks=dict(checkpoint=dict(type='CheckpointHook', interval=1),
                           logger=dict(type='LoggerHook', interval=100)),
        custom_hooks=custom_hooks, default_scope='adaptcls', log_level='WARNING', **kwargs)
    model.current_epoch = metric.current_epoch = lambda: runner.epoch
    return runner


def hook_of(runner) -> ReduceLROnPlateauV2:
    return next(hook for hook in runner.hooks if isinstance(hook, ReduceLROnPlateauV2))


class LrRecorder(Hook):
    """Records every parameter group's lr at each training iteration (after the lr owners of before_train_iter) and
    at the start of each epoch (what the logs and history.json read)."""

    priority = 'LOWEST'

    def __init__(self) -> None:
        self.lrs, self.epoch_start_lrs = [], []

    def before_train_epoch(self, runner) -> None:
        self.epoch_start_lrs.append([group['lr'] for group in runner.optim_wrapper.optimizer.param_groups])

    def before_train_iter(self, runner, batch_idx, data_batch=None) -> None:
        self.lrs.append([group['lr'] for group in runner.optim_wrapper.optimizer.param_groups])


WARMUP_LINEAR_LR = dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0, end=2, convert_to_iter_based=True)
"""The warm-up the adaptive configs declared before the hook owned it (configs/_base_/schedules/sam_plateau_v2.py)."""


def test_the_hook_warms_up_as_the_linear_lr_scheduler_did(tmp_path):
    """The hook's warm-up trains every iteration at the lr of mmengine's LinearLR (start_factor 0.1, 2 epochs,
    iteration-based), which the configs used before: the same schedule, one owner."""
    by_scheduler, by_hook = LrRecorder(), LrRecorder()
    build_runner(tmp_path / 'scheduler', param_scheduler=[WARMUP_LINEAR_LR], custom_hooks=[by_scheduler]).train()
    build_runner(tmp_path / 'hook', custom_hooks=[
        dict(type='ReduceLROnPlateauV2', patience=100, warmup_epochs=2, warmup_start_factor=0.1), by_hook]).train()
    warmup_iterations = 2 * 4  # 2 epochs of 16 vectors in batches of 4
    assert by_hook.lrs[0] == pytest.approx([1e-3, 2e-3], rel=1e-12)  # lr / 10, the 2x bias group too
    assert by_hook.lrs[warmup_iterations - 1] == [0.01, 0.02]  # the last warm-up iteration reaches the lr exactly
    # the same values to the rounding: LinearLR multiplies its way up and ends at 0.009999999999999995
    flat = [[lr for lrs in recorder.lrs[:warmup_iterations + 4] for lr in lrs] for recorder in (by_hook, by_scheduler)]
    assert flat[0] == pytest.approx(flat[1], rel=1e-12)
    assert all(by_hook.lrs[i] < by_hook.lrs[i + 1] for i in range(warmup_iterations - 1))
    flat = [[lr for lrs in recorder.epoch_start_lrs[:4] for lr in lrs] for recorder in (by_hook, by_scheduler)]
    assert flat[0] == pytest.approx(flat[1], rel=1e-12)  # from the first epoch's start: lr / 10, not the lr


def test_an_lr_scheduler_beside_the_hook_is_refused_with_the_keys_to_use(tmp_path):
    runner = build_runner(tmp_path / 'run', param_scheduler=[WARMUP_LINEAR_LR])
    with pytest.raises(UserInputError, match='owns the learning rate, but param_scheduler also has LinearLR.*'
                                             'set warmup_epochs .* and warmup_start_factor'):
        runner.train()


def test_without_warmup_epochs_the_hook_has_no_warmup(tmp_path):
    recorder = LrRecorder()
    build_runner(tmp_path / 'run', custom_hooks=[dict(type='ReduceLROnPlateauV2', patience=100), recorder]).train()
    assert recorder.lrs[0] == [0.01, 0.02]


@pytest.mark.parametrize('arguments', [dict(warmup_epochs=-1), dict(warmup_epochs=1.5), dict(warmup_start_factor=0),
                                       dict(warmup_start_factor=1.5)])
def test_a_bad_warmup_is_refused(arguments):
    with pytest.raises(UserInputError, match='warmup'):
        ReduceLROnPlateauV2(**arguments)


def test_runner_stops_early_and_checkpoints_the_state(tmp_path):
    runner = build_runner(tmp_path / 'run')
    runner.train()

    assert runner.epoch == RUNNER_STOP_EPOCH
    assert lrs(runner) == pytest.approx(RUNNER_FINAL_LRS, rel=1e-9)
    assert runner.optim_wrapper.get_lr()['base_lr'] == pytest.approx([RUNNER_FINAL_LRS[0]])
    drops = runner.message_hub.get_info('summary/lr_drops')
    assert [drop['epoch'] for drop in drops] == RUNNER_DROP_EPOCHS
    for drop, drop_lrs in zip(drops, RUNNER_DROP_LRS):
        assert drop['lr'] == pytest.approx(drop_lrs, rel=1e-9)
    assert runner.message_hub.get_info('summary/stop_reason') == (
        'early stopping: lr at minimum and top1 did not improve for 2 evaluations '
        '(best 0.6 at epoch 6)')
    assert not (tmp_path / 'run' / f'epoch_{RUNNER_STOP_EPOCH + 1}.pth').exists()
    # epoch_11.pth is written before epoch 11's validation: one counted evaluation at the floors so far
    checkpoint = load_checkpoint_file(tmp_path / 'run' / f'epoch_{RUNNER_STOP_EPOCH}.pth')
    state = checkpoint['adaptcls_hooks']['ReduceLROnPlateauV2']
    assert [drop['epoch'] for drop in state['lr_drops']] == RUNNER_DROP_EPOCHS
    assert state['early_stop_count'] == 1
    assert state['early_stop_best_epoch'] == 6
    assert state['stop_reason'] is None

    # Resume after epoch 7; its validation changed no state (top1 no better, lr above the floors).
    resumed = build_runner(tmp_path / 'resumed', resume=True,
                           load_from=str(tmp_path / 'run' / 'epoch_7.pth'))
    resumed.train()

    assert resumed.epoch == RUNNER_STOP_EPOCH
    assert hook_of(resumed).state == hook_of(runner).state
    assert lrs(resumed) == lrs(runner)


def test_with_a_time_budget_the_drop_is_forced_at_the_ratio_of_the_time():
    """TimeBudgetHook publishes the share of the training's time used; at forced_drop_ratio of it (and not before
    warmup + patience + 1 epochs) the drop is forced although max_epochs (50: forced epoch 15) is far."""
    from adaptcls.engine.hooks.time_budget_hook import TIME_SHARE_INFO
    hook = ReduceLROnPlateauV2(warmup_epochs=2, patience=2, forced_drop_ratio=0.3)
    runner = make_runner(max_epochs=50)
    start(hook, runner)
    improving = [(epoch, 1.0 / epoch, 0.1 * epoch) for epoch in range(1, 8)]
    for epoch, loss, top1 in improving:
        runner.message_hub.update_info(TIME_SHARE_INFO, 0.1 * epoch)  # the budget's share used by each epoch's end
        run_epochs(hook, runner, [(epoch, loss, top1)])
    assert [(drop['epoch'], drop['forced']) for drop in hook.state.lr_drops] == [(5, True)]  # 0.3 by epoch 3 < 2+2+1
    assert 'of the time limit' in hook.state.lr_drops[0]['reason']
