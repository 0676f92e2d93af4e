"""The LR range test: the exponential sweep and its lrs, divergence stop, and exact state restore."""
import math
import re

import pytest
import torch
from mmengine.optim import OptimWrapper
from torch import nn

from adaptcls.optim.non_finite_loss import NonFiniteLossError, check_finite_loss
from adaptcls.optim.sam_optim_wrapper import SAMOptimWrapper
from adaptcls.lr_search import LRRangeTest, restored_training_state
from adaptcls.registry import MODELS
from adaptcls.structures import ClsDataSample
from adaptcls.setup_env import register_all_modules

NUM_CLASSES = 3


class ScriptedModel(nn.Module):
    """``train_step`` returns scripted losses and records the lr of each parameter group."""

    def __init__(self, losses):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(2))
        self.bias = nn.Parameter(torch.zeros(1))
        self.losses = iter(losses)
        self.seen_lrs = []

    def train_step(self, data, optim_wrapper):
        self.seen_lrs.append([group['lr'] for group in optim_wrapper.optimizer.param_groups])
        return {'loss': torch.tensor(next(self.losses))}


class CheckedScriptedModel(ScriptedModel):
    """Like training's step (``optimize_step``): a non-finite loss raises ``NonFiniteLossError``."""

    def train_step(self, data, optim_wrapper):
        loss = super().train_step(data, optim_wrapper)['loss']
        check_finite_loss(loss, optim_wrapper)
        return {'loss': loss}


def scripted_wrapper(model: ScriptedModel, base_lr: float = 0.5) -> OptimWrapper:
    """A weight group at the base lr and a bias group at 2x (like paramwise bias_lr_mult=2)."""
    return OptimWrapper(torch.optim.SGD([dict(params=[model.weight]),
                                         dict(params=[model.bias], lr=2 * base_lr)], lr=base_lr))


def test_sweep_is_exponential_and_keeps_group_ratios():
    batches = list(range(5))
    model = ScriptedModel([1.0] * 10)
    wrapper = scripted_wrapper(model)
    curve = LRRangeTest(start_lr=1e-3, end_lr=1e-1, warmup_epochs=1, min_iterations=1, log=lambda line: None).run(
        model, wrapper, batches)
    expected = [1e-3, 1e-3 * 10 ** 0.5, 1e-2, 1e-2 * 10 ** 0.5, 1e-1]  # (end/start)^(i/4)
    assert curve.lrs == pytest.approx(expected)
    assert model.seen_lrs[:5] == [[1e-3, 2e-3]] * 5  # warm-up at start_lr
    assert [lr for lr, _ in model.seen_lrs[5:]] == pytest.approx(expected)
    assert [bias_lr for _, bias_lr in model.seen_lrs[5:]] == pytest.approx([2 * lr for lr in expected])
    assert not curve.diverged and curve.planned_iterations == 5 and curve.warmup_losses == [1.0]
    assert [group['lr'] for group in wrapper.optimizer.param_groups] == [0.5, 1.0]  # restored


class EpochSampler:
    """Records the epochs the range test reshuffles for."""

    def __init__(self):
        self.epochs = []

    def set_epoch(self, epoch):
        self.epochs.append(epoch)


class ShortLoader(list):
    """A list of batches with a sampler, like a DataLoader of a tiny data set."""

    def __init__(self, batches):
        super().__init__(batches)
        self.sampler = EpochSampler()


def test_a_short_epoch_is_repeated_until_the_minimum_iterations():
    loader = ShortLoader(range(5))
    model = ScriptedModel([1.0] * 17)
    curve = LRRangeTest(1e-3, 1e-1, warmup_epochs=1, min_iterations=12, log=lambda line: None).run(
        model, scripted_wrapper(model), loader)
    assert curve.planned_iterations == 12 and curve.epoch_iterations == 5 and len(curve.lrs) == 12
    assert curve.lrs[0] == pytest.approx(1e-3) and curve.lrs[-1] == pytest.approx(1e-1)
    assert loader.sampler.epochs == [0, 1, 2, 3]  # warm-up epoch 0, then the sweep's three passes reshuffled


