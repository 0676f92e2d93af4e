"""``adaptcls calibrate CHECKPOINT``: calibrated probabilities by temperature scaling (Guo et al. 2017).

Fits one temperature T on the checkpoint's validation set (minimum NLL of softmax(logits / T)), stores it in the
checkpoint's ``meta['calibration']`` (``adaptcls export`` then puts softmax(logits / T) into the IR; the ONNX keeps
raw logits), writes ``calibration.json`` and ``reliability_diagram.png`` into ``calibration/`` beside the checkpoint
(or ``--out``) and prints the expected calibration error before and after. docs/explain.md, "Calibration".
"""
import argparse
import os
from typing import List, Optional

# torch, scipy and the models are imported in main(): `--help` answers at once.

AT_BOUND_RTOL = 0.01
"""A fitted T within this relative distance of an end of ``TEMPERATURE_BOUNDS`` gets a note (the fit hit the end)."""


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Calibrate a checkpoint\'s probabilities: fit a temperature on the validation set, store it in the '
                    'checkpoint (the exported IR applies it) and report the expected calibration error.',
        epilog='Example: adaptcls calibrate work_dirs/run/best.pth, then adaptcls export run_config.json best.pth')
    parser.add_argument('checkpoint', help='a checkpoint written by training (updated in place: its meta gets the '
                        'temperature, its weights stay)')
    parser.add_argument('--config', help='the config the checkpoint was trained with (a Python config runs code: '
                        'only one you trust); default: run_config.json beside the checkpoint')
    parser.add_argument('--data-root', help='dataset folder whose val/ split to fit on (default: the config\'s, or the '
                        'validation part of the split recorded beside the checkpoint)')
    parser.add_argument('--out', metavar='DIR', help='folder for calibration.json and reliability_diagram.png '
                        '(default: calibration/ in the checkpoint\'s folder)')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    from adaptcls.apis.calibration import calibrate_checkpoint, calibration_files, default_out_dir
    from adaptcls.apis.classifier import run_config
    from adaptcls.cli.recipes import find_config
    from adaptcls.setup_env import init_entry_point

    init_entry_point()
    _check_checkpoint(args.checkpoint)
    config = find_config(args.config) if args.config else run_config(args.checkpoint)
    out_dir = args.out or default_out_dir(args.checkpoint)
    if os.path.exists(out_dir) and not os.path.isdir(out_dir):
        raise FileExistsError(f'--out "{out_dir}" is a file; give a folder for calibration.json and the diagram.')
    _check_outputs(calibration_files(out_dir), config, args)
    print(f'Calibrating {args.checkpoint} on its validation set (temperature scaling)', flush=True)
    result = calibrate_checkpoint(config, args.checkpoint, args.data_root, out_dir)
    print(f'ECE ({result.bins} bins, {result.images} validation images): {result.ece_before:.4f} before -> '
          f'{result.ece_after:.4f} after temperature scaling, T = {result.temperature:.4f}\n'
          f'NLL: {result.nll_before:.4f} -> {result.nll_after:.4f}; top-1 is unchanged (T divides every logit)')
    _note_bound(result.temperature)
    print(f'T stored in {args.checkpoint} (meta["calibration"]): `adaptcls export` puts softmax(logits / T) into '
          f'the IR\nwrote {", ".join(calibration_files(out_dir))}')


def _check_checkpoint(checkpoint: str) -> None:
    """Refuses a checkpoint that is missing or is an IR, before anything is loaded."""
    from adaptcls.errors import UserInputError
    if checkpoint.endswith('.xml'):
        raise UserInputError(f'{checkpoint}: calibrate the checkpoint (.pth) the IR was exported from, then export '
                             'it again: the temperature is fitted on PyTorch\'s logits and stored in the checkpoint.')
    if not os.path.isfile(checkpoint):
        raise FileNotFoundError(f'Checkpoint file "{checkpoint}" does not exist; check the path.')


def _check_outputs(outputs, config: str, args: argparse.Namespace) -> None:
    """Refuses output files that are the config or the checkpoint, links, or inside a data folder (before any work)."""
    from adaptcls.cli.cli_options import check_output_file
    from adaptcls.config import build_config, iter_datasets
    cfg = build_config(config, 'export', data_root=args.data_root,
                       run_dir=os.path.dirname(os.path.abspath(args.checkpoint)))
    data_roots = sorted({dataset.get('data_root') for dataset in iter_datasets(cfg)} - {None})
    for path in outputs:
        check_output_file(path, '--out', inputs=[config, args.checkpoint], input_folders=data_roots)


def _note_bound(temperature: float) -> None:
    """Prints a note when T ended at an end of the search range: the logits then carry no usable confidence."""
    from adaptcls.evaluation.calibration import TEMPERATURE_BOUNDS
    low, high = TEMPERATURE_BOUNDS
    if temperature <= low * (1 + AT_BOUND_RTOL) or temperature >= high * (1 - AT_BOUND_RTOL):
        print(f'note: T is at the end of the searched range [{low}, {high}]: the validation set is classified (nearly) '
              'perfectly or at chance, so the fit says little; calibrate on a larger or harder validation set.')
