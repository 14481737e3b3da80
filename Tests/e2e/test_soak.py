"""Soak (issue 8): a mixed load through nginx for SOAK_SECONDS (`make soak`: 60, CI: 20) at 64
keep-alive connections, as users in different roles — customer lists (filters, paging), customer
pages, contact-log and suggestion form posts (each with its form's CSRF and `_idem` tokens), and
report pages (年度订货统计表, 客户统计表, the complaints list, the inbox).

Pass means: no 5xx and no transport error; the responder's RSS after the warm-up (the first
quarter) grows by at most 10 %; its open file descriptors do not grow (±2 for requests in
flight); every submit that got its 303 is in the database exactly once with one audit row, and
nothing else was stored.

The clients run in several processes (SOAK_PROCESSES, default 4, threads split among them) so
the GIL of one Python process does not cap the load; each process reports its CPU use, so a
client-bound run is visible in the printed figures."""
import collections
import http.client
import multiprocessing
import os
import random
import re
import sqlite3
import threading
import time
import urllib.parse

import pytest

from harness import PASSWORD, Stack

pytestmark = pytest.mark.soak

SECONDS = float(os.environ.get("SOAK_SECONDS", "60"))
CLIENTS = int(os.environ.get("SOAK_CLIENTS", "64"))
PROCESSES = int(os.environ.get("SOAK_PROCESSES", "4"))
WARMUP = 0.25                    # of SECONDS
RSS_GROWTH = 0.10
FD_SLACK = 2

REPS = 6
CUSTOMERS_PER_REP = 25
# Users, by kind of work: (username prefix, roles, how many).
USERS = [("rep", "sales_rep", REPS), ("sup", "sales_supervisor", 1), ("mgr", "sales_manager", 1),
         ("gm", "general_manager", 1), ("svc", "service_rep", 2), ("svcsup", "service_supervisor", 1)]

# Per kind of user: (action, weight). Lists, detail pages, posts, reports.
MIX = {
    "rep": [("list", 25), ("list_filtered", 10), ("detail_own", 25), ("contact", 20), ("report", 10), ("inbox", 5), ("idea", 5)],
    "sup": [("list", 25), ("detail_any", 30), ("report", 25), ("contact_any", 10), ("idea", 10)],
    "mgr": [("list", 25), ("detail_any", 30), ("report", 30), ("idea", 15)],
    "gm": [("report", 50), ("list", 25), ("detail_any", 25)],
    "svc": [("complaints", 30), ("report", 15), ("inbox", 20), ("ideas_mine", 15), ("idea", 20)],
    "svcsup": [("complaints", 30), ("report", 30), ("inbox", 20), ("idea", 20)],
}
REPORTS = {
    "rep": ["/order/stats", "/crm/reports/statistics", "/crm/reports"],
    "sup": ["/order/stats", "/crm/reports/statistics", "/crm/reports/visit-completion"],
    "mgr": ["/order/stats", "/crm/reports/statistics", "/crm/reports/new-customers"],
    "gm": ["/order/stats", "/crm/reports/statistics", "/crm/key-customers", "/service/complaints/report"],
    "svc": ["/service/patrol/reports"],
    "svcsup": ["/service/complaints/report", "/service/patrol/reports"],
}

IDEM = re.compile(r'name="_idem" value="([0-9a-fA-F]+)"')
CSRF = re.compile(r'name="_csrf" value="([0-9a-f]+)"')
CONTACT_DATE = re.compile(r'name="contact_date"[^>]*value="([0-9-]+)"|value="([0-9-]+)"[^>]*name="contact_date"')


