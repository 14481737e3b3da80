"""Faults (issue 8), through a real nginx and the real responder.

- Database busy: another process holds SQLite's write lock (`BEGIN IMMEDIATE` from this test)
  while a user submits a form. The responder waits its busy timeout (`SALES_DB_BUSY_TIMEOUT_MS`,
  short here) and answers 503 with the same form: every typed value kept, a Chinese message on
  top, nothing stored. Once the lock is gone the re-shown form submits (303), stored once.
- Disk full: the data directory is a small tmpfs (a real file system with a real size limit; we
  run as root, so permissions cannot simulate it). The test fills it to ENOSPC, so SQLite's next
  WAL append fails with SQLITE_FULL: clear 503, input kept, pages still readable,
  `PRAGMA integrity_check` ok; after the filler is removed the same form submits without a
  restart.
- Read-only database: a mounted file system cannot be remounted read-only while the responder
  holds its files open for writing (EBUSY), which is also why the kernel is the only one that does
  it to a running service (errors=remount-ro). So the test does what that incident looks like
  from the service's side: the responder dies (SIGKILL, leaving its WAL and shared-memory files),
  the tmpfs is remounted read-only, the responder is restarted on it. It must start (schema
  current), show pages to a user whose session survives, and refuse the save with a clear 503
  with the input kept (SQLite: SQLITE_READONLY); after remounting read-write and restarting, the
  same form submits and the database is intact. (A cleanly closed WAL database on a read-only
  file system cannot even be read — SQLITE_CANTOPEN — so that variant is an outage, not tested.)
- No 500 without an error id: an unexpected error (a table a page reads is gone) shows a
  Chinese 500 page whose error id is in salesd.log; every 5xx above is a 503 with a message.

Mounting needs root with CAP_SYS_ADMIN (CI runs the tests as root on the same kind of machine).
"""
import html
import os
import re
import sqlite3
import subprocess
import time
from html.parser import HTMLParser

from harness import Stack

BUSY_MS = 300
KEPT_BUSY = "数据库正忙，您填写的内容已保留，请稍后再提交。"
KEPT_FULL = "系统暂时无法保存（存储空间不足或数据库只读），您填写的内容已保留，请联系管理员。"


