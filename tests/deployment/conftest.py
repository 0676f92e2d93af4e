"""Fixtures of the deployment tests: real digits images, a trained tiny model and its export."""
import pytest

from tests.deployment import shared_model


@pytest.fixture(scope='session')
def digits(tmp_path_factory) -> str:
    return shared_model.digits_data(tmp_path_factory)


@pytest.fixture(scope='session')
def trained(tmp_path_factory) -> dict:
    return shared_model.trained_model(tmp_path_factory)


@pytest.fixture(scope='session')
def exported(tmp_path_factory) -> dict:
    return shared_model.exported_model(tmp_path_factory)
