"""``adaptcls explain MODEL IMAGES...``: a saliency map per image, where the model looked for its prediction.

MODEL is a checkpoint (Grad-CAM on the backbone's last feature map, ``adaptcls.apis.saliency``; torchcam) or an
exported OpenVINO IR ``.xml`` (Recipro-CAM added to the IR in memory, OpenVINO and numpy only:
``adaptcls.deployment.runtime.ir_saliency``). For each image it writes ``OUT/<name>_saliency.png`` (the map over the
image the model saw) and ``OUT/<name>_saliency.npy`` (the raw (H, W) map in [0, 1]) and prints the class explained.
docs/explain.md.
"""
import argparse
import os
from typing import List, Optional

DEFAULT_OUT = 'saliency'
"""The output folder when ``--out`` is not given (in the current folder)."""
IR_SUFFIX = '.xml'
"""MODEL names an exported OpenVINO IR when it ends with this; anything else is a checkpoint."""


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Saliency maps of a model\'s predictions, where in each image it looked: Grad-CAM for a '
                    'checkpoint, Recipro-CAM for an exported OpenVINO IR (no PyTorch needed).',
        epilog='Examples: adaptcls explain work_dirs/run/best.pth photos/ --out saliency; '
               'adaptcls explain export/model.xml photos/ --out saliency')
    parser.add_argument('model', help='a checkpoint written by training (its run_config.json beside it gives the '
                        'config; else --config), or an OpenVINO IR (.xml) written by `adaptcls export`')
    parser.add_argument('images', nargs='+', help='image files, folders (searched recursively) or glob patterns')
    parser.add_argument('--config', help='the config the checkpoint was trained with (a Python config runs code: '
                        'only one you trust); default: run_config.json beside the checkpoint; not for an IR')
    parser.add_argument('--class', dest='class_name', metavar='NAME',
                        help='explain this class instead of each image\'s predicted one')
    parser.add_argument('--out', default=DEFAULT_OUT, help='folder for <name>_saliency.png and .npy '
                        '(default: %(default)s)')
    parser.add_argument('--device', default='cpu', help='torch device for a checkpoint, OpenVINO device for an IR '
                        '(case-insensitive; default: %(default)s)')
    return parser.parse_args(argv)


def _checkpoint_explainer(args: argparse.Namespace):
    """The Grad-CAM explainer of a checkpoint and the line that introduces its maps."""
    from adaptcls.apis.classifier import run_config
    from adaptcls.apis.inference import CheckpointClassifier
    from adaptcls.apis.saliency import SaliencyExplainer
    from adaptcls.setup_env import init_entry_point

    init_entry_point()
    classifier = CheckpointClassifier(args.config or run_config(args.model), args.model, device=args.device)
    explainer = SaliencyExplainer(classifier)
    return explainer, f'Grad-CAM on {explainer.target_layer} of {args.model}'


def _ir_explainer(args: argparse.Namespace):
    """The Recipro-CAM explainer of an IR (no torch imported) and the line that introduces its maps."""
    from adaptcls.deployment.runtime.ir_saliency import IRSaliencyExplainer
    from adaptcls.errors import UserInputError

    if args.config:
        raise UserInputError(f'--config is for a checkpoint; the IR {args.model} carries its labels and '
                             'preprocessing. Leave --config out.')
    explainer = IRSaliencyExplainer(args.model, device=args.device.upper())
    height, width = explainer.map_size
    return explainer, f'Recipro-CAM ({height} x {width} feature map) of {args.model}'


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    from adaptcls.deployment.runtime.prediction import expand_image_inputs
    from adaptcls.deployment.runtime.saliency_output import save_explanation

    files = expand_image_inputs(args.images)
    inputs = {os.path.realpath(path) for path in args.images if os.path.isdir(path)}
    if os.path.realpath(args.out) in inputs:
        raise FileExistsError(f'--out "{args.out}" is one of the image folders; give another folder.')
    is_ir = args.model.lower().endswith(IR_SUFFIX)
    explainer, method = (_ir_explainer if is_ir else _checkpoint_explainer)(args)
    os.makedirs(args.out, exist_ok=True)
    print(f'{method}: {len(files)} image(s) -> {args.out}')
    try:
        for path in files:
            explanation = explainer.explain(path, args.class_name)
            png, _ = save_explanation(explanation, args.out)
            asked = '' if args.class_name is None else f' (predicted {explanation.predicted})'
            print(f'{path}: {explanation.label} {explanation.probability:.3f}{asked} -> {png}')
    finally:
        if not is_ir:
            explainer.close()
