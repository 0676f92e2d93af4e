"""check_config_keys: misspelt and missing config keys are named with the close valid name."""
import copy
import glob
import os.path as osp

import pytest
from mmengine.config import Config

from adaptcls.config.config_checks import ConfigKeyError, check_config_keys, lr_owner_problems

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIGS = sorted(glob.glob(osp.join(REPO, 'configs', '*.py')))


@pytest.fixture(scope='module')
def base_cfg():
    return Config.fromfile(osp.join(REPO, 'configs', 'mnv3_small_baseline.py'))


@pytest.fixture
def cfg(base_cfg):
    return copy.deepcopy(base_cfg)


def problems(cfg, for_training=True):
    with pytest.raises(ConfigKeyError) as error:
        check_config_keys(cfg, for_training)
    message = str(error.value)
    assert message.startswith(f'config {cfg.filename}: ') and '\n' not in message
    assert message.endswith(('?', '.')) and not message.endswith('?.')
    return message[len(f'config {cfg.filename}: '):].rstrip('.').split('; ')


@pytest.mark.parametrize('path', CONFIGS, ids=osp.basename)
@pytest.mark.parametrize('for_training', [True, False], ids=['train', 'test'])
def test_every_shipped_config_passes(path, for_training):
    check_config_keys(Config.fromfile(path), for_training)


@pytest.mark.parametrize('wrong, right', [
    ('optim_wraper', 'optim_wrapper'), ('train_dataloder', 'train_dataloader'),
    ('param_schedulers', 'param_scheduler'), ('default_hook', 'default_hooks'), ('randomnes', 'randomness'),
])
def test_misspelt_top_level_key_is_named_with_the_right_one(cfg, wrong, right):
    cfg[wrong] = cfg.pop(right) if wrong == 'train_dataloder' else dict(lr=1)

    assert problems(cfg) == [f'unknown top-level key {wrong!r} (nothing reads it): did you mean {right!r}?']


@pytest.mark.parametrize('helper', ['train_pipeline', 'img_size', 'optim_wrapper_cfg', 'evaluator', 'max_epochs'])
def test_helper_variables_are_not_typos(cfg, helper):
    cfg[helper] = 1

    check_config_keys(cfg)


@pytest.mark.parametrize('for_training, key', [
    (True, 'optim_wrapper'), (True, 'train_cfg'), (True, 'val_evaluator'), (False, 'test_dataloader'),
])
def test_missing_required_top_level_key_is_named(cfg, for_training, key):
    cfg[key] = None

    assert problems(cfg, for_training) == [
        f"the top-level key {key!r} is missing (set it, or add the base config that has it)"]


def test_validation_is_optional_as_a_whole(cfg):
    for key in ('val_dataloader', 'val_cfg', 'val_evaluator'):
        cfg[key] = None

    check_config_keys(cfg)


def test_misspelt_argument_of_a_kwargs_class_is_named(cfg):
    cfg.model.backbone.model_nam = cfg.model.backbone.pop('model_name')

    assert problems(cfg) == ["model.backbone (TimmBackbone): unknown argument 'model_nam': did you mean 'model_name'?"]


def test_misspelt_override_next_to_the_base_value_is_named(cfg):
    cfg.model.backbone.drop_rat = 0.2  # a child config's typo; drop_rate=0 stays in force

    assert problems(cfg) == ["model.backbone (TimmBackbone): unknown argument 'drop_rat': did you mean 'drop_rate'?"]


def test_arguments_passed_on_by_kwargs_are_accepted(cfg):
    cfg.model.backbone.update(pretrained_cfg=dict(), drop_block_rate=0.1, in_chans=3)  # timm.create_model's

    check_config_keys(cfg)


def test_unknown_argument_lists_what_the_class_takes(cfg):
    cfg.model.head.num_clases = 3
    cfg.train_dataloader.dataset.pipeline[1].size2 = 3

    assert problems(cfg) == [
        "model.head (LinearClsHead): unknown argument 'num_clases': did you mean 'num_classes'? "
        '(LinearClsHead takes: num_classes, in_channels, dropout, loss, init_cfg)',
        "train_dataloader.dataset.pipeline[1] (RandomCrop): unknown argument 'size2' (RandomCrop takes: prob, scale)",
    ]


def test_missing_required_argument_suggests_the_misspelt_key(cfg):
    cfg.train_dataloader.dataset.data_rot = cfg.train_dataloader.dataset.pop('data_root')

    found = problems(cfg)

    assert found[0].startswith("train_dataloader.dataset (ImageFolderDataset): unknown argument 'data_rot': "
                               "did you mean 'data_root' or 'data_prefix'? (ImageFolderDataset takes: data_root,")
    assert found[1] == ("train_dataloader.dataset (ImageFolderDataset): the required argument 'data_root' is "
                        "missing (is 'data_rot' a misspelling of it?)")


def test_optimizer_loops_and_dataloaders_are_checked(cfg):
    cfg.optim_wrapper.optimizer.momentun = 0.9
    cfg.train_cfg.max_epoch = 3
    cfg.val_dataloader.batch_szie = 3

    found = problems(cfg)

    assert "val_dataloader: unknown key 'batch_szie': did you mean 'batch_size' or 'batch_sampler'? " \
           '(a DataLoader setting)' in found
    assert any(item.startswith("optim_wrapper.optimizer (SGD): unknown argument 'momentun': did you mean "
                               "'momentum'?") for item in found)
    assert any(item.startswith("train_cfg (") and "unknown argument 'max_epoch': did you mean 'max_epochs'?" in item
               for item in found)
    assert len(found) == 3


def test_unknown_types_are_left_to_the_registry_error(cfg):
    cfg.model.head.type = 'LinearClsHaed'

    check_config_keys(cfg)  # the registry miss is reported when the model is built (cli_errors suggests names)


def test_an_lr_scheduler_beside_the_plateau_hook_is_refused_with_the_hook_keys_that_replace_it():
    """ReduceLROnPlateauV2 owns the lr (warm-up included): a config that still declares the LinearLR warm-up of the
    adaptive schedule before that change is told which hook keys replace it, before any training."""
    cfg = Config.fromfile(osp.join(REPO, 'configs', 'effnet_lite0_adaptive.py'))
    assert lr_owner_problems(cfg) == []
    cfg.param_scheduler = [dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0, end=2,
                                convert_to_iter_based=True)]
    assert lr_owner_problems(cfg) == [
        'param_scheduler[0] (LinearLR) sets the lr, but ReduceLROnPlateauV2 in custom_hooks owns it: remove it and '
        'set warmup_epochs=2, warmup_start_factor=0.1 in the ReduceLROnPlateauV2 entry of custom_hooks (the warm-up '
        'it declared)']
    cfg.custom_hooks = []
    assert lr_owner_problems(cfg) == []  # without the hook, param schedulers own the lr (the baseline's cosine)
