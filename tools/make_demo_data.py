"""``python tools/make_demo_data.py --out DIR``: the same as ``adaptcls demo-data --out DIR``
(adaptcls/cli/make_demo_data.py; --help for the options)."""
import sys

from adaptcls.cli.make_demo_data import main

if __name__ == '__main__':
    sys.exit(main())