class FormValues(HTMLParser):
    """The values a browser would submit from each POST form of a page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms, self.form, self.textarea, self.select = [], None, None, None

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "form":
            self.form = {} if a.get("method", "").lower() == "post" else None
            if self.form is not None:
                self.forms.append(self.form)
        elif self.form is None:
            return
        elif tag == "input" and a.get("name") and a.get("type", "text") not in ("submit", "button", "file"):
            if a.get("type") not in ("checkbox", "radio") or "checked" in a:
                self.form[a["name"]] = a.get("value", "")
        elif tag == "textarea" and a.get("name"):
            self.textarea = a["name"]
            self.form[self.textarea] = ""
        elif tag == "select" and a.get("name"):
            self.select = a["name"]
        elif tag == "option" and self.select and "selected" in a:
            self.form[self.select] = a.get("value", "")

    def handle_data(self, data):
        if self.form is not None and self.textarea:
            self.form[self.textarea] += data

    def handle_endtag(self, tag):
        if tag == "textarea":
            self.textarea = None
        elif tag == "select":
            self.select = None
        elif tag == "form":
            self.form = None


def post_forms(text):
    p = FormValues()
    p.feed(text)
    return [f for f in p.forms if "_idem" in f]


def typed(marker):
    # Chinese, quotes, angle brackets, a line break: all must come back exactly.
    return {"topic": "management", "title": f"{marker} 标题",
            "content": f"{marker}：客户管理<改进>建议，\"引号\" & '单引号'\n第二行。",
            "expected_effect": f"{marker} 预期效果：回访率提高 20%"}


def submit(c, marker, fields=None):
    """GET the form, then POST it with the typed values (and the page's tokens)."""
    page = c.get("/ideas/new")
    assert page.status == 200, page.status
    form = post_forms(page.text)[0]
    form.update(fields or typed(marker))
    return c.post("/ideas/new", {k: v for k, v in form.items() if k != "_csrf"})


def assert_kept(r, marker, message):
    assert r.status == 503, (r.status, r.text[:500])
    assert message in html.unescape(r.text), r.text[:2000]
    assert "请更正以下" not in r.text
    shown = post_forms(r.text)
    assert shown, "the form is not shown again"
    for name, value in typed(marker).items():
        assert shown[0].get(name, "").replace("\r\n", "\n").strip() == value.strip(), (name, shown[0].get(name))
    return shown[0]


def resubmit(c, shown):
    """Submits the re-shown form as the browser would (its own fresh tokens, values as shown)."""
    return c.post("/ideas/new", {k: v for k, v in shown.items() if k != "_csrf"})


def stored(stack, marker):
    db = sqlite3.connect(stack.db_path)
    try:
        return db.execute("SELECT COUNT(*) FROM ideas_suggestions WHERE title = ?", (f"{marker} 标题",)).fetchone()[0]
    finally:
        db.close()


def integrity(stack):
    db = sqlite3.connect(stack.db_path)
    try:
        return db.execute("PRAGMA integrity_check").fetchall()
    finally:
        db.close()


def no_500_without_id(r):
    if r.status >= 500 and r.status != 503:
        assert "错误编号" in r.text, (r.status, r.text[:500])


def login(stack, user="rep"):
    c = stack.client()
    r = c.login(user)
    assert r.status == 303 and "/login" not in (r.header("Location") or ""), r.status
    return c


class TmpfsStack(Stack):
    """A stack whose data directory is a tmpfs of `size` (mounted before the database exists)."""

    def __init__(self, size="24m", **kw):
        super().__init__(**kw)
        self.data = os.path.join(self.dir, "data")
        os.makedirs(self.data)
        subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", self.data],
                       check=True, capture_output=True, text=True)

    def remount(self, mode):
        # A SIGKILLed worker's open files are closed by the kernel a moment after its master is
        # reaped: until then a remount read-only is refused as busy (seen once in a clean-clone run).
        deadline = time.time() + 10
        while True:
            r = subprocess.run(["mount", "-o", f"remount,{mode}", self.data], capture_output=True, text=True)
            if r.returncode == 0:
                return
            if time.time() > deadline or "busy" not in r.stderr:
                raise AssertionError(f"remount {mode} failed: {r.stderr}")
            time.sleep(0.1)

    def unmount(self):
        subprocess.run(["umount", "-l", self.data], capture_output=True)


def test_busy_database_keeps_the_typed_form():
    s = Stack(extra_env={"SALES_DB_BUSY_TIMEOUT_MS": str(BUSY_MS)}).start()
    try:
        c = login(s)
        hold = sqlite3.connect(s.db_path, isolation_level=None, timeout=5)
        hold.execute("BEGIN IMMEDIATE")     # another process holds the write lock
        try:
            t = time.time()
            r = submit(c, "busy-1")
            took = time.time() - t
            no_500_without_id(r)
            shown = assert_kept(r, "busy-1", KEPT_BUSY)
            assert took < 5, f"the busy timeout is {BUSY_MS} ms, the answer took {took:.1f} s"
            assert stored(s, "busy-1") == 0
            # Reading is not blocked by a writer (WAL).
            assert c.get("/ideas/mine").status == 200
            # Invalid input while busy: the validation errors (422), not a storage message.
            bad = submit(c, "busy-2", {**typed("busy-2"), "title": "x"})
            assert bad.status == 422 and "请更正以下" in bad.text, bad.status
        finally:
            hold.execute("ROLLBACK")
            hold.close()
        r = resubmit(c, shown)
        assert r.status == 303 and re.fullmatch(r"/ideas/\d+", r.header("Location") or ""), (r.status, r.text[:300])
        assert stored(s, "busy-1") == 1
        again = resubmit(c, shown)           # a double click on the same form: same 303, no new row
        assert again.status == 303 and again.header("Location") == r.header("Location")
        assert stored(s, "busy-1") == 1
    finally:
        s.stop()