class KeepAlive:
    """One browser on one persistent connection (reconnects when nginx closes it)."""

    def __init__(self, port):
        self.port = port
        self.conn = None
        self.cookies = {}
        self.csrf = None

    def request(self, method, path, body=None, headers=None):
        h = dict(headers or {})
        if self.cookies:
            h["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        for attempt in range(2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            try:
                self.conn.request(method, path, body=body, headers=h)
                r = self.conn.getresponse()
                data = r.read()
                break
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                # nginx closed an idle keep-alive connection before it read this request: resend
                # on a new one (a POST carries its `_idem` token, so a resend is safe anyway).
                self.conn.close()
                self.conn = None
                if attempt:
                    raise
        if r.will_close:
            self.conn.close()
            self.conn = None
        for k, v in r.getheaders():
            if k.lower() == "set-cookie":
                name, _, rest = v.partition("=")
                self.cookies[name] = rest.split(";")[0]
        text = data.decode("utf-8", "replace")
        m = CSRF.search(text)
        if m:
            self.csrf = m.group(1)
        return r.status, r.getheader("Location") or "", text

    def post(self, path, pairs):
        body = urllib.parse.urlencode([("_csrf", self.csrf or "")] + pairs).encode()
        return self.request("POST", path, body, {"Content-Type": "application/x-www-form-urlencoded"})


def client_thread(idx, port, user, kind, own, all_customers, deadline, out, lock):
    rng = random.Random(idx)
    stats = collections.Counter()
    acked = []                          # (table, marker)
    errors = []
    c = KeepAlive(port)
    actions, weights = zip(*MIX[kind])

    def get(path, what):
        st, loc, text = c.request("GET", path)
        stats[(what, st)] += 1
        if st >= 500:
            errors.append((path, st, text[:200]))
        return st, loc, text

    try:
        get("/login", "login")
        st, loc, _ = c.post("/login", [("username", user), ("password", PASSWORD)])
        if st != 303 or "/login" in loc:
            errors.append(("login", st, user))
            return
        n = 0
        while time.time() < deadline:
            n += 1
            a = rng.choices(actions, weights)[0]
            if a == "list":
                page = rng.choice(["", "?page=2", "?sort=class&dir=desc", "?sort=owner", "?status=prospect", "?city=in"])
                get("/crm/customers" + page, "list")
            elif a == "list_filtered":
                get("/crm/customers?" + urllib.parse.urlencode({"q": "客户", "class": rng.choice("ABC")}), "list")
            elif a in ("detail_own", "detail_any"):
                cid = rng.choice(own if a == "detail_own" else all_customers)
                get(f"/crm/customers/{cid}", "detail")
            elif a in ("contact", "contact_any"):
                cid = rng.choice(own if a == "contact" else all_customers)
                st, _, text = get(f"/crm/customers/{cid}", "detail")
                idem, date = IDEM.search(text), CONTACT_DATE.search(text)
                if st != 200 or not idem or not date:
                    errors.append((f"contact form on {cid}", st, text[:200]))
                    continue
                marker = f"soak-{idx}-{n}"
                pairs = [("_idem", idem.group(1)), ("kind", rng.choice(["call", "visit", "event"])),
                         ("contact_date", date.group(1) or date.group(2)), ("person", "张经理"),
                         ("summary", f"{marker} 回访：客户对交期满意，<下次>带样品。")]
                st, loc, text = c.post(f"/crm/customers/{cid}/contacts", pairs)
                stats[("contact", st)] += 1
                if st == 303:
                    acked.append(("crm_contacts", marker))
                else:
                    errors.append((f"POST contact {cid}", st, text[:200]))
            elif a == "idea":
                st, _, text = get("/ideas/new", "form")
                idem = IDEM.search(text)
                if st != 200 or not idem:
                    errors.append(("/ideas/new", st, text[:200]))
                    continue
                marker = f"soak-{idx}-{n}"
                pairs = [("_idem", idem.group(1)), ("topic", "management"), ("title", marker),
                         ("content", f"{marker}：压力测试中的建议，客户回访表格可以简化。"), ("expected_effect", "节省时间")]
                st, loc, text = c.post("/ideas/new", pairs)
                stats[("idea", st)] += 1
                if st == 303:
                    acked.append(("ideas_suggestions", marker))
                else:
                    errors.append(("POST /ideas/new", st, text[:200]))
            elif a == "report":
                get(rng.choice(REPORTS[kind]), "report")
            elif a == "complaints":
                get(rng.choice(["/service/complaints", "/service/complaints?page=2"]), "list")
            elif a == "inbox":
                get("/", "inbox")
            elif a == "ideas_mine":
                get("/ideas/mine", "list")
    except (OSError, http.client.HTTPException) as e:
        errors.append(("transport", type(e).__name__, str(e)))
    finally:
        with lock:
            out["stats"].update(stats)
            out["acked"].extend(acked)
            out["errors"].extend(errors)


def client_process(port, assignments, deadline, queue):
    out = {"stats": collections.Counter(), "acked": [], "errors": []}
    lock = threading.Lock()
    cpu0 = time.process_time()
    t0 = time.time()
    threads = [threading.Thread(target=client_thread, args=(*a, deadline, out, lock), daemon=True) for a in assignments]
    for t in threads:
        t.start()
    for t in threads:
        t.join(deadline - time.time() + 60)
    out["alive"] = sum(t.is_alive() for t in threads)
    out["cpu"] = (time.process_time() - cpu0) / max(0.001, time.time() - t0)
    queue.put(out)


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def proc_status(pid):
    with open(f"/proc/{pid}/status") as f:
        rss = int(re.search(r"VmRSS:\s+(\d+) kB", f.read()).group(1))
    return rss, len(os.listdir(f"/proc/{pid}/fd"))


def test_soak_mixed_load():
    s = Stack().start()
    try:
        users = []
        for prefix, role, count in USERS:
            for i in range(count):
                name = f"{prefix}{i}"
                s.cli("user", "add", name, "--display-name", f"压测{name}", "--roles", role, "--password", PASSWORD)
                users.append((name, prefix))
        db = sqlite3.connect(s.db_path)
        ids = dict(db.execute("SELECT username, id FROM users"))
        own = collections.defaultdict(list)
        now = int(time.time())
        for r in range(REPS):
            uid = ids[f"rep{r}"]
            for k in range(CUSTOMERS_PER_REP):
                cid = db.execute("""INSERT INTO crm_customers (name, status, owner_id, rating_class, in_city, city, contact_person,
                                                               created_by, created_at, updated_at)
                                    VALUES (?, 'prospect', ?, ?, ?, '上海', '张经理', ?, ?, ?) RETURNING id""",
                                 (f"压测客户{r}-{k}", uid, "ABCDE"[k % 5], k % 2, uid, now - k * 3600, now - k * 60)).fetchone()[0]
                own[f"rep{r}"].append(cid)
        db.commit()
        db.close()
        all_customers = [c for cs in own.values() for c in cs]

        assignments = []
        for i in range(CLIENTS):
            name, kind = users[i % len(users)]
            assignments.append((i, s.port, name, kind, own.get(name) or all_customers, all_customers))

        pid = s.app.pid
        ctx = multiprocessing.get_context("fork")
        queue = ctx.Queue()
        t0 = time.time()
        cpu0 = cpu_seconds(pid)
        deadline = t0 + SECONDS
        procs = [ctx.Process(target=client_process, args=(s.port, assignments[p::PROCESSES], deadline, queue))
                 for p in range(PROCESSES)]
        for p in procs:
            p.start()
        samples = []                     # (seconds into the run, rss kB, fds)
        while time.time() < deadline:
            samples.append((time.time() - t0, *proc_status(pid)))
            time.sleep(0.5)
        results = [queue.get(timeout=120) for _ in procs]
        for p in procs:
            p.join(30)
        elapsed = time.time() - t0
        responder_cpu = (cpu_seconds(pid) - cpu0) / elapsed
        time.sleep(0.5)
        idle_rss, idle_fds = proc_status(pid)
        assert s.app.poll() is None, "the responder died"
    finally:
        s.stop()

    stats = collections.Counter()
    acked, errors = [], []
    for r in results:
        stats.update(r["stats"])
        acked.extend(r["acked"])
        errors.extend(r["errors"])
    requests = sum(stats.values())
    warm = [x for x in samples if WARMUP * SECONDS * 0.8 <= x[0] <= WARMUP * SECONDS]
    late = [x for x in samples if x[0] >= SECONDS * 0.9]
    rss_warm = max(x[1] for x in warm)
    rss_end = max(x[1] for x in late)
    fds_warm = min(x[2] for x in warm)
    fds_end = min(x[2] for x in late)

    db = sqlite3.connect(s.db_path)
    try:
        integrity = db.execute("PRAGMA integrity_check").fetchall()
        contacts = collections.Counter(m.split(" ")[0] for (m,) in db.execute("SELECT summary FROM crm_contacts WHERE summary LIKE 'soak-%'"))
        ideas = collections.Counter(t for (t,) in db.execute("SELECT title FROM ideas_suggestions WHERE title LIKE 'soak-%'"))
        contact_audits = db.execute("""SELECT COUNT(*) FROM audit_log WHERE entity = 'crm.contact' AND action = 'create'""").fetchone()[0]
        idea_audits = db.execute("""SELECT COUNT(*) FROM audit_log WHERE entity = 'ideas.suggestion' AND action = 'submit'""").fetchone()[0]
        all_contacts = db.execute("SELECT COUNT(*) FROM crm_contacts").fetchone()[0]
        all_ideas = db.execute("SELECT COUNT(*) FROM ideas_suggestions").fetchone()[0]
    finally:
        db.close()

    by_kind = collections.Counter()
    by_status = collections.Counter()
    for (what, st), n in stats.items():
        by_kind[what] += n
        by_status[st] += n
    print(f"\nsoak: {elapsed:.1f}s, {CLIENTS} connections in {PROCESSES} processes, {len(users)} users; "
          f"{requests} requests ({requests / SECONDS:.0f}/s); posts acknowledged {len(acked)} "
          f"(contacts {sum(1 for t, _ in acked if t == 'crm_contacts')}, suggestions {sum(1 for t, _ in acked if t == 'ideas_suggestions')})")
    print("soak: by kind " + ", ".join(f"{k} {n}" for k, n in sorted(by_kind.items())) +
          "; by status " + ", ".join(f"{k}: {n}" for k, n in sorted(by_status.items())))
    print(f"soak: responder RSS {samples[0][1] / 1024:.1f} MB at start, {rss_warm / 1024:.1f} MB after warm-up, "
          f"{rss_end / 1024:.1f} MB at the end ({(rss_end / rss_warm - 1) * 100:+.1f} %), {idle_rss / 1024:.1f} MB idle; "
          f"fds {samples[0][2]} at start, {fds_warm} after warm-up, {fds_end} at the end, {idle_fds} idle")
    print(f"soak: responder CPU {responder_cpu * 100:.0f}% (of {os.cpu_count()} cores); client CPU per process "
          + ", ".join(f"{r['cpu'] * 100:.0f}%" for r in results))
    if errors:
        print("soak: errors", errors[:10])

    assert not any(r["alive"] for r in results), "client threads did not stop"
    assert not errors, errors[:10]
    assert not [st for st in by_status if st >= 500], by_status
    assert set(by_status) <= {200, 303}, f"every request of the mix is one its user may make: {by_status}"
    assert requests > 20 * SECONDS, f"only {requests} requests in {SECONDS}s"
    assert rss_end <= rss_warm * (1 + RSS_GROWTH), f"RSS grew from {rss_warm} kB to {rss_end} kB after warm-up"
    assert fds_end <= fds_warm + FD_SLACK and idle_fds <= fds_warm + FD_SLACK, (fds_warm, fds_end, idle_fds)
    assert integrity == [("ok",)]
    want_contacts = collections.Counter(m for t, m in acked if t == "crm_contacts")
    want_ideas = collections.Counter(m for t, m in acked if t == "ideas_suggestions")
    assert contacts == want_contacts, "contact-log entries stored ≠ acknowledged"
    assert ideas == want_ideas, "suggestions stored ≠ acknowledged"
    assert all_contacts == contact_audits == len(want_contacts)
    assert all_ideas == idea_audits == len(want_ideas)
