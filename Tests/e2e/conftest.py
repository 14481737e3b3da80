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


# `make e2e` runs the files on two workers (pytest-xdist): the slowest modules go first, so the
# longest one (the README walkthrough builds a copy of the repository) does not start last and
# leave the other worker idle. Whole modules move, so their module-scoped stacks start once.
SLOW_FIRST = ["test_walkthrough", "test_hostile_input_records", "test_crash_safety", "test_worker_pool",
              "test_durability_order", "test_access_matrix", "test_multinode", "test_hostile_input", "test_faults"]


def pytest_collection_modifyitems(session, config, items):
    def rank(item):
        name = item.module.__name__.rsplit(".", 1)[-1] if item.module else ""
        return SLOW_FIRST.index(name) if name in SLOW_FIRST else len(SLOW_FIRST)
    order = {id(item): i for i, item in enumerate(items)}
    items.sort(key=lambda item: (rank(item), order[id(item)]))
