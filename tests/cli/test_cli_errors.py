"""run_cli: a user error is one line on stderr and exit status 2; anything else keeps its traceback."""
import pytest
import torch

from adaptcls.cli.cli_errors import original_message, registry_suggestion, run_cli
from adaptcls.config.config_checks import ConfigKeyError
from adaptcls.datasets import ImageLoadError
from adaptcls.deployment.dependencies import MissingDeployDependency
from adaptcls.errors import UserInputError
from adaptcls.optim.non_finite_loss import NonFiniteLossError
from adaptcls.utils.checkpoint_safety import UnsafeCheckpointError


def failing(error):
    def main():
        raise error
    return main


@pytest.mark.parametrize('error', [
    UserInputError('bad value'), FileNotFoundError('no such file'),
    UnsafeCheckpointError('bad value'), MissingDeployDependency('bad value: pip install x'),
    NonFiniteLossError('bad value'), ConfigKeyError('bad value'), ImageLoadError('bad value'),
], ids=lambda error: type(error).__name__)
def test_user_errors_exit_2_with_one_clean_line(error, capsys, monkeypatch):
    monkeypatch.delenv('ADAPTCLS_DEBUG', raising=False)

    with pytest.raises(SystemExit) as exit_info:
        run_cli(failing(error))

    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith('error: ') and err.splitlines()[0] == f'error: {error.args[0]}'
    assert "'bad value'" not in err  # a KeyError's text is shown without repr quotes
    assert 'Traceback' not in err and 'ADAPTCLS_DEBUG=1' in err


@pytest.mark.parametrize('error', [ValueError("could not convert string to float: 'x'"), KeyError('chosen_lr'),
                                   TypeError('unsupported operand')], ids=lambda error: type(error).__name__)
def test_a_library_value_or_key_error_is_a_defect_not_a_user_error(error, monkeypatch, capsys, tmp_path):
    """Only the project's own error types (raised where an input is checked) read as user errors: a ValueError or
    KeyError from any depth used to print one line and exit 2 (`error: 'chosen_lr'` for a damaged result.json)."""
    from adaptcls.cli import cli_errors
    monkeypatch.delenv('ADAPTCLS_DEBUG', raising=False)
    monkeypatch.setitem(cli_errors._WORK_DIR, 'path', str(tmp_path))
    with pytest.raises(SystemExit) as exit_info:
        run_cli(failing(error))
    assert exit_info.value.code == 1
    assert 'please report it as a bug' in capsys.readouterr().err and list(tmp_path.glob('adaptcls_crash_*.txt'))


def test_a_registry_miss_is_a_user_error(monkeypatch, capsys):
    monkeypatch.delenv('ADAPTCLS_DEBUG', raising=False)
    with pytest.raises(SystemExit) as exit_info:
        run_cli(failing(KeyError('LinearClsHaed is not in the adaptcls::model registry. Please check whether the '
                                'value of `LinearClsHaed` is correct')))
    assert exit_info.value.code == 2 and 'Unknown model type "LinearClsHaed"' in capsys.readouterr().err


def test_debug_variable_shows_the_traceback(monkeypatch):
    monkeypatch.setenv('ADAPTCLS_DEBUG', '1')

    with pytest.raises(ValueError, match='bad value'):
        run_cli(failing(ValueError('bad value')))


def test_other_errors_are_one_line_with_the_traceback_in_a_crash_file(monkeypatch, capsys, tmp_path):
    from adaptcls.cli import cli_errors
    monkeypatch.delenv('ADAPTCLS_DEBUG', raising=False)
    monkeypatch.setitem(cli_errors._WORK_DIR, 'path', str(tmp_path))
    with pytest.raises(SystemExit) as exit_info:
        run_cli(failing(RuntimeError('a bug')))
    assert exit_info.value.code == 1
    err = capsys.readouterr().err
    assert err.startswith('error: RuntimeError: a bug') and 'Traceback' not in err
    assert 'please report it as a bug with the traceback and the command.' in err
    crash_files = list(tmp_path.glob('adaptcls_crash_*.txt'))
    assert len(crash_files) == 1 and str(crash_files[0]) in err
    assert 'Traceback (most recent call last)' in crash_files[0].read_text() and 'RuntimeError: a bug' in \
        crash_files[0].read_text()


def test_ctrl_c_exits_130_with_one_line_on_how_to_resume(monkeypatch, capsys, tmp_path):
    from adaptcls.cli import cli_errors
    monkeypatch.delenv('ADAPTCLS_DEBUG', raising=False)
    monkeypatch.setitem(cli_errors._WORK_DIR, 'path', str(tmp_path))
    with pytest.raises(SystemExit) as exit_info:
        run_cli(failing(KeyboardInterrupt()))
    assert exit_info.value.code == 130
    err = capsys.readouterr().err
    assert 'Traceback' not in err and f'checkpoints in {tmp_path} are intact' in err and '--resume' in err


