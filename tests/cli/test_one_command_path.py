"""The first commands a user types: relative paths from any working directory, resuming a run and a moved work dir,
a wheel that runs the recipes from an empty folder, ``--help`` without heavy imports, a concise console."""
import json
import os
import shutil
import subprocess
import sys
import sysconfig

import pytest

from adaptcls.cli import train as train_cli
from adaptcls.config import build_config
from tests.tools.conftest import CLASSES, REPO, tiny_config, tiny_data  # noqa: F401

COMMANDS = ('train', 'test', 'lr-search', 'export', 'predict', 'evaluate', 'benchmark', 'demo-data', 'configs')


def _class_folders_only(tiny_data, destination):  # noqa: F811
    """A folder of class folders (no train/ or val/), as a user's photos are: the run splits it."""
    for name in CLASSES:
        os.makedirs(os.path.join(destination, name))
        for split in ('train', 'val'):
            folder = os.path.join(tiny_data, split, name)
            for file in os.listdir(folder):
                shutil.copy(os.path.join(folder, file), os.path.join(destination, name, f'{split}_{file}'))


def _summary(work_dir) -> dict:
    with open(os.path.join(work_dir, 'summary.json')) as stream:
        return json.load(stream)


def test_relative_paths_resume_and_a_moved_work_dir(tiny_data, tmp_path, monkeypatch, capsys):  # noqa: F811
    monkeypatch.chdir(tmp_path)
    _class_folders_only(tiny_data, 'my_photos')
    tiny_config(max_epochs=3).dump('tiny.py')
    train_cli.main(['tiny.py', '--data-root', 'my_photos', '--epochs', '1'])  # default work dir, relative
    work_dir = os.path.join('work_dirs', 'tiny')
    assert _summary(work_dir)['epochs_run'] == 1
    with open(os.path.join(work_dir, 'last_checkpoint')) as stream:
        assert stream.read() == 'epoch_1.pth'  # relative to the work dir
    console = capsys.readouterr().out
    assert 'System environment' not in console and 'paramwise_options' not in console  # in the log file only
    assert 'Epoch(val) [1]' in console and 'results (checkpoints, summary.json, the full log) go to' in console

    train_cli.main(['tiny.py', '--data-root', 'my_photos', '--epochs', '2', '--resume'])
    assert _summary(work_dir)['epochs_run'] == 2

    os.rename(work_dir, 'moved')  # the whole work dir, elsewhere: it resumes its own checkpoint
    train_cli.main(['tiny.py', '--data-root', 'my_photos', '--epochs', '3', '--work-dir', 'moved', '--resume'])
    assert _summary('moved')['epochs_run'] == 3
    assert not os.path.exists(work_dir)


def test_a_pointer_outside_the_work_dir_is_refused(tiny_data, tmp_path):  # noqa: F811
    other = tmp_path / 'other_run'
    other.mkdir()
    (other / 'epoch_3.pth').write_bytes(b'not used')
    work = tmp_path / 'received'
    work.mkdir()
    (work / 'last_checkpoint').write_text(str(other / 'epoch_3.pth'))  # an absolute pointer, as mmengine writes
    config = tmp_path / 'tiny.py'
    tiny_config().dump(str(config))
    with pytest.raises(ValueError, match='outside the work dir.*--resume PATH'):
        build_config(str(config), 'train', data_root=tiny_data, work_dir=str(work), resume='auto')


def test_val_and_test_pipelines_of_different_sizes_are_refused(tiny_data, tmp_path):  # noqa: F811
    cfg = tiny_config()
    cfg.test_dataloader.dataset.pipeline = [dict(type='LoadImage'), dict(type='Resize', size=224),
                                            dict(type='PackClsInputs')]
    config = tmp_path / 'mixed.py'
    cfg.dump(str(config))
    with pytest.raises(ValueError, match='val pipeline ends at 32 px but the test pipeline at 224 px'):
        build_config(str(config), 'test', data_root=tiny_data)


