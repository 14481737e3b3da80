#!/usr/bin/env python3
"""Instructions per request, salesd vs the C reference, counted by valgrind's callgrind
(repeatable on a shared machine, unlike time). Both run with one worker thread behind their own
nginx on the same small seeded database; each process is run twice — once serving no measured
request, once serving N — and the difference divided by N is the cost of one request, libfcgi
included. With --annotate the salesd profile's heaviest functions are printed (inclusive).

    python3 bench/profile.py [--requests 200] [--customers 2000] [--path list|healthz] [--annotate]

Uses the release build and the C reference that `make bench` builds (run it once first).
"""
import argparse
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import generate  # noqa: E402
import run  # noqa: E402


def wrapper(base, name, binary, out):
    """A script that runs `binary` under callgrind (Stack starts responders by path)."""
    path = os.path.join(base, name)
    with open(path, "w") as f:
        # salesd's master spawns its worker (a fresh exec): follow it, one output file per process.
        # PROFILE_VALGRIND_ARGS: more callgrind options, e.g. `--collect-atstart=no
        # --toggle-collect='*WorkerC6handle*'` to annotate the request path without start-up.
        extra = os.environ.get("PROFILE_VALGRIND_ARGS", "") if "salesd" in name else ""
        f.write(f"#!/bin/sh\nexec valgrind -q --tool=callgrind --trace-children=yes {extra} --callgrind-out-file={out}.%p {binary} \"$@\"\n")
    os.chmod(path, 0o755)
    return path


def total(out):
    """Instructions of every process of the run (the master and its worker: `out`.PID files)."""
    n = 0
    for f in glob.glob(out + ".*"):
        text = subprocess.run(["callgrind_annotate", f], capture_output=True, text=True).stdout
        m = re.search(r"([\d,]+) \(100\.0%\)\s+PROGRAM TOTALS", text)
        n += int(m.group(1).replace(",", "")) if m else 0     # nothing collected (--toggle-collect)
    return n


def largest(out):
    """The output file of the process that did the work (the worker)."""
    return max(glob.glob(out + ".*"), key=os.path.getsize)


def a_path(url):
    return "healthz" if url == "/healthz" else "post" if url.endswith("/contacts") else "list"


def post_body(db, sid):
    """The contact-log POST of bench/run.py's endpoint 3, with a fresh one-time token."""
    import datetime
    import urllib.parse
    today = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=8)).date().isoformat()
    return urllib.parse.urlencode({"_csrf": run.csrf_of_session(db, sid), "_idem": os.urandom(16).hex(), "kind": "visit",
                                   "contact_date": today, "person": "张经理", "summary": "剖析 & 检查"})


