"""``--quick``: the smoke-run settings of a benchmark script, the option ``make bench QUICK=1`` passes to each.

A quick run runs the script end to end with tiny settings (few rounds or iterations, one seed, little data), in
seconds to minutes on 2 CPU cores; its figures say that the script works, not what the code costs or reaches.
"""
import argparse
from typing import Any, Mapping


def add_quick_option(parser: argparse.ArgumentParser, quick: Mapping[str, Any]) -> None:
    """Adds ``--quick``, whose help lists the settings it sets.

    Args:
        parser (argparse.ArgumentParser): the script's parser.
        quick (Mapping[str, Any]): option destination (``args`` attribute) -> its quick value.
    """
    settings = ', '.join(f'{key}={value}' for key, value in quick.items())
    parser.add_argument('--quick', action='store_true', help=f'a smoke run in minutes: {settings}')


def apply_quick(args: argparse.Namespace, quick: Mapping[str, Any]) -> argparse.Namespace:
    """With ``args.quick``, sets each of ``quick``'s settings on ``args`` (over the command line's values).

    Args:
        args (argparse.Namespace): the parsed options, with ``quick``.
        quick (Mapping[str, Any]): option destination -> its quick value.

    Returns:
        argparse.Namespace: ``args``, changed in place.
    """
    if args.quick:
        for key, value in quick.items():
            setattr(args, key, value)
    return args
