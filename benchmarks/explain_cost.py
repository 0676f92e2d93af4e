#!/usr/bin/env python
"""What ``adaptcls explain`` costs per image next to ``adaptcls predict`` of the same model on the same images.

For the exported IR (Recipro-CAM added in memory, ``adaptcls.deployment.runtime.ir_saliency``) and for the checkpoint
(Grad-CAM through torchcam, ``adaptcls.apis.saliency``), in one process, side by side and alternating ``--repeats``
times (this machine is shared, so single runs are noisy; the figures are medians):

- predict: ``Classifier.predict`` (what ``adaptcls predict`` runs) one image per call (``--batch 1``) and at its
  default batch of 32: reading, resizing, inference;
- explain: the explainer's ``explain`` per image (reading, resizing, the map), and the same plus writing the overlay
  PNG and the .npy (what ``adaptcls explain`` does per image);
- the ratios explain / predict per image, and the one-off set-up (loading, compiling, inserting the branch).

Both run ``--threads`` inference threads (torch and OpenVINO alike).

Without ``--checkpoint`` it builds a model per ``--sizes`` value first (reused when its files exist): the digits demo
data, the baseline recipe's EfficientNet-Lite0 trained ``--epochs`` at that size (the costs do not depend on how well
it learnt; the map is size / 32 on a side, 4 x 4 at 128 px, 7 x 7 at 224 px), its export. JSON:
``benchmarks/results/explain_cost.json``, one entry per model.

Usage:
    python benchmarks/explain_cost.py [--sizes 128 224] [--images 40] [--repeats 5]
    python benchmarks/explain_cost.py --quick     # one 64 px model, 8 images, 1 round
    python benchmarks/explain_cost.py --checkpoint RUN/best.pth --ir EXPORT/model.xml --image-dir VAL_FOLDER
"""
import argparse
import os
import sys
import tempfile
import time
from types import SimpleNamespace
from typing import Callable, Dict, List, Tuple

from _repo_path import REPO  # before adaptcls and benchmarks: puts the repository root first on sys.path
from adaptcls.utils import atomic_write_json
from benchmarks.common import bench_datasets
from benchmarks.common.logged_run import run_logged
from benchmarks.common.quick_mode import add_quick_option, apply_quick
from benchmarks.common.run_info import command_line, machine, spread, today

RESULTS = os.path.join(REPO, 'benchmarks', 'results', 'explain_cost.json')
DEFAULT_BATCH = 32
"""``adaptcls predict``'s default --batch."""
QUICK = dict(sizes=[64], images=8, repeats=1, build_threads=1)
"""--quick model sizes, images measured, rounds and build threads (a training of 2 threads spin-waits on a 2-core machine
that runs other jobs: 10 s an iteration of the 64 px build here)."""


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--checkpoint', help='a trained checkpoint (run_config.json beside it); default: build one')
    parser.add_argument('--ir', help='the IR exported from --checkpoint (with --checkpoint)')
    parser.add_argument('--image-dir', help='the images to measure on (with --checkpoint)')
    parser.add_argument('--images', type=int, default=40, help='images measured (default: %(default)s)')
    parser.add_argument('--repeats', type=int, default=5, help='alternating rounds (default: %(default)s)')
    parser.add_argument('--threads', type=int, default=1, help='torch and OpenVINO inference threads (default: 1: '
                        'with 2 on this shared 2-core machine, PyTorch at batch 1 ran 10x slower and varied 2x)')
    parser.add_argument('--sizes', type=int, nargs='+', default=[128, 224],
                        help='input sizes of the built models (default: %(default)s)')
    parser.add_argument('--epochs', type=int, default=1, help='training epochs of the built model (default: 1)')
    parser.add_argument('--build-threads', type=int, default=2,
                        help='torch threads of the training and the export that build a model (default: 2)')
    parser.add_argument('--work-dir', default='work_dirs/explain_cost', help='default: %(default)s')
    parser.add_argument('--data-dir', default='data', help='where the digits data is written (default: data)')
    add_quick_option(parser, QUICK)
    parser.add_argument('--results', default=RESULTS, help='JSON output (default: %(default)s)')
    args = apply_quick(parser.parse_args(argv), QUICK)
    if len({args.checkpoint is None, args.ir is None, args.image_dir is None}) > 1:
        parser.error('--checkpoint, --ir and --image-dir go together')
    return args


