#!/usr/bin/env python3
"""`make bench` (issue #7): salesd and the C reference (bench/reference/ref.c), each behind its
own real nginx on loopback, loaded by wrk, endpoints interleaved; writes bench/RESULTS.md.

    bench/run.py                 # full run (< 10 min; generated DBs cached in .build-bench/)
    bench/run.py --smoke         # ≈ 30 s, tiny data, 1 run × 1 s each; asserts only: every
                                 # endpoint answered and 0 errors; results to a temp file
Flags: --duration S --repeats N --threads T --keepalive K --nginx-workers W --connections 32,64
       --customers N --order-lines N --big-customers N --no-build --results FILE --keep
"""
import argparse
import datetime
import http.client
import json
import os
import platform
import re
import shlex
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import generate  # noqa: E402
sys.path.insert(0, os.path.join(ROOT, "Tests", "e2e"))
import pgserver  # noqa: E402

BUILD = os.path.join(ROOT, ".build-bench")
SALESD = os.path.join(ROOT, ".build", "release", "salesd")
REF = os.path.join(BUILD, "ref")
DEBS = {"wrk": "wrk", "gcc": "build-essential", "nginx": "nginx", "libfcgi-dev": "libfcgi-dev",
        "libsqlite3-dev": "libsqlite3-dev", "libargon2-dev": "libargon2-dev", "pkg-config": "pkg-config", "tzdata": "tzdata"}
LUA = os.path.join(HERE, "wrk")


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def sh(cmd, **kw):
    return subprocess.run(cmd, check=True, **kw)


# ---------------------------------------------------------------- setup

def ensure_deps():
    missing = [pkg for probe, pkg in DEBS.items()
               if subprocess.run(["dpkg", "-s", probe], capture_output=True).returncode != 0]
    if missing:
        sudo = [] if os.geteuid() == 0 else ["sudo"]
        log("installing: " + " ".join(missing))
        sh(sudo + ["apt-get", "update", "-qq"])
        sh(sudo + ["apt-get", "install", "-y", "-qq", "--no-install-recommends"] + missing,
           env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))


def build(skip_swift):
    if not skip_swift:
        swift = os.environ.get("SWIFT", "swift")
        # The same flags as `make deb` and `make run`: one release build serves all three.
        log(f"{swift} build -c release --static-swift-stdlib --product salesd")
        sh([swift, "build", "-c", "release", "--static-swift-stdlib", "--product", "salesd"], cwd=ROOT)
    os.makedirs(BUILD, exist_ok=True)
    src = os.path.join(HERE, "reference", "ref.c")
    cmd = ["gcc", "-O2", "-g", "-Wall", "-Wextra", "-pthread", "-o", REF, src, "-lfcgi", "-lsqlite3"]
    if not os.path.exists(REF) or os.path.getmtime(REF) < os.path.getmtime(src):
        log(" ".join(cmd))
        sh(cmd)
    return cmd


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


NGINX_CONF = """\
{user}
worker_processes {workers};
pid {run}/nginx.pid;
error_log {run}/nginx-error.log warn;
events {{ worker_connections 4096; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log off;
    client_body_temp_path {run}/nginx-client-body;
    fastcgi_temp_path {run}/nginx-fastcgi;
    proxy_temp_path {run}/nginx-proxy;
    uwsgi_temp_path {run}/nginx-uwsgi;
    scgi_temp_path {run}/nginx-scgi;
    server_tokens off;
    client_max_body_size 8m;
    keepalive_requests 1000000;

    upstream app {{
        {servers}
        {keepalive}
    }}

    server {{
        listen 127.0.0.1:{port};
        charset utf-8;
        add_header X-Content-Type-Options nosniff always;
        add_header X-Frame-Options DENY always;
        add_header Referrer-Policy same-origin always;
        add_header Content-Security-Policy "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'" always;

        location /static/ {{
            alias {web}/static/;
            expires 1h;
        }}
        location / {{
            include /etc/nginx/fastcgi_params;
            fastcgi_param REQUEST_URI $request_uri;
            fastcgi_param SCRIPT_NAME "";
            fastcgi_keep_conn {keep_conn};
            fastcgi_pass app;
        }}
    }}
}}
"""


