"""Lose nothing that was acknowledged (issue 8): 64 clients submit suggestions through a real
nginx while the responder is killed with SIGKILL at random moments and restarted. Every submit
that got its 303 must be in the database exactly once, no submit may be stored twice (a retried
POST carries the same `_idem` token), the database must pass `PRAGMA integrity_check`, and every
stored suggestion has exactly one 'submit' audit row.

A POST whose outcome is unknown (502, connection error, timeout) is retried with the same
`_idem` token once the responder answers again; only a 303 counts as acknowledged."""
import collections
import http.client
import random
import re
import signal
import sqlite3
import threading
import time

from harness import PASSWORD, Stack

CLIENTS = 64
USERS = 8
KILLS = 4
LOAD_SECONDS = 20.0     # kills happen inside this window; then clients stop starting new submits
DRAIN_SECONDS = 15.0    # pending (unknown-outcome) submits are retried until this much later
BACK_DEADLINE = 20.0    # the responder must answer GET /login with 200 within this after a restart

IDEM = re.compile(r'name="_idem" value="([0-9a-fA-F]+)"')
CSRF = re.compile(r'name="_csrf" value="([0-9a-f]+)"')
TRANSIENT = (OSError, http.client.HTTPException)


def wait_until_up(s, deadline):
    probe = s.client()
    while time.time() < deadline:
        try:
            if probe.get("/login").status == 200:
                return True
        except TRANSIENT:
            pass
        time.sleep(0.05)
    return False


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.acked = {}                 # marker -> Location of its 303
        self.attempted = set()          # markers that were POSTed at least once
        self.stuck = set()              # markers whose retry got 409 (token held, outcome unknown)
        self.unresolved = set()         # markers still unknown when the drain deadline passed
        self.statuses = collections.Counter()
        self.transport_errors = 0
        self.retries = 0
        self.relogins = 0
        self.acked_after_retry = 0      # 303s that came on a resend of the same POST
        self.unexpected = []            # (marker, status, snippet)

    def count(self, status):
        with self.lock:
            self.statuses[status] += 1


