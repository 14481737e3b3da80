"""Logs through the real responder and nginx (issue 18):

- journal priorities: with `logPriorityPrefix` on, or `auto` with stderr being the journal
  stream systemd announces in JOURNAL_STREAM, every line starts with its sd-daemon priority
  (`<6>` info, `<4>` warning, `<3>` error), so `journalctl -p warning` finds the warnings; a
  plain file without JOURNAL_STREAM keeps today's lines;
- failed and throttled logins are warnings naming the user and the address;
- every access-log line carries the request id, which is also the response's X-Request-Id and
  the id shown on the error page;
- a request slower than `slowRequestMs` is a warning with its route and time.
"""
import os
import re

from harness import PASSWORD, Stack

ACCESS = re.compile(r"^(<\d>)?\S+ info salesd\.access: (\S+) (\S+) (\d{3}) \d+B [\d.]+ms user=\S+ req=([0-9a-f]{8})$")


def lines(stack):
    return [l for l in stack.log().splitlines() if l.strip()]


def access_line(stack, request_id):
    found = [m for m in map(ACCESS.match, lines(stack)) if m and m.group(5) == request_id]
    assert len(found) == 1, (request_id, stack.log()[-2000:])
    return found[0]


def test_priorities_login_warnings_request_ids_and_slow_requests():
    s = Stack(extra_env={"SALES_LOG_PRIORITY_PREFIX": "on", "SALES_SLOW_REQUEST_MS": "300"})
    s.start()
    try:
        c = s.client()
        # A failed login: a warning with the typed name and the address, tied to its request.
        r = c.login("nobody", "wrong-password")
        assert r.status == 401
        rid = r.header("X-Request-Id")
        assert re.fullmatch(r"[0-9a-f]{8}", rid or ""), rid
        warning = f"warning salesd: login failed: user=nobody address=127.0.0.1 unknown or disabled user failures=1 req={rid}"
        assert any(l.startswith("<4>") and l.endswith(warning) for l in lines(s)), s.log()[-2000:]
        assert access_line(s, rid).group(1) == "<6>"

        # A name that tries to forge a log line stays on one line, quoted.
        c.login("evil\nfake 200 line", "x")
        assert not any(l.startswith("fake 200") for l in lines(s))
        assert 'login failed: user="evil\\nfake 200 line"' in s.log()

        # Throttled after loginMaxFailures (5): a warning too.
        for _ in range(5):
            assert c.login("rep", "wrong-password").status == 401
        r = c.login("rep", PASSWORD)
        assert r.status == 429
        throttled = [l for l in lines(s) if "login throttled: user=rep address=127.0.0.1 failures=5" in l]
        assert len(throttled) == 1 and throttled[0].startswith("<4>"), throttled
        assert throttled[0].endswith("req=" + r.header("X-Request-Id"))

        # The request id on an error page is the one in the access log and the header.
        assert c.login("admin").status == 303
        r = c.get("/no/such/page")
        assert r.status == 404 and "请求编号" in r.text
        shown = re.search(r"<code>([0-9a-f]+)</code>", r.text).group(1)
        assert shown == r.header("X-Request-Id")
        m = access_line(s, shown)
        assert (m.group(2), m.group(3), m.group(4)) == ("GET", "/no/such/page", "404")

        # Slow requests: a warning with the route and the time; a fast one has none.
        slow = c.get("/_debug/sleep?ms=450")
        fast = c.get("/_debug/sleep?ms=1")
        slow_lines = [l for l in lines(s) if "slow request" in l]
        assert len(slow_lines) == 1, slow_lines
        m = re.search(r"^<4>\S+ warning salesd: slow request req=([0-9a-f]{8}): GET /_debug/sleep took ([\d.]+)ms \(slowRequestMs 300\)",
                      slow_lines[0])
        assert m and m.group(1) == slow.header("X-Request-Id"), slow_lines
        assert float(m.group(2)) >= 450
        assert fast.header("X-Request-Id") not in slow_lines[0]

        # Every line the service wrote carries a priority; `journalctl -p warning` would show the
        # login and slow-request warnings and no access-log line.
        assert all(re.match(r"<[0-7]>", l) for l in lines(s)), [l for l in lines(s) if not re.match(r"<[0-7]>", l)][:5]
        warnings = [l for l in lines(s) if re.match(r"<[0-4]>", l)]
        assert len(warnings) >= 8 and not any("salesd.access" in l for l in warnings), warnings
        # Every access-log line has a request id.
        access = [l for l in lines(s) if "salesd.access:" in l]
        assert access and all(ACCESS.match(l) for l in access), [l for l in access if not ACCESS.match(l)][:3]
    finally:
        s.stop()


def test_auto_prefix_only_when_stderr_is_the_journal_stream():
    # As systemd does: JOURNAL_STREAM names the device and inode of the service's stderr.
    journal = Stack()
    st = os.fstat(journal.app_log.fileno())
    journal.env["JOURNAL_STREAM"] = f"{st.st_dev}:{st.st_ino}"
    plain = Stack()
    plain.env.pop("JOURNAL_STREAM", None)
    plain.env.pop("SALES_LOG_PRIORITY_PREFIX", None)
    for s in (journal, plain):
        s.start()
    try:
        for s in (journal, plain):
            assert s.client().get("/login").status == 200
        assert lines(journal) and all(re.match(r"<[0-7]>", l) for l in lines(journal)), lines(journal)[:3]
        assert any(l.startswith("<6>") and "salesd.access: GET /login 200" in l for l in lines(journal))
        # A file, not the journal: today's format, no prefix.
        assert lines(plain) and not any(l.startswith("<") for l in lines(plain)), lines(plain)[:3]
        assert any(re.match(r"^\S+ info salesd\.access: GET /login 200 .* req=[0-9a-f]{8}$", l) for l in lines(plain))
    finally:
        journal.stop()
        plain.stop()
