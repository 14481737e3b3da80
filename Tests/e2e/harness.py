"""Starts the real responder and a real nginx on loopback (free port, temp dir) for e2e tests."""
import atexit
import http.client
import os
import shutil
import re
import signal
import socket
import subprocess
import tempfile
import time
import urllib.parse

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SALESD = os.environ.get("SALESD", os.path.join(ROOT, ".build", "debug", "salesd"))
PASSWORD = "e2e-Passw0rd!"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _alive(pid):
    """A process that exists and is not a zombie (a zombie holds no files)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return not f.read().rsplit(") ", 1)[1].startswith("Z")
    except OSError:
        return False


class Stack:
    """salesd + nginx, each with its own files under a temp dir."""

    def __init__(self, app_max_body=1 << 20, nginx_max_body="8m", threads=4, extra_env=None):
        self.dir = tempfile.mkdtemp(prefix="sales-e2e-")
        atexit.register(shutil.rmtree, self.dir, True)  # after the tests have read the database
        self.port = free_port()
        self.socket = os.path.join(self.dir, "salesd.sock")
        self.env = dict(os.environ)
        self.env.update({
            "SALES_DATA_DIR": os.path.join(self.dir, "data"),
            "SALES_LISTEN": "unix:" + self.socket,
            "SALES_WEB_DIR": os.path.join(ROOT, "Web"),
            "SALES_PLUGINS_DIR": os.path.join(ROOT, "Plugins"),
            "SALES_DEBUG_ROUTES": "1",
            "SALES_MAX_BODY_BYTES": str(app_max_body),
            "SALES_THREADS": str(threads),
        })
        self.env.update(extra_env or {})
        self.nginx_max_body = nginx_max_body
        self.app = None
        self.nginx = None
        self.app_log = open(os.path.join(self.dir, "salesd.log"), "wb")

    @property
    def db_path(self):
        return os.path.join(self.dir, "data", "sales.sqlite")

    def cli(self, *args):
        return subprocess.run([SALESD, *args], env=self.env, check=True, capture_output=True, text=True).stdout

    def start(self, inherit=None):
        self.cli("migrate")
        self.cli("user", "add", "admin", "--display-name", "管理员", "--roles", "admin", "--password", PASSWORD)
        self.cli("user", "add", "rep", "--display-name", "销售甲", "--roles", "sales_rep", "--password", PASSWORD)
        self.start_app(inherit)
        return self.start_nginx()

    def start_nginx(self, upstream=None):
        """nginx on this stack's port in front of its responder, or (`upstream`: several
        responders' sockets) in front of all of them as one upstream — connection errors go to
        the next node, a request that reached one is never re-sent (deploy/nginx/upstream.conf)."""
        conf = subprocess.run([os.path.join(ROOT, "deploy", "local", "render-nginx.sh"), self.dir, str(self.port),
                               self.socket, os.path.join(ROOT, "Web"), self.nginx_max_body],
                              check=True, capture_output=True, text=True).stdout
        if upstream:
            servers = "".join(f"        server unix:{sock} max_fails=1 fail_timeout=30s;\n" for sock in upstream)
            conf = conf.replace("    server {\n", "    upstream salesd_nodes {\n" + servers + "    }\n\n    server {\n", 1)
            conf = conf.replace(f"fastcgi_pass unix:{self.socket};",
                                "fastcgi_pass salesd_nodes;\n            fastcgi_next_upstream error timeout;")
        with open(os.path.join(self.dir, "nginx.conf"), "w") as f:
            f.write(conf)
        self.nginx = subprocess.Popen(["nginx", "-p", self.dir, "-c", os.path.join(self.dir, "nginx.conf"),
                                       "-e", os.path.join(self.dir, "nginx-error.log"), "-g", "daemon off;"])
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("nginx did not start")

    def start_app(self, inherit=None):
        """Starts `salesd serve`; with `inherit` (a listening socket), as systemd socket
        activation does: the socket is fd 0 and salesd is told `--listen inherit`."""
        if inherit is not None:
            self.app = subprocess.Popen([SALESD, "serve", "--listen", "inherit"], env=self.env, stdin=inherit.fileno(),
                                        stdout=self.app_log, stderr=self.app_log)
            time.sleep(0.3)
            return
        log_path = os.path.join(self.dir, "salesd.log")
        log_start = os.path.getsize(log_path) if os.path.exists(log_path) else 0
        # `serve_args`: extra options for `salesd serve` (e.g. ["--config", path]) a test may set.
        self.app = subprocess.Popen([SALESD, "serve", *getattr(self, "serve_args", [])], env=self.env,
                                    stdout=self.app_log, stderr=self.app_log)
        deadline = time.time() + 10
        while not os.path.exists(self.socket):
            if time.time() > deadline or self.app.poll() is not None:
                raise RuntimeError("salesd did not start: " + open(os.path.join(self.dir, "salesd.log")).read())
            time.sleep(0.05)
        # The master opens the socket before its workers are ready: wait until each worker says
        # it is serving (every thread has its database connection), as a readiness check would.
        workers = int(self.env.get("SALES_PROCESSES", "2"))
        deadline = time.time() + 20
        while True:
            with open(log_path, errors="replace") as f:
                f.seek(log_start)
                if f.read().count(" serving with ") >= workers:
                    break
            if time.time() > deadline or self.app.poll() is not None:
                raise RuntimeError("salesd workers did not start: " + open(log_path, errors="replace").read()[-3000:])
            time.sleep(0.05)

    def stop(self):
        if self.app and self.app.poll() is None:
            self.app.send_signal(signal.SIGTERM)
            try:
                self.app.wait(10)
            except subprocess.TimeoutExpired:
                self.app.kill()
        if self.nginx and self.nginx.poll() is None:
            self.nginx.send_signal(signal.SIGQUIT)
            try:
                self.nginx.wait(10)
            except subprocess.TimeoutExpired:
                self.nginx.kill()

    def worker_pids(self):
        """The pool's worker processes (children of the `salesd serve` master)."""
        if not self.app or self.app.poll() is not None:
            return []
        try:
            with open(f"/proc/{self.app.pid}/task/{self.app.pid}/children") as f:
                return [int(p) for p in f.read().split()]
        except OSError:
            return []

    def kill_all(self, sig=signal.SIGKILL):
        """Kills the master and its workers at once (a crash of the whole service)."""
        # The master first stopped (it would replace the workers), then the workers (before the
        # master's death sends them SIGTERM and they close their files cleanly), then the master.
        self.app.send_signal(signal.SIGSTOP)
        pids = self.worker_pids()
        for pid in pids:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        self.app.send_signal(sig)
        self.app.send_signal(signal.SIGCONT)
        self.app.wait(10)
        deadline = time.time() + 10
        while time.time() < deadline and any(_alive(pid) for pid in pids):
            time.sleep(0.02)

    def health(self):
        """`/healthz` through nginx, as monitoring asks it: (status, {name: value}), the first
        line ("ok") under "state"."""
        r = self.client().get("/healthz")
        lines = r.text.strip().splitlines()
        fields = {"state": lines[0] if lines else ""}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            fields[k.strip()] = v.strip()
        return r.status, fields

    def log(self):
        with open(os.path.join(self.dir, "salesd.log"), errors="replace") as f:
            return f.read()

    def client(self):
        return Client(self.port)


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body
        self.text = body.decode("utf-8", errors="replace")

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None


class Client:
    """A browser without JavaScript: keeps cookies, remembers the last CSRF token."""

    def __init__(self, port, prefix=""):
        self.port = port
        self.prefix = prefix  # a mount like "/sales": put before every path given (not before `absolute` ones)
        self.cookies = {}
        self.csrf = None

    def request(self, method, path, body=None, headers=None, absolute=False):
        if self.prefix and not absolute and path.startswith("/"):
            path = self.prefix + path
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
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
        resp = Response(r.status, r.getheaders(), data)
        m = re.search(r'name="_csrf" value="([0-9a-f]+)"', resp.text)
        if m:
            self.csrf = m.group(1)
        return resp

    def get(self, path, absolute=False):
        return self.request("GET", path, absolute=absolute)

    def post(self, path, fields, csrf=True):
        pairs = list(fields.items()) if isinstance(fields, dict) else list(fields)
        if csrf:
            pairs = [("_csrf", self.csrf or "")] + pairs
        body = urllib.parse.urlencode(pairs).encode()
        return self.request("POST", path, body, {"Content-Type": "application/x-www-form-urlencoded"})

    def login(self, username, password=PASSWORD):
        self.get("/login")
        return self.post("/login", {"username": username, "password": password})
