#!/usr/bin/env python
"""Deployment benchmark: ``tools/deploy.py benchmark`` next to OpenVINO's ``benchmark_app``, and
MobileNetV3-large FP32 vs INT8 latency at 224 px.

Part 1 times an exported IR (FP32 and its INT8 sibling) with our loop and with
``benchmark_app -m model.xml -d CPU -hint latency -t S`` (the thread count goes in through
``-load_config``, because benchmark_app refuses ``-nthreads`` together with a hint), same IR,
batch 1, hint and threads, alternating the two ``--repeats`` times (this machine is shared, so
single runs are noisy), and prints the medians of both and their ratio.

Part 2 builds timm ``mobilenetv3_large_100`` with random weights (latency does not depend on the
weights), exports it at 224 px through the same ONNX -> IR path, quantizes it with NNCF
calibrated on seeded random images (good enough for a speed check, meaningless for accuracy),
and reports the FP32 / INT8 median latency ratio, also with the FP32 IR computed in f32 (CPUs with
BF16 run FP32 IRs in bfloat16 by default).

Usage:
    python benchmarks/deploy.py --export-dir work_dirs/demo/export            # reuse an export
    python benchmarks/deploy.py --config C --checkpoint K --data-root D --export-dir DIR   # export first
    python benchmarks/deploy.py --quick ...    # 1 s per measurement, 1 repeat, 8 calibration images
Writes benchmarks/results/deploy.json.
"""
import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from typing import Dict, List, Optional

import numpy as np

from _repo_path import REPO  # before adaptcls and benchmarks: puts the repository root first on sys.path
from adaptcls.deployment.benchmark.benchmark_runner import BenchmarkSettings, benchmark_backends
from adaptcls.deployment.benchmark.benchmark_targets import BenchmarkTarget, find_targets
from adaptcls.deployment.benchmark.latency_benchmark import TimingOptions
from adaptcls.utils import atomic_write_json
from benchmarks.common.quick_mode import add_quick_option, apply_quick

RESULTS = os.path.join(REPO, 'benchmarks', 'results', 'deploy.json')
PAPER_TABLE5_MS = {'mobilenetv3_small_100': 2.05, 'tf_mobilenetv3_large_075': 2.65,
                   'mobilenetv3_large_100': 2.89, 'efficientnet_b0': 3.01}
"""The paper's CPU latencies (OpenVINO 2021.3, Table 5), for context only (other CPU)."""
_UNIT_MS = {'ms': 1.0, 'us': 1e-3, 's': 1e3}
QUICK = dict(time=1.0, repeats=1, random_calib=8)
"""--quick seconds per measurement, repeats and part 2's calibration images."""


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--export-dir', default='work_dirs/demo/export',
                        help='export folder to reuse, or to export into with --checkpoint (default: %(default)s)')
    parser.add_argument('--config', help='training config (to export first)')
    parser.add_argument('--checkpoint', help='checkpoint to export first (with --config)')
    parser.add_argument('--data-root', help='dataset for the export checks and INT8 calibration')
    parser.add_argument('--threads', type=int, default=os.cpu_count(), help='CPU threads (default: %(default)s)')
    parser.add_argument('--time', type=float, default=5.0, help='seconds per measurement (default: %(default)s)')
    parser.add_argument('--repeats', type=int, default=3,
                        help='alternating runs of ours and benchmark_app per IR; medians are reported '
                             '(default: %(default)s)')
    parser.add_argument('--large-model', default='mobilenetv3_large_100', help='timm model of part 2')
    parser.add_argument('--large-size', type=int, default=224, help='input size of part 2 (default: %(default)s)')
    parser.add_argument('--random-calib', type=int, default=32,
                        help='random images calibrating part 2\'s INT8 model (default: %(default)s)')
    parser.add_argument('--note', default='', help='a remark stored with the results (e.g. machine load)')
    add_quick_option(parser, QUICK)
    parser.add_argument('--out', default=RESULTS, help='result JSON (default: %(default)s)')
    return apply_quick(parser.parse_args(), QUICK)


