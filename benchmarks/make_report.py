#!/usr/bin/env python
"""Writes benchmarks/results/REPORT.md (and bar charts beside it) from the JSON files in benchmarks/results/.

One section per benchmark: the command that produced it, its date and machine, and its table. A benchmark
whose JSON is missing is listed as "not run yet" with the command that runs it; a JSON file no section knows
is listed with its command, date and machine. A JSON that lacks a key its table needs is reported in its
section and on stderr, and the script exits with status 1 after writing the report.

Usage:
    python benchmarks/make_report.py                 # after the benchmarks (make bench runs it last)
    python benchmarks/make_report.py --results-dir work_dirs/bench_quick    # the report of `make bench QUICK=1`
"""
import argparse
import glob
import json
import os
import sys
from typing import Callable, Dict, List, NamedTuple, Optional, Sequence

from _repo_path import REPO  # before adaptcls and benchmarks: puts the repository root first on sys.path
from adaptcls.utils import atomic_write_text
from benchmarks.report.charts import write_charts
from benchmarks.report.tables import (data_pipeline_table, deploy_table, lr_search_table,
                                      recipe_benchmark_table, train_throughput_table)

RESULTS_DIR = os.path.join(REPO, 'benchmarks', 'results')
NOT_RECORDED = 'not recorded'


class Section(NamedTuple):
    """One benchmark of the report.

    Attributes:
        name (str): the JSON file name without ``.json``.
        title (str): the section heading.
        command (str): the command that (re)creates the JSON (as ``make bench`` runs it, see the Makefile).
        table (Callable[[dict], list[str]]): renders the JSON as markdown lines.
    """

    name: str
    title: str
    command: str
    table: Callable[[Dict], List[str]]


SECTIONS = (
    Section('train_throughput', 'Training throughput: adaptcls vs a plain PyTorch loop',
            'python benchmarks/train_throughput.py --profile', train_throughput_table),
    Section('data_pipeline', 'Data pipeline throughput and the model step',
            'python benchmarks/data_pipeline.py --data-root data/digits', data_pipeline_table),
    Section('recipe_benchmark', 'Recipes on real data: adaptive vs the cosine baseline vs timm defaults',
            'python benchmarks/recipe_benchmark.py', recipe_benchmark_table),
    Section('lr_search', 'Initial learning-rate search',
            'python benchmarks/lr_search.py --quick --data-root data/digits', lr_search_table),
    Section('deploy', 'Deployment latency',
            'python benchmarks/deploy.py --config configs/effnet_lite0_adaptive_demo.py --data-root data/digits '
            '--checkpoint work_dirs/demo/best.pth --export-dir work_dirs/demo/export', deploy_table),
)


def run_info(data: Dict) -> List[str]:
    """The command (or the ``commands`` of a file that joins several runs), date, machine (and note) lines of a
    benchmark JSON; absent ones say "not recorded"."""
    machine = data.get('machine', data.get('host'))
    if isinstance(machine, dict):
        machine = ', '.join(f'{key} {value}' for key, value in machine.items())
    commands = data.get('commands') or ([data['command']] if data.get('command') else [])
    lines = [f'- Command: `{command}`' for command in commands] or [f'- Command: {NOT_RECORDED}']
    lines += [f'- Date: {data.get("date") or NOT_RECORDED}', f'- Machine: {machine or NOT_RECORDED}']
    if data.get('note'):
        lines.append(f'- Note: {data["note"]}')
    return lines


def render_section(section: Section, path: str, errors: List[str]) -> List[str]:
    """The markdown of one section; a JSON whose table cannot be built adds to ``errors``."""
    lines = [f'## {section.title}', '']
    if not os.path.isfile(path):
        return lines + [f'Not run yet: `{section.command}` writes `{os.path.basename(path)}`.', '']
    with open(path) as stream:
        data = json.load(stream)
    lines += run_info(data) + ['']
    try:
        lines += section.table(data)
    except (KeyError, TypeError, IndexError, AttributeError) as err:
        message = (f'{path}: cannot build the table ({type(err).__name__}: {err}); the file lacks a key '
                   f'this report reads (written by an older script?). Re-run `{section.command}`.')
        errors.append(message)
        lines.append(f'**Error**: {message}')
    return lines + ['']


def render_extra(path: str) -> List[str]:
    """A JSON file no section knows: its name and run information."""
    with open(path) as stream:
        data = json.load(stream)
    info = run_info(data) if isinstance(data, dict) else []
    return [f'## {os.path.basename(path)}', '', *info, '', 'No table for this file in benchmarks/make_report.py.', '']


def shown_path(folder: str) -> str:
    """``folder`` relative to the repository when it lies inside it (``benchmarks/results``), else absolute."""
    folder = os.path.abspath(folder)
    return os.path.relpath(folder, REPO) if folder.startswith(REPO + os.sep) else folder


def build_report(results_dir: str, sections: Sequence[Section] = SECTIONS,
                 charts: Optional[Sequence[str]] = ()) -> Dict:
    """The report's markdown and the errors met while building it.

    Args:
        results_dir (str): the folder of the JSON files.
        sections (Sequence[Section]): the known benchmarks, in report order. Defaults to SECTIONS.
        charts (Sequence[str]): PNG file names (in ``results_dir``) to show at the top. Defaults to ().

    Returns:
        dict: ``markdown`` (str) and ``errors`` (list[str]).
    """
    errors: List[str] = []
    lines = ['# adaptcls benchmark report', '',
             f'Generated by `python benchmarks/make_report.py` from the JSON files in `{shown_path(results_dir)}/` '
             '(`make bench` runs every benchmark and then this script). Figures are measurements on the machine '
             'named in each section; a shared machine makes timings noisy, so each section says how it coped.', '']
    lines += [f'![{name}]({name})' for name in charts or ()] + ([''] if charts else [])
    for section in sections:
        lines += render_section(section, os.path.join(results_dir, f'{section.name}.json'), errors)
    known = {f'{section.name}.json' for section in sections}
    for path in sorted(glob.glob(os.path.join(results_dir, '*.json'))):
        if os.path.basename(path) not in known:
            lines += render_extra(path)
    return dict(markdown='\n'.join(lines).rstrip('\n') + '\n', errors=errors)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--results-dir', default=RESULTS_DIR, help='JSON folder; REPORT.md goes there too')
    args = parser.parse_args()
    charts = write_charts(args.results_dir)
    report = build_report(args.results_dir, charts=charts['written'])
    out_file = os.path.join(args.results_dir, 'REPORT.md')
    atomic_write_text(out_file, report['markdown'])
    print(f'wrote {out_file}' + ''.join(f' and {name}' for name in charts['written']))
    errors = report['errors'] + charts['errors']
    for message in errors:
        print(f'error: {message}', file=sys.stderr)
    if errors:
        sys.exit(1)


if __name__ == '__main__':
    main()