def build_model(args: argparse.Namespace, size: int) -> Dict[str, str]:
    """Trains and exports the default model (the baseline recipe at ``size`` px) unless its files exist."""
    from benchmarks.recipe_benchmark import RECIPES, benchmark_config
    data = bench_datasets.digits(args.data_dir)
    work_dir = os.path.join(args.work_dir, f'digits_{size}px_{args.epochs}e')
    checkpoint, ir = os.path.join(work_dir, 'train', 'best.pth'), os.path.join(work_dir, 'export', 'model.xml')
    os.makedirs(work_dir, exist_ok=True)
    log = os.path.join(work_dir, 'build.log')
    if not os.path.isfile(checkpoint):
        settings = SimpleNamespace(size=size, workers=0, max_epochs=args.epochs)
        config = os.path.join(work_dir, 'baseline_config.py')
        benchmark_config(RECIPES['baseline'], settings, seed=0, flip=False).dump(config)
        print(f'[{time.strftime("%H:%M:%S")}] training {config} ({args.epochs} epoch(s)); log: {log}', flush=True)
        run_logged([sys.executable, os.path.join(REPO, 'tools', 'train.py'), config, '--data-root', data,
                    '--work-dir', os.path.join(work_dir, 'train'), '--seed', '0'],
                   REPO, log, args.build_threads, 'training')
    if not os.path.isfile(ir):
        print(f'[{time.strftime("%H:%M:%S")}] exporting {checkpoint}', flush=True)
        run_logged([sys.executable, os.path.join(REPO, 'tools', 'deploy.py'), 'export',
                    os.path.join(work_dir, 'train', 'run_config.json'), checkpoint, '--out', os.path.dirname(ir),
                    '--format', 'onnx', 'openvino', '--verify-images', '50', '--data-root', data, '--overwrite'],
                    REPO, log, args.build_threads, 'export')
    return dict(checkpoint=checkpoint, ir=ir, images=os.path.join(data, 'val'))


def _seconds(run: Callable[[], object]) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def _built(make: Callable[[], object]) -> Tuple[object, float]:
    """What ``make`` returns and the seconds it took."""
    start = time.perf_counter()
    made = make()
    return made, time.perf_counter() - start


def measure(name: str, classifier, explainer, files: List[str], out_dir: str, repeats: int) -> Dict:
    """Seconds per image of predict (batch 1 and 32) and explain (without and with its files), alternating."""
    from adaptcls.deployment.runtime.saliency_output import save_explanation
    steps = dict(
        predict_batch_1=lambda: classifier.predict(files, 1, 1),
        predict_batch_32=lambda: classifier.predict(files, 1, DEFAULT_BATCH),
        explain=lambda: [explainer.explain(path) for path in files],
        explain_with_files=lambda: [save_explanation(explainer.explain(path), out_dir) for path in files])
    for step in steps.values():  # warm-up: first calls allocate
        step()
    times = {key: [] for key in steps}
    for round_index in range(repeats):
        for key, step in steps.items():
            times[key].append(_seconds(step) / len(files))
        print(f'[{time.strftime("%H:%M:%S")}] {name} round {round_index + 1}/{repeats}: ' + ', '.join(
            f'{key} {values[-1] * 1e3:.1f} ms' for key, values in times.items()), flush=True)
    per_image = {key: spread(values) for key, values in times.items()}
    medians = {key: value['median'] for key, value in per_image.items()}
    return dict(model=name, seconds_per_image=per_image,
                explain_over_predict_batch_1=medians['explain'] / medians['predict_batch_1'],
                explain_over_predict_batch_32=medians['explain'] / medians['predict_batch_32'],
                explain_with_files_over_predict_batch_1=medians['explain_with_files'] / medians['predict_batch_1'])


