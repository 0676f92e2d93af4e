#!/usr/bin/env python
"""What the report's steps cost next to a plain predict of the same checkpoint on the same validation images.

On a finished run (its work dir is copied first: calibration rewrites the checkpoint), in one process, one after the
other: ``CheckpointClassifier.classify`` over the validation images (what ``adaptcls predict`` runs: the reference),
the error analysis (``analyze_checkpoint``: a pass over the validation and the training images for logits and
embeddings, Grad-CAM overlays of the gallery, the cross-validated label-issue search), the calibration
(``calibrate_checkpoint``: a pass over the validation images and the fit) and ``write_html_report``. Each step's
seconds and its ratio to the predict; ``--threads`` torch threads.

JSON: ``benchmarks/results/report_cost.json``.

Usage:
    python benchmarks/report_cost.py --work-dir work_dirs/demo --data-root data/digits
"""
import argparse
import os
import shutil
import time

from _repo_path import REPO  # before adaptcls and benchmarks: puts the repository root first on sys.path
from adaptcls.utils import atomic_write_json
from benchmarks.common.run_info import command_line, machine, today

RESULTS = os.path.join(REPO, 'benchmarks', 'results', 'report_cost.json')
COPIED = ('best.pth', 'run_config.json', 'summary.json', 'training_curves.png', 'lr_search', 'data_split')
"""What the copy of the run needs (the other checkpoints are not read)."""


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--work-dir', required=True, help='a finished training run (best.pth, run_config.json)')
    parser.add_argument('--data-root', help='its data set (default: the run\'s config\'s)')
    parser.add_argument('--copy-to', default='work_dirs/report_cost', help='where the run is copied (default: '
                        '%(default)s)')
    parser.add_argument('--threads', type=int, default=1, help='torch threads (default: %(default)s)')
    parser.add_argument('--results', default=RESULTS, help='JSON output (default: %(default)s)')
    return parser.parse_args(argv)


def copy_run(source: str, target: str) -> str:
    """Copies what the steps read from ``source`` into a fresh ``target``; returns the copy's best.pth."""
    shutil.rmtree(target, ignore_errors=True)
    os.makedirs(target)
    for name in COPIED:
        path = os.path.join(source, name)
        if os.path.isdir(path):
            shutil.copytree(path, os.path.join(target, name))
        elif os.path.isfile(path):
            shutil.copy2(os.path.realpath(path), os.path.join(target, name))
    return os.path.join(target, 'best.pth')


def main(argv=None) -> None:
    args = parse_args(argv)
    import torch
    torch.set_num_threads(args.threads)
    from adaptcls.apis.calibration import calibrate_checkpoint
    from adaptcls.apis.inference import CheckpointClassifier
    from adaptcls.apis.validation_analysis import analyze_checkpoint
    from adaptcls.cli.html_report import write_html_report
    from adaptcls.setup_env import init_entry_point
    init_entry_point()
    checkpoint = copy_run(args.work_dir, args.copy_to)
    config = os.path.join(args.copy_to, 'run_config.json')
    seconds = {}

    started = time.perf_counter()
    classifier = CheckpointClassifier(config, checkpoint, args.data_root)
    val_root = os.path.join(args.data_root or classifier.loaded.cfg.val_dataloader.dataset.data_root, 'val')
    predictions = classifier.classify([val_root])
    seconds['predict'] = time.perf_counter() - started
    for name, step in (
            ('analysis', lambda: analyze_checkpoint(config, checkpoint, os.path.join(args.copy_to, 'analysis'),
                                                    args.data_root)),
            ('calibration', lambda: calibrate_checkpoint(config, checkpoint, args.data_root)),
            ('html_report', lambda: write_html_report(args.copy_to))):
        started = time.perf_counter()
        step()
        seconds[name] = time.perf_counter() - started
    rows = [dict(step=name, seconds=round(value, 2), ratio_to_predict=round(value / seconds['predict'], 2))
            for name, value in seconds.items()]
    print(f'{len(predictions)} validation images, {args.threads} torch thread(s)')
    for row in rows:
        print(f'{row["step"]:<12} {row["seconds"]:8.2f} s  {row["ratio_to_predict"]:6.2f}x predict')
    atomic_write_json(args.results, dict(command=command_line(), date=today(), machine=machine(),
                                         val_images=len(predictions), threads=args.threads, rows=rows))
    print(f'wrote {args.results}')


if __name__ == '__main__':
    main()