@pytest.mark.parametrize('error, expected', [
    (PermissionError(13, 'Permission denied', '/work/read_only/epoch_1.pth'),
     'Permission denied: /work/read_only/epoch_1.pth'),
    (OSError(28, 'No space left on device', '/work/run/epoch_3.pth'), 'No space left on device: /work/run/epoch_3.pth'),
    (NotADirectoryError('--work-dir "x" is a file'), '--work-dir "x" is a file'),
])
def test_file_system_errors_are_one_line(error, expected, capsys, monkeypatch):
    monkeypatch.delenv('ADAPTCLS_DEBUG', raising=False)
    with pytest.raises(SystemExit) as exit_info:
        run_cli(failing(error))
    assert exit_info.value.code == 2 and capsys.readouterr().err.splitlines()[0] == f'error: {expected}'


def test_a_config_that_is_not_valid_python_is_named_with_its_line(tmp_path):
    import subprocess
    import sys

    from tests.tools.conftest import REPO
    config = tmp_path / 'broken.py'
    config.write_text("model = dict(type='ImageClassifier'\n")
    result = subprocess.run([sys.executable, 'tools/train.py', str(config)], cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 2 and f'error: config {config} (or one of its _base_ files), line 1' in result.stderr


def test_an_import_beside_base_is_a_named_config_error(tmp_path):
    """mmengine refuses `import os` in a config that inherits with _base_; it was a bare RuntimeError (exit 1)."""
    from adaptcls.config.config_utils import load_config
    from adaptcls.errors import UserInputError
    from tests.tools.conftest import REPO
    config = tmp_path / 'with_import.py'
    config.write_text(f"import os\n_base_ = ['{REPO}/configs/effnet_lite0_demo.py']\n")
    with pytest.raises(UserInputError, match=r'with_import.py: mmengine cannot parse it .* may not use `import`'):
        load_config(str(config))


class UnreadableDataset(torch.utils.data.Dataset):
    def __len__(self):
        return 1

    def __getitem__(self, index):
        raise ImageLoadError('Cannot read image "data/x.png" (truncated).')


def test_an_error_from_a_dataloader_worker_shows_the_workers_message_only():
    with pytest.raises(ImageLoadError) as error:
        next(iter(torch.utils.data.DataLoader(UnreadableDataset(), num_workers=1)))
    assert 'Original Traceback' in str(error.value)  # what PyTorch makes of it

    assert original_message(error.value) == 'Cannot read image "data/x.png" (truncated).'


def test_registry_miss_suggests_close_names():
    message = ("LinearClsHaed is not in the adaptcls::model registry. Please check whether the value of "
               "`LinearClsHaed` is correct")

    suggestion = registry_suggestion(message)

    assert suggestion.startswith('Unknown model type "LinearClsHaed" in the config. Did you mean \'LinearClsHead\'')
    assert registry_suggestion('some other KeyError') is None


def test_an_oserror_shows_its_reason_and_file_not_the_errno():
    error = FileNotFoundError(2, 'No such file or directory', '/configs/_base_/missing.py')
    assert original_message(error) == 'No such file or directory: /configs/_base_/missing.py'


TRAIN_TOOL_CASES = {
    'max_epochs 0': (['--cfg-options', 'train_cfg.max_epochs=0'], 'train_cfg.max_epochs must be a whole number >= 1'),
    'max_epochs -3': (['--cfg-options', 'train_cfg.max_epochs=-3'], 'got -3'),
    'lr abc': (['--cfg-options', 'optim_wrapper.optimizer.lr=abc'], "optimizer.lr must be a positive number, got 'abc'"),
    'option without =': (['--cfg-options', 'train_cfg.max_epochs'], 'takes KEY=VALUE items'),
}


@pytest.mark.parametrize('case', sorted(TRAIN_TOOL_CASES))
def test_train_tool_bad_values_are_one_line_errors(case, tmp_path):
    import subprocess
    import sys

    from tests.tools.conftest import REPO
    extra, expected = TRAIN_TOOL_CASES[case]
    result = subprocess.run([sys.executable, 'tools/train.py', 'configs/effnet_lite0_demo.py', '--work-dir',
                             str(tmp_path / 'work'), *extra], cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 2 and expected in result.stderr and 'Traceback' not in result.stderr
    assert not (tmp_path / 'work').exists()  # refused before anything was written


def test_a_missing_base_file_is_named(tmp_path):
    import subprocess
    import sys

    from tests.tools.conftest import REPO
    config = tmp_path / 'child.py'
    config.write_text("_base_ = ['missing_base.py']\n")
    result = subprocess.run([sys.executable, 'tools/train.py', str(config)], cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 2 and f'No such file or directory: {tmp_path}/missing_base.py' in result.stderr
