"""Where tools/train.py's loop spends time that a plain PyTorch loop does not: cProfile over the
timed iterations, for benchmarks/train_throughput.py --profile."""
import cProfile
import os
from typing import Dict, List

from mmengine.hooks import Hook

from adaptcls.registry import HOOKS

FRAMEWORK_PATHS = (os.sep + 'adaptcls' + os.sep, os.sep + 'mmengine' + os.sep,
                   os.sep + os.path.join('torch', 'utils', 'data') + os.sep, 'in_memory_dataset.py',
                   'iteration_clock.py')
"""Code only the framework side runs: adaptcls, mmengine, PyTorch's DataLoader, the benchmark's dataset and clock.
The rest (timm, torch.nn, autograd and the C++ maths) both loops run."""
PROFILE_FILE = 'iteration_profile.pstats'
"""What :class:`IterationProfiler` writes into the work dir."""


@HOOKS.register_module()
class IterationProfiler(Hook):
    """Profiles (cProfile) the training iterations from ``start_iter`` to the end of the first epoch
    (before the epoch's hooks, e.g. checkpoint saving) and writes the statistics to
    ``<work_dir>/iteration_profile.pstats`` after training.

    Args:
        start_iter (int): first profiled iteration (0-based); use the benchmark's warmup count. Defaults to 1.
    """

    priority = 'HIGHEST'

    def __init__(self, start_iter: int = 1) -> None:
        self.start_iter = start_iter
        self.profiler = cProfile.Profile()

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        if runner.iter == self.start_iter:
            self.profiler.enable()

    def after_train_epoch(self, runner) -> None:
        self.profiler.disable()

    def after_train(self, runner) -> None:
        self.profiler.dump_stats(os.path.join(runner.work_dir, PROFILE_FILE))


def framework_time(stats: Dict, iterations: int, top: int) -> Dict:
    """Own time (cProfile's tottime: excluding callees) of the framework's functions per iteration.

    Args:
        stats (dict): ``pstats.Stats(...).stats``.
        iterations (int): profiled iterations.
        top (int): how many functions to list.

    Returns:
        dict: ``profiled_ms_per_iter`` (everything profiled), ``framework_ms_per_iter`` (own time of
        code in :data:`FRAMEWORK_PATHS`) and ``top`` (``[{'function', 'ms_per_iter', 'calls_per_iter'}]``,
        the framework functions with the most own time).
    """
    rows: List[Dict] = []
    for (filename, line, name), (_, calls, own_s, _, _) in stats.items():
        if any(path in filename for path in FRAMEWORK_PATHS):
            rows.append(dict(function=f'{_short(filename)}:{line}({name})', ms_per_iter=1e3 * own_s / iterations,
                             calls_per_iter=calls / iterations))
    rows.sort(key=lambda row: -row['ms_per_iter'])
    return dict(profiled_ms_per_iter=1e3 * sum(entry[2] for entry in stats.values()) / iterations,
                framework_ms_per_iter=sum(row['ms_per_iter'] for row in rows), top=rows[:top])


def _short(filename: str) -> str:
    """The path from ``site-packages/`` or from the repository root on."""
    marker = 'site-packages' + os.sep
    if marker in filename:
        return filename.split(marker, 1)[1]
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    return os.path.relpath(filename, repo)
