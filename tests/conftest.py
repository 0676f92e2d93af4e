"""The test session is an entry point like the tools: it installs the weights-only checkpoint loading once
(``adaptcls.setup_env``). Tests of what importing adaptcls does run in a fresh interpreter
(tests/test_layering.py)."""
import pytest

from adaptcls.utils import install_checkpoint_safety


@pytest.fixture(autouse=True, scope='session')
def checkpoint_safety():
    install_checkpoint_safety()
