import atexit
import os
import shutil
import sys
import tempfile

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from harness import Stack  # noqa: E402

# Every responder started by this session appends each distinct statement it runs under the
# write lock to one file; test_write_path.py checks their query plans (issue 20).
if "SALES_WRITE_TRACE_FILE" not in os.environ:
    _trace_dir = tempfile.mkdtemp(prefix="sales-write-trace-")
    atexit.register(shutil.rmtree, _trace_dir, True)
    os.environ["SALES_WRITE_TRACE_FILE"] = os.path.join(_trace_dir, "statements.txt")


@pytest.fixture(scope="module")
def stack():
    s = Stack().start()
    yield s
    s.stop()


def pytest_configure(config):
    config.addinivalue_line("markers", "soak: long mixed-load run (`make soak`, `make soak-ci`); `make e2e` leaves it out")
    config.addinivalue_line("markers", "formfuzz: every declared form fuzzed (`make fuzz-forms`, `make fuzz-forms-ci`); `make e2e` leaves it out")
