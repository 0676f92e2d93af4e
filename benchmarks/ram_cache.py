#!/usr/bin/env python
"""RAM cache of decoded images (the datasets' ``cache`` key): one training epoch's data loading, and one epoch of
training of the adaptive recipe, with and without it, side by side.

Three sides (SIDES): ``off`` (no cache); ``decoded`` (``cache.max_mb`` only: the decoded LoadImage output is
cached, every sample bit-identical to an uncached one); ``resized`` (``cache.size='pipeline'``: cached at the
pipeline's Resize size, so the training Resize has nothing left to do for the 70% of samples that RandomCrop
leaves alone; cropped samples are cut from the resized image).

Issue 14's target: the cache cuts the epoch time of the cifar10_6k 64 px adaptive run by >= 25%.

Data loading: the --config's training DataLoader exactly as tools/train.py builds it (``build_config`` with
--data-root and --img-size, then mmengine's ``Runner.build_dataloader``: the AugMix train pipeline, batch size,
``num_workers`` and persistent workers of the config, mmengine's seeded worker_init_fn), iterated for --epochs
epochs with nothing consuming the batches. Each side builds a fresh dataset (a cached side fills its cache, timed)
and loader; the first epoch includes starting the workers, the later ones are the steady epoch time. The sides
take turns (the order rotated by one side each round) so that load drift on a shared machine hits all; the
medians over the rounds are compared. Besides wall time, the workers' CPU seconds per epoch (``/proc/<pid>/stat``)
are summed: steadier on a shared machine. Memory: the cache's MB and fill time, and how each worker holds the
cache's pages (private bytes = copies; shared = the parent's pages).

Training (--train-rounds, 0 skips it): ``tools/train.py --img-size --epochs 1 --no-auto-lr`` on the same data, in
this process, with the side's ``train_dataloader.dataset.cache`` keys, and an ``IterationClock`` hook:
the epoch's iterations after the first (the first waits for the workers to start) and the whole run's wall time
(build, cache fill, the epoch, validation, checkpoints), and its CPU seconds: the main process's and the DataLoader
workers' (``RUSAGE_CHILDREN`` once they have exited), steadier than wall time on a shared machine.

Usage:
    OMP_NUM_THREADS=1 python benchmarks/ram_cache.py               # 5 rounds x 3 epochs, 3 training rounds
    OMP_NUM_THREADS=1 python benchmarks/ram_cache.py --quick       # 2 rounds x 2 epochs, 1 training round, 200 images
    OMP_NUM_THREADS=1 python benchmarks/ram_cache.py --upscale 320 --size 224 --out benchmarks/results/ram_cache_224px.json
Writes benchmarks/results/ram_cache.json.
"""
import argparse
import contextlib
import copy
import gc
import json
import os
import resource
import statistics
import tempfile
import time
from typing import Dict, List, Optional

import torch

from mmengine.logging import MMLogger
from mmengine.runner import Runner

from _repo_path import REPO  # before adaptcls and benchmarks: puts the repository root first on sys.path
from adaptcls.config import build_config
from adaptcls.datasets.image_cache import BYTES_PER_MB
from adaptcls.registry import adaptcls_scope
from adaptcls.setup_env import init_entry_point
from adaptcls.utils import atomic_write_json
from benchmarks.common import bench_datasets
import benchmarks.common.iteration_clock  # noqa: F401  (registers the IterationClock hook)
from benchmarks.common.quick_mode import add_quick_option, apply_quick
from benchmarks.common.run_info import command_line, machine, spread, today
from benchmarks.common.runner_training import CLOCK_FILE, load_train_tool

