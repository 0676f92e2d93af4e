"""``python tools/train.py ...``: the same as ``adaptcls train ...`` (adaptcls/cli/train.py; --help for the options)."""
from adaptcls.cli.cli_errors import run_cli
from adaptcls.cli.train import main

if __name__ == '__main__':
    run_cli(main)
