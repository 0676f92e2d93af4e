"""``adaptcls train DATA_DIR --model --recipe --img-size --epochs``: the recipe chosen by name, sizes and epochs set."""
import json
import os
import subprocess
import sys

import pytest

from adaptcls.cli.recipes import CONFIG_DIR, MODEL_NAMES, RECIPE_NAMES, recipe_config
from adaptcls.cli.train import config_arguments, parse_args
from adaptcls.config import build_config
from tests.tools.conftest import REPO, tiny_data  # noqa: F401


def test_every_model_and_recipe_has_a_config():
    for model in MODEL_NAMES:
        for recipe in RECIPE_NAMES:
            assert os.path.isfile(recipe_config(model, recipe))


def test_a_data_folder_chooses_the_config_by_name(tiny_data):  # noqa: F811
    args = parse_args([tiny_data, '--model', 'mnv3_small', '--recipe', 'baseline'])
    assert args.config == os.path.join(CONFIG_DIR, 'mnv3_small_baseline.py') and args.data_root == tiny_data
    assert parse_args([tiny_data]).config == os.path.join(CONFIG_DIR, 'effnet_lite0_adaptive.py')


def test_img_size_and_epochs_reach_the_config(tiny_data, tmp_path):  # noqa: F811
    cfg = build_config(**config_arguments(parse_args([tiny_data, '--recipe', 'baseline', '--img-size', '48',
                                                      '--epochs', '7', '--work-dir', str(tmp_path)])))
    assert cfg.train_cfg.max_epochs == 7 and cfg.param_scheduler[-1].end == 7  # the cosine spans the 7 epochs
    assert [step['size'] for step in cfg.val_dataloader.dataset.pipeline if 'size' in step] == [48]


@pytest.mark.parametrize('argv, message', [
    (['--model', 'mnv3_small'], '--model and --recipe choose the config for a data folder'),
    (['--data-root', 'x'], 'is a data folder; drop --data-root'),
])
def test_options_that_do_not_fit_are_refused(argv, message, tiny_data, capsys):  # noqa: F811
    first = 'configs/effnet_lite0_adaptive.py' if argv[0] == '--model' else tiny_data
    with pytest.raises(SystemExit) as exit_info:
        parse_args([first, *argv])
    assert exit_info.value.code == 2 and message in capsys.readouterr().err


def test_train_from_a_data_folder_end_to_end(tiny_data, tmp_path):  # noqa: F811
    result = subprocess.run([sys.executable, '-m', 'adaptcls', 'train', tiny_data, '--recipe', 'baseline',
                             '--img-size', '32', '--epochs', '1', '--work-dir', str(tmp_path / 'run')], cwd=REPO,
                            capture_output=True, text=True, env=dict(os.environ, OMP_NUM_THREADS='1'))
    assert result.returncode == 0, result.stderr[-2000:]
    summary = json.loads((tmp_path / 'run' / 'summary.json').read_text())
    assert summary['epochs_run'] == 1 and summary['config'].endswith('effnet_lite0_baseline.py')
