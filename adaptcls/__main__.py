"""``python -m adaptcls COMMAND ...``: the ``adaptcls`` command (adaptcls/cli/main.py)."""
from adaptcls.cli.main import main

if __name__ == '__main__':
    main()
