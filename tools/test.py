"""``python tools/test.py ...``: the same as ``adaptcls test ...`` (adaptcls/cli/test.py; --help for the options)."""
from adaptcls.cli.cli_errors import run_cli
from adaptcls.cli.test import main

if __name__ == '__main__':
    run_cli(main)
