"""``adaptcls report WORK_DIR``: (re)writes ``WORK_DIR/report.html`` for a finished training run.

The page gathers what the run's steps wrote (:mod:`adaptcls.cli.html_report`); ``adaptcls train --export`` writes it
too. Steps not run yet (``--analyze``, ``calibrate``, ``export``) appear as sections that name the command.
"""
import argparse
from typing import List, Optional


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Write WORK_DIR/report.html: one self-contained page (plots embedded, no network) on a '
                    'training run: data, LR estimate, training curves, metrics, confusion matrix, per-class table, '
                    'error gallery with saliency, label-issue suspects, calibration, deployment.',
        epilog='Example: adaptcls report work_dirs/effnet_lite0_adaptive')
    parser.add_argument('work_dir', help='the work dir of a finished `adaptcls train` run (it holds summary.json)')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    from adaptcls.cli.html_report import write_html_report
    path = write_html_report(args.work_dir)
    print(f'Report: {path}')
