"""Deploy a trained classifier: ``python tools/deploy.py {export,benchmark,predict,evaluate} ...``.

- export: checkpoint -> model.onnx, model.xml/.bin (u8 RGB NHWC in, probabilities out, labels and
  preprocessing in rt_info), optionally model_int8.xml/.bin (NNCF), and export.json with the checks.
- benchmark: PyTorch eager / ONNX Runtime / OpenVINO latency and throughput -> benchmark.json/.png.
- predict: top-k labels of image files with an IR (OpenVINO, numpy and Pillow only).
- evaluate: top-1/top-5/mAP of an IR on a class-per-folder split (optionally a confusion matrix PNG).
See docs/deployment.md.
"""
import argparse
import glob
import json
import os

from adaptcls.errors import UserInputError
from adaptcls.cli.cli_options import JSON_TO_STDOUT, check_output_file, log_to_stderr
from adaptcls.deployment.runtime.prediction import FORMAT_ALIASES, OUTPUT_FORMATS, Prediction

PRECISION_HINTS = ('f32', 'bf16', 'f16')


def _add_export(commands) -> None:
    parser = commands.add_parser('export', help='export a checkpoint to ONNX and OpenVINO IR',
                                 description='Export a checkpoint to ONNX and an OpenVINO IR, verified '
                                             'against PyTorch on real validation images.')
    parser.add_argument('config', help='the config the checkpoint was trained with')
    parser.add_argument('checkpoint', help='checkpoint file (.pth)')
    parser.add_argument('--out', required=True, help='output folder')
    parser.add_argument('--format', nargs='+', default=['onnx', 'openvino'], choices=['onnx', 'openvino'],
                        help='what to write (default: both)')
    parser.add_argument('--int8', action='store_true', help='also write an NNCF INT8 IR (model_int8.xml)')
    parser.add_argument('--calib', type=int, default=300,
                        help='training images for INT8 calibration (default: %(default)s)')
    parser.add_argument('--calib-seed', type=int, default=0, help='seed of the calibration subset')
    parser.add_argument('--input-size', type=int, nargs=2, metavar=('H', 'W'),
                        help='input size (default: the test pipeline\'s Resize)')
    parser.add_argument('--data-root', help='dataset folder with train/ and val/ (default: the config\'s)')
    parser.add_argument('--verify-images', type=int, default=500,
                        help='validation images for the ONNX/IR checks (default: %(default)s)')
    parser.add_argument('--overwrite', action='store_true',
                        help='replace an export of another checkpoint in --out (refused without it)')


def _add_benchmark(commands) -> None:
    parser = commands.add_parser('benchmark', help='latency and throughput of each backend',
                                 description='Time PyTorch eager, ONNX Runtime and OpenVINO with the same '
                                             'warm-up, loop and thread count.')
    parser.add_argument('model', help='a checkpoint (with --config), an .onnx file, an .xml IR (its '
                                      'model_int8.xml sibling too) or an export folder (all backends)')
    parser.add_argument('--config', help='training config (needed for a checkpoint)')
    parser.add_argument('--device', default='CPU', help='OpenVINO device (default: %(default)s)')
    parser.add_argument('--batch', type=int, default=1, help='images per call (default: %(default)s)')
    parser.add_argument('--threads', type=int, default=os.cpu_count(),
                        help='CPU threads for every backend (default: all cores, %(default)s)')
    parser.add_argument('--hint', choices=['latency', 'throughput'], default='latency',
                        help='OpenVINO performance hint (default: %(default)s)')
    parser.add_argument('--time', type=float, default=10.0,
                        help='seconds of timed runs per backend (default: %(default)s)')
    parser.add_argument('--precision-hint', choices=PRECISION_HINTS,
                        help='OpenVINO INFERENCE_PRECISION_HINT (default: the device\'s)')
    parser.add_argument('--warmup-runs', type=int, default=10,
                        help='minimum warm-up runs per backend (default: %(default)s)')
    parser.add_argument('--warmup-time', type=float, default=1.0,
                        help='minimum warm-up seconds per backend (default: %(default)s)')
    parser.add_argument('--input-size', type=int, nargs=2, metavar=('H', 'W'),
                        help='input size for a checkpoint (default: the test pipeline\'s Resize)')
    parser.add_argument('--out', help='folder for benchmark.json and benchmark.png '
                                      '(default: the export folder, or the model\'s folder)')


