"""The process's one OpenVINO Core, and devices checked before compiling (predict --device GPU without the OpenCL
runtime was OpenVINO's RuntimeError traceback)."""
from types import SimpleNamespace

import pytest

from adaptcls.deployment.runtime import ov_core
from adaptcls.errors import UserInputError


def test_one_core_per_process():
    assert ov_core.shared_core() is ov_core.shared_core()


@pytest.fixture
def cpu_only(monkeypatch):
    monkeypatch.setattr(ov_core, 'shared_core', lambda: SimpleNamespace(available_devices=['CPU']))


@pytest.mark.parametrize('device', ['GPU', 'gpu', 'GPU.0', 'NPU'])
def test_a_device_openvino_does_not_see_is_named_with_the_available_ones(cpu_only, device):
    with pytest.raises(UserInputError, match=f'--device {device}: OpenVINO sees no such device here \\(available: '
                                             'CPU\\).*OpenCL'):
        ov_core.check_device(device)


@pytest.mark.parametrize('device', ['CPU', 'AUTO', 'AUTO:GPU,CPU', 'MULTI:CPU'])
def test_available_and_virtual_devices_pass(cpu_only, device):
    ov_core.check_device(device)
