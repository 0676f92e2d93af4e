"""Evaluate a trained checkpoint: ``python tools/test.py CONFIG CHECKPOINT [options]``.

Prints top-1, top-5, class-balanced top-1, the paper's mAP and the mean class AP on the config's test set (the val
folder by default), and writes them as JSON with --out FILE (``--out -``: the JSON on stdout, the log on
stderr, for pipes). --confusion-matrix also writes the confusion matrix as a PNG (and its counts as JSON next to it).
--analyze [DIR] also writes an error analysis (per-class precision/recall/F1, confused pairs, the most confidently wrong
images with Grad-CAM maps) and the suspected label issues of the training and validation sets into DIR
(``adaptcls.apis.validation_analysis``; docs/explain.md).
"""
import argparse
import json
import os.path as osp
from typing import Mapping, Optional, Union

from mmengine.config import Config

from adaptcls.cli.cli_options import JSON_TO_STDOUT, CfgOptionsAction, check_output_file, log_to_stderr
from adaptcls.cli.recipes import find_config
from adaptcls.evaluation.confusion_matrix_report import ANNOTATE_MAX_CLASSES, check_png_path
from adaptcls.evaluation.error_analysis import DEFAULT_GALLERY
from adaptcls.utils import atomic_write_json

# torch, mmengine's Runner and the models are imported where a checkpoint is evaluated: `--help` answers at once.


CONFUSION_MATRIX_PNG = 'confusion_matrix.png'
"""File name of --confusion-matrix without a FILE, in the work dir."""
ANALYSIS_DIR = 'analysis'
"""Folder of --analyze without a DIR, in the work dir."""


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Evaluate an adaptcls checkpoint on a dataset.',
        epilog='Example: python tools/test.py configs/effnet_lite0_adaptive.py '
               'work_dirs/effnet_lite0_adaptive/best_top1_epoch_9.pth --data-root data/digits')
    parser.add_argument('config', help='the config the checkpoint was trained with')
    parser.add_argument('checkpoint', help='checkpoint file (.pth)')
    parser.add_argument('--data-root', help='dataset folder: the test set is its test/ folder, else its val/ (valid/, '
                        'validation/) folder, else the validation part of the split recorded beside the checkpoint')
    parser.add_argument('--out', metavar='FILE.json | -',
                        help='write the metrics to this JSON file; - prints the JSON on stdout '
                        'and the log on stderr')
    parser.add_argument('--img-size', type=int, metavar='N',
                        help="input size in px, as given to train's --img-size (every size of the config's pipelines "
                        'scaled from its own); a checkpoint records its size and is refused at another one')
    parser.add_argument('--work-dir', help='where logs go (default: work_dirs/<config name>/test)')
    parser.add_argument('--confusion-matrix', nargs='?', const=True, metavar='FILE.png',
                        help='also write the confusion matrix as a PNG (rows: true class, colours: row '
                             f'fractions, counts in the cells up to {ANNOTATE_MAX_CLASSES} classes) and its '
                             f'counts as FILE.json (default FILE: <work dir>/{CONFUSION_MATRIX_PNG})')
    parser.add_argument('--analyze', nargs='?', const=True, metavar='DIR',
                        help='also analyse the errors and search the training and validation images for label '
                        'issues; writes analysis.json, predictions.npz (validation logits) and gallery/ (Grad-CAM '
                        f'maps of the most confidently wrong images) into DIR (default: <work dir>/{ANALYSIS_DIR}); '
                        "needs 'adaptcls[explain]'")
    parser.add_argument('--gallery', type=int, metavar='N',
                        help=f'with --analyze: Grad-CAM maps of the N most confidently wrong images (default: '
                        f'{DEFAULT_GALLERY}; 0: none)')
    parser.add_argument('--cfg-options', nargs='+', action=CfgOptionsAction, metavar='KEY=VALUE',
                        help='override config keys, e.g. test_dataloader.batch_size=16')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'], default='none')
    parser.add_argument('--verbose', action='store_true',
                        help="also print mmengine's set-up records (environment, config, hooks); the log file in "
                        'the work dir always has them')
    args = parser.parse_args(argv)
    _check_analysis_options(parser, args)
    args.config = find_config(args.config)  # configs/NAME.py works outside a checkout too
    return args


