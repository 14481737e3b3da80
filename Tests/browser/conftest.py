"""Browser tests (issue 16, "Tested in a real browser"): Debian's chromium + chromium-driver driven by
Selenium through a real nginx + salesd on loopback (the e2e harness). `make browser` installs what
is missing and runs them; screenshots go to build/screenshots/ for people to look at."""
import os
import sys

import pytest

HERE = os.path.dirname(__file__)
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
from harness import ROOT, Stack  # noqa: E402

SHOTS = os.environ.get("SCREENSHOTS_DIR", os.path.join(ROOT, "build", "screenshots"))


@pytest.fixture(scope="session")
def stack():
    s = Stack().start()
    # A user of its own for the password flow, so the other tests keep their login.
    s.cli("user", "add", "zhangwei", "--display-name", "张伟", "--roles", "sales_rep", "--password", "e2e-Passw0rd!")
    yield s
    s.stop()


@pytest.fixture(scope="session")
def browser():
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        pytest.fail("selenium is not installed: run `make browser` (it installs chromium, chromium-driver and selenium)")
    if not os.path.exists("/usr/bin/chromedriver"):
        pytest.fail("chromium-driver is not installed: run `make browser`")
    o = webdriver.ChromeOptions()
    for a in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--lang=zh-CN", "--hide-scrollbars",
              "--disable-gpu", "--disable-extensions", "--no-first-run"):
        o.add_argument(a)
    o.add_experimental_option("prefs", {"intl.accept_languages": "zh-CN,zh"})
    d = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=o)
    d.set_page_load_timeout(20)
    yield d
    d.quit()


@pytest.fixture(scope="session")
def shots():
    """Where the screenshots go (build/screenshots/, or SCREENSHOTS_DIR)."""
    os.makedirs(SHOTS, exist_ok=True)
    return SHOTS