def measure(kind, base, db, args, path_for, template=None, sid=None):
    """Instructions of one process serving `n` requests of `path`, for n = 0 and n = N."""
    counts = {}
    for n in (0, args.requests):
        out = os.path.join(base, f"{kind}-{n}.cg")
        tag = f"{kind}{n}"
        real = run.SALESD if kind == "salesd" else run.REF
        st = run.Stack(tag, base, db, kind, args)
        if kind == "salesd":
            st.migrate()  # outside valgrind
        saved = (run.SALESD, run.REF)
        if kind == "salesd":
            run.SALESD = wrapper(base, f"w-{tag}", real, out)
        else:
            run.REF = wrapper(base, f"w-{tag}", real, out)
        try:
            st.start(template)
        finally:
            run.SALESD, run.REF = saved
        try:
            client = run.Client(st.port)
            if kind == "salesd":
                client.login("bench_rep", generate.BENCH_PASSWORD)
                this_sid = client.cookies["sid"]
            else:
                run.copy_sessions(sid[0], st.db, [sid[1]])
                client.cookies["sid"] = sid[1]
                this_sid = sid[1]
            url = path_for(client)
            # /healthz without a cookie, as wrk and a monitor ask it; the list with the session.
            asker = run.Client(st.port) if a_path(url) == "healthz" else client
            for _ in range(n):
                if a_path(url) == "post":
                    status, _, body = asker.request("POST", url, post_body(st.db, this_sid),
                                                    {"Content-Type": "application/x-www-form-urlencoded"})
                    assert status == 303, (kind, url, status, body[:200])
                else:
                    status, _, body = asker.request("GET", url)
                    assert status == 200, (kind, url, status)
            if kind == "salesd":
                # The page the C reference uses as its layout (fetched in both runs: cancels out).
                status, _, body = client.request("GET", "/crm/customers?page=1")
            counts[n] = (out, st)
        finally:
            st.stop()
        counts[n] = total(out)
        if kind == "salesd" and n == args.requests:
            last = (st.db, this_sid, body)
    per = (counts[args.requests] - counts[0]) / args.requests
    return per, (last if kind == "salesd" else None)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--customers", type=int, default=2000)
    ap.add_argument("--path", choices=["list", "healthz", "post"], default="list")
    ap.add_argument("--annotate", action="store_true")
    a = ap.parse_args()
    a.threads, a.keepalive, a.nginx_workers, a.processes = 1, 0, 1, 1
    if not os.path.exists(run.SALESD) or not os.path.exists(run.REF):
        sys.exit("build first: make bench-smoke (or swift build -c release and bench/run.py --smoke)")
    db = os.path.join(generate.cached(a.customers, 0, run.SALESD, log=run.log), "sales.sqlite")
    base = tempfile.mkdtemp(prefix="sales-profile-")
    try:
        def path_for(client):
            return {"healthz": "/healthz", "post": "/crm/customers/2/contacts"}.get(a.path, "/crm/customers?page=1")

        def salesd_path_for(client):
            # PROFILE_LIST_PATH: another page for salesd's profile (e.g. a small page, to see what
            # the layout costs); the C reference still serves its own page.
            return os.environ.get("PROFILE_LIST_PATH") if a.path == "list" and os.environ.get("PROFILE_LIST_PATH") else path_for(client)
        s_per, (s_db, sid, page) = measure("salesd", base, db, a, salesd_path_for)
        template = os.path.join(base, "template.html")
        if True:
            with open(template, "w") as f:
                import sqlite3
                with sqlite3.connect(s_db) as c:
                    name = c.execute("SELECT display_name FROM users WHERE username = 'bench_rep'").fetchone()[0]
                f.write(run.make_template(page, run.csrf_of_session(s_db, sid), name))
        c_per, _ = measure("C", base, db, a, path_for, template=template, sid=(s_db, sid))
        print(f"{a.path}: salesd {s_per:,.0f} instructions/request, C {c_per:,.0f} "
              f"({s_per / c_per:.1f}×), {a.requests} requests, {a.customers} customers, callgrind")
        if a.annotate:
            out = os.path.join(base, f"salesd-{a.requests}.cg")
            out = largest(out)
            shutil.copy(out, "/tmp/last-salesd.cg")
            text = subprocess.run(["callgrind_annotate", "--inclusive=yes", out], capture_output=True, text=True).stdout
            print("\n".join(text.splitlines()[:80]))
            # Self cost per request: the N-request run minus the idle run, function by function
            # (start-up work cancels out).
            base_out = largest(os.path.join(base, "salesd-0.cg"))

            def self_costs(path, inclusive="no"):
                t = subprocess.run(["callgrind_annotate", "--threshold=100", f"--inclusive={inclusive}", path],
                                   capture_output=True, text=True).stdout
                costs = {}
                for line in t.splitlines():
                    m = re.match(r"\s*([\d,]+) \([ \d.]+%\)\s+(.*)", line)
                    if m and "PROGRAM TOTALS" not in line and not m.group(2).startswith("=>") and "events annotated" not in line:
                        costs[m.group(2)] = costs.get(m.group(2), 0) + int(m.group(1).replace(",", ""))
                return costs
            busy, idle = self_costs(out), self_costs(base_out)
            diff = sorted(((busy.get(k, 0) - idle.get(k, 0)) / a.requests, k) for k in set(busy) | set(idle))
            print("\nself instructions per request (busy run minus idle run):")
            for cost, name in reversed(diff[-45:]):
                print(f"{cost:12,.0f}  {name[:170]}")
            busy, idle = self_costs(out, "yes"), self_costs(base_out, "yes")
            diff = sorted(((busy.get(k, 0) - idle.get(k, 0)) / a.requests, k) for k in set(busy) | set(idle))
            print("\ninclusive instructions per request (busy run minus idle run; recursive functions count more than once):")
            for cost, name in reversed(diff[-int(os.environ.get("PROFILE_TOP", "60")):]):
                print(f"{cost:12,.0f}  {name[:170]}")
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