def run_benchmark_app(xml_path: str, threads: int, seconds: float, hint: str = 'latency',
                      precision_hint: Optional[str] = None) -> Dict[str, float]:
    """Runs OpenVINO's benchmark_app at batch 1; returns its median latency (ms) and throughput."""
    import openvino
    model = openvino.Core().read_model(xml_path)
    shape = [1] + [dim.get_length() for dim in list(model.input().get_partial_shape())[1:]]
    with tempfile.NamedTemporaryFile('w', suffix='.json', delete=False) as config:
        json.dump({'CPU': {'INFERENCE_NUM_THREADS': str(threads)}}, config)
    command = [os.path.join(os.path.dirname(sys.executable), 'benchmark_app'), '-m', xml_path, '-d', 'CPU',
               '-hint', hint, '-load_config', config.name, '-t', str(int(round(seconds))),
               '-shape', str(shape).replace(' ', '')]
    if precision_hint:
        command += ['-infer_precision', precision_hint]
    try:
        output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    finally:
        os.remove(config.name)
    median = re.search(r'Median:\s+([\d.]+)\s+(ms|us|s)\b', output)
    throughput = re.search(r'Throughput:\s+([\d.]+)\s+FPS', output)
    if not (median and throughput):
        raise RuntimeError(f'Cannot parse benchmark_app output:\n{output[-2000:]}')
    return dict(median_ms=float(median.group(1)) * _UNIT_MS[median.group(2)],
                throughput_ips=float(throughput.group(1)), command=' '.join(command))


def _median_of(records: List[Dict], key: str) -> float:
    return float(np.median([record[key] for record in records]))


def compare_with_benchmark_app(targets: List[BenchmarkTarget], settings: BenchmarkSettings,
                               repeats: int) -> List[Dict]:
    """Our latency loop and benchmark_app on each IR target, alternating ``repeats`` times; each
    row reports the median over the repeats (and every repeat's figures)."""
    rows = []
    suffix = f' ({settings.precision_hint})' if settings.precision_hint else ''
    for target in targets:
        ours, theirs = [], []
        for _ in range(repeats):
            ours.append(benchmark_backends([target], settings)[0].to_dict())
            print(f'[benchmark_app] {target.file}', flush=True)
            theirs.append(run_benchmark_app(target.file, settings.threads, settings.timing.duration_s,
                                            settings.hint, settings.precision_hint))
        summary = {side: dict(median_ms=_median_of(runs, 'median_ms'),
                              throughput_ips=_median_of(runs, 'throughput_ips'), runs=runs)
                   for side, runs in (('ours', ours), ('benchmark_app', theirs))}
        ours_row, app_row = summary['ours'], summary['benchmark_app']
        rows.append(dict(name=target.name + suffix, file=target.file, **summary,
                         median_ratio_ours_over_app=ours_row['median_ms'] / app_row['median_ms'],
                         throughput_ratio_ours_over_app=ours_row['throughput_ips'] / app_row['throughput_ips']))
    return rows


def prepare_export(args: argparse.Namespace) -> str:
    """Exports the checkpoint when given; returns the IR to benchmark."""
    if args.checkpoint:
        from adaptcls.deployment.export.exporter import ExportOptions, export_checkpoint
        export_checkpoint(args.config, args.checkpoint, args.export_dir,
                          ExportOptions(int8=True, data_root=args.data_root))
    xml_path = os.path.join(args.export_dir, 'model.xml')
    if not os.path.isfile(xml_path):
        sys.exit(f'error: {xml_path} does not exist. Pass --config/--checkpoint/--data-root to export one, '
                 'or run `make demo` and `python tools/deploy.py export ... --int8 --out DIR` first.')
    return xml_path


