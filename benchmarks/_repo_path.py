"""The repository root, put first on ``sys.path``: a benchmark script imports ``adaptcls`` and ``benchmarks`` from
this checkout whatever the working directory it runs from.

Every script in benchmarks/ imports it before adaptcls and benchmarks (``from _repo_path import REPO``). Python finds
it because it puts a script's own folder, benchmarks/, on ``sys.path``; the tests that import a script as a module put
that folder there too (tests/benchmarks/conftest.py).
"""
import os
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
"""The repository root: the folder of adaptcls/, benchmarks/, configs/ and tools/."""
sys.path.insert(0, REPO)