def test_a_fractional_warmup_trains_its_share_of_an_epoch_and_the_sweep_continues_the_pass():
    loader = ShortLoader(['a', 'b', 'c', 'd'])
    seen = []
    model = ScriptedModel([2.0, 1.0] + [1.0] * 4)
    model.train_step = lambda data, optim_wrapper: seen.append(data) or {'loss': torch.tensor(next(model.losses))}
    curve = LRRangeTest(1e-3, 1e-1, warmup_epochs=0.5, min_iterations=4, log=lambda line: None).run(
        model, scripted_wrapper(model), loader)
    assert curve.warmup_iterations == 2 and curve.warmup_losses == [1.5]
    assert seen == ['a', 'b', 'c', 'd', 'a', 'b'] and len(curve.lrs) == 4
    assert loader.sampler.epochs == [0, 1]  # no pass is reshuffled before it ends


def test_no_warmup_sweeps_from_the_first_batch():
    model = ScriptedModel([1.0] * 4)
    curve = LRRangeTest(1e-3, 1e-1, warmup_epochs=0, min_iterations=4, log=lambda line: None).run(
        model, scripted_wrapper(model), list(range(4)))
    assert curve.warmup_iterations == 0 and curve.warmup_losses == [] and len(curve.lrs) == 4


def test_a_long_epoch_is_swept_once():
    model = ScriptedModel([1.0] * 40)
    curve = LRRangeTest(1e-3, 1e-1, warmup_epochs=1, min_iterations=12, log=lambda line: None).run(
        model, scripted_wrapper(model), list(range(20)))
    assert curve.planned_iterations == 20 == len(curve.lrs)


def test_a_test_projected_over_its_time_stops_after_a_few_iterations_with_the_state_restored(monkeypatch):
    """max_seconds (--time-limit): 3 iterations in a scripted 3 s project 25 s for 25 iterations, over 10 s: it stops
    at the 3rd iteration (TIME_CHECK_AFTER), before spending the budget, and the weights are restored."""
    from types import SimpleNamespace

    from adaptcls.lr_search import lr_range_sweep
    from adaptcls.lr_search.lr_range_sweep import TIME_CHECK_AFTER, RangeTestOverTime
    clock = iter(range(0, 1000, 3))  # the test reads its clock at the start and once per checked iteration
    monkeypatch.setattr(lr_range_sweep, 'time', SimpleNamespace(perf_counter=lambda: float(next(clock))))
    model = ScriptedModel([1.0] * 40)
    wrapper = scripted_wrapper(model)
    with pytest.raises(RangeTestOverTime, match=r'would take about \d+ s \(25 iterations .* over its 10 s') as stop:
        LRRangeTest(1e-3, 1e-1, warmup_epochs=1, min_iterations=20, log=lambda line: None, max_seconds=10).run(
            model, wrapper, list(range(5)))
    assert len(model.seen_lrs) == TIME_CHECK_AFTER and stop.value.epochs_trained == pytest.approx(3 / 5)
    assert torch.equal(model.weight, torch.zeros(2))


@pytest.mark.parametrize('explosion', [1e6, math.nan])
def test_divergence_stops_the_sweep(explosion):
    warmup, sweep = [1.0] * 20, [1.0] * 10 + [explosion] + [1.0] * 9
    model = ScriptedModel(warmup + sweep)
    curve = LRRangeTest(1e-3, 1.0, min_iterations=1, log=lambda line: None).run(model, scripted_wrapper(model), list(range(20)))
    # smoothed at the 11th point: (0.02 * 1e6 + ...) / (1 - 0.98 ** 11) ~ 1e5 > 4 x 1.0: stop there
    assert curve.diverged and len(curve.lrs) == 11 and len(model.seen_lrs) == 20 + 11
    assert curve.losses[-1] == explosion or math.isnan(curve.losses[-1])


