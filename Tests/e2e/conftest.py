import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from harness import Stack  # noqa: E402


@pytest.fixture(scope="module")
def stack():
    s = Stack().start()
    yield s
    s.stop()


def pytest_configure(config):
    config.addinivalue_line("markers", "soak: long mixed-load run (`make soak`, `make soak-ci`); `make e2e` leaves it out")
