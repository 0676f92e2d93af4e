"""The README's training examples, run as written from a folder outside the repository, on small real-image folders.

Each command of the README's "Your own data" section runs with its own options, in a subprocess, from a temporary
working directory that holds ``my_data`` (train/ and val/) and ``my_photos`` (class folders only), with relative
paths and the default work dir; only the run's length is shortened (``--epochs 1 --img-size 32``, and
``--no-auto-lr``, since the range test's cost is not what these tests check). A model whose ImageNet weights come from
the hub (offline here) trains from scratch instead (``model.backbone.pretrained=False``).
"""
import os
import re
import shlex
import shutil
import subprocess
import sys

import pytest

from tests.cli.test_one_command_path import _class_folders_only
from tests.tools.conftest import REPO, tiny_data  # noqa: F401

SHORTER = ('--epochs', '1', '--img-size', '32')
"""What every example gets appended (a later option wins in argparse)."""
OFFLINE_MODELS = ('effnet_lite0',)
"""Models whose ImageNet weights install with the package (no hub needed)."""


def readme_training_examples():
    """The train commands of the README's "Your own data" section (comments dropped)."""
    with open(os.path.join(REPO, 'README.md'), encoding='utf-8') as stream:
        text = stream.read()
    section = text.split('## Your own data', 1)[1].split('\n## ', 1)[0]
    commands = []
    for block in re.findall(r'```bash\n(.*?)```', section, re.S):
        for line in block.splitlines():
            line = line.split('#', 1)[0].strip()
            if line:
                commands.append(line)
    return commands


def _as_run_here(command: str):
    """argv of a README command: ``.venv/bin/python`` and ``.venv/bin/adaptcls`` are this interpreter, ``tools/`` is
    the repository's."""
    argv = shlex.split(command)
    if argv[0] == '.venv/bin/adaptcls':
        argv = [sys.executable, '-m', 'adaptcls', *argv[1:]]
    elif argv[0] == '.venv/bin/python':
        argv = [sys.executable, os.path.join(REPO, argv[1]), *argv[2:]]
    argv += [*SHORTER, *([] if '--no-auto-lr' in argv else ['--no-auto-lr'])]
    if '--model' in argv and argv[argv.index('--model') + 1] not in OFFLINE_MODELS:
        argv += ['--cfg-options', 'model.backbone.pretrained=False']
    return argv


def test_the_readme_has_training_examples():
    commands = readme_training_examples()
    assert len(commands) >= 4 and all('train' in command for command in commands)


@pytest.fixture(scope='module')
def user_folder(tiny_data, tmp_path_factory):  # noqa: F811
    folder = tmp_path_factory.mktemp('user')
    shutil.copytree(tiny_data, folder / 'my_data')
    _class_folders_only(tiny_data, str(folder / 'my_photos'))  # my_photos: only class folders
    return folder


@pytest.mark.parametrize('command', readme_training_examples())
def test_a_readme_example_runs_as_written(command, user_folder):
    argv = _as_run_here(command)
    done = subprocess.run(argv, cwd=user_folder, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, f'{command}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}'
    assert 'Best val top-1' in done.stdout
    shutil.rmtree(user_folder / 'work_dirs')  # the next example starts afresh, as a new user would