RESULTS = os.path.join(REPO, 'benchmarks', 'results', 'ram_cache.json')
GOAL_REDUCTION = 0.25
"""Issue 14: the cache must cut the epoch time by at least this fraction."""
SIDES = {'off': None, 'decoded': {}, 'resized': {'size': 'pipeline'}}
"""The compared settings: no cache; the cache at the decoded size (the default, samples bit-identical); the cache
resized to the pipeline's Resize size (``size='pipeline'``). Values: the ``cache`` keys besides ``max_mb``."""
CACHED_SIDES = ('decoded', 'resized')
TRAINING_KEYS = ('iterations_after_first_s', 'iterations_after_first_main_cpu_s', 'run_wall_s', 'run_cpu_s',
                 'run_worker_cpu_s')
"""Figures of a training round compared across the sides."""
QUICK = dict(rounds=2, epochs=2, train_rounds=1, train_per_class=20)
"""--quick rounds, epochs per loader round, training rounds and images per class."""
WORKER_EXIT_S = 10.0
"""Seconds to wait for a finished loader's workers to exit before the next side starts."""
THREADS_NOTE = ('1 torch thread in the main process by default (DataLoader workers always run 1): on the shared '
                '2-core machine 2 threads were 10-50x slower while other jobs ran (benchmarks/train_throughput.py).')
"""Why --threads defaults to 1 (stored with the results)."""


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--config', default='configs/effnet_lite0_adaptive.py', help='recipe (default: %(default)s)')
    parser.add_argument('--data-root', default=None,
                        help='class-folder data set (default: a seeded class-balanced subset of '
                             'shared/data/cifar10_6k, --train-per-class images per class)')
    parser.add_argument('--train-per-class', type=int, default=100, help='default data set (default: %(default)s)')
    parser.add_argument('--upscale', type=int, default=None, metavar='PX',
                        help='use a copy of the data set with every image upscaled to PX x PX and saved as a JPEG '
                             '(quality 90): the decoding cost of photos of that size, e.g. 320 with --size 224')
    parser.add_argument('--size', type=int, default=64, help='input size in px, --img-size (default: %(default)s)')
    parser.add_argument('--max-mb', type=float, default=512.0, help='cache.max_mb of the cached side (default: 512)')
    parser.add_argument('--num-workers', type=int, default=None, help="DataLoader workers (default: the config's)")
    parser.add_argument('--rounds', type=int, default=5, help='alternating loader rounds (default: %(default)s)')
    parser.add_argument('--epochs', type=int, default=3, help='epochs per loader round, >= 2 (default: %(default)s)')
    parser.add_argument('--train-rounds', type=int, default=3,
                        help='alternating one-epoch training rounds; 0 skips training (default: %(default)s)')
    parser.add_argument('--threads', type=int, default=1,
                        help="main-process torch threads; 0 keeps torch's default (default: %(default)s)")
    add_quick_option(parser, QUICK)
    parser.add_argument('--seed', type=int, default=0, help='randomness.seed (default: 0)')
    parser.add_argument('--note', default='', help='a remark stored with the results (e.g. machine load)')
    parser.add_argument('--out', default=RESULTS, help='result JSON (default: %(default)s)')
    args = parser.parse_args()
    apply_quick(args, QUICK)
    if args.epochs < 2:
        parser.error(f'--epochs must be at least 2 (the first one starts the workers), got {args.epochs}')
    return args


def cache_options(args: argparse.Namespace, side: str) -> Dict:
    """``--cfg-options`` of one side: its cache keys, the worker count if given."""
    options = {}
    if SIDES[side] is not None:
        options['train_dataloader.dataset.cache.max_mb'] = args.max_mb
        options.update({f'train_dataloader.dataset.cache.{key}': value for key, value in SIDES[side].items()})
    if args.num_workers is not None:
        options['train_dataloader.num_workers'] = args.num_workers
    return options


