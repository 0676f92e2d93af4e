"""The ``adaptcls`` command: every tool as a subcommand, with the tool's own options and errors."""
import os
import subprocess
import sys

import pytest

from adaptcls.cli.main import COMMANDS, parse_command
from tests.tools.conftest import REPO


def adaptcls(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, '-m', 'adaptcls', *args], cwd=REPO, capture_output=True, text=True)


def test_help_lists_every_command():
    result = adaptcls('--help')
    assert result.returncode == 0
    for command in ('train', 'test', 'lr-search', 'export', 'predict', 'evaluate', 'benchmark', 'demo-data'):
        assert command in result.stdout


@pytest.mark.parametrize('command', sorted(COMMANDS))
def test_each_command_shows_its_tools_options(command):
    result = adaptcls(command, '--help')
    assert result.returncode == 0 and f'usage: adaptcls {command}' in result.stdout
    assert f'adaptcls {command} {command}' not in result.stdout  # a deploy subcommand is named once


def test_the_arguments_after_the_command_are_the_tools():
    assert parse_command(['train', 'x.py', '--data-root', 'd', '--no-auto-lr']) == (
        'train', ['x.py', '--data-root', 'd', '--no-auto-lr'])


def test_an_unknown_command_is_refused():
    result = adaptcls('trian')
    assert result.returncode == 2 and "invalid choice: 'trian'" in result.stderr


def test_a_tool_error_is_the_tools_one_line_error(tmp_path):
    result = adaptcls('train', str(tmp_path / 'none.py'))
    assert result.returncode == 2 and result.stderr.startswith('error: Config file') and 'Traceback' not in result.stderr


def test_demo_data_writes_the_demo_tree(tmp_path):
    result = adaptcls('demo-data', '--out', str(tmp_path / 'digits'), '--size', '8')
    assert result.returncode == 0 and os.path.isdir(tmp_path / 'digits' / 'train' / '0')
