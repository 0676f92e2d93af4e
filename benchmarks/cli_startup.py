#!/usr/bin/env python
"""How fast does ``adaptcls --help`` (and each ``adaptcls COMMAND --help``) answer? CPU time over a bare Python.

Each command runs ``--repeats`` times in a fresh interpreter (``python -m adaptcls ... --help``), side by side with
``python -c pass``; the figure is the median CPU time (user + system, of the child process) and wall time, and the
difference to the bare interpreter (the goal: under 1 s of CPU). ``python -X importtime`` of the slowest command
lists its five costliest imports (cumulative microseconds). Results: benchmarks/results/cli_startup.json.

Usage:
    python benchmarks/cli_startup.py [--repeats 5]
    python benchmarks/cli_startup.py --quick     # 1 run per command
"""
import argparse
import os
import resource
import subprocess
import sys
import time
from typing import Dict, List

from _repo_path import REPO  # before adaptcls and benchmarks: puts the repository root first on sys.path
from adaptcls.cli.main import COMMANDS
from adaptcls.utils import atomic_write_json
from benchmarks.common.quick_mode import add_quick_option, apply_quick
from benchmarks.common.run_info import command_line, spread, today

RESULTS = os.path.join(REPO, 'benchmarks', 'results', 'cli_startup.json')
TOP_IMPORTS = 5
"""Costliest imports listed for the slowest command."""
QUICK = dict(repeats=1)
"""--quick runs per command."""


def _timed(argv: List[str]) -> Dict[str, float]:
    """Wall and CPU seconds (the child's user + system) of one run of ``argv``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(argv, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return dict(wall_s=wall, cpu_s=(after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime))


def _measure(argv: List[str], repeats: int) -> Dict[str, Dict]:
    runs = [_timed(argv) for _ in range(repeats)]
    return {key: spread([run[key] for run in runs]) for key in ('wall_s', 'cpu_s')}


def costliest_imports(argv: List[str]) -> List[Dict]:
    """The top-level imports with the largest cumulative time in ``python -X importtime`` of ``argv``."""
    done = subprocess.run([sys.executable, '-X', 'importtime', *argv[1:]], cwd=REPO, capture_output=True,
                          text=True)
    rows = []
    for line in done.stderr.splitlines():
        parts = line.replace('import time:', '').split('|')
        if len(parts) == 3 and parts[1].strip().isdigit() and not parts[2][1:].startswith(' '):  # top level only
            rows.append(dict(module=parts[2].strip(), cumulative_us=int(parts[1])))
    return sorted(rows, key=lambda row: -row['cumulative_us'])[:TOP_IMPORTS]


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--repeats', type=int, default=5, help='runs per command (default: 5)')
    add_quick_option(parser, QUICK)
    parser.add_argument('--results', default=RESULTS, help='JSON output (default: %(default)s)')
    args = apply_quick(parser.parse_args(argv), QUICK)
    bare = _measure([sys.executable, '-c', 'pass'], args.repeats)
    rows = {}
    for command in ('', *COMMANDS):
        line = [sys.executable, '-m', 'adaptcls', *([command] if command else []), '--help']
        figures = _measure(line, args.repeats)
        figures['cpu_over_bare_s'] = figures['cpu_s']['median'] - bare['cpu_s']['median']
        rows[f'adaptcls {command} --help'.replace('  ', ' ')] = figures
        print(f'{"adaptcls " + command + " --help":<32} CPU {figures["cpu_s"]["median"]:.3f} s '
              f'({figures["cpu_over_bare_s"]:+.3f} s over bare Python), wall {figures["wall_s"]["median"]:.3f} s',
              flush=True)
    slowest = max(rows, key=lambda name: rows[name]['cpu_s']['median'])
    top = costliest_imports([sys.executable, '-m', 'adaptcls', *slowest.split()[1:]])
    print(f'bare python -c pass: CPU {bare["cpu_s"]["median"]:.3f} s, wall {bare["wall_s"]["median"]:.3f} s')
    print(f'costliest imports of `{slowest}`: ' + ', '.join(f'{row["module"]} {row["cumulative_us"] / 1e6:.3f} s'
                                                          for row in top))
    atomic_write_json(args.results, dict(command=command_line(), date=today(), repeats=args.repeats,
                                         bare_python=bare, commands=rows, slowest=slowest, costliest_imports=top))
    print(f'wrote {args.results}')


if __name__ == '__main__':
    main()
