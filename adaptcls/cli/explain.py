"""``adaptcls explain CHECKPOINT IMAGES...``: a saliency map per image, where the model looked for its prediction.

Grad-CAM on the backbone's last feature map (``adaptcls.apis.saliency``; torchcam). For each image it writes
``OUT/<name>_saliency.png`` (the map over the image the model saw) and ``OUT/<name>_saliency.npy`` (the raw (H, W)
map in [0, 1]) and prints the class explained. docs/explain.md.
"""
import argparse
import os
from typing import List, Optional

DEFAULT_OUT = 'saliency'
"""The output folder when ``--out`` is not given (in the current folder)."""


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Saliency maps (Grad-CAM) of a checkpoint\'s predictions: where in each image the model looked.',
        epilog='Example: adaptcls explain work_dirs/run/best.pth photos/ --out saliency')
    parser.add_argument('checkpoint', help='a checkpoint written by training (its run_config.json beside it gives the '
                        'config; else --config)')
    parser.add_argument('images', nargs='+', help='image files, folders (searched recursively) or glob patterns')
    parser.add_argument('--config', help='the config the checkpoint was trained with (a Python config runs code: '
                        'only one you trust); default: run_config.json beside the checkpoint')
    parser.add_argument('--class', dest='class_name', metavar='NAME',
                        help='explain this class instead of each image\'s predicted one')
    parser.add_argument('--out', default=DEFAULT_OUT, help='folder for <name>_saliency.png and .npy '
                        '(default: %(default)s)')
    parser.add_argument('--device', default='cpu', help='torch device (default: %(default)s)')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    from adaptcls.apis.classifier import run_config
    from adaptcls.apis.inference import CheckpointClassifier
    from adaptcls.apis.saliency import SaliencyExplainer, save_explanation
    from adaptcls.deployment.runtime.prediction import expand_image_inputs
    from adaptcls.errors import UserInputError
    from adaptcls.setup_env import init_entry_point

    init_entry_point()
    if args.checkpoint.endswith('.xml'):
        raise UserInputError(f'{args.checkpoint}: saliency maps are computed from a checkpoint (Grad-CAM needs '
                             'gradients); give the .pth the IR was exported from.')
    files = expand_image_inputs(args.images)
    inputs = {os.path.realpath(path) for path in args.images if os.path.isdir(path)}
    if os.path.realpath(args.out) in inputs:
        raise FileExistsError(f'--out "{args.out}" is one of the image folders; give another folder.')
    classifier = CheckpointClassifier(args.config or run_config(args.checkpoint), args.checkpoint,
                                      device=args.device)
    explainer = SaliencyExplainer(classifier)
    os.makedirs(args.out, exist_ok=True)
    print(f'Grad-CAM on {explainer.target_layer} of {args.checkpoint}: {len(files)} image(s) -> {args.out}')
    try:
        for path in files:
            explanation = explainer.explain(path, args.class_name)
            png, _ = save_explanation(explanation, args.out)
            asked = '' if args.class_name is None else f' (predicted {explanation.predicted})'
            print(f'{path}: {explanation.label} {explanation.probability:.3f}{asked} -> {png}')
    finally:
        explainer.close()