def test_img_size_reaches_the_dumped_config_and_zero_is_refused(tiny_data, tmp_path):  # noqa: F811
    config = tmp_path / 'tiny.py'
    tiny_config().dump(str(config))
    cfg = build_config(str(config), 'train', data_root=tiny_data, work_dir=str(tmp_path / 'w'), img_size=48)
    for pipeline in (cfg.test_pipeline, cfg.train_pipeline, cfg.test_dataloader.dataset.pipeline):
        assert [step['size'] for step in pipeline if 'size' in step] == [48]
    with pytest.raises(ValueError, match='whole number of pixels >= 1'):
        build_config(str(config), 'train', data_root=tiny_data, work_dir=str(tmp_path / 'w0'), img_size=0)


@pytest.mark.parametrize('command', COMMANDS)
def test_help_imports_nothing_heavy(command):
    code = ('import sys\nfrom adaptcls.cli.main import main\ntry:\n    main([%r, "--help"])\nexcept SystemExit:\n'
            '    pass\nheavy = sorted({"torch", "timm", "openvino", "optuna", "sklearn", "nncf"} & set(sys.modules))\n'
            'assert not heavy, heavy\n' % command)
    done = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert 'usage: adaptcls' in done.stdout


def test_a_wheel_runs_a_recipe_from_an_empty_folder(tiny_data, tmp_path):  # noqa: F811
    """Builds the wheel, installs it (without dependencies) into a fresh venv that borrows this environment's
    packages through a .pth line, and trains a shipped recipe by name from an empty folder."""
    built = subprocess.run([sys.executable, '-m', 'pip', 'wheel', '--no-deps', '--no-build-isolation', '-q', '-w',
                            str(tmp_path / 'dist'), REPO], capture_output=True, text=True, timeout=600)
    assert built.returncode == 0, built.stderr[-2000:]
    wheel = next((tmp_path / 'dist').glob('adaptcls-*.whl'))
    venv = tmp_path / 'venv'
    subprocess.run([sys.executable, '-m', 'venv', '--without-pip', str(venv)], check=True, timeout=300)
    python = venv / 'bin' / 'python'
    purelib = subprocess.run([str(python), '-c', 'import sysconfig; print(sysconfig.get_paths()["purelib"])'],
                             capture_output=True, text=True, check=True).stdout.strip()
    # a plain path line: the dependencies only; this environment's own (editable) adaptcls is not activated
    with open(os.path.join(purelib, 'borrowed_dependencies.pth'), 'w') as stream:
        stream.write(sysconfig.get_paths()['purelib'] + '\n')
    subprocess.run([sys.executable, '-m', 'pip', '--python', str(python), 'install', '-q', '--no-deps', str(wheel)],
                   check=True, timeout=300, capture_output=True)
    empty = tmp_path / 'empty'
    empty.mkdir()
    where = subprocess.run([str(python), '-c', 'import adaptcls; print(adaptcls.__file__)'], cwd=empty,
                           capture_output=True, text=True, check=True).stdout
    assert where.startswith(purelib)  # the wheel's copy, not the checkout
    adaptcls = venv / 'bin' / 'adaptcls'
    listed = subprocess.run([str(adaptcls), 'configs'], cwd=empty, capture_output=True, text=True, timeout=120)
    assert listed.returncode == 0 and 'effnet_lite0_adaptive' in listed.stdout and purelib in listed.stdout
    run = subprocess.run([str(adaptcls), 'train', tiny_data, '--model', 'effnet_lite0', '--recipe', 'baseline',
                          '--img-size', '32', '--epochs', '1'], cwd=empty, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    assert (empty / 'work_dirs' / 'effnet_lite0_baseline' / 'best.pth').is_file()


def test_overwrite_after_adding_a_class_folder_trains_on_the_new_classes(tiny_data, tmp_path,  # noqa: F811
                                                                         monkeypatch):
    from adaptcls.datasets.data_split import StaleSplitError
    monkeypatch.chdir(tmp_path)
    _class_folders_only(tiny_data, 'my_photos')
    tiny_config(max_epochs=1).dump('tiny.py')
    train_cli.main(['tiny.py', '--data-root', 'my_photos'])
    shutil.copytree(os.path.join('my_photos', 'circle'), os.path.join('my_photos', 'ring'))
    with pytest.raises(StaleSplitError, match=r"added \['ring'\]"):
        train_cli.main(['tiny.py', '--data-root', 'my_photos', '--resume'])
    train_cli.main(['tiny.py', '--data-root', 'my_photos', '--overwrite'])
    assert len(_summary(os.path.join('work_dirs', 'tiny'))['classes']) == 4