def export_large_model(model_name: str, size: int, calibration_count: int, folder: str) -> List[BenchmarkTarget]:
    """Random-weight timm model -> ONNX -> FP32 IR and INT8 IR (random calibration) in ``folder``."""
    from adaptcls.deployment.complexity import torch_complexity
    from adaptcls.deployment.export.int8_quantization import quantize_ir
    from adaptcls.deployment.runtime.ir_metadata import IRMetadata
    from adaptcls.deployment.export.onnx_export import export_onnx
    from adaptcls.deployment.export.openvino_ir import build_ir, save_ir
    from adaptcls.models.classifiers import BackboneHead
    classes = 1000
    module = BackboneHead(dict(type='TimmBackbone', model_name=model_name, pretrained=False),
                          dict(type='LinearClsHead', num_classes=classes, in_channels=1280)).eval()
    print(f'[large model] {model_name} at {size} px: {torch_complexity(module, (size, size))}', flush=True)
    onnx_path = os.path.join(folder, 'model.onnx')
    export_onnx(module, (size, size), onnx_path)
    metadata = IRMetadata(labels=[str(index) for index in range(classes)], input_size=(size, size),
                          mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375])
    model = build_ir(onnx_path, metadata)
    save_ir(model, os.path.join(folder, 'model.xml'))
    images = np.random.default_rng(0).integers(0, 256, (calibration_count, size, size, 3), dtype=np.uint8)
    int8_model = quantize_ir(model, images)
    replace(metadata, precision='INT8').write_to(int8_model)
    save_ir(int8_model, os.path.join(folder, 'model_int8.xml'))
    return find_targets(os.path.join(folder, 'model.xml'))


def print_rows(title: str, rows: List[Dict]) -> None:
    print(f'\n{title}\n{"IR":20} {"ours ms":>9} {"app ms":>9} {"ratio":>6} {"ours img/s":>11} {"app img/s":>10}')
    for row in rows:
        print(f'{row["name"]:20} {row["ours"]["median_ms"]:9.3f} {row["benchmark_app"]["median_ms"]:9.3f} '
              f'{row["median_ratio_ours_over_app"]:6.2f} {row["ours"]["throughput_ips"]:11.1f} '
              f'{row["benchmark_app"]["throughput_ips"]:10.1f}')


def measure_large_model(args: argparse.Namespace, settings: BenchmarkSettings) -> Dict:
    """Part 2: FP32 and INT8 IR of a random-weight model, ours and benchmark_app, plus the FP32 IR
    computed in f32 (this CPU runs FP32 IRs in bf16 by default)."""
    with tempfile.TemporaryDirectory() as folder:
        targets = export_large_model(args.large_model, args.large_size, args.random_calib, folder)
        rows = compare_with_benchmark_app(targets, settings, args.repeats)
        rows += compare_with_benchmark_app(targets[:1], replace(settings, precision_hint='f32'), args.repeats)
    print_rows(f'{args.large_model} at {args.large_size} px (random weights)', rows)
    ours = [row['ours']['median_ms'] for row in rows]
    app = [row['benchmark_app']['median_ms'] for row in rows]
    ratios = dict(fp32_over_int8_median_ours=ours[0] / ours[1],
                  fp32_over_int8_median_benchmark_app=app[0] / app[1],
                  f32_hint_over_int8_median_ours=ours[2] / ours[1],
                  f32_hint_over_int8_median_benchmark_app=app[2] / app[1])
    print('median latency ratios: ' + ', '.join(f'{key} {value:.2f}' for key, value in ratios.items()))
    return dict(model=args.large_model, input_size=args.large_size, weights='random (pretrained=False)',
                int8_calibration=f'{args.random_calib} seeded random images (speed check only)',
                rows=rows, paper_table5_ms=PAPER_TABLE5_MS.get(args.large_model), **ratios)


def main() -> None:
    args = parse_args()
    from adaptcls.setup_env import register_all_modules
    register_all_modules()
    settings = BenchmarkSettings(threads=args.threads, hint='latency', timing=TimingOptions(duration_s=args.time))
    export_rows = compare_with_benchmark_app(find_targets(prepare_export(args)), settings, args.repeats)
    print_rows(f'exported IR ({args.export_dir})', export_rows)
    large_model = measure_large_model(args, settings)
    atomic_write_json(args.out, dict(
        command='python ' + ' '.join(sys.argv), date=time.strftime('%Y-%m-%d %H:%M'),
        host=dict(machine=platform.machine(), cpu_count=os.cpu_count(), python=platform.python_version()),
        note=args.note, settings=dict(threads=args.threads, time_s=args.time, repeats=args.repeats, hint='latency',
                                      batch=1),
        exported_ir=dict(export_dir=os.path.abspath(args.export_dir), rows=export_rows),
        large_model=large_model))
    print(f'wrote {args.out}')


if __name__ == '__main__':
    main()
