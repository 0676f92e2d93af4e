"""The ``adaptcls`` command (installed by ``pip install``): one entry point for every tool.

``adaptcls COMMAND ...`` runs what ``python tools/<tool>.py ...`` runs, with the same options
(``adaptcls COMMAND --help``):

==============  ============================  =====================================================
command         same as                       what it does
==============  ============================  =====================================================
``train``       ``tools/train.py``            train a config (the LR search first for adaptive ones)
``test``        ``tools/test.py``             evaluate a checkpoint on a data set
``lr-search``   ``tools/lr_search.py``        estimate the initial learning rate
``export``      ``tools/deploy.py export``    checkpoint -> ONNX, OpenVINO IR (FP32, INT8)
``predict``     ``tools/deploy.py predict``   classify images with an IR or a checkpoint
``evaluate``    ``tools/deploy.py evaluate``  an IR's accuracy on a class-folder split
``benchmark``   ``tools/deploy.py benchmark`` latency and throughput of each backend
``demo-data``   ``tools/make_demo_data.py``   write the digits demo data set
``configs``     (no script)                   list the recipe configs shipped with the package
``explain``     (no script)                   saliency maps of a checkpoint's or an IR's predictions
``calibrate``   (no script)                   temperature scaling: calibrated probabilities, stored in the checkpoint
``report``      (no script)                   WORK_DIR/report.html: one self-contained page on a run
==============  ============================  =====================================================
"""
import argparse
import importlib
import sys
from typing import Callable, Dict, List, Optional, Tuple

from adaptcls.version import __version__

COMMANDS: Dict[str, Tuple[str, Tuple[str, ...], str]] = {
    'train': ('train', (), 'train a config (the adaptive recipes estimate their initial LR first)'),
    'test': ('test', (), 'evaluate a checkpoint: top-1, top-5, balanced top-1, mAP, class AP, confusion matrix'),
    'lr-search': ('lr_search', (), 'estimate the initial learning rate (LR range test, TPE or grid)'),
    'export': ('deploy', ('export',), 'export a checkpoint to ONNX and OpenVINO IR (FP32, optionally INT8)'),
    'predict': ('deploy', ('predict',), 'classify images (files, folders, globs) with an IR or a checkpoint'),
    'evaluate': ('deploy', ('evaluate',), "an IR's accuracy on a class-per-folder split"),
    'benchmark': ('deploy', ('benchmark',), 'latency and throughput of PyTorch, ONNX Runtime and OpenVINO'),
    'demo-data': ('make_demo_data', (), 'write the digits demo data set as PNG class folders'),
    'configs': ('configs', (), 'list the recipe configs shipped with adaptcls (train any of them by name)'),
    'explain': ('explain', (), "saliency maps of a checkpoint's (Grad-CAM) or an IR's (Recipro-CAM) predictions"),
    'calibrate': ('calibrate', (), 'fit a temperature on the val set (calibrated probabilities) into the checkpoint'),
    'report': ('report', (), 'write WORK_DIR/report.html, one self-contained page on a training run'),
}
"""command -> (module in adaptcls.cli, arguments put before the user's, help)."""


def parse_command(argv: List[str]) -> Tuple[str, List[str]]:
    """Splits ``argv`` into the command and its own arguments (``adaptcls --help`` lists the commands)."""
    parser = argparse.ArgumentParser(
        prog='adaptcls', formatter_class=argparse.RawDescriptionHelpFormatter,
        description='adaptcls: a good, small, fast image classifier for your data set.',
        epilog='commands:\n' + '\n'.join(f'  {name:<11} {help_text}' for name, (_, _, help_text) in COMMANDS.items())
        + '\n\n`adaptcls COMMAND --help` shows the options of each. Example:\n'
        '  adaptcls train configs/effnet_lite0_adaptive.py --data-root my_data')
    parser.add_argument('--version', action='version', version=f'adaptcls {__version__}')
    parser.add_argument('command', choices=tuple(COMMANDS), metavar='COMMAND', help='one of: ' + ', '.join(COMMANDS))
    parser.add_argument('args', nargs=argparse.REMAINDER, help="the command's own arguments")
    parsed = parser.parse_args(argv)
    return parsed.command, parsed.args


def command_main(command: str) -> Tuple[Callable, Tuple[str, ...]]:
    """The ``main`` of ``command``'s module and the arguments it is given first."""
    module_name, prefix, _ = COMMANDS[command]
    return importlib.import_module(f'adaptcls.cli.{module_name}').main, prefix


def main(argv: Optional[List[str]] = None) -> None:
    """The ``adaptcls`` console script."""
    command, args = parse_command(sys.argv[1:] if argv is None else argv)
    from adaptcls.cli.cli_errors import run_cli  # after parsing: `adaptcls --help` imports nothing heavy
    command_function, prefix = command_main(command)
    # usage lines and argparse errors name the command; a tool's subcommand (the prefix) adds its own name
    sys.argv[0] = 'adaptcls' if prefix else f'adaptcls {command}'
    if command == 'demo-data':
        sys.exit(command_function([*prefix, *args]))
    run_cli(lambda: command_function([*prefix, *args]))
