"""List the recipe configs shipped with adaptcls: ``adaptcls configs``.

Each line is a config's name and the first sentence of its leading comment; any of them can be given to
``adaptcls train`` (``adaptcls train configs/NAME.py --data-root DIR`` or ``adaptcls train NAME``), and
``--path`` prints where they are, to copy one as the start of your own.
"""
import argparse
import os
from typing import List, Optional

from adaptcls.cli.recipes import CONFIG_DIR, available_configs

SUMMARY_WIDTH = 100
"""Characters of a config's summary shown on its line."""


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='List the recipe configs shipped with adaptcls (train any of them by name).',
        epilog='Example: adaptcls configs; adaptcls train effnet_lite0_baseline --data-root my_data')
    parser.add_argument('--path', action='store_true', help='print only the folder that holds them')
    return parser.parse_args(argv)


def config_summary(path: str) -> str:
    """The first sentence of the comment block that starts the config file ('' without one)."""
    lines: List[str] = []
    with open(path, encoding='utf-8') as stream:
        for line in stream:
            if not line.startswith('#'):
                break
            lines.append(line.lstrip('#').strip())
    text = ' '.join(lines)
    end = text.find('. ')
    sentence = text if end < 0 else text[:end + 1]
    return sentence if len(sentence) <= SUMMARY_WIDTH else sentence[:SUMMARY_WIDTH - 3] + '...'


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    if args.path:
        print(CONFIG_DIR)
        return
    names = available_configs()
    width = max(len(os.path.splitext(name)[0]) for name in names)
    print(f'Recipe configs in {CONFIG_DIR}:')
    for name in names:
        print(f'  {os.path.splitext(name)[0]:<{width}}  {config_summary(os.path.join(CONFIG_DIR, name))}')
    print('Train one: adaptcls train NAME --data-root DIR (or adaptcls train DIR --model M --recipe R).')


if __name__ == '__main__':
    main()
