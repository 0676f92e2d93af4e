"""benchmarks/recipe_benchmark.py ablations: each changes the adaptive config in the way its row says."""
import os.path as osp

import pytest
from mmengine.config import Config

from benchmarks.recipe_benchmark import RECIPES

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def _default() -> Config:
    return Config.fromfile(osp.join(REPO, RECIPES['adaptive'].config))


def _without(section: dict, key: str) -> dict:
    """``section`` minus ``key``: what an ablation of that one key must leave unchanged."""
    return {name: value for name, value in section.items() if name != key}


def _edited(name: str) -> Config:
    recipe = RECIPES[name]
    cfg = Config.fromfile(osp.join(REPO, recipe.config))
    recipe.edit(cfg)
    return cfg


@pytest.mark.parametrize('name', sorted(name for name, recipe in RECIPES.items() if recipe.edit is not None))
def test_every_ablation_edit_applies_to_its_config(name):
    _edited(name)


def test_no_head_dropout_row_removes_the_default_am_softmax_dropout():
    assert _default().model.head.dropout == 0.2
    assert _edited('adaptive_no_head_dropout').model.head.dropout == 0.0


def test_head_decay_row_decays_the_class_weights_the_default_exempts():
    default_keys = _default().optim_wrapper.paramwise_cfg.custom_keys
    assert default_keys['head.fc.weight'] == dict(decay_mult=0.0)
    custom_keys = _edited('adaptive_head_decay').optim_wrapper.paramwise_cfg.custom_keys
    assert 'head.fc.weight' not in custom_keys
    assert custom_keys['.bias'] == dict(lr_mult=2.0, decay_mult=0.0)


def test_warmup_row_lengthens_the_linear_warmup_to_the_papers_five_epochs():
    assert _default().custom_hooks[0].warmup_epochs == 2
    edited = _edited('adaptive_warmup_5')
    assert edited.custom_hooks[0].warmup_epochs == 5 and not edited.get('param_scheduler')


@pytest.mark.parametrize('name, margin', [('adaptive_no_margin', 0.0), ('adaptive_margin_0.5', 0.5)])
def test_margin_rows_change_only_the_am_softmax_margin(name, margin):
    default = _default().model.head
    assert default.margin == 0.35
    edited = _edited(name).model.head
    assert edited.margin == margin
    assert _without(edited, 'margin') == _without(default, 'margin')


def test_sam_rho_row_doubles_only_the_sam_neighbourhood_radius():
    default = _default().optim_wrapper
    assert default.rho == 0.05
    edited = _edited('adaptive_sam_rho_0.1').optim_wrapper
    assert edited.rho == 0.1
    assert _without(edited, 'rho') == _without(default, 'rho')


def test_asam_row_switches_on_the_scale_invariant_neighbourhood_with_its_own_radius():
    default = _default().optim_wrapper
    assert default.get('adaptive', False) is False
    edited = _edited('adaptive_asam_rho_2').optim_wrapper
    assert (edited.adaptive, edited.rho, edited.type) == (True, 2.0, default.type)


def test_batch_32_row_halves_only_the_training_batch_and_keeps_the_lr_scaling_base():
    default = _default()
    assert default.train_dataloader.batch_size == 64
    edited = _edited('adaptive_batch_32')
    assert edited.train_dataloader.batch_size == 32
    assert edited.auto_scale_lr == default.auto_scale_lr == dict(enable=True, base_batch_size=64)
    assert edited.val_dataloader.batch_size == default.val_dataloader.batch_size


def test_augmix_severity_row_changes_only_the_augmix_severity():
    default = _default().train_dataloader.dataset.pipeline
    edited = _edited('adaptive_augmix_severity_3').train_dataloader.dataset.pipeline
    assert [step['type'] for step in edited] == [step['type'] for step in default]
    for before, after in zip(default, edited):
        if before['type'] == 'AugMix':
            assert (before['severity'], after['severity']) == (5, 3)
            assert _without(after, 'severity') == _without(before, 'severity')
        else:
            assert after == before


def test_patience_3_row_lengthens_only_the_drop_patience():
    before, after = _default().custom_hooks[0], _edited('adaptive_patience_3').custom_hooks[0]
    assert (before.patience, after.patience) == (2, 3)
    assert _without(after, 'patience') == _without(before, 'patience')
    assert _edited('adaptive_patience_3').train_dataloader == _default().train_dataloader


def test_batch_32_patience_3_row_changes_the_batch_and_the_drop_patience_only():
    default = _default()
    edited = _edited('adaptive_batch_32_patience_3')
    assert (default.train_dataloader.batch_size, edited.train_dataloader.batch_size) == (64, 32)
    before, after = default.custom_hooks[0], edited.custom_hooks[0]
    assert (before.patience, after.patience) == (2, 3)
    assert after.early_stop_patience == before.early_stop_patience
    assert _without(after, 'patience') == _without(before, 'patience')


def test_label_smoothing_row_smooths_only_the_am_softmax_cross_entropy():
    default = _default().model.head
    assert default.get('loss') is None
    edited = _edited('adaptive_label_smoothing').model.head
    assert edited.loss == dict(type='CrossEntropyLoss', label_smoothing=0.1)
    assert _without(edited, 'loss') == _without(default, 'loss')


def test_min_lr_200_row_lowers_only_the_plateau_floor_to_the_papers_ratio():
    before, after = _default().custom_hooks[0], _edited('adaptive_min_lr_200').custom_hooks[0]
    assert (before.min_lr_ratio, after.min_lr_ratio) == (1 / 100, 1 / 200)
    assert _without(after, 'min_lr_ratio') == _without(before, 'min_lr_ratio')


def test_ema_row_adds_only_an_ema_hook_after_the_plateau_hook():
    default_hooks = _default().custom_hooks
    assert all(hook.type != 'EMAHook' for hook in default_hooks)
    edited_hooks = _edited('adaptive_ema').custom_hooks
    assert edited_hooks[:len(default_hooks)] == default_hooks
    assert [(hook['type'], hook['momentum'], hook['update_buffers']) for hook in edited_hooks[len(default_hooks):]] == [
        ('EMAHook', 0.05, True)]


def test_drop_path_row_sets_only_the_backbones_stochastic_depth():
    default = _default().model.backbone
    assert default.get('drop_path_rate', 0.0) == 0.0
    edited = _edited('adaptive_drop_path').model.backbone
    assert edited.drop_path_rate == 0.2
    assert _without(edited, 'drop_path_rate') == default
