"""``python tools/lr_search.py ...``: the same as ``adaptcls lr-search ...`` (adaptcls/cli/lr_search.py; --help for the options)."""
from adaptcls.cli.cli_errors import run_cli
from adaptcls.cli.lr_search import main

if __name__ == '__main__':
    run_cli(main)
