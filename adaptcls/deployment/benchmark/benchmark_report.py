"""The benchmark's table, ``benchmark.json`` and bar chart."""
import os
import platform
from typing import Dict, List

from adaptcls.utils import atomic_write_json
from adaptcls.utils.plots import headless_pyplot, save_figure
from .latency_benchmark import BackendResult

BENCHMARK_JSON = 'benchmark.json'
BENCHMARK_PNG = 'benchmark.png'
COLUMNS = (('backend', 16), ('precision', 9), ('median ms', 10), ('p90 ms', 10), ('images/s', 10), ('runs', 7))


def format_table(results: List[BackendResult]) -> str:
    """A plain-text table: one row per backend."""
    header = ' '.join(title.ljust(width) for title, width in COLUMNS)
    rows = [header, '-' * len(header)]
    for result in results:
        cells = (result.name, result.precision, f'{result.median_ms:.3f}', f'{result.p90_ms:.3f}',
                 f'{result.throughput_ips:.1f}', str(result.runs))
        rows.append(' '.join(cell.ljust(width) for cell, (_, width) in zip(cells, COLUMNS)))
    return '\n'.join(rows)


def benchmark_summary(results: List[BackendResult], settings, complexity: Dict) -> Dict:
    """The content of benchmark.json."""
    return dict(
        settings=dict(device=settings.device, batch=settings.batch, threads=settings.threads,
                      hint=settings.hint, time_s=settings.timing.duration_s,
                      warmup_runs=settings.timing.warmup_runs, warmup_s=settings.timing.warmup_s),
        host=dict(machine=platform.machine(), processor=platform.processor() or platform.machine(),
                  cpu_count=os.cpu_count(), python=platform.python_version()),
        model=complexity,
        backends=[result.to_dict() for result in results],
    )


def plot_benchmark(results: List[BackendResult], out_file: str, title: str = '') -> None:
    """Bars of median latency (with p90 marks) and of throughput, one bar per backend."""
    plt = headless_pyplot()
    names = [result.name for result in results]
    figure, (latency_axis, throughput_axis) = plt.subplots(1, 2, figsize=(11, 3.8))
    positions = range(len(results))
    latency_axis.bar(positions, [result.median_ms for result in results], color='tab:blue', label='median')
    latency_axis.scatter(positions, [result.p90_ms for result in results], color='black', marker='_',
                         s=400, label='p90', zorder=3)
    latency_axis.set(title='latency per batch', ylabel='ms')
    latency_axis.legend()
    throughput_axis.bar(positions, [result.throughput_ips for result in results], color='tab:green')
    throughput_axis.set(title='throughput', ylabel='images/s')
    for axis in (latency_axis, throughput_axis):
        axis.set_xticks(list(positions), names, rotation=15)
        axis.grid(alpha=0.3, axis='y')
    figure.suptitle(title)
    save_figure(figure, out_file)


def write_benchmark(out_dir: str, results: List[BackendResult], settings, complexity: Dict) -> Dict:
    """Writes benchmark.json and benchmark.png into ``out_dir``; returns the JSON content."""
    summary = benchmark_summary(results, settings, complexity)
    atomic_write_json(os.path.join(out_dir, BENCHMARK_JSON), summary)
    title = (f'{settings.device}, batch {settings.batch}, {settings.threads} threads, '
             f'{settings.hint} hint; {complexity["gmacs"]:.3g} GMACs')
    plot_benchmark(results, os.path.join(out_dir, BENCHMARK_PNG), title)
    return summary
