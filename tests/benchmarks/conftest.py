"""Puts benchmarks/ on ``sys.path``, as running a script there does, so that these tests import the scripts as
modules: each script imports benchmarks/_repo_path.py first (``from _repo_path import REPO``)."""
import os
import sys

BENCHMARKS = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), 'benchmarks')
if BENCHMARKS not in sys.path:
    sys.path.append(BENCHMARKS)
