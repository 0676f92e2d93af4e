"""Packaging for adaptcls: runtime, deploy, logging (tensorboard, mlflow) and test requirements live in
requirements/*.txt."""
from pathlib import Path

from setuptools import find_packages, setup

HERE = Path(__file__).parent


def read_requirements(name):
    """Returns the requirement lines of ``requirements/<name>.txt`` (comments and blanks dropped)."""
    lines = (HERE / 'requirements' / f'{name}.txt').read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith('#')]


def read_version():
    """Reads ``__version__`` from adaptcls/version.py without importing the package."""
    namespace = {}
    exec((HERE / 'adaptcls' / 'version.py').read_text(), namespace)
    return namespace['__version__']


deploy = read_requirements('deploy')
tests = read_requirements('tests')
tensorboard = read_requirements('tensorboard')
mlflow = read_requirements('mlflow')
postgres = read_requirements('postgres')
explain = read_requirements('explain')
# `all` is what CI and `make install` install: everything the tests need (the TensorBoard test reads real event
# files, the PostgreSQL tests a real server), not MLflow, which is heavy (its test is skipped without it).
every_tested = deploy + tests + tensorboard + postgres + explain
setup(
    name='adaptcls',
    version=read_version(),
    description='Adaptive, data-agnostic image classification training for embedded targets',
    long_description=(HERE / 'README.md').read_text(encoding='utf-8'),
    long_description_content_type='text/markdown',
    packages=find_packages(include=['adaptcls', 'adaptcls.*']),
    # the recipe configs ship inside the package (adaptcls/configs; configs/ in the repository links to it), so that
    # a wheel runs `adaptcls train DIR` and `adaptcls configs` lists them
    package_data={'adaptcls': ['configs/*.py', 'configs/_base_/*.py', 'configs/_base_/*/*.py']},
    python_requires='>=3.9',
    install_requires=read_requirements('runtime'),
    extras_require={'deploy': deploy, 'tests': tests, 'tensorboard': tensorboard, 'mlflow': mlflow,
                    'postgres': postgres, 'explain': explain, 'all': every_tested},
    entry_points={'console_scripts': ['adaptcls = adaptcls.cli.main:main']},
    license='Apache-2.0',
)