class Stack:
    """One responder (salesd or the C reference) + its own nginx, under its own directory."""

    def __init__(self, name, base, db_src, kind, args, pg_url=None, nodes=1):
        self.name, self.kind, self.args = name, kind, args
        self.dir = os.path.join(base, name)
        self.data = os.path.join(self.dir, "data")
        os.makedirs(self.data)
        self.db = os.path.join(self.data, "sales.sqlite")
        self.pg_url = pg_url
        if pg_url is None:
            shutil.copyfile(db_src, self.db)
        self.socket = os.path.join(self.dir, "app.sock")
        self.port = free_port()
        self.app = self.nginx = None
        self.extra = []          # the other nodes' processes (several nodes on one PostgreSQL)
        self.nodes = nodes
        self.env = generate.salesd_env(self.data)
        if pg_url:
            self.env["DATABASE_URL"] = pg_url
        # salesd runs its worker pool (`processes`) with the same threads in all as the C reference;
        # several nodes share those processes between them (the same CPU budget, one database).
        procs = max(1, args.processes // nodes)
        self.env.update({"SALES_LISTEN": "unix:" + self.socket, "SALES_PROCESSES": str(procs),
                         "SALES_THREADS": str(max(1, args.threads // (procs * nodes)))})

    def node_sockets(self):
        return [self.socket] + [os.path.join(self.dir, f"app{i + 1}.sock") for i in range(1, self.nodes)]

    @property
    def base_url(self):
        return f"http://127.0.0.1:{self.port}"

    def migrate(self):
        sh([SALESD, "migrate"], env=self.env, stdout=subprocess.DEVNULL)

    def start(self, template=None):
        if self.kind == "salesd":
            self.migrate()
            cmd = [SALESD, "serve"]
        else:
            cmd = [REF, "--socket", self.socket, "--db", self.db, "--threads", str(self.args.threads),
                   "--sync", self.env.get("SALES_SQLITE_SYNCHRONOUS", "FULL"), "--template", template]
        self.cmd = cmd
        self.log = open(os.path.join(self.dir, "app.log"), "wb")
        self.app = subprocess.Popen(cmd, env=self.env, stdout=self.log, stderr=self.log)
        for sock in self.node_sockets()[1:]:
            # Another node: its own data folder (as on another machine), the same database.
            data = os.path.join(self.dir, "data-" + os.path.basename(sock).split(".")[0])
            os.makedirs(data, exist_ok=True)
            env = dict(self.env, SALES_LISTEN="unix:" + sock, SALES_DATA_DIR=data)
            self.extra.append(subprocess.Popen(cmd, env=env, stdout=self.log, stderr=self.log))
        deadline = time.time() + 90     # valgrind (bench/profile.py) starts slowly on a busy machine
        while not all(os.path.exists(sock) for sock in self.node_sockets()):
            if time.time() > deadline or any(p.poll() is not None for p in [self.app] + self.extra):
                raise RuntimeError(f"{self.name} did not start:\n" + self.read_log()[-3000:])
            time.sleep(0.05)
        conf = NGINX_CONF.format(user="user root root;" if os.geteuid() == 0 else "", workers=self.args.nginx_workers,
                                 run=self.dir, servers="\n        ".join(f"server unix:{x};" for x in self.node_sockets()),
                                 port=self.port,
                                 keepalive=f"keepalive {self.args.keepalive};\n        keepalive_requests 1000000;"
                                 if self.args.keepalive else "# no upstream keepalive (--keepalive 0)",
                                 keep_conn="on" if self.args.keepalive else "off",
                                 web=os.path.join(ROOT, "Web"))
        with open(os.path.join(self.dir, "nginx.conf"), "w") as f:
            f.write(conf)
        self.nginx = subprocess.Popen(["nginx", "-p", self.dir, "-c", os.path.join(self.dir, "nginx.conf"),
                                       "-e", os.path.join(self.dir, "nginx-error.log"), "-g", "daemon off;"],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                break
            except OSError:
                if time.time() > deadline:
                    raise RuntimeError("nginx did not start: " + open(os.path.join(self.dir, "nginx-error.log")).read())
                time.sleep(0.05)
        return self

    def pids(self):
        """The responder's processes: salesd's master and its workers (the pool), or C's one."""
        pids = []
        for p in [self.app] + self.extra:
            pids.append(p.pid)
            try:
                with open(f"/proc/{p.pid}/task/{p.pid}/children") as f:
                    pids += [int(x) for x in f.read().split()]
            except OSError:
                pass
        return pids

    def rss(self):
        """VmRSS / VmHWM of the largest process (a salesd worker holds the caches and
        connections; the master is small), and `total`: every process of the responder."""
        out = {"VmRSS": 0.0, "VmHWM": 0.0, "total": 0.0}
        for pid in self.pids():
            try:
                with open(f"/proc/{pid}/status") as f:
                    for line in f:
                        k, _, v = line.partition(":")
                        if k in ("VmRSS", "VmHWM"):
                            mb = int(v.split()[0]) / 1024
                            out[k] = max(out[k], mb)
                            if k == "VmRSS":
                                out["total"] += mb
            except OSError:
                pass
        return out

    def cpu_seconds(self):
        total = 0.0
        for pid in self.pids():
            try:
                with open(f"/proc/{pid}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
            except OSError:
                pass
        return total

    def settle(self, limit=60.0):
        """Waits until the responder is idle: requests a finished wrk run left queued (nginx
        passed them on before wrk closed its connections) are still processed and would
        otherwise eat the CPU of the next run. Returns the seconds waited."""
        t0 = time.time()
        last = self.cpu_seconds()
        while time.time() - t0 < limit:
            time.sleep(0.25)
            now = self.cpu_seconds()
            if now - last < 0.01:
                break
            last = now
        return time.time() - t0

    def read_log(self):
        self.log.flush()
        with open(os.path.join(self.dir, "app.log"), errors="replace") as f:
            return f.read()

    def stop(self):
        # nginx first: its graceful stop closes the idle kept-alive upstream connections, which
        # salesd's workers otherwise keep waiting on (they are not "in flight").
        for p, sig in [(self.nginx, signal.SIGQUIT)] + [(x, signal.SIGTERM) for x in [self.app] + self.extra]:
            if p and p.poll() is None:
                p.send_signal(sig)
                try:
                    p.wait(15)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()


# ---------------------------------------------------------------- HTTP client (login, page walk)

class Client:
    def __init__(self, port):
        self.port = port
        self.cookies = {}

    def request(self, method, path, body=None, headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        h = dict(headers or {})
        if self.cookies:
            h["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        conn.request(method, path, body=body, headers=h)
        r = conn.getresponse()
        data = r.read()
        conn.close()
        for k, v in r.getheaders():
            if k.lower() == "set-cookie":
                name, _, rest = v.partition("=")
                value = rest.split(";")[0]
                if value == "" or "Max-Age=0" in v:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = value
        return r.status, dict((k.lower(), v) for k, v in r.getheaders()), data

    def login(self, username, password):
        st, _, body = self.request("GET", "/login")
        token = re.search(rb'name="_csrf" value="([0-9a-f]+)"', body).group(1).decode()
        form = urllib.parse.urlencode({"_csrf": token, "username": username, "password": password})
        st, h, _ = self.request("POST", "/login", form, {"Content-Type": "application/x-www-form-urlencoded"})
        if st != 303 or "sid" not in self.cookies:
            raise RuntimeError(f"login as {username} failed: {st}")
        return self.cookies["sid"]


def csrf_of_session(db, sid):
    with sqlite3.connect(db) as c:
        return c.execute("SELECT csrf_token FROM sessions WHERE id = ?", (sid,)).fetchone()[0]


def copy_sessions(src_db, dst_db, sids):
    """The C reference has no login form: it gets the same session rows (same cookie works)."""
    with sqlite3.connect(src_db) as s, sqlite3.connect(dst_db) as d:
        rows = s.execute(f"SELECT * FROM sessions WHERE id IN ({','.join('?' * len(sids))})", sids).fetchall()
        d.executemany(f"INSERT OR REPLACE INTO sessions VALUES ({','.join('?' * len(rows[0]))})", rows)


def next_link(body):
    m = re.search(rb'<a href="([^"]+)">\s*\xe4\xb8\x8b\xe4\xb8\x80\xe9\xa1\xb5', body)  # 下一页
    return m.group(1).decode().replace("&amp;", "&") if m else None


def walk_pages(client, start, depth, total=None):
    """The list page URLs from page 1 on, by following the list's own 下一页 link, so they are
    valid whatever the paging scheme (page=N or a keyset cursor). With plain page=N links the
    rest is generated (walking deep OFFSET pages on a big table would take minutes); `total`
    (rows) then bounds the count, and the last URL is fetched to check it."""
    urls, url = [], start
    while url and len(urls) < depth:
        st, _, body = client.request("GET", url)
        if st != 200:
            raise RuntimeError(f"GET {url}: {st}")
        urls.append(url)
        url = next_link(body)
        if url and len(urls) == 3:
            m2, m3 = (re.fullmatch(r"(.*[?&]page=)(\d+)", u) for u in (urls[1], urls[2]))
            if m2 and m3 and m2.group(1) == m3.group(1) and (m2.group(2), m3.group(2)) == ("2", "3") \
                    and url == m2.group(1) + "4":
                pages = depth if total is None else min(depth, max(1, -(-total // 50)))
                urls += [m2.group(1) + str(n) for n in range(4, pages + 1)]
                st, _, _ = client.request("GET", urls[-1])
                if st != 200:
                    raise RuntimeError(f"GET {urls[-1]}: {st}")
                break
    return urls


def make_template(page_html, csrf, display_name):
    """The captured salesd list page with the per-request parts replaced by markers for ref.c."""
    t = page_html.decode()
    t = t.replace(f'name="_csrf" value="{csrf}"', 'name="_csrf" value="@CSRF@"', 1)
    t = t.replace(f'<span class="who">{display_name}</span>', '<span class="who">@USER@</span>', 1)
    a, b = t.index("  <tr>\n"), t.rindex("  </tr>\n") + len("  </tr>\n")
    t = t[:a] + "@ROWS@" + t[b:]
    a = t.index('<nav class="pager')
    b = t.index("</nav>", a) + len("</nav>")
    t = t[:a] + "@PAGER@" + t[b:]
    for m in ("@CSRF@", "@USER@", "@ROWS@", "@PAGER@"):
        assert t.count(m) == 1, f"template marker {m} not found once"
    return t


# ---------------------------------------------------------------- wrk

class Bench:
    def __init__(self, args, base):
        self.args, self.base = args, base
        self.runs = []          # dicts: endpoint, server, conns, run, result
        self.commands = []
        self.logdir = os.path.join(base, "wrk")
        os.makedirs(self.logdir)

    def wrk(self, endpoint, server, stack, conns, path, env, duration, record=True, run=0):
        url = stack.base_url + path
        threads = min(2, conns)
        cmd = ["wrk", f"-t{threads}", f"-c{conns}", f"-d{duration:g}s", "--timeout", "10s", "--latency",
               "-s", os.path.join(LUA, "bench.lua"), url]
        e = dict(os.environ)
        e.update(env)
        p = subprocess.run(cmd, env=e, capture_output=True, text=True)
        waited = stack.settle()
        if waited > 2:
            log(f"  ({stack.name} busy {waited:.1f} s after the run with requests wrk had given up on)")
        name = f"{endpoint}-{server}-c{conns}-r{run}{'' if record else '-warmup'}.txt"
        with open(os.path.join(self.logdir, name), "w") as f:
            f.write(" ".join(cmd) + "\n" + p.stdout + p.stderr)
        m = re.search(r"^JSON (\{.*\})$", p.stdout, re.M)
        if p.returncode != 0 or not m:
            raise RuntimeError(f"wrk failed ({endpoint} {server}): {p.stdout}\n{p.stderr}")
        r = json.loads(m.group(1))
        r["rps"] = r["requests"] / (r["duration_us"] / 1e6)
        r["errors"] = r["connect"] + r["read"] + r["write"] + r["status"] + r["timeout"]
        if record:
            self.runs.append({"endpoint": endpoint, "server": server, "conns": conns, "run": run, **r})
            shown = {k: ("…" if k in ("BENCH_COOKIE", "BENCH_CSRF") else
                         os.path.join("$TMP", os.path.basename(v)) if k == "BENCH_URLS" else v) for k, v in env.items()}
            envs = " ".join(f"{k}={shlex.quote(v)}" for k, v in sorted(shown.items()))
            line = f"{envs} {' '.join(shlex.quote(x) for x in cmd[:-1])} 'http://127.0.0.1:PORT{path}'"
            if line not in [c[1] for c in self.commands]:
                self.commands.append(((endpoint, conns), line))
            log(f"  {endpoint:8s} {server:10s} c={conns:<3d} {r['rps']:8.0f} rps  p50 {r['p50_us']/1000:6.2f} ms  "
                f"p99 {r['p99_us']/1000:6.2f} ms  mean {r['mean_us']/1000:6.2f} ms  errors {r['errors']}")
        return r


def median(xs):
    return statistics.median(xs) if xs else float("nan")


def machine_info():
    def out(cmd):
        try:
            return subprocess.run(cmd, capture_output=True, text=True, timeout=20).stdout.strip() or \
                   subprocess.run(cmd, capture_output=True, text=True, timeout=20).stderr.strip()
        except Exception as e:  # noqa: BLE001
            return f"? ({e})"
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    def dpkg(p):
        return out(["dpkg-query", "-W", "-f=${Version}", p])
    return {
        "nproc": out(["nproc"]), "cpu": cpu, "kernel": platform.release(),
        "mem": out(["sh", "-c", "free -m | awk '/Mem:/ {print $2 \" MiB\"}'"]),
        "swift": out(["swift", "--version"]).splitlines()[0] if out(["swift", "--version"]) else "?",
        "nginx": out(["nginx", "-v"]).replace("nginx version: ", ""),
        "sqlite": sqlite3.sqlite_version + " (python), libsqlite3 " + dpkg("libsqlite3-0"),
        "libfcgi": dpkg("libfcgi0ldbl") or dpkg("libfcgi-bin") or dpkg("libfcgi-dev"),
        "wrk": dpkg("wrk"), "gcc": out(["gcc", "-dumpfullversion"]),
        "loadavg": open("/proc/loadavg").read().split()[:3],
    }


# ---------------------------------------------------------------- the run

def check(cond, msg):
    if not cond:
        raise RuntimeError(msg)


def count(db, sql):
    with sqlite3.connect(db) as c:
        return c.execute(sql).fetchone()[0]


def fill_write_tables(db, audit_rows, keys):
    """Endpoint 6: a year of audit rows and a busy day of idempotency keys (all of today, so the
    purge of expired keys deletes nothing and, without an index, would scan them all)."""
    now = int(time.time())
    with sqlite3.connect(db) as c:
        c.execute("""WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
                     INSERT INTO audit_log (at, user_id, username, module, entity, entity_id, action, from_state,
                                            to_state, reason, address)
                     SELECT ? - i * 30, 1, 'bench', 'crm', 'crm.contact', i, 'create', NULL, 'recorded', NULL, '127.0.0.1'
                     FROM n""", (audit_rows, now))
        c.execute("""WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
                     INSERT INTO idempotency_keys (key, user_id, location, created_at)
                     SELECT printf('%032x', i), 1 + i % 97, '/crm/customers/2#contacts', ? - i % 36000 FROM n""",
                  (keys, now))


def log_problems(stack):
    """Access-log lines with a 5xx status and error lines of salesd / ref."""
    bad = []
    for line in stack.read_log().splitlines():
        if re.search(r" (5\d\d) \d+B ", line) or " error" in line.lower() or "warning" in line.lower():
            bad.append(line)
    try:
        with open(os.path.join(stack.dir, "nginx-error.log"), errors="replace") as f:
            bad += ["nginx: " + line.strip() for line in f if re.search(r"\[(error|crit|alert|emerg)\]", line)]
    except OSError:
        pass
    return bad


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--duration", type=float, help="seconds per wrk run (default 7, smoke 2)")
    ap.add_argument("--repeats", type=int, help="runs per endpoint, server and connection count (default 3, smoke 1)")
    ap.add_argument("--threads", type=int, default=4, help="responder worker threads, salesd and C alike (SALES_THREADS)")
    ap.add_argument("--processes", type=int, default=2,
                    help="salesd worker processes (SALES_PROCESSES); --threads is split between them")
    ap.add_argument("--keepalive", type=int, default=0,
                    help="nginx upstream keepalive (idle connections cached per nginx worker); "
                         "keepalive × nginx workers must stay below --threads")
    ap.add_argument("--nginx-workers", type=int, default=2)
    ap.add_argument("--connections", default=None, help="wrk connections, comma separated (default 32,64)")
    ap.add_argument("--customers", type=int)
    ap.add_argument("--order-lines", type=int)
    ap.add_argument("--big-customers", type=int, help="customers of the endpoint-5 database (default 1000000)")
    ap.add_argument("--no-build", action="store_true", help="use the existing .build/release/salesd")
    ap.add_argument("--results", help="results file (default bench/RESULTS.md; smoke: a temp file)")
    ap.add_argument("--keep", action="store_true", help="keep the temp dir (logs, DBs, configs)")
    a = ap.parse_args()
    smoke = a.smoke
    a.duration = a.duration or (1 if smoke else 7)
    a.repeats = a.repeats or (1 if smoke else 3)
    a.customers = a.customers or (500 if smoke else 10000)
    a.order_lines = a.order_lines if a.order_lines is not None else (20000 if smoke else 1000000)
    a.big_customers = a.big_customers or (5000 if smoke else 1000000)
    conns = [int(c) for c in (a.connections or ("32" if smoke else "32,64")).split(",")]
    if a.keepalive * a.nginx_workers >= a.threads:
        # A libfcgi worker serving a kept-alive connection waits on it for the next request; if
        # nginx can park an idle connection on every worker, nobody accepts, new connections pile
        # up in the listen backlog and nginx answers 502 (connect() EAGAIN) once it is full.
        sys.exit(f"--keepalive {a.keepalive} × --nginx-workers {a.nginx_workers} must be below --threads {a.threads}: "
                 "idle kept connections would park every worker thread and nobody would accept")
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    t_start = time.time()
    argv = " ".join(shlex.quote(x) for x in sys.argv[1:])

    ensure_deps()
    gcc_cmd = build(a.no_build)
    check(os.path.exists(SALESD), f"{SALESD} missing")
    db_small = os.path.join(generate.cached(a.customers, a.order_lines, SALESD, log=log), "sales.sqlite")
    db_big = os.path.join(generate.cached(a.big_customers, 0, SALESD, log=log), "sales.sqlite")
    t_ready = time.time()

    base = tempfile.mkdtemp(prefix="sales-bench-")
    stacks = []
    bench = Bench(a, base)
    info = {"args": vars(a), "conns": conns, "base": base}
    try:
        # salesd (A) and the C reference (C) on identical copies of the same database.
        A = Stack("salesd", base, db_small, "salesd", a)
        A.migrate()
        C = Stack("ref", base, A.db, "ref", a)
        stacks.append(A.start())
        rep, stats = Client(A.port), Client(A.port)
        sid = rep.login("bench_rep", generate.BENCH_PASSWORD)
        stats_sid = stats.login("bench_stats", generate.BENCH_PASSWORD)
        csrf = csrf_of_session(A.db, sid)
        copy_sessions(A.db, C.db, [sid])
        rep_id = count(A.db, "SELECT id FROM users WHERE username = 'bench_rep'")
        urls = walk_pages(rep, "/crm/customers", 100000, count(A.db, f"SELECT COUNT(*) FROM crm_customers WHERE owner_id = {rep_id}"))
        depth = len(urls)
        log(f"walked {depth} list pages on salesd ({a.customers} customers)")
        urls_file = os.path.join(base, "urls-small.txt")
        open(urls_file, "w").write("\n".join(urls) + "\n")
        probe = urls[1] if len(urls) > 1 else urls[0]
        st, _, page_a = rep.request("GET", probe)
        check(st == 200, f"salesd list page {probe}: {st}")
        if f'value="{csrf}"'.encode() not in page_a:
            open(os.path.join(base, "page-salesd.html"), "wb").write(page_a)
        template = os.path.join(base, "list-template.html")
        open(template, "w").write(make_template(page_a, csrf, "王建国"))
        stacks.append(C.start(template))
        refc = Client(C.port)
        refc.cookies["sid"] = sid
        st, _, page_c = refc.request("GET", probe)
        check(st == 200, f"C list page: {st}")
        sample = sorted(set(urls[:3] + urls[-2:] + [urls[i] for i in range(0, len(urls), max(1, len(urls) // 10))]))
        same, differ = 0, []
        for u in sample:
            _, _, x = rep.request("GET", u)
            _, _, y = refc.request("GET", u)
            same += x == y
            if x != y and not differ:
                open(os.path.join(base, "sample-salesd.html"), "wb").write(x)
                open(os.path.join(base, "sample-ref.html"), "wb").write(y)
            differ += [] if x == y else [u]
        info["page"] = {"url": probe, "salesd": len(page_a), "ref": len(page_c), "identical": page_a == page_c,
                        "sample": len(sample), "same": same}
        log(f"{same} of {len(sample)} sampled list pages byte-identical between salesd and C")
        if page_a != page_c:
            open(os.path.join(base, "page-salesd.html"), "wb").write(page_a)
            open(os.path.join(base, "page-ref.html"), "wb").write(page_c)
        log(f"list page {probe}: salesd {len(page_a)} B, C {len(page_c)} B, identical: {page_a == page_c}")
        # The reference's numbers mean something only while it renders the page salesd renders:
        # the smoke run (make bench-smoke) fails as soon as the two drift apart.
        check(not smoke or not differ, f"bench-smoke: only {same} of {len(sample)} sampled list pages are byte-identical between "
              f"salesd and the C reference (first: {differ[:1]}); bench/reference/ref.c must render what salesd renders — "
              f"compare sample-salesd.html and sample-ref.html in {base}")
        info["healthz"] = {}
        for name, port in (("salesd", A.port), ("C", C.port)):
            st, h, body = Client(port).request("GET", "/healthz")   # no cookie, like wrk and a monitor
            check(st == 200 and body.startswith(b"ok\ndatabase: ok\n"), f"healthz: {st} {body[:80]!r}")
            info["healthz"][name] = {k: v for k, v in h.items() if k not in ("date", "server", "connection")
                                     and not k.startswith(("x-", "content-security", "referrer"))}

        rep_max = count(A.db, "SELECT MAX(id) FROM crm_customers")
        today = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=8) - datetime.timedelta(days=1)).date()
        post_env = {"BENCH_MODE": "post", "BENCH_COOKIE": f"sid={sid}", "BENCH_CSRF": csrf, "BENCH_DATE": today.isoformat(),
                    "BENCH_CID_MIN": "2", "BENCH_CID_MAX": str(rep_max)}
        # Probe the POST once on each (303 + a row) before loading it.
        for cl, st_ in ((rep, A), (refc, C)):
            before = count(st_.db, "SELECT COUNT(*) FROM crm_contacts")
            body = urllib.parse.urlencode({"_csrf": csrf, "_idem": os.urandom(16).hex(), "kind": "visit",
                                           "contact_date": today.isoformat(), "person": "张经理", "summary": "探针 & 检查"})
            s_, h, _ = cl.request("POST", "/crm/customers/2/contacts", body, {"Content-Type": "application/x-www-form-urlencoded"})
            check(s_ == 303 and h.get("location") == "/crm/customers/2#contacts", f"{st_.name} POST probe: {s_} {h}")
            check(count(st_.db, "SELECT COUNT(*) FROM crm_contacts") == before + 1, f"{st_.name}: POST stored nothing")

        endpoints = [
            ("healthz", "/healthz", {"BENCH_MODE": "get"}),
            ("list", "/crm/customers", {"BENCH_MODE": "list", "BENCH_URLS": urls_file, "BENCH_COOKIE": f"sid={sid}"}),
            ("post", "/crm/customers/2/contacts", post_env),
        ]
        servers = [("salesd", A), ("C", C)]
        contacts_before = {s.name: count(s.db, "SELECT COUNT(*) FROM crm_contacts") for _, s in servers}
        if not smoke:
            log("warm-up")
            for ep, path, env in endpoints:
                for name, s in servers:
                    bench.wrk(ep, name, s, conns[0], path, env, 1, record=False)
        log(f"endpoints 1–3: {a.repeats} × {len(conns)} connection counts × 2 servers × {a.duration:g} s")
        for r in range(a.repeats):
            for c in conns:
                for ep, path, env in endpoints:
                    order = servers if (r + conns.index(c)) % 2 == 0 else servers[::-1]
                    for name, s in order:
                        bench.wrk(ep, name, s, c, path, env, a.duration, run=r)
        # Every 303 counted by wrk is a stored row (no silent idempotent replays, no lost inserts).
        info["post_rows"] = {}
        for name, s in servers:
            stored = count(s.db, "SELECT COUNT(*) FROM crm_contacts") - contacts_before[s.name]
            answered = sum(x["requests"] for x in bench.runs if x["endpoint"] == "post" and x["server"] == name)
            info["post_rows"][name] = (stored, answered)
            log(f"{name}: {stored} contact rows stored, {answered} POSTs answered (incl. in-flight at stop)")

        # Endpoint 4: annual statistics of the stats customer, 1 connection, salesd only.
        year = datetime.date.today().year - 1
        stats_path = f"/order/stats?year={year}&customer={generate.STATS_CUSTOMER}"
        st, _, body = stats.request("GET", stats_path)
        check(st == 200, f"stats page: {st}")
        info["stats"] = {"path": stats_path, "bytes": len(body),
                         "lines": count(A.db, f"SELECT COUNT(*) FROM order_lines l JOIN order_orders o ON o.id = l.order_id "
                                              f"WHERE o.customer_id = {generate.STATS_CUSTOMER} AND o.received_on LIKE '{year}-%'")}
        log(f"endpoint 4: {stats_path} ({info['stats']['lines']} order lines in {year}, page {len(body)} B)")
        for r in range(a.repeats):
            bench.wrk("stats", "salesd", A, 1, stats_path, {"BENCH_MODE": "get", "BENCH_COOKIE": f"sid={stats_sid}"},
                      a.duration, run=r)
        info["rss"] = {"salesd (10k)": A.rss()}
        C.stop()
        info["problems"] = {"salesd": log_problems(A), "C": log_problems(C)}

        # Endpoint 5: the same page depth on the big database.
        B = Stack("salesd-big", base, db_big, "salesd", a)
        stacks.append(B.start())
        big = Client(B.port)
        big_sid = big.login("bench_rep", generate.BENCH_PASSWORD)
        big_urls = walk_pages(big, "/crm/customers", depth)
        check(len(big_urls) == depth, f"big list has fewer than {depth} pages")
        big_file = os.path.join(base, "urls-big.txt")
        open(big_file, "w").write("\n".join(big_urls) + "\n")
        log(f"endpoint 5: pages 1–{depth} on {a.customers} vs {a.big_customers} customers")
        c5 = conns[0]
        for r in range(a.repeats):
            order = [("small", A, urls_file, sid), ("big", B, big_file, big_sid)]
            for name, s, f, sd in (order if r % 2 == 0 else order[::-1]):
                bench.wrk("depth", name, s, c5, "/crm/customers", {"BENCH_MODE": "list", "BENCH_URLS": f,
                                                                  "BENCH_COOKIE": f"sid={sd}"}, a.duration, run=r)
        info["rss"]["salesd (10k)"] = A.rss()
        info["rss"]["salesd (1M)"] = B.rss()
        info["problems"]["salesd"] = log_problems(A)
        info["problems"]["salesd-big"] = log_problems(B)
        info["c5"] = c5
        info["depth"] = depth
        B.stop()
        A.stop()

        # Endpoint 6 (issue 20): the POST at full durability at the highest connection count —
        # group commit (the default), SQLite's per-commit sync inside the write lock (today's
        # way), and group commit on a database whose audit log holds 1M rows and whose
        # idempotency table holds 100k keys of the same day (the cost of a submit must not grow).
        cw = conns[-1]
        G = Stack("salesd-group", base, db_small, "salesd", a)
        P = Stack("salesd-percommit", base, db_small, "salesd", a)
        P.env["SALES_SQLITE_GROUP_COMMIT"] = "0"
        F = Stack("salesd-fulltables", base, db_small, "salesd", a)
        fill = (10_000, 1_000) if smoke else (1_000_000, 100_000)
        for st_ in (G, P, F):
            st_.migrate()
        # The C reference's copies, taken while G's database is closed (nothing left in its WAL).
        refs = []
        for name, sync in (("C-fsync", "FULL"), ("C-nosync", "NORMAL")):
            R = Stack("ref-" + sync.lower(), base, G.db, "ref", a)
            R.env["SALES_SQLITE_SYNCHRONOUS"] = sync
            refs.append((name, R))
        fill_write_tables(F.db, *fill)
        log(f"endpoint 6: POST at {cw} connections — group commit, per-commit sync, and {fill[0]} audit rows + {fill[1]} keys")
        write_env = {}
        for st_ in (G, P, F):
            stacks.append(st_.start())
            sd = Client(st_.port).login("bench_rep", generate.BENCH_PASSWORD)
            write_env[st_.name] = dict(post_env, BENCH_COOKIE=f"sid={sd}", BENCH_CSRF=csrf_of_session(st_.db, sd))
        # The C reference in the same rotation, with its per-commit fsync (FULL, as endpoint 3) and
        # without any fsync (NORMAL in WAL mode: the commit waits for no disk) — the second is the
        # ceiling of the same work on these cores, whatever the commit design.
        for name, R in refs:
            stacks.append(R.start(template))
            sd = write_env[G.name]["BENCH_COOKIE"].split("=", 1)[1]
            copy_sessions(G.db, R.db, [sd])
            write_env[R.name] = write_env[G.name]
        trio = [("group", G), ("per-commit", P), ("full-tables", F)] + refs
        before6 = {st_.name: count(st_.db, "SELECT COUNT(*) FROM crm_contacts") for _, st_ in trio}
        for r in range(a.repeats):
            for name, st_ in trio[r % len(trio):] + trio[:r % len(trio)]:
                bench.wrk("write", name, st_, cw, "/crm/customers/2/contacts", write_env[st_.name], a.duration, run=r)
        for name, st_ in trio:
            stored = count(st_.db, "SELECT COUNT(*) FROM crm_contacts") - before6[st_.name]
            answered = sum(x["requests"] for x in bench.runs if x["endpoint"] == "write" and x["server"] == name)
            info["post_rows"][st_.name] = (stored, answered)
            info["problems"][st_.name] = log_problems(st_)
            st_.stop()
        info["write"] = {"conns": cw, "audit_rows": fill[0], "keys": fill[1]}

        # Endpoint 7 (issue 17): the same system on PostgreSQL. The list page and the POST (at full
        # durability on both: SQLite group commit with synchronous=FULL semantics, PostgreSQL's
        # default synchronous_commit=on) on SQLite (one node), PostgreSQL (one node) and PostgreSQL
        # (two nodes behind one nginx upstream, sharing the same processes × threads between them),
        # interleaved run by run. The PostgreSQL database is the bench data moved by `salesd copy`.
        why = pgserver.unavailable()
        if why:
            log(f"endpoint 7 (PostgreSQL) skipped: {why}")
            info["pg"] = {"skipped": why}
        else:
            S = Stack("salesd-sqlite", base, db_small, "salesd", a)
            S.migrate()
            pg = pgserver.Postgres()
            stacks.append(pg)
            t0 = time.time()
            sh([SALESD, "copy", "--from", S.db, "--to", pg.url], env=S.env, stdout=subprocess.DEVNULL)
            copy_s = time.time() - t0
            log(f"endpoint 7: bench data copied to PostgreSQL by `salesd copy` in {copy_s:.0f} s")
            P1 = Stack("salesd-pg", base, None, "salesd", a, pg_url=pg.url)
            P2 = Stack("salesd-pg-2nodes", base, None, "salesd", a, pg_url=pg.url, nodes=2)
            PC = Stack("salesd-pg-percommit", base, None, "salesd", a, pg_url=pg.url)
            PC.env["SALES_POSTGRES_GROUP_COMMIT"] = "0"
            pg_envs, rows_of = {}, {}
            for name, st_ in (("sqlite", S), ("pg", P1), ("pg-2nodes", P2), ("pg-percommit", PC)):
                stacks.append(st_.start())
                cl = Client(st_.port)
                sd = cl.login("bench_rep", generate.BENCH_PASSWORD)
                if st_.pg_url:
                    token = pg.query(f"SELECT csrf_token FROM sessions WHERE id = '{sd}'")[0][0]
                    rows_of[name] = lambda: int(pg.query("SELECT COUNT(*) FROM crm_contacts")[0][0])
                else:
                    token = csrf_of_session(st_.db, sd)
                    rows_of[name] = (lambda db: lambda: count(db, "SELECT COUNT(*) FROM crm_contacts"))(st_.db)
                st, _, page = cl.request("GET", probe)
                check(st == 200 and page.count(b"<tr") == page_a.count(b"<tr"), f"{name}: list page {probe}: {st}")
                pg_envs[name] = ({"BENCH_MODE": "list", "BENCH_URLS": urls_file, "BENCH_COOKIE": f"sid={sd}"},
                                 dict(post_env, BENCH_COOKIE=f"sid={sd}", BENCH_CSRF=token))
            trio = [("sqlite", S), ("pg", P1), ("pg-2nodes", P2)]
            for ep, path, k in (("pg-list", "/crm/customers", 0), ("pg-post", "/crm/customers/2/contacts", 1)):
                group = trio + [("pg-percommit", PC)] if k else trio
                for r in range(a.repeats):
                    for name, st_ in group[r % len(group):] + group[:r % len(group)]:
                        before = rows_of[name]()
                        x = bench.wrk(ep, name, st_, cw, path, pg_envs[name][k], a.duration, run=r)
                        if k:
                            stored = rows_of[name]() - before
                            prev = info["post_rows"].get(f"{name} (endpoint 7)", (0, 0))
                            info["post_rows"][f"{name} (endpoint 7)"] = (prev[0] + stored, prev[1] + x["requests"])
            for name, st_ in trio + [("pg-percommit", PC)]:
                info["problems"][f"{name} (endpoint 7)"] = log_problems(st_)
                st_.stop()
            info["pg"] = {"conns": cw, "copy_s": copy_s, "version": pg.query("SHOW server_version")[0][0],
                          "sync": pg.query("SHOW synchronous_commit")[0][0]}
            pg.stop()
    except BaseException:
        for s in stacks:
            s.stop()
        print(f"run failed; logs, configs and databases kept in {base}", file=sys.stderr)
        raise
    for s in stacks:
        s.stop()
    info["elapsed"] = time.time() - t_start
    info["setup"] = t_ready - t_start
    info["machine"] = machine_info()
    info["gcc"] = " ".join(gcc_cmd)
    info["argv"] = argv
    info["nginx_conf"] = open(os.path.join(A.dir, "nginx.conf")).read()
    errors = sum(x["errors"] for x in bench.runs)
    for k, v in info["problems"].items():
        for line in v[:20]:
            log(f"PROBLEM {k}: {line}")
    results = a.results or (os.path.join(tempfile.gettempdir(), "sales-bench-smoke-RESULTS.md") if smoke
                            else os.path.join(HERE, "RESULTS.md"))
    text = report(bench, info, smoke)
    with open(results, "w") as f:
        f.write(text)
    log(f"results: {results} ({info['elapsed']:.0f} s in all)")
    if a.keep:
        log(f"kept {base}")
    else:
        shutil.rmtree(base, ignore_errors=True)
    expected = {(ep, srv) for ep in ("healthz", "list", "post") for srv in ("salesd", "C")} | \
               {("stats", "salesd"), ("depth", "small"), ("depth", "big")} | \
               {("write", srv) for srv in ("group", "per-commit", "full-tables", "C-fsync", "C-nosync")}
    if "skipped" not in info.get("pg", {}):
        expected |= {(ep, srv) for ep in ("pg-list", "pg-post") for srv in ("sqlite", "pg", "pg-2nodes")} | {("pg-post", "pg-percommit")}
    answered = {(x["endpoint"], x["server"]) for x in bench.runs if x["requests"] > 0}
    missing = expected - answered
    problems = sum(len(v) for v in info["problems"].values())
    if missing or errors or problems:
        print(f"FAILED: {errors} wrk errors, {problems} log problems, endpoints without answers: {sorted(missing)}")
        sys.exit(1)
    print(f"OK: every endpoint answered, 0 errors ({info['elapsed']:.0f} s)")


def report(bench, info, smoke):
    runs = bench.runs
    m = info["machine"]
    a = info["args"]

    def sel(ep, srv, c=None):
        return [x for x in runs if x["endpoint"] == ep and x["server"] == srv and (c is None or x["conns"] == c)]

    def rps(ep, srv, c):
        return median([x["rps"] for x in sel(ep, srv, c)])

    def ms(v):
        return f"{v / 1000:.2f}"

    out = []
    w = out.append
    w("# Benchmark results (issue #7)\n")
    if smoke:
        w("**Smoke run** (tiny data, 1 short run each): proves the harness works; the figures mean nothing.\n")
    w(f"Generated {datetime.datetime.now().strftime('%Y-%m-%d %H:%M')} by `{('bench/run.py ' + info['argv']).strip()}` "
      f"in {info['elapsed']:.0f} s ({info['setup']:.0f} s of it build + data). Every figure is from one interleaved run "
      "(salesd and the C reference alternate, run by run) on a shared machine: compare the ratios, not the absolute numbers.\n")
    w("## Machine\n")
    w(f"- {m['nproc']} cores: {m['cpu']}, {m['mem']}; kernel {m['kernel']}; load average before the run {' '.join(m['loadavg'])}")
    w(f"- {m['swift']}")
    w(f"- nginx {m['nginx']}; SQLite {m['sqlite']}; libfcgi {m['libfcgi']}; wrk {m['wrk']}; gcc {m['gcc']}")
    w("")
    w("## Setup\n")
    w(f"- Data: `bench/generate.py` — {a['customers']} customers, {a['order_lines']} order lines (endpoint 5: "
      f"{a['big_customers']} customers); users, schema and roles through `salesd migrate` / `salesd user add`.")
    w(f"- salesd: `.build/release/salesd serve` with `SALES_PROCESSES={a.get('processes', 1)}` worker processes × "
      f"`SALES_THREADS={max(1, a['threads'] // a.get('processes', 1))}` threads (synchronous=FULL, the default); "
      f"C reference: `{info['gcc']}`, `ref --threads {a['threads']} --sync FULL`.")
    w(f"- nginx per responder: `worker_processes {a['nginx_workers']}`, `upstream {{ server unix:…; keepalive {a['keepalive']}; }}`, "
      "`fastcgi_keep_conn on`, access log off, otherwise deploy/nginx/local.conf.template.")
    w(f"- wrk: `-t2 --timeout 10s --latency`, {a['duration']:g} s per run, {a['repeats']} runs per endpoint × server × "
      f"connection count; medians over the runs (p50/p99: median of the runs' values).")
    p = info["page"]
    w(f"- List page `{p['url']}`: salesd {p['salesd']} bytes, C {p['ref']} bytes"
      f"{' (byte-identical)' if p['identical'] else ' (NOT identical: see page-*.html in the kept temp dir)'}; "
      f"{p['same']} of {p['sample']} sampled pages (first, last, every tenth) byte-identical.")
    for name, (stored, answered) in info.get("post_rows", {}).items():
        w(f"- POST check, {name}: {stored} contact rows stored for {answered} answered POSTs.")
    w("")
    w("Exact commands (PORT is the nginx port of the server under test):\n")
    w("```")
    for _, c in bench.commands:
        w(c)
    w("```\n")

    ratios = {}
    titles = {"healthz": "1. Trivial route `GET /healthz`", "list": "2. Customer list page (random page, 50 rows)",
              "post": "3. Form POST: contact-log entry (validate, insert + audit + idempotency key, 303)"}
    for ep in ("healthz", "list", "post"):
        w(f"## {titles[ep]}\n")
        w("| conns | server | rps median | rps min–max | p50 ms | p99 ms | errors | salesd / C |")
        w("|---:|---|---:|---:|---:|---:|---:|---:|")
        for c in info["conns"]:
            r_s, r_c = rps(ep, "salesd", c), rps(ep, "C", c)
            ratios[(ep, c)] = r_s / r_c if r_c else float("nan")
            for srv in ("salesd", "C"):
                xs = sel(ep, srv, c)
                if not xs:
                    continue
                w(f"| {c} | {srv} | {median([x['rps'] for x in xs]):.0f} | {min(x['rps'] for x in xs):.0f}–{max(x['rps'] for x in xs):.0f} "
                  f"| {ms(median([x['p50_us'] for x in xs]))} | {ms(median([x['p99_us'] for x in xs]))} | {sum(x['errors'] for x in xs)} "
                  f"| {f'**{ratios[(ep, c)]:.2f}×**' if srv == 'salesd' else ''} |")
        w("")
    w(f"## 4. Annual order statistics for one customer (1 connection, salesd)\n")
    st = info["stats"]
    xs = sel("stats", "salesd")
    stats_mean = median([x["mean_us"] for x in xs])
    w(f"`GET {st['path']}` as `bench_stats`, who owns only that customer ({st['lines']} order lines that year "
      f"of {a['order_lines']}; page {st['bytes']} bytes).\n")
    w("| runs | mean ms (median) | mean min–max | p50 ms | p99 ms | rps | errors |")
    w("|---:|---:|---:|---:|---:|---:|---:|")
    w(f"| {len(xs)} | {ms(stats_mean)} | {ms(min(x['mean_us'] for x in xs))}–{ms(max(x['mean_us'] for x in xs))} "
      f"| {ms(median([x['p50_us'] for x in xs]))} | {ms(median([x['p99_us'] for x in xs]))} | {median([x['rps'] for x in xs]):.1f} "
      f"| {sum(x['errors'] for x in xs)} |\n")
    w(f"## 5. List page at the same depth: {a['customers']} vs {a['big_customers']} customers (salesd, {info['c5']} connections)\n")
    w(f"Random page among pages 1–{info['depth']} of each database (the URLs collected by following 下一页 on each).\n")
    w("| customers | rps median | rps min–max | p50 ms | p99 ms | errors |")
    w("|---:|---:|---:|---:|---:|---:|")
    for name, n in (("small", a["customers"]), ("big", a["big_customers"])):
        xs = sel("depth", name)
        w(f"| {n} | {median([x['rps'] for x in xs]):.0f} | {min(x['rps'] for x in xs):.0f}–{max(x['rps'] for x in xs):.0f} "
          f"| {ms(median([x['p50_us'] for x in xs]))} | {ms(median([x['p99_us'] for x in xs]))} | {sum(x['errors'] for x in xs)} |")
    flat = rps("depth", "big", info["c5"]) / rps("depth", "small", info["c5"])
    w(f"\nRatio big / small: **{flat:.3f}×**\n")
    wr = info["write"]
    cw = wr["conns"]
    w(f"## 6. Form POST at full durability: group commit vs per-commit sync; 1M audit rows ({cw} connections, salesd)\n")
    w(f"The POST of endpoint 3 on three copies of the database: `group` (the default: commits share one `fdatasync` "
      f"made outside the write lock, the 303 sent after it), `per-commit` (`SALES_SQLITE_GROUP_COMMIT=0`: SQLite syncs "
      f"each commit inside the lock, as before issue 20), and `full-tables` (group commit on a database with "
      f"{wr['audit_rows']:,} audit rows and {wr['keys']:,} idempotency keys of the same day); then the C reference "
      f"(bench/reference/ref.c, the same work) with SQLite's per-commit fsync (`C-fsync`, synchronous=FULL) and with "
      f"none (`C-nosync`, synchronous=NORMAL in WAL mode: not durable, the ceiling).\n")
    w("| variant | rps median | rps min–max | p50 ms | p99 ms | errors |")
    w("|---|---:|---:|---:|---:|---:|")
    for name in ("group", "per-commit", "full-tables", "C-fsync", "C-nosync"):
        xs = sel("write", name)
        w(f"| {name} | {median([x['rps'] for x in xs]):.0f} | {min(x['rps'] for x in xs):.0f}–{max(x['rps'] for x in xs):.0f} "
          f"| {ms(median([x['p50_us'] for x in xs]))} | {ms(median([x['p99_us'] for x in xs]))} | {sum(x['errors'] for x in xs)} |")
    group_vs_pc = rps("write", "group", cw) / rps("write", "per-commit", cw)
    full_vs_group = rps("write", "full-tables", cw) / rps("write", "group", cw)
    group_vs_c = rps("write", "group", cw) / rps("write", "C-fsync", cw)
    ceiling = rps("write", "C-nosync", cw) / rps("write", "C-fsync", cw)
    write_p99 = median([x["p99_us"] for x in sel("write", "group", cw)])
    w(f"\nGroup commit / per-commit sync: **{group_vs_pc:.2f}×**; full tables / empty: **{full_vs_group:.2f}×**; "
      f"group commit / the C reference's per-commit POST (same rotation, {cw} connections): **{group_vs_c:.2f}×**; "
      f"the C reference without any fsync / with its per-commit fsync: **{ceiling:.2f}×** — the most any commit design "
      "can gain over per-commit fsync for this work on these cores.\n")
    pgi = info.get("pg", {})
    pg_rows = {}
    w("## 7. The same system on PostgreSQL: list page and POST, one node and two (issue 17)\n")
    if "skipped" in pgi:
        w(f"Not run: {pgi['skipped']}.\n")
    else:
        cp = pgi["conns"]
        w(f"PostgreSQL {pgi['version']} (Debian's, started as `postgres` on a private socket; `synchronous_commit={pgi['sync']}`, "
          f"otherwise defaults) holding the bench data, moved there by `salesd copy` in {pgi['copy_s']:.0f} s. "
          f"Responders interleaved run by run at {cp} connections: `sqlite` (the default, one node), `pg` (one node on "
          f"PostgreSQL, group commit: the write transaction commits with `synchronous_commit=off` inside the write lock, then "
          f"waits for a WAL flush outside it), `pg-percommit` (POST only: `postgresGroupCommit=false`, each commit flushes "
          f"inside the lock) and `pg-2nodes` (two salesd nodes, each with its own data folder, behind one nginx upstream on the "
          f"same PostgreSQL, sharing the same {a.get('processes', 1)} processes × {max(1, a['threads'] // a.get('processes', 1))} "
          "threads between them). All on the same two cores: two nodes here show the cost of coordinating through one "
          "database (the advisory write lock), not the capacity a second machine adds.\n")
        w("| endpoint | variant | rps median | rps min–max | p50 ms | p99 ms | errors | / sqlite |")
        w("|---|---|---:|---:|---:|---:|---:|---:|")
        for ep, title in (("pg-list", "list page"), ("pg-post", "POST")):
            base_rps = rps(ep, "sqlite", cp)
            for name in ("sqlite", "pg", "pg-percommit", "pg-2nodes"):
                xs = sel(ep, name)
                if not xs:
                    continue
                r_ = median([x["rps"] for x in xs])
                pg_rows[(ep, name)] = r_ / base_rps if base_rps else float("nan")
                w(f"| {title} | {name} | {r_:.0f} | {min(x['rps'] for x in xs):.0f}–{max(x['rps'] for x in xs):.0f} "
                  f"| {ms(median([x['p50_us'] for x in xs]))} | {ms(median([x['p99_us'] for x in xs]))} | {sum(x['errors'] for x in xs)} "
                  f"| {'' if name == 'sqlite' else f'**{pg_rows[(ep, name)]:.2f}×**'} |")
        w("")
    w("## Memory\n")
    w("| process | VmRSS after the runs (largest process) | all processes | VmHWM (peak) |")
    w("|---|---:|---:|---:|")
    for k, v in info["rss"].items():
        w(f"| {k} | {v.get('VmRSS', 0):.1f} MB | {v.get('total', 0):.1f} MB | {v.get('VmHWM', 0):.1f} MB |")
    w("")
    w("## Targets\n")
    errors = sum(x["errors"] for x in runs)
    problems = sum(len(v) for v in info["problems"].values())
    p99_64 = median([x["p99_us"] for x in sel("list", "salesd", 64)]) if 64 in info["conns"] else float("nan")
    rss = info["rss"]["salesd (10k)"].get("VmRSS", 0)

    def row(fig, target, value, ok):
        w(f"| {fig} | {target} | {value} | {'pass' if ok else '**FAIL**'} |")
    w("| figure | target | measured | |")
    w("|---|---|---|---|")
    for ep, fig, tgt in (("healthz", "trivial route rps vs C", 0.9), ("list", "list page rps vs C", 0.7),
                         ("post", "form POST rps vs C", 0.7)):
        vals = [ratios[(ep, c)] for c in info["conns"]]
        row(fig, f"≥ {tgt}×", " / ".join(f"{v:.2f}× @{c}" for v, c in zip(vals, info["conns"])), all(v >= tgt for v in vals))
    row("p99 list page at 64 connections", "< 10 ms", f"{ms(p99_64)} ms" if p99_64 == p99_64 else "not run", p99_64 < 10000)
    row("salesd RSS after the runs (largest process)", "< 64 MB",
        " / ".join(f"{v.get('VmRSS', 0):.1f} MB ({k}; all processes {v.get('total', 0):.1f} MB)" for k, v in info["rss"].items()),
        all(v.get("VmRSS", 0) < 64 for v in info["rss"].values()))
    row("list page at 1M customers vs 10k", "≥ 0.9×", f"{flat:.3f}×", flat >= 0.9)
    row("annual statistics, one customer, 1 connection", "< 50 ms", f"{ms(stats_mean)} ms mean", stats_mean < 50000)
    row(f"POST at full durability, group commit vs per-commit sync @{cw}", "≥ 3×", f"{group_vs_pc:.2f}×", group_vs_pc >= 3)
    row(f"POST group commit vs the C reference (per-commit fsync) @{cw}", "≥ 3×",
        f"{group_vs_c:.2f}× (C with no fsync at all: {ceiling:.2f}×)", group_vs_c >= 3)
    row(f"POST p99 @{cw}, group commit", "< 50 ms", f"{ms(write_p99)} ms", write_p99 < 50000)
    row("POST with 1M audit rows + 100k keys vs empty", "≥ 0.9×", f"{full_vs_group:.2f}×", full_vs_group >= 0.9)
    for (ep, name), v in pg_rows.items():
        if name != "sqlite":
            w(f"| {'list page' if ep == 'pg-list' else 'POST'} on PostgreSQL ({name}) vs SQLite | (measured, no target) "
              f"| {v:.2f}× | — |")
    row("errors / non-2xx-3xx", "0", f"{errors} (wrk) + {problems} (5xx/error log lines)", errors == 0 and problems == 0)
    w("")
    if problems:
        w("## Log problems\n")
        w("```")
        for k, v in info["problems"].items():
            for line in v[:30]:
                w(f"{k}: {line}")
        w("```\n")
    analysis = os.path.join(HERE, "ANALYSIS.md")
    if os.path.exists(analysis):
        # The hand-written part: where the time goes (profile) and what the missed targets would take.
        with open(analysis) as f:
            w(f.read().rstrip() + "\n")
    w("## What is not apples-to-apples\n")
    hz = info.get("healthz", {})
    def heads(h):
        return "; ".join(f"`{k}: {re.sub(r'=[0-9a-f]{32,}', '=…', v)}`" for k, v in (h or {}).items())
    w(f"- `/healthz` response headers (no cookie sent, as wrk and a monitor do) — salesd: {heads(hz.get('salesd'))}; "
      f"C: {heads(hz.get('C'))}. nginx adds the same security headers to both.")
    w("- The C reference renders the layout from a salesd page captured at start-up (menu, filters, table head: static "
      "for this user) and produces the rows, the per-session CSRF token, the user's name and the keyset pager per request; "
      "its output is checked byte for byte against salesd above. It checks permissions with one query (salesd: user, "
      "roles, permissions).")
    w("- POST: both run BEGIN IMMEDIATE behind an in-process write mutex, look up the idempotency key, delete expired keys, "
      "check the customer's owner, insert the contact, the audit row and the key, COMMIT (synchronous=FULL). salesd runs "
      "the handler in a SAVEPOINT and reads the whole customer row; C reads owner_id only. C's 4xx pages are plain text "
      "(never hit here).")
    w("- Both write one access-log line per request to stderr (a file here).")
    w("- Endpoint 4 asks for one customer (`customer=`) as `bench_stats`, a rep who owns only that customer, so the "
      "page is that customer's table whether or not the filter is honoured. Endpoints 4 and 5 have no C counterpart.")
    w("- wrk (2 threads), both nginx instances and the responder share the same cores; the machine is shared with other work.")
    w("- Closed-loop load: with C connections always busy, mean latency = C / throughput, so a p99 under 10 ms at 64 "
      "connections needs well over 6,400 requests/s.")
    w(f"- Upstream keepalive: a libfcgi worker that served a kept-alive connection waits on it for the next request, so "
      f"keepalive × nginx workers ({a['keepalive']} × {a['nginx_workers']}) is kept below the worker threads ({a['threads']}); "
      "at equality every worker can be parked on an idle connection, nobody accepts, the backlog fills and nginx answers 502 "
      "(seen with 2 × 2 on 4 threads). Below it, a connection nginx keeps is reused at once for the next request it "
      "receives, so newly arrived requests overtake those waiting in the responder's listen backlog (service becomes "
      "LIFO-like): p50 drops and p99 grows to seconds under saturation, for salesd and C alike, while the handlers "
      "themselves stay in the milliseconds (access logs). `--keepalive 0` (a connection per request) gives fair queueing.")
    w("")
    w("## nginx configuration used\n")
    w("```nginx")
    w(re.sub(r"listen 127.0.0.1:\d+", "listen 127.0.0.1:PORT", re.sub(r"/tmp/sales-bench-[^/]+", "$RUN", info["nginx_conf"])).rstrip())
    w("```")
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    main()