def measure_model(model: Dict[str, str], args: argparse.Namespace) -> Dict:
    """The figures of one checkpoint and its IR (see the module docstring), printed as a table."""
    from adaptcls.apis import Classifier
    from adaptcls.apis.classifier import run_config
    from adaptcls.apis.inference import CheckpointClassifier
    from adaptcls.apis.saliency import SaliencyExplainer
    from adaptcls.deployment.runtime.ir_saliency import IRSaliencyExplainer
    from adaptcls.deployment.runtime.prediction import expand_image_inputs
    everything = expand_image_inputs([model['images']])
    files = everything[::max(1, len(everything) // args.images)][:args.images]  # spread over the classes
    threads = {'INFERENCE_NUM_THREADS': args.threads}
    ir_classifier, ir_setup = _built(lambda: Classifier.from_ir(model['ir'], config=threads))
    ir_explainer, ir_explain_setup = _built(lambda: IRSaliencyExplainer(model['ir'], config=threads))
    checkpoint_classifier, checkpoint_setup = _built(lambda: Classifier.from_checkpoint(model['checkpoint']))
    checkpoint_explainer, checkpoint_explain_setup = _built(lambda: SaliencyExplainer(
        CheckpointClassifier(run_config(model['checkpoint']), model['checkpoint'])))
    setup = dict(predict_ir=ir_setup, explain_ir=ir_explain_setup, predict_checkpoint=checkpoint_setup,
                 explain_checkpoint=checkpoint_explain_setup)
    with tempfile.TemporaryDirectory() as out_dir:
        rows = [measure('IR (Recipro-CAM)', ir_classifier, ir_explainer, files, out_dir, args.repeats),
                measure('checkpoint (Grad-CAM)', checkpoint_classifier, checkpoint_explainer, files, out_dir,
                        args.repeats)]
    checkpoint_explainer.close()
    height, width = ir_explainer.map_size
    print(f'\n{model["ir"]}: {len(files)} images, {args.repeats} rounds, ms per image (median); IR map {height} x '
          f'{width}')
    print(f'{"model":22} {"predict b1":>10} {"predict b32":>11} {"explain":>8} {"+ files":>8} '
          f'{"explain/b1":>10} {"explain/b32":>11} {"+files/b1":>9}')
    for row in rows:
        ms = {key: value['median'] * 1e3 for key, value in row['seconds_per_image'].items()}
        print(f'{row["model"]:22} {ms["predict_batch_1"]:10.1f} {ms["predict_batch_32"]:11.1f} {ms["explain"]:8.1f} '
              f'{ms["explain_with_files"]:8.1f} {row["explain_over_predict_batch_1"]:10.2f} '
              f'{row["explain_over_predict_batch_32"]:11.2f} {row["explain_with_files_over_predict_batch_1"]:9.2f}')
    print('set-up s: ' + ', '.join(f'{key} {value:.2f}' for key, value in setup.items()) + '\n', flush=True)
    return dict(model=model, images=len(files), ir_map_size=[height, width], setup_seconds=setup, rows=rows)


def main(argv=None) -> None:
    args = parse_args(argv)
    from adaptcls.setup_env import init_entry_point
    init_entry_point()
    import torch
    torch.set_num_threads(args.threads)
    models = ([dict(checkpoint=args.checkpoint, ir=args.ir, images=args.image_dir)] if args.checkpoint
              else [build_model(args, size) for size in args.sizes])
    results = dict(command=command_line(), date=today(), machine=machine(), repeats=args.repeats,
                   threads=args.threads, models=[])
    for model in models:
        results['models'].append(measure_model(model, args))
        atomic_write_json(args.results, results)
    print(f'wrote {args.results}')


if __name__ == '__main__':
    main()