def children_cpu_s() -> Dict[int, float]:
    """CPU seconds (user + system) of each child process of this one (the DataLoader workers), from /proc."""
    ticks = os.sysconf('SC_CLK_TCK')
    found = {}
    for entry in os.listdir('/proc'):
        if not entry.isdigit():
            continue
        try:
            with open(f'/proc/{entry}/stat') as stream:
                fields = stream.read().rsplit(')', 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == os.getpid():  # fields after the name: state, ppid, ..., utime (12th), stime (13th)
            found[int(entry)] = (int(fields[11]) + int(fields[12])) / ticks
    return found


def finished_children_cpu_s() -> float:
    """CPU seconds (user + system) of this process's children that have exited and been joined (a training
    run's DataLoader workers, once the run is over)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def wait_for_workers_to_exit() -> None:
    """Waits for this process's children (DataLoader workers) to exit.

    Raises:
        RuntimeError: some are still alive after WORKER_EXIT_S seconds (they would run into the next side).
    """
    deadline = time.perf_counter() + WORKER_EXIT_S
    while children_cpu_s() and time.perf_counter() < deadline:
        time.sleep(0.1)
    if children_cpu_s():
        raise RuntimeError(f'DataLoader workers {sorted(children_cpu_s())} are still alive {WORKER_EXIT_S} s after '
                           'their loader was released; the next side would be measured with them running.')


def loader_round(args: argparse.Namespace, side: str, work_dir: str) -> Dict:
    """Builds the training DataLoader of one side and iterates it for --epochs epochs."""
    with open(os.devnull, 'w') as devnull, contextlib.redirect_stdout(devnull):  # build_config's class-count note
        cfg = build_config(args.config, 'train', cfg_options=cache_options(args, side), data_root=args.data_root,
                           work_dir=work_dir, img_size=args.size, max_epochs=1)
    started = time.perf_counter()
    with adaptcls_scope():
        loader = Runner.build_dataloader(copy.deepcopy(cfg.train_dataloader), seed=cfg.randomness.seed)
    build_s = time.perf_counter() - started
    dataset = loader.dataset
    epochs = []
    for epoch in range(args.epochs):
        if hasattr(loader.sampler, 'set_epoch'):
            loader.sampler.set_epoch(epoch)  # as mmengine's train loop does
        before, wall, cpu = children_cpu_s(), time.perf_counter(), time.process_time()
        images = sum(len(batch['inputs']) for batch in loader)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        after = children_cpu_s()
        epochs.append(dict(wall_s=wall, main_cpu_s=cpu, images=images,
                           worker_cpu_s=sum(after[pid] - before.get(pid, 0.0) for pid in after)))
    workers = sorted(children_cpu_s())
    cache = dataset.image_cache
    row = dict(side=side, build_s=build_s, epochs=epochs, num_workers=loader.num_workers,
               steady_epoch_s=statistics.median(epoch['wall_s'] for epoch in epochs[1:]),
               steady_worker_cpu_s=statistics.median(epoch['worker_cpu_s'] for epoch in epochs[1:]))
    if cache is not None:
        row.update(cache_mb=cache.nbytes / BYTES_PER_MB, cache_images=len(cache), fill_s=cache.fill_s,
                   cached_steps=list(cache.steps), main_residency=cache.page_sharing(),
                   worker_residency=[cache.page_sharing(pid) for pid in workers])
    del loader, dataset, cache
    gc.collect()
    wait_for_workers_to_exit()
    return row


def train_round(args: argparse.Namespace, side: str, work_dir: str) -> Dict:
    """One epoch of tools/train.py on one side; the IterationClock readings and the run's wall time."""
    options = [f'{key}={value}' for key, value in cache_options(args, side).items()]
    argv = [args.config, '--data-root', args.data_root, '--img-size', str(args.size), '--epochs', '1',
            '--no-auto-lr', '--seed', str(args.seed), '--work-dir', work_dir, '--cfg-options', 'log_level=WARNING',
            'default_hooks.iteration_clock.type=IterationClock', *options]
    children_before, cpu_before = finished_children_cpu_s(), time.process_time()
    started = time.perf_counter()
    with open(os.devnull, 'w') as devnull, contextlib.redirect_stdout(devnull):
        load_train_tool().main(argv)
    run_s = time.perf_counter() - started
    main_cpu_s = time.process_time() - cpu_before
    gc.collect()  # the finished Runner sits in reference cycles: collect it (its loaders shut their workers down)
    wait_for_workers_to_exit()  # here, not at a random point of the next run
    worker_cpu_s = finished_children_cpu_s() - children_before
    with open(os.path.join(work_dir, CLOCK_FILE)) as stream:
        clock = json.load(stream)
    with open(os.path.join(work_dir, 'summary.json')) as stream:
        cache_report = json.load(stream).get('image_cache')
    return dict(side=side, run_wall_s=run_s, run_main_cpu_s=main_cpu_s, run_worker_cpu_s=worker_cpu_s,
                run_cpu_s=main_cpu_s + worker_cpu_s, iterations=len(clock['wall_s']),
                iterations_after_first_s=clock['wall_s'][-1] - clock['wall_s'][0],
                iterations_after_first_main_cpu_s=clock['cpu_s'][-1] - clock['cpu_s'][0], image_cache=cache_report)


def alternate(rounds: int, measure) -> List[Dict]:
    """``measure(side, index)`` for every side in every round, the order rotated by one side each round."""
    names, rows = list(SIDES), []
    for index in range(rounds):
        order = names[index % len(names):] + names[:index % len(names)]
        measured = {side: measure(side, index) for side in order}
        rows.append(dict(order=order, **measured))
    return rows


def compare(rows: List[Dict], key: str) -> Dict:
    """Medians over the rounds of ``key`` on each side and, for each cached side, the ratio of its median to the
    uncached one (cached / off), the reduction (1 - ratio) and the per-round ratios."""
    result = {side: spread([row[side][key] for row in rows]) for side in SIDES}
    for side in CACHED_SIDES:
        ratio = result[side]['median'] / result['off']['median']
        result[f'{side}_vs_off'] = dict(ratio_of_medians=ratio, reduction=1 - ratio,
                                        round_ratios=[row[side][key] / row['off'][key] for row in rows],
                                        meets_goal=1 - ratio >= GOAL_REDUCTION)
    return result


def warm_file_cache(data_root: str) -> int:
    """Reads every file under ``data_root`` once, so that neither side pays the disk."""
    total = 0
    for folder, _, files in os.walk(data_root, followlinks=True):
        for name in files:
            with open(os.path.join(folder, name), 'rb') as stream:
                total += len(stream.read())
    return total


def cpu_flags() -> Optional[str]:
    """The CPU flags line of /proc/cpuinfo (what ``lscpu`` lists as Flags)."""
    if not os.path.isfile('/proc/cpuinfo'):
        return None
    with open('/proc/cpuinfo') as stream:
        return next((line.split(':', 1)[1].strip() for line in stream if line.startswith('flags')), None)


def print_summary(loading: Dict, training: Optional[Dict]) -> None:
    rows = [('loading: steady epoch, wall s', loading['steady_epoch_s']),
            ('loading: worker CPU s per epoch', loading['steady_worker_cpu_s'])]
    if training:
        rows += [('training: iterations 2..N, wall s', training['iterations_after_first_s']),
                 ('training: iterations 2..N, main CPU s', training['iterations_after_first_main_cpu_s']),
                 ('training: 1-epoch run, wall s', training['run_wall_s']),
                 ('training: 1-epoch run, main+worker CPU s', training['run_cpu_s']),
                 ('training: 1-epoch run, worker CPU s', training['run_worker_cpu_s'])]
    header = (f'{"measure":36} {"off":>7} {"decoded":>8} {"cut":>6} {"rounds":>11} {"resized":>8} {"cut":>6} '
              f'{"rounds":>11}')
    print('\n' + header + '\n' + '-' * len(header))
    for name, row in rows:
        line = f'{name:36} {row["off"]["median"]:7.2f}'
        for side in CACHED_SIDES:
            versus = row[f'{side}_vs_off']
            line += (f' {row[side]["median"]:8.2f} {versus["reduction"]:6.1%} '
                     f'{min(versus["round_ratios"]):5.2f}-{max(versus["round_ratios"]):.2f}')
        print(line)
    print(f'(medians over rounds; cut = 1 - cached / off, goal >= {GOAL_REDUCTION:.0%}; rounds = range of the '
          'per-round ratios cached / off; decoded = cache at the decoded size, resized = cache.size=\'pipeline\')')
    for side in CACHED_SIDES:
        cache = loading['cache'][side]
        print(f'{side} cache: {cache["images"]} images, {cache["mb"]:.1f} MB, filled in '
              f'{cache["fill_s"]["median"]:.2f} s; steps: {" -> ".join(cache["cached_steps"])}; worker residency of '
              f'the map (bytes, last round): {cache["worker_residency"]}')


def main() -> None:
    args = parse_args()
    os.chdir(REPO)
    init_entry_point()
    MMLogger.get_instance('ram_cache', log_level='WARNING')  # the current logger: quiet builds
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.data_root is None:
        args.data_root = bench_datasets.cifar10_subset(os.path.join(REPO, 'data'), args.train_per_class,
                                                       args.train_per_class)
    if args.upscale:
        args.data_root = bench_datasets.upscaled_jpegs(args.data_root, os.path.join(REPO, 'data'), args.upscale)
    warmed = warm_file_cache(args.data_root)
    with tempfile.TemporaryDirectory() as work_dir:
        def measure_loading(side: str, index: int) -> Dict:
            row = loader_round(args, side, os.path.join(work_dir, f'load_{side}_{index}'))
            print(f'[loading] round {index + 1}/{args.rounds} cache {side}: steady epoch {row["steady_epoch_s"]:.2f} s '
                  f'(first {row["epochs"][0]["wall_s"]:.2f} s), worker CPU {row["steady_worker_cpu_s"]:.2f} s',
                  flush=True)
            return row

        def measure_training(side: str, index: int) -> Dict:
            row = train_round(args, side, os.path.join(work_dir, f'train_{side}_{index}'))
            print(f'[training] round {index + 1}/{args.train_rounds} cache {side}: iterations 2..N '
                  f'{row["iterations_after_first_s"]:.1f} s, run {row["run_wall_s"]:.1f} s', flush=True)
            return row

        loading_rows = alternate(args.rounds, measure_loading)
        training_rows = alternate(args.train_rounds, measure_training) if args.train_rounds else []
    last = loading_rows[-1]
    caches = {side: dict(images=last[side]['cache_images'], mb=last[side]['cache_mb'],
                         fill_s=spread([row[side]['fill_s'] for row in loading_rows]),
                         cached_steps=last[side]['cached_steps'], main_residency=last[side]['main_residency'],
                         worker_residency=last[side]['worker_residency']) for side in CACHED_SIDES}
    loading = dict(steady_epoch_s=compare(loading_rows, 'steady_epoch_s'),
                   steady_worker_cpu_s=compare(loading_rows, 'steady_worker_cpu_s'), cache=caches,
                   rounds=loading_rows)
    training = None
    if training_rows:
        training = {key: compare(training_rows, key) for key in TRAINING_KEYS}
        training['rounds'] = training_rows
    print_summary(loading, training)
    atomic_write_json(args.out, dict(
        command=command_line(), date=today(), machine=machine(), cpu_flags=cpu_flags(), note=args.note,
        goal_reduction=GOAL_REDUCTION,
        settings=dict(config=args.config, data_root=os.path.relpath(args.data_root, REPO), upscale=args.upscale,
                      size=args.size, max_mb=args.max_mb, sides=SIDES, num_workers=last['off']['num_workers'],
                      rounds=args.rounds, epochs_per_round=args.epochs, train_rounds=args.train_rounds, seed=args.seed,
                      torch_threads=torch.get_num_threads(), omp_num_threads=os.environ.get('OMP_NUM_THREADS'),
                      threads_note=THREADS_NOTE, file_cache_warmed_bytes=warmed, quick=args.quick),
        data_loading=loading, training=training))
    print(f'wrote {args.out}')


if __name__ == '__main__':
    main()