def main(argv=None) -> None:
    args = parse_args(argv)
    from adaptcls.setup_env import init_entry_point
    from adaptcls.utils.checkpoint_safety import URL_SCHEMES
    init_entry_point()
    for path, what in ((args.config, 'Config'), (args.checkpoint, 'Checkpoint')):
        if what == 'Checkpoint' and path.startswith(URL_SCHEMES):
            continue  # downloaded, then loaded weights-only (adaptcls.utils.checkpoint_safety)
        if not osp.isfile(path):
            raise FileNotFoundError(f'{what} file "{path}" does not exist.')
    if args.out != JSON_TO_STDOUT:
        check_output_file(args.out, inputs=[args.config, args.checkpoint])
    with log_to_stderr(args.out):
        result = evaluate(args)  # mmengine's logger, built in here, writes to stderr under the redirect
    if result is None:  # ranks > 0 of a distributed run
        return
    if args.out != JSON_TO_STDOUT:
        print(metrics_summary(result['metrics']))
    if result.get('analysis'):
        with log_to_stderr(args.out):
            _analyze(args, osp.dirname(result['analysis']))
    if args.out == JSON_TO_STDOUT:
        print(json.dumps(result, indent=2))
        return
    if args.out:
        atomic_write_json(args.out, result)
        print(f'Metrics written to {args.out}')


def evaluate(args: argparse.Namespace) -> Optional[dict]:
    """Tests the checkpoint; returns the result (config, checkpoint, number of images, metrics, skipped images,
    confusion matrix file) on rank 0, None on the other ranks."""
    from adaptcls.config import build_config, load_checked_checkpoint
    from adaptcls.datasets.unreadable_images import SKIPPED_IMAGES_INFO
    from adaptcls.engine.runner import build_runner
    from adaptcls.utils.checkpoint_safety import URL_SCHEMES
    run_dir = None if args.checkpoint.startswith(URL_SCHEMES) else osp.dirname(osp.abspath(args.checkpoint))
    cfg = build_config(args.config, 'test', cfg_options=args.cfg_options, data_root=args.data_root,
                       work_dir=args.work_dir, launcher=args.launcher, run_dir=run_dir,
                       img_size=getattr(args, 'img_size', None))
    confusion_png = _add_confusion_matrix(cfg, args.confusion_matrix, inputs=[args.config, args.checkpoint])
    analysis_dir = _analysis_dir(cfg, getattr(args, 'analyze', None), _gallery(args),
                                 inputs=[args.config, args.checkpoint])
    runner = build_runner(cfg, getattr(args, 'verbose', False))
    load_checked_checkpoint(runner.model, args.checkpoint, runner.test_dataloader.dataset.metainfo['classes'],
                            args.config, cfg.model, cfg)
    metrics = runner.test()
    if runner.rank != 0:
        return None
    result = dict(config=args.config, checkpoint=args.checkpoint, num_images=len(runner.test_dataloader.dataset),
                  metrics={key: float(value) for key, value in metrics.items()})
    if runner.message_hub.get_info(SKIPPED_IMAGES_INFO):  # bad_images='skip' left images out
        result['skipped_images'] = runner.message_hub.get_info(SKIPPED_IMAGES_INFO)
    if confusion_png:
        result['confusion_matrix'] = confusion_png
    if analysis_dir:
        from adaptcls.apis.validation_analysis import ANALYSIS_JSON
        result['analysis'] = osp.join(analysis_dir, ANALYSIS_JSON)
    return result


def metrics_summary(metrics: Mapping[str, float]) -> str:
    """One line of the metrics for a person (``--out`` has them as JSON)."""
    return 'Test: ' + ', '.join(f'{name} {value:.4f}' for name, value in metrics.items())