def _add_predict(commands) -> None:
    parser = commands.add_parser('predict', help='top-k labels of images with an IR or a checkpoint')
    parser.add_argument('model', help='OpenVINO IR (.xml) written by export, or a checkpoint (.pth: classified in '
                        'PyTorch with its config\'s test pipeline)')
    parser.add_argument('images', nargs='+', help='image files, folders (searched recursively) or glob patterns '
                        "(quote them: 'photos/*.jpg')")
    parser.add_argument('--config', help='the config a .pth checkpoint was trained with (default: run_config.json '
                        'beside it, the run\'s resolved config read as data; a Python config runs code when read: '
                        'pass only one you trust)')
    parser.add_argument('--topk', type=int, default=5, help='labels per image (default: %(default)s)')
    parser.add_argument('--batch', type=int, default=32, help='images per inference call (default: %(default)s)')
    parser.add_argument('--format', choices=OUTPUT_FORMATS + tuple(FORMAT_ALIASES), default='table',
                        help='table (a line per image), json or csv (default: %(default)s); table and csv are '
                        'printed batch by batch')
    parser.add_argument('--out', help='write the predictions to this file instead of printing them')
    parser.add_argument('--device', default='CPU', help='OpenVINO device (default: %(default)s); for a checkpoint '
                        'the torch device (cpu, cuda)')


def _add_evaluate(commands) -> None:
    parser = commands.add_parser('evaluate', help='accuracy of an IR on a class-per-folder split')
    parser.add_argument('model', help='OpenVINO IR (.xml) written by export')
    parser.add_argument('--data-root', required=True, help='dataset folder holding <split>/<class>/')
    parser.add_argument('--split', help='sub-folder to evaluate (default: the first of test, val, valid, validation '
                        'that exists)')
    parser.add_argument('--device', default='CPU', help='OpenVINO device (default: %(default)s)')
    parser.add_argument('--precision-hint', choices=PRECISION_HINTS,
                        help='OpenVINO INFERENCE_PRECISION_HINT (default: the device\'s; CPUs with BF16 '
                             'run FP32 IRs in bf16)')
    parser.add_argument('--out', metavar='FILE.json | -',
                        help='also write the metrics to this JSON file (-: the JSON on stdout, the log on stderr)')
    parser.add_argument('--confusion-matrix', nargs='?', const=True, metavar='FILE.png',
                        help='also write the confusion matrix as a PNG (rows: true class, colours: row '
                             'fractions) and its counts as FILE.json (default FILE: '
                             '<IR name>_confusion_matrix.png beside the IR)')


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog='Example: python tools/deploy.py export configs/effnet_lite0_demo.py '
               'work_dirs/demo/best_top1_epoch_10.pth --out work_dirs/demo/export --int8')
    commands = parser.add_subparsers(dest='command', required=True)
    for add in (_add_export, _add_benchmark, _add_predict, _add_evaluate):
        add(commands)
    return parser.parse_args(argv)


def export(args: argparse.Namespace) -> None:
    from adaptcls.deployment.export.exporter import ExportOptions, export_checkpoint
    options = ExportOptions(formats=args.format, int8=args.int8, calibration_images=args.calib,
                            calibration_seed=args.calib_seed, input_size=args.input_size,
                            data_root=args.data_root, verify_images=args.verify_images, overwrite=args.overwrite)
    summary = export_checkpoint(args.config, args.checkpoint, args.out, options)
    print('\n'.join(export_lines(summary, args.out)))


def export_lines(summary: dict, out_dir: str) -> list:
    """A few lines for a person about an export (export.json has every figure)."""
    lines = [f'Exported to {out_dir}: {", ".join(summary["files"])}']
    for name, check in summary['verification'].items():
        lines.append(f'  {name} vs PyTorch on {check["images"]} validation images: top-1 agreement '
                     f'{check["top1_agreement"]:.4f}, max abs difference {check["max_abs_diff"]:.3g}')
    int8 = summary.get('int8')
    if int8:
        lines.append(f'  val top-1 ({int8["val_images"]} images): FP32 IR {int8["fp32_top1"]:.4f}, INT8 IR '
                     f'{int8["int8_top1"]:.4f}')
    complexity = summary['complexity']
    lines.append(f'  {complexity["params"]:,} parameters, {complexity["gmacs"]:.4f} GMACs; every figure: '
                 f'{os.path.join(out_dir, "export.json")}')
    return lines


