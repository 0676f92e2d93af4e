"""Experiment-tracker logging (TensorBoard, MLflow) through mmengine's visualizer backends: the ``--vis`` option.

mmengine's ``LoggerHook`` sends every logged scalar (``loss``, ``lr``, the validation metrics such as ``top1``) to
each backend of ``cfg.visualizer.vis_backends``. The Runner gives the visualizer the run's log folder
(``WORK_DIR/<timestamp>/``), so a backend writes under ``WORK_DIR/<timestamp>/vis_data/``. The backends import their
package only when they first log, in the middle of training; :func:`add_vis_backends` imports it up front, so a
missing package is one clear error before anything trains.
"""
import importlib
import os.path as osp
from dataclasses import dataclass
from typing import Iterable, Tuple

from mmengine.config import Config

from adaptcls.errors import UserInputError

LOCAL_BACKEND = 'LocalVisBackend'
"""mmengine's backend that writes ``scalars.json``; the Runner's default, kept when others are added."""
MLFLOW_DB_FILE = 'mlflow.db'
"""The MLflow tracking database in the work dir (MLflow 3 refuses the plain-file store unless told otherwise)."""
MLFLOW_ARTIFACT_DIR = 'mlflow_artifacts'
"""Where MLflow keeps each run's artifacts (the config), in the work dir."""


@dataclass(frozen=True)
class VisBackendSpec:
    """What one ``--vis`` name adds and what it needs.

    Args:
        type (str): the mmengine visualizer backend (a ``VISBACKENDS`` type).
        modules (tuple[str]): modules the backend can log with; importing any one of them suffices (mmengine's
            TensorBoard backend takes ``tensorboardX``, else ``torch.utils.tensorboard``).
        package (str): the package the error message names.
        extra (str): the adaptcls extra that installs it (``pip install -e '.[<extra>]'``).
    """

    type: str
    modules: Tuple[str, ...]
    package: str
    extra: str

    @property
    def install_hint(self) -> str:
        """The command that installs the package."""
        return f"pip install -e '.[{self.extra}]'"


VIS_BACKENDS = {
    'tensorboard': VisBackendSpec('TensorboardVisBackend', ('tensorboardX', 'torch.utils.tensorboard'),
                                  'tensorboard', 'tensorboard'),
    'mlflow': VisBackendSpec('MLflowVisBackend', ('mlflow',), 'mlflow', 'mlflow'),
}
"""The ``--vis`` names and their backends."""
VIS_BACKEND_NAMES = tuple(VIS_BACKENDS)
_SPEC_OF_TYPE = {spec.type: spec for spec in VIS_BACKENDS.values()}


def add_vis_backends(cfg: Config, names: Iterable[str]) -> None:
    """Adds the named backends to ``cfg.visualizer.vis_backends`` (the ``--vis`` option) and checks that every
    backend of the list, the config's own included, can import its package.

    The existing backends stay (mmengine's default ``LocalVisBackend`` too, when the config has no
    ``visualizer``); a backend whose type is already listed is not added twice. ``mlflow`` logs to
    ``WORK_DIR/mlflow.db`` (experiment: the work dir's name) with artifacts in ``WORK_DIR/mlflow_artifacts/``; it
    uploads the config, not every file of the work dir (mmengine's default).

    Args:
        cfg (Config): a config with its ``work_dir`` set (``build_config``).
        names (Iterable[str]): names from :data:`VIS_BACKEND_NAMES`; empty only checks the config's backends.

    Raises:
        ValueError: an unknown name, a ``visualizer`` that is not a dict, or a backend whose package cannot be
            imported (the message says what to install).
    """
    names = list(dict.fromkeys(names))  # repeated names count once, in order
    unknown = [name for name in names if name not in VIS_BACKENDS]
    if unknown:
        raise UserInputError(f'--vis: unknown backend {", ".join(map(repr, unknown))}; the known ones are '
                             f'{", ".join(VIS_BACKEND_NAMES)}.')
    for name in names:
        spec = VIS_BACKENDS[name]
        _require(spec, f'--vis {name} needs the {spec.package} package: {spec.install_hint}')
    visualizer = cfg.get('visualizer')
    if visualizer is None:  # what mmengine's Runner builds without one
        cfg.visualizer = dict(type='Visualizer', vis_backends=[dict(type=LOCAL_BACKEND)])
        visualizer = cfg.visualizer  # the config's own copy
    if not isinstance(visualizer, dict):
        raise UserInputError(f'visualizer must be a dict (type=..., vis_backends=[...]) to add --vis backends, got '
                             f'{type(visualizer).__name__}.')
    backends = list(visualizer.get('vis_backends') or [])
    for name in names:
        if VIS_BACKENDS[name].type not in {_type_name(backend) for backend in backends}:
            backends.append(_backend_config(name, cfg.work_dir))
    visualizer['vis_backends'] = backends
    for backend in backends:
        spec = _SPEC_OF_TYPE.get(_type_name(backend))
        if spec is not None:
            _require(spec, f'visualizer.vis_backends has {spec.type}, which needs the {spec.package} package: '
                     f'{spec.install_hint}')


def _backend_config(name: str, work_dir: str) -> dict:
    """The backend entry that ``--vis name`` adds."""
    spec = VIS_BACKENDS[name]
    if name != 'mlflow':
        return dict(type=spec.type)
    work_dir = osp.abspath(work_dir)
    return dict(type=spec.type, exp_name=osp.basename(work_dir),
                tracking_uri=f'sqlite:///{osp.join(work_dir, MLFLOW_DB_FILE)}',
                artifact_location=osp.join(work_dir, MLFLOW_ARTIFACT_DIR),
                artifact_suffix=())  # no suffix: close() uploads no work-dir files (its own artifact copies included)


def _type_name(backend) -> str:
    """A backend entry's class name, without a scope prefix (``mmengine.TensorboardVisBackend``)."""
    found = backend.get('type') if isinstance(backend, dict) else type(backend)
    found = found if isinstance(found, str) else getattr(found, '__name__', '')
    return found.split('.')[-1]


def _require(spec: VisBackendSpec, message: str) -> None:
    """Imports one of ``spec.modules`` or raises ``ValueError(message)`` with the import error appended."""
    errors = []
    for module in spec.modules:
        try:
            importlib.import_module(module)
            return
        except ImportError as error:
            errors.append(f'{module}: {error}')
    raise UserInputError(f'{message} (cannot import {"; ".join(errors)})')
