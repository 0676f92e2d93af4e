"""benchmarks/common/quick_mode.py: --quick sets its settings over the command line's, and its help lists them."""
import argparse

from benchmarks.common.quick_mode import add_quick_option, apply_quick

QUICK = dict(rounds=1, sizes=[64])


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser()
    parser.add_argument('--rounds', type=int, default=5)
    parser.add_argument('--sizes', type=int, nargs='+', default=[128, 224])
    add_quick_option(parser, QUICK)
    return parser


def test_quick_sets_its_settings_over_the_command_line():
    args = apply_quick(_parser().parse_args(['--rounds', '7', '--quick']), QUICK)
    assert (args.rounds, args.sizes) == (1, [64])


def test_without_quick_the_command_line_stands():
    args = apply_quick(_parser().parse_args(['--rounds', '7']), QUICK)
    assert (args.quick, args.rounds, args.sizes) == (False, 7, [128, 224])


def test_the_help_lists_the_quick_settings():
    assert 'rounds=1, sizes=[64]' in ' '.join(_parser().format_help().split())
