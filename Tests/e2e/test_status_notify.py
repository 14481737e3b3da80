"""Issue 18: systemd readiness and watchdog (Type=notify) and the administrators' status page,
with the real `salesd serve` pool behind a real nginx.

- The master sends READY=1 to $NOTIFY_SOCKET once every worker serves (not when the socket
  opens), WATCHDOG=1 at half of WATCHDOG_USEC while workers run, STOPPING=1 on SIGTERM; the
  workers never talk to systemd (NotifyAccess=main).
- /admin/status shows the version, the workers, request counts and latency percentiles counted
  by every worker on the pool's shared page, the database size and the last `salesd backup`.
"""
import os
import re
import signal
import socket
import subprocess
import time

from harness import SALESD, Stack


def test_ready_watchdog_and_stopping_reach_the_notify_socket():
    s = Stack(extra_env={"SALES_PROCESSES": "2"})
    path = os.path.join(s.dir, "notify.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(15)
    s.env.update({"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "400000"})
    s.start()
    try:
        messages = []
        deadline = time.time() + 15
        while time.time() < deadline and not any(m.startswith("READY=1") for m in messages):
            messages.append(sock.recv(4096).decode())
        ready = [m for m in messages if m.startswith("READY=1")]
        assert ready and "serving with 2 worker" in ready[0], messages
        # READY only after both workers said they serve.
        assert s.log().count(" serving with ") >= 2
        watchdogs = 0
        deadline = time.time() + 3
        while time.time() < deadline and watchdogs < 3:
            if sock.recv(4096).decode() == "WATCHDOG=1":
                watchdogs += 1
        assert watchdogs >= 3
        s.app.send_signal(signal.SIGTERM)
        rest = []
        deadline = time.time() + 10
        while time.time() < deadline and "STOPPING=1" not in rest:
            rest.append(sock.recv(4096).decode())
        assert "STOPPING=1" in rest
        s.app.wait(10)
    finally:
        s.stop()
        sock.close()


def test_status_page_shows_pool_requests_database_and_last_backup():
    s = Stack(extra_env={"SALES_PROCESSES": "2"})
    s.start()
    try:
        archive = os.path.join(s.dir, "nightly.tar.gz")
        subprocess.run([SALESD, "backup", archive], env=s.env, check=True, capture_output=True)
        c = s.client()
        assert c.login("admin").status == 303
        for _ in range(20):
            assert c.get("/").status == 200
        page = c.get("/admin/status")
        assert page.status == 200
        text = re.sub(r"<[^>]+>", " ", page.text)
        assert "salesd" in text and "2 / 2" in text
        total = int(re.search(r"请求数\s+(\d+)", text).group(1))
        assert total >= 21, text
        assert re.search(r"50% 请求\s+≤ \d+ ms", text)
        assert "nightly.tar.gz" in text and "没有记录" not in text
        assert "core 7" in text
        # Only administrators.
        rep = s.client()
        assert rep.login("rep").status == 303
        assert rep.get("/admin/status").status == 403
    finally:
        s.stop()