@pytest.mark.parametrize('explosion', [math.nan, math.inf])
def test_a_non_finite_training_loss_ends_the_sweep_there(explosion):
    sweep = [1.0] * 10 + [explosion] + [1.0] * 9
    model = CheckedScriptedModel([1.0] * 20 + sweep)
    wrapper = scripted_wrapper(model)
    test = LRRangeTest(1e-3, 1.0, min_iterations=1, log=lambda line: None)
    curve = test.run(model, wrapper, list(range(20)))  # without the fix: NonFiniteLossError
    assert curve.diverged and len(curve.lrs) == len(curve.losses) == 10 and len(model.seen_lrs) == 20 + 11
    assert curve.non_finite_lr == pytest.approx(test.sweep_lr(10, 20)) and math.isfinite(curve.smoothed[-1])
    assert [group['lr'] for group in wrapper.optimizer.param_groups] == [0.5, 1.0]  # restored


def test_a_non_finite_warmup_loss_raises_and_suggests_a_lower_range():
    model = CheckedScriptedModel([1.0, math.nan] + [1.0] * 10)
    wrapper = scripted_wrapper(model)
    with pytest.raises(NonFiniteLossError) as error:
        LRRangeTest(1e-3, 1.0, min_iterations=1, log=lambda line: None).run(model, wrapper, list(range(5)))
    message = str(error.value)
    # 'in this step' alone, or 'in epoch E, iteration I' when an earlier test left a message hub with runtime info
    assert re.search(r"warm-up epoch 1 at the range's low end, lr 0\.001, the training loss became NaN or infinite "
                     r'\(Training stopped in [^:]*: the loss is nan \(not finite\)\)', message), message
    assert '--range 0.0001 HIGH' in message and len(model.seen_lrs) == 2  # no sweep after it
    assert [group['lr'] for group in wrapper.optimizer.param_groups] == [0.5, 1.0]  # restored


def test_no_stop_below_four_times_the_minimum():
    sweep = [1.0] * 10 + [3.0] * 10  # smoothed rises towards 3: under 4 x 1.0
    model = ScriptedModel([1.0] * 20 + sweep)
    curve = LRRangeTest(1e-3, 1.0, min_iterations=1, log=lambda line: None).run(model, scripted_wrapper(model), list(range(20)))
    assert not curve.diverged and len(curve.lrs) == 20


def test_phases_report_progress_with_an_eta_to_the_log(monkeypatch):
    from adaptcls.lr_search import lr_range_sweep
    from adaptcls.utils.progress import ProgressLog

    monkeypatch.setattr(lr_range_sweep, 'ProgressLog',
                        lambda total, what, log: ProgressLog(total, what, every_s=0.0, log=log))
    lines = []
    model = ScriptedModel([1.0] * 8)
    LRRangeTest(1e-3, 1e-1, min_iterations=1, log=lines.append).run(model, scripted_wrapper(model), list(range(4)))
    assert lines[0].startswith('  range test: warm-up iterations: 1/4 (25%), 0:00:00 elapsed, ETA ')
    assert lines[3].startswith('  range test: warm-up iterations: 4/4 done in ')
    assert lines[4].startswith('range test: warm-up epoch 1/1 (4 iterations) at lr 0.001: mean loss 1.0000')
    assert lines[5].startswith('  range test: sweep iterations: 1/4 (25%)')
    assert lines[-1].startswith('range test: 4/4 iterations from lr 0.001 towards 0.1')


def tiny_classifier() -> nn.Module:
    register_all_modules()
    torch.manual_seed(0)
    return MODELS.build(dict(
        type='ImageClassifier',
        backbone=dict(type='TimmBackbone', model_name='mobilenetv3_small_050', pretrained=False),
        head=dict(type='LinearClsHead', num_classes=NUM_CLASSES, in_channels=1024)))


def tiny_batches(count: int = 4, batch_size: int = 4) -> list:
    generator = torch.Generator().manual_seed(0)
    return [dict(inputs=[torch.randint(0, 256, (3, 32, 32), dtype=torch.uint8, generator=generator)
                         for _ in range(batch_size)],
                 data_samples=[ClsDataSample().set_gt_label(index % NUM_CLASSES)
                               for index in range(batch_size)])
            for _ in range(count)]


