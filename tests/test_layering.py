"""The package's import layers (docs/contributing.md, "Layers") hold, and importing adaptcls changes nothing outside.

Every ``import`` of every module under adaptcls/ is read from its source (module-level and function-level alike), so
a lazy import inside a function cannot cross a layer either.
"""
import ast
import os
import subprocess
import sys
from typing import Iterator, Tuple

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGE = os.path.join(REPO, 'adaptcls')

LAYERS = (
    ('errors',),
    ('version', 'registry', 'structures', 'image_decoding'),
    ('utils',),
    ('optim',),
    ('models', 'datasets', 'evaluation'),
    ('config',),
    ('engine',),
    ('lr_search', 'deployment'),
    ('apis',),
    ('setup_env',),
    ('cli',),
    ('__main__',),
)
"""adaptcls's sub-packages (and top-level modules) from the bottom layer up. A module may import its own
sub-package and those of lower layers, never a sibling of its own layer or anything above it."""
CONFIG_DATA = 'configs'
"""adaptcls/configs: the recipe configs, package data that mmengine reads (no modules, no imports)."""
LAYER_OF = {name: index for index, names in enumerate(LAYERS) for name in names}


def _imports(path: str, module: str) -> Iterator[Tuple[int, str]]:
    """(line, absolute module name) of every adaptcls import in the file at ``path`` (module ``module``)."""
    is_package = path.endswith('__init__.py')
    for node in ast.walk(ast.parse(open(path).read(), filename=path)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = module.split('.')
                base = parts if is_package else parts[:-1]
                base = base[:len(base) - node.level + 1]
                target = '.'.join(base + ([node.module] if node.module else []))
                names = [target] if node.module else [f'{target}.{alias.name}' for alias in node.names]
                for name in names:
                    yield node.lineno, name
            else:
                yield node.lineno, node.module or ''


def _modules() -> Iterator[Tuple[str, str]]:
    for folder, _, files in os.walk(PACKAGE):
        if os.path.relpath(folder, PACKAGE).split(os.sep)[0] == CONFIG_DATA:
            continue
        for file in sorted(files):
            if file.endswith('.py'):
                path = os.path.join(folder, file)
                module = os.path.relpath(path, REPO)[:-3].replace(os.sep, '.')
                yield path, module[:-len('.__init__')] if module.endswith('.__init__') else module


def layering_violations():
    """'file:line: a -> b' for every import that goes up or sideways."""
    problems = []
    for path, module in _modules():
        parts = module.split('.')
        if len(parts) == 1:
            continue  # adaptcls/__init__.py: imports only the version
        own = parts[1]
        assert own in LAYER_OF, f'{module}: the package "{own}" has no layer; add it to LAYERS and the docs'
        for line, target in _imports(path, module):
            target_parts = target.split('.')
            if target_parts[0] != 'adaptcls' or len(target_parts) == 1:
                continue
            other = target_parts[1]
            if other != own and (other not in LAYER_OF or LAYER_OF[other] >= LAYER_OF[own]):
                problems.append(f'{os.path.relpath(path, REPO)}:{line}: {own} -> {other}')
    return problems


def test_every_import_goes_down_the_layers():
    assert layering_violations() == []


def test_the_check_finds_an_upward_import(tmp_path, monkeypatch):
    """The check can fail: a models module importing the engine is reported."""
    fake = tmp_path / 'adaptcls' / 'models'
    fake.mkdir(parents=True)
    (fake / 'bad.py').write_text('def f():\n    from adaptcls.engine import hooks\n')
    monkeypatch.setattr(sys.modules[__name__], 'PACKAGE', str(tmp_path / 'adaptcls'))
    monkeypatch.setattr(sys.modules[__name__], 'REPO', str(tmp_path))
    assert layering_violations() == ['adaptcls/models/bad.py:2: models -> engine']


UNPATCHED_CHECK = '''
import importlib, sys
import torch
from mmengine.logging import HistoryBuffer
from mmengine.registry import DefaultScope
from mmengine.runner.checkpoint import CheckpointLoader
before = (dict(CheckpointLoader._schemes), HistoryBuffer.__dict__.get('__getstate__'), torch.get_default_dtype())
for name in sys.argv[1:]:
    importlib.import_module(name)
after = (dict(CheckpointLoader._schemes), HistoryBuffer.__dict__.get('__getstate__'), torch.get_default_dtype())
assert before == after, 'importing changed mmengine or torch'
assert DefaultScope.get_current_instance() is None, 'importing set a default scope'
'''


@pytest.mark.parametrize('packages', [('adaptcls.models',), ('adaptcls.engine', 'adaptcls.optim', 'adaptcls.datasets',
                                                            'adaptcls.lr_search', 'adaptcls.deployment',
                                                            'adaptcls.apis', 'adaptcls.config')])
def test_importing_adaptcls_leaves_mmengine_unpatched(packages):
    result = subprocess.run([sys.executable, '-c', UNPATCHED_CHECK, *packages], cwd=REPO, capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stderr


def test_the_entry_point_set_up_patches_mmengine():
    """The check above can fail: init_entry_point does change mmengine's checkpoint loading."""
    result = subprocess.run([sys.executable, '-c', UNPATCHED_CHECK.replace(
        'for name in sys.argv[1:]:\n    importlib.import_module(name)',
        'from adaptcls.setup_env import init_entry_point\ninit_entry_point()')], cwd=REPO, capture_output=True,
        text=True)
    assert result.returncode != 0 and 'importing changed mmengine' in result.stderr