def benchmark(args: argparse.Namespace) -> None:
    from adaptcls.deployment.benchmark.benchmark_report import format_table, write_benchmark
    from adaptcls.deployment.benchmark.benchmark_runner import BenchmarkSettings, benchmark_backends, model_complexity
    from adaptcls.deployment.benchmark.benchmark_targets import find_targets
    from adaptcls.deployment.benchmark.latency_benchmark import TimingOptions
    targets = find_targets(args.model, args.config)
    timing = TimingOptions(duration_s=args.time, warmup_runs=args.warmup_runs, warmup_s=args.warmup_time)
    settings = BenchmarkSettings(device=args.device, batch=args.batch, threads=args.threads, hint=args.hint,
                                 input_size=args.input_size, precision_hint=args.precision_hint, timing=timing)
    results = benchmark_backends(targets, settings)
    complexity = model_complexity(targets, settings)
    out_dir = args.out or (args.model if os.path.isdir(args.model) else os.path.dirname(args.model) or '.')
    os.makedirs(out_dir, exist_ok=True)
    write_benchmark(out_dir, results, settings, complexity)
    print(f'\n{format_table(results)}\n{complexity["params"]:,} parameters, {complexity["gmacs"]:.4f} GMACs '
          f'(multiply-accumulates; {complexity["method"]})\nwrote {out_dir}/benchmark.json and benchmark.png')


def predict(args: argparse.Namespace) -> None:
    """Classifies every image of the inputs in batches; an unreadable file gets its error line and the rest go on
    (then exit status 2 at the end, with one error line counting them). Table and CSV output to the console is
    printed batch by batch."""
    from adaptcls.apis import Classifier
    from adaptcls.deployment.runtime.prediction import format_predictions
    from adaptcls.image_decoding import IMAGE_EXTENSIONS
    from adaptcls.utils import atomic_write_text
    folders = [path for path in args.images if os.path.isdir(path)]
    files = [match for pattern in args.images if not os.path.isdir(pattern) for match in glob.glob(pattern)]
    check_output_file(args.out, inputs=[args.model, args.config, *files], input_folders=folders)
    if args.model.endswith('.pth'):
        classifier = Classifier.from_checkpoint(args.model, args.config, device=args.device.lower())
    else:
        classifier = Classifier.from_ir(args.model, args.device)
    stream = not args.out and args.format != 'json'  # a JSON list, or a file written atomically, needs them all
    predictions = []
    for index, prediction in enumerate(classifier.predict_iter(args.images, args.topk, args.batch)):
        predictions.append(Prediction(prediction.path, error=prediction.error) if stream else prediction)
        if stream:
            print(format_predictions([prediction], args.format, header=index == 0), flush=True)
    if not stream:
        text = format_predictions(predictions, args.format)
        if args.out:
            atomic_write_text(args.out, text + '\n')
        else:
            print(text)
    if not predictions:
        raise UserInputError(f'no image files in {" ".join(args.images)} (extensions: {", ".join(IMAGE_EXTENSIONS)}).')
    failed = [item for item in predictions if item.error]
    if failed:  # the others are in the output; the exit status says that not all were
        raise UserInputError(f'{len(failed)} of {len(predictions)} files could not be read (each has its error in the '
                             f'output; the others were classified); first: {failed[0].path}: {failed[0].error}')


def evaluate(args: argparse.Namespace) -> None:
    from adaptcls.deployment.runtime.ir_evaluation import evaluate_ir
    from adaptcls.evaluation.confusion_matrix_report import check_png_path
    from adaptcls.utils import atomic_write_json
    if args.out != JSON_TO_STDOUT:
        check_output_file(args.out, inputs=[args.model], input_folders=[args.data_root])
    config = {'INFERENCE_PRECISION_HINT': args.precision_hint} if args.precision_hint else None
    confusion_png = args.confusion_matrix
    if confusion_png is True:
        confusion_png = os.path.splitext(args.model)[0] + '_confusion_matrix.png'
    elif confusion_png:
        check_png_path(confusion_png, '--confusion-matrix')
    check_output_file(confusion_png or None, '--confusion-matrix', inputs=[args.model], input_folders=[args.data_root])
    with log_to_stderr(args.out):
        result = evaluate_ir(args.model, args.data_root, args.split, args.device, config,
                             confusion_matrix_file=confusion_png)
    if args.out == JSON_TO_STDOUT:
        print(json.dumps(result, indent=2))
        return
    print(f'Evaluate ({result["images"]} images of {result["data"]}): ' + ', '.join(
        f'{name} {value:.4f}' for name, value in result['metrics'].items() if isinstance(value, float)))
    if args.out:
        atomic_write_json(args.out, result)
        print(f'Metrics written to {args.out}')


COMMANDS = dict(export=export, benchmark=benchmark, predict=predict, evaluate=evaluate)


def main(argv=None) -> None:
    args = parse_args(argv)
    COMMANDS[args.command](args)