def _add_confusion_matrix(cfg: Config, out_file: Union[None, bool, str], inputs=()) -> Optional[str]:
    """Appends a ``ConfusionMatrixPlot`` writing ``out_file`` to ``cfg.test_evaluator``.

    Args:
        cfg (Config): the test config (``work_dir`` set).
        out_file (None | bool | str): the --confusion-matrix value: None (not asked for), True
            (asked for without a FILE: ``<work dir>/confusion_matrix.png``) or the PNG path.
        inputs (Sequence[str]): the files the command reads; the PNG may be none of them, nor lie in a data set.

    Returns:
        str | None: the PNG path, or None when no confusion matrix was asked for.
    """
    if out_file is None:
        return None
    if out_file is True:
        out_file = osp.join(cfg.work_dir, CONFUSION_MATRIX_PNG)
    check_png_path(out_file, '--confusion-matrix')
    from adaptcls.config import iter_datasets
    data_roots = {dataset.get('data_root') for dataset in iter_datasets(cfg)} - {None}
    check_output_file(out_file, '--confusion-matrix', inputs=inputs, input_folders=sorted(data_roots))
    entry = dict(type='ConfusionMatrixPlot', out_file=out_file)
    evaluators = cfg.test_evaluator
    cfg.test_evaluator = [*evaluators, entry] if isinstance(evaluators, (list, tuple)) else [evaluators, entry]
    return out_file


def _check_analysis_options(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """--gallery only with --analyze, at least 0; --analyze reads the model as its config file says, so not with
    --img-size or --cfg-options (which the analysis would silently not apply)."""
    if args.gallery is not None and not args.analyze:
        parser.error('--gallery N applies to --analyze; add --analyze [DIR].')
    if args.gallery is not None and args.gallery < 0:
        parser.error(f'--gallery N is a number of images, at least 0; got {args.gallery}.')
    if args.analyze and (args.img_size is not None or args.cfg_options):
        parser.error('--analyze reads the model and the data as the config file says, without --img-size or '
                     '--cfg-options: give the config the training run wrote (run_config.json beside the '
                     'checkpoint holds its input size and overrides) instead.')


def _analysis_dir(cfg: Config, out_dir: Union[None, bool, str], gallery: int, inputs=()) -> Optional[str]:
    """The --analyze folder (``<work dir>/analysis`` without a DIR), refused when it would write among the inputs.

    Args:
        cfg (Config): the test config (``work_dir`` and the data roots set).
        out_dir (None | bool | str): the --analyze value: None (not asked for), True (asked for without a DIR) or
            the folder.
        gallery (int): the --gallery value (0: no Grad-CAM, so torchcam is not needed).
        inputs (Sequence[str]): the files the command reads.

    Returns:
        str | None: the folder, or None when no analysis was asked for.
    """
    if not out_dir:
        return None
    if out_dir is True:
        out_dir = osp.join(cfg.work_dir, ANALYSIS_DIR)
    from adaptcls.apis.validation_analysis import check_analysis_dependencies, check_analysis_dir
    from adaptcls.config import iter_datasets
    check_analysis_dependencies(gallery)
    data_roots = sorted({dataset.get('data_root') for dataset in iter_datasets(cfg)} - {None})
    check_analysis_dir(out_dir, inputs=inputs, input_folders=data_roots, option='--analyze')
    return out_dir


def _analyze(args: argparse.Namespace, out_dir: str) -> None:
    """Runs the analysis of --analyze into ``out_dir`` and prints its summary."""
    from adaptcls.apis.validation_analysis import analysis_summary, analyze_checkpoint
    analysis = analyze_checkpoint(args.config, args.checkpoint, out_dir, data_root=args.data_root,
                                  gallery=_gallery(args))
    print(analysis_summary(analysis, out_dir))


def _gallery(args: argparse.Namespace) -> int:
    """The --gallery value, DEFAULT_GALLERY when not given."""
    gallery = getattr(args, 'gallery', None)
    return DEFAULT_GALLERY if gallery is None else gallery
