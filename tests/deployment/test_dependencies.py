"""A missing deployment package gives one error that says how to install it."""
import pytest

from adaptcls.deployment.dependencies import MissingDeployDependency, require


def test_present_module_is_returned():
    assert require('json').dumps([1]) == '[1]'


def test_missing_module_names_the_fix():
    with pytest.raises(MissingDeployDependency, match=r"no_such_package.*pip install -e '\.\[deploy\]'"):
        require('no_such_package')