def snapshot(model: nn.Module, wrapper: OptimWrapper) -> dict:
    state = {f'model.{key}': value.clone() for key, value in model.state_dict().items()}
    for param_id, param_state in wrapper.optimizer.state_dict()['state'].items():
        for key, value in param_state.items():
            state[f'optim.{param_id}.{key}'] = value.clone() if torch.is_tensor(value) else value
    state['lrs'] = [group['lr'] for group in wrapper.optimizer.param_groups]
    return state


@pytest.mark.parametrize('wrapper_type', [OptimWrapper, SAMOptimWrapper])
def test_real_range_test_restores_weights_buffers_and_optimizer_state(wrapper_type):
    model = tiny_classifier()
    wrapper = wrapper_type(torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9))
    batches = tiny_batches()
    model.train()
    model.train_step(batches[0], optim_wrapper=wrapper)  # momentum buffers exist before the test
    model.eval()
    before = snapshot(model, wrapper)
    assert any(key.startswith('optim.') for key in before)

    states_seen = []
    original_step = model.train_step

    def spying_step(data, optim_wrapper):
        states_seen.append(model.head.fc.weight.detach().clone())
        return original_step(data, optim_wrapper=optim_wrapper)

    model.train_step = spying_step
    curve = LRRangeTest(1e-3, 1.0, warmup_epochs=1, min_iterations=1, log=lambda line: None).run(model, wrapper, batches)
    after = snapshot(model, wrapper)

    assert len(curve.lrs) >= 1 and len(states_seen) == len(batches) + len(curve.lrs)
    assert not torch.equal(states_seen[-1], before['model.head.fc.weight'])  # it really trained
    assert after.keys() == before.keys()
    for key, value in before.items():
        if torch.is_tensor(value):
            assert torch.equal(after[key], value), key
        else:
            assert after[key] == value, key
    assert not model.training  # the eval mode it entered with


def assert_same_state(after: dict, before: dict) -> None:
    assert after.keys() == before.keys()
    for key, value in before.items():
        if torch.is_tensor(value):
            assert torch.equal(after[key], value), key
        else:
            assert after[key] == value, key


def test_real_divergence_stops_the_sweep_and_the_state_is_restored():
    model = tiny_classifier()
    wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9))
    batches = tiny_batches(count=5, batch_size=2)
    model.train_step(batches[0], optim_wrapper=wrapper)  # momentum buffers exist before the test
    before = snapshot(model, wrapper)
    # Only a non-finite loss can stop this sweep (no 4x rule); by lr 1e30 the weights explode.
    test = LRRangeTest(1e-3, 1e30, warmup_epochs=1, diverge_factor=math.inf, min_iterations=1, log=lambda line: None)
    curve = test.run(model, wrapper, batches)
    assert curve.diverged and curve.non_finite_lr is not None and 1 <= len(curve.lrs) < 5
    assert curve.non_finite_lr == pytest.approx(test.sweep_lr(len(curve.lrs), 5))
    assert all(math.isfinite(loss) for loss in curve.losses)
    assert_same_state(snapshot(model, wrapper), before)
    assert model.training


def test_real_divergence_in_the_warmup_raises_and_the_state_is_restored():
    model = tiny_classifier()
    wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9))
    before = snapshot(model, wrapper)
    with pytest.raises(NonFiniteLossError, match='--range 1e[+]29 HIGH'):
        LRRangeTest(1e30, 1e31, min_iterations=1, log=lambda line: None).run(model, wrapper, tiny_batches(count=3, batch_size=2))
    assert_same_state(snapshot(model, wrapper), before)


def test_restored_state_also_on_error():
    model = tiny_classifier()
    wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.01))
    before = model.head.fc.weight.detach().clone()
    with pytest.raises(RuntimeError):
        with restored_training_state(model, wrapper):
            with torch.no_grad():
                model.head.fc.weight.add_(1.0)
            raise RuntimeError('interrupted')
    assert torch.equal(model.head.fc.weight, before)