def fill(path):
    """Writes `path` until the file system is full (ENOSPC)."""
    chunk = b"\0" * (1 << 16)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        while True:
            try:
                os.write(fd, chunk)
            except OSError:
                if len(chunk) == 1:
                    break
                chunk = chunk[: len(chunk) // 2]
    finally:
        os.close(fd)


def test_disk_full_keeps_the_form_and_recovers():
    s = TmpfsStack()
    try:
        s.start()
        c = login(s)
        assert submit(c, "before-full").status == 303
        # Empty the WAL so the next commit must allocate new space, then fill the disk.
        db = sqlite3.connect(s.db_path)
        assert db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0] == 0
        db.close()
        filler = os.path.join(s.data, "filler")
        fill(filler)
        r = submit(c, "full-1")
        no_500_without_id(r)
        shown = assert_kept(r, "full-1", KEPT_FULL)
        assert c.get("/ideas/mine").status == 200          # reading still works
        assert stored(s, "full-1") == 0
        assert integrity(s) == [("ok",)]
        # A POST without a form (log out writes the session's end) gets the generic Chinese 503
        # page, with an error id that is in the log.
        r = c.post("/logout", {})
        assert r.status == 503 and "暂时无法保存" in r.text and "错误编号" in r.text, (r.status, r.text[:300])
        eid = re.search(r"<code>([0-9a-f]+)</code>", r.text).group(1)
        assert f"error id={eid}" in s.log()
        os.remove(filler)                                   # fixed: space freed, no restart
        r = resubmit(c, shown)
        assert r.status == 303, (r.status, r.text[:300])
        assert stored(s, "full-1") == 1 and stored(s, "before-full") == 1
        assert integrity(s) == [("ok",)]
        assert "storage error (full)" in s.log()
    finally:
        s.stop()
        s.unmount()


def test_read_only_database_keeps_the_form_and_recovers():
    s = TmpfsStack()
    try:
        s.start()
        c = login(s)
        assert submit(c, "before-ro").status == 303
        s.kill_all()                 # the service (master and workers) dies with its files open ...
        s.app.wait(10)
        s.remount("ro")              # ... the file system is read-only ...
        os.unlink(s.socket)          # (left by the killed process; start_app waits for a new one)
        s.start_app()                # ... and the supervisor starts it again
        assert "is read-only" in s.log()
        assert c.get("/ideas/mine").status == 200           # the session survived; pages work
        r = submit(c, "ro-1")
        no_500_without_id(r)
        shown = assert_kept(r, "ro-1", KEPT_FULL)
        assert stored(s, "ro-1") == 0
        s.remount("rw")              # fixed by the administrator, who restarts the service
        s.app.terminate()
        assert s.app.wait(10) == 0
        if os.path.exists(s.socket):
            os.unlink(s.socket)
        s.start_app()
        r = resubmit(c, shown)
        assert r.status == 303, (r.status, r.text[:300])
        assert stored(s, "ro-1") == 1 and stored(s, "before-ro") == 1
        assert integrity(s) == [("ok",)]
    finally:
        s.stop()
        s.unmount()


def test_unexpected_error_has_an_error_id_in_the_log():
    """A table a page reads is gone (no debug hook: a real route, a real SQLite error)."""
    s = Stack().start()
    try:
        c = login(s)
        assert c.get("/ideas/mine").status == 200
        db = sqlite3.connect(s.db_path)
        db.execute("ALTER TABLE ideas_suggestions RENAME TO ideas_suggestions_moved")
        db.commit()
        db.close()
        r = c.get("/ideas/mine")
        assert r.status == 500, r.status
        assert "系统错误" in r.text and "错误编号" in r.text
        eid = re.search(r"<code>([0-9a-f]+)</code>", r.text).group(1)
        assert re.search(rf"error id={eid} GET /ideas/mine: .*no such table", s.log()), s.log()[-1000:]
    finally:
        s.stop()
