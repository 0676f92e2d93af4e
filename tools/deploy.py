"""``python tools/deploy.py ...``: the same as ``adaptcls export|benchmark|predict|evaluate ...`` (adaptcls/cli/deploy.py; --help for the options)."""
from adaptcls.cli.cli_errors import run_cli
from adaptcls.cli.deploy import main

if __name__ == '__main__':
    run_cli(main)