def test_acknowledged_submits_survive_sigkill():
    s = Stack().start()
    rng = random.Random()
    stats = Stats()
    stop_new = threading.Event()        # no new submits after this
    hard_stop = threading.Event()       # give up on pending retries after this
    up = threading.Event()
    up.set()
    kills = []                          # seconds into the run of each kill
    restart_failures = []
    try:
        users = [f"crash{i}" for i in range(USERS)]
        for u in users:
            s.cli("user", "add", u, "--display-name", f"压测{u}", "--roles", "sales_rep", "--password", PASSWORD)
        t0 = time.time()

        def client_loop(idx):
            user = users[idx % USERS]
            c = s.client()

            def login():
                while not hard_stop.is_set():
                    if not up.wait(0.5):
                        continue
                    try:
                        c.cookies.clear()
                        r = c.login(user)
                        if r.status == 303 and "/login" not in (r.header("Location") or ""):
                            return True
                    except TRANSIENT:
                        pass
                    time.sleep(0.1)
                return False

            if not login():
                return
            n = 0
            while not stop_new.is_set():
                n += 1
                marker = f"crash-{idx}-{n}"
                # A fresh form: new _csrf (same for the session) and a new one-time _idem.
                idem = None
                while idem is None and not stop_new.is_set():
                    if not up.wait(0.5):
                        continue
                    try:
                        page = c.get("/ideas/new")
                    except TRANSIENT:
                        with stats.lock:
                            stats.transport_errors += 1
                        time.sleep(0.1)
                        continue
                    stats.count(("GET", page.status))
                    if page.status == 303 and "/login" in (page.header("Location") or ""):
                        with stats.lock:
                            stats.relogins += 1
                        if not login():
                            return
                        continue
                    m = IDEM.search(page.text)
                    if page.status == 200 and m:
                        idem = m.group(1)
                    else:
                        time.sleep(0.1)
                if idem is None:
                    break
                fields = {"_idem": idem, "topic": "management", "title": marker,
                          "content": f"{marker}：崩溃安全测试的建议内容。", "expected_effect": "不丢失已确认的提交"}
                with stats.lock:
                    stats.attempted.add(marker)
                first = True
                attempts = 0
                # Send, and resend the same POST (same _idem) until its outcome is known.
                while True:
                    if hard_stop.is_set():
                        with stats.lock:
                            stats.unresolved.add(marker)
                        return
                    if not first:
                        with stats.lock:
                            stats.retries += 1
                        up.wait(1.0)
                    first = False
                    attempts += 1
                    try:
                        r = c.post("/ideas/new", fields)
                    except TRANSIENT:
                        with stats.lock:
                            stats.transport_errors += 1
                        time.sleep(0.1)
                        continue
                    stats.count(("POST", r.status))
                    loc = r.header("Location") or ""
                    if r.status == 303 and "/login" in loc:
                        # Session gone: log in again, take the new session's CSRF token, keep _idem.
                        with stats.lock:
                            stats.relogins += 1
                        if not login():
                            with stats.lock:
                                stats.unresolved.add(marker)
                            return
                        try:
                            c.get("/ideas/new")
                        except TRANSIENT:
                            pass
                        continue
                    if r.status == 303:
                        with stats.lock:
                            stats.acked[marker] = loc
                            stats.acked_after_retry += attempts > 1
                        break
                    if r.status in (502, 503, 504):
                        time.sleep(0.1)
                        continue
                    if r.status == 409:
                        # The token is held by a submit that never finished (the responder died
                        # between claiming the token and recording its result): outcome unknown.
                        with stats.lock:
                            stats.stuck.add(marker)
                        break
                    with stats.lock:
                        stats.unexpected.append((marker, r.status, r.text[:300]))
                    break

        def killer():
            times = sorted(rng.uniform(2.0, LOAD_SECONDS - 2.0) for _ in range(KILLS))
            for at in times:
                delay = t0 + at - time.time()
                if delay > 0:
                    time.sleep(delay)
                up.clear()
                kills.append(round(time.time() - t0, 2))
                s.kill_all(signal.SIGKILL)      # master and workers: the whole service dies
                time.sleep(rng.uniform(0.2, 1.0))   # outage: nginx answers 502
                s.start_app()
                if not wait_until_up(s, time.time() + BACK_DEADLINE):
                    restart_failures.append(at)
                    return
                up.set()

        threads = [threading.Thread(target=client_loop, args=(i,), daemon=True) for i in range(CLIENTS)]
        k = threading.Thread(target=killer, daemon=True)
        for t in threads:
            t.start()
        k.start()

        k.join(LOAD_SECONDS + 4 * BACK_DEADLINE)
        assert not k.is_alive(), "killer thread did not finish"
        assert not restart_failures, f"responder did not come back after the kill at {restart_failures}"
        remaining = t0 + LOAD_SECONDS - time.time()
        if remaining > 0:
            time.sleep(remaining)
        stop_new.set()
        drain_deadline = time.time() + DRAIN_SECONDS
        for t in threads:
            t.join(max(0.1, drain_deadline - time.time()))
        hard_stop.set()
        for t in threads:
            t.join(35)      # a request in flight times out after 30 s at most
        assert not any(t.is_alive() for t in threads), "client threads did not stop"
        load_seconds = time.time() - t0
    finally:
        s.stop()

    db = sqlite3.connect(s.db_path)
    try:
        integrity = db.execute("PRAGMA integrity_check").fetchall()
        rows = db.execute("SELECT id, title FROM ideas_suggestions WHERE title LIKE 'crash-%'").fetchall()
        audits = db.execute("""SELECT entity_id, COUNT(*) FROM audit_log
                               WHERE entity = 'ideas.suggestion' AND action = 'submit'
                               GROUP BY entity_id""").fetchall()
        all_ids = {r[0] for r in db.execute("SELECT id FROM ideas_suggestions")}
        held = db.execute("SELECT COUNT(*) FROM idempotency_keys WHERE location IS NULL").fetchone()[0]
    finally:
        db.close()

    per_marker = collections.Counter(title for _, title in rows)
    id_of = {title: i for i, title in rows}
    duplicates = {m: n for m, n in per_marker.items() if n > 1}
    lost = sorted(m for m in stats.acked if per_marker[m] == 0)
    wrong_location = sorted(m for m, loc in stats.acked.items()
                            if per_marker[m] == 1 and loc.rstrip("/").rsplit("/", 1)[-1] != str(id_of[m]))
    stored_unacked = [m for m in per_marker if m not in stats.acked]
    stuck_stored = [m for m in stats.stuck if per_marker[m]]
    audit_count = dict((int(eid), n) for eid, n in audits)

    print(f"\ncrash-safety: {load_seconds:.1f}s, {KILLS} kills at {kills}s, {CLIENTS} clients / {USERS} users; "
          f"acknowledged={len(stats.acked)} stored={len(rows)} attempted={len(stats.attempted)} "
          f"stored-but-unacknowledged={len(stored_unacked)} stuck-409={len(stats.stuck)} (stored {len(stuck_stored)}) "
          f"unresolved={len(stats.unresolved)} held-keys={held} retries={stats.retries} "
          f"acked-after-retry={stats.acked_after_retry} "
          f"transport-errors={stats.transport_errors} relogins={stats.relogins}")
    print("crash-safety: statuses " + ", ".join(f"{m} {st}: {n}" for (m, st), n in sorted(stats.statuses.items())))
    if stats.unexpected:
        print("crash-safety: unexpected responses:", stats.unexpected[:5])

    assert integrity == [("ok",)], integrity
    assert len(kills) == KILLS
    assert stats.acked, "no submit was acknowledged"
    assert not duplicates, f"stored more than once: {sorted(duplicates.items())[:10]}"
    assert not lost, f"acknowledged but missing: {lost[:10]}"
    assert not wrong_location, f"303 pointed at another row: {wrong_location[:10]}"
    assert set(per_marker) <= stats.attempted, "a stored marker was never submitted"
    assert audit_count == {i: 1 for i in all_ids}, "audit_log must hold exactly one 'submit' row per suggestion"
    assert not stats.unexpected, stats.unexpected[:5]
    # A token is claimed in the same transaction as the write it guards: a crash can never
    # leave one half-used, so every retried submit resolved to its 303 (no 409, nothing held).
    assert not stats.stuck, f"tokens left held by a crash: {sorted(stats.stuck)[:10]}"
    assert held == 0
