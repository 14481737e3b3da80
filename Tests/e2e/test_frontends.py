"""Issue 19: FastCGI by the standard. The same short flow through each supported front end —
nginx, Apache httpd (mod_proxy_fcgi) and lighttpd (mod_fastcgi) — at the site root and mounted
under /sales/, each front end running the site file shipped in deploy/ (only the socket, the
static folder and the port substituted), as www-data when the tests run as root.

Apache runs from a private copy of Debian's /etc/apache2 with the site installed the way the
README says (a2enmod proxy_fcgi headers, a2ensite sales, a2dissite 000-default); lighttpd from
Debian's stock lighttpd.conf with the site included; nginx from the site inside a minimal
nginx.conf. Every config is checked first (apachectl -t, lighttpd -tt, nginx -t). Private ports
on 127.0.0.1, pid files and logs in the test's temp dir; nothing of the system's services is used.

The flow: the login page and its CSS, a login, a form posted with an error (422, values kept)
and corrected (303), a multipart upload and the uploaded file served back, a body over the app's
limit (the app's 413) and over the front end's (the front end's 413), a POST without the CSRF token
(403), a CSV export and a print page reached from the links in the pages, logout; and every page
seen has no site-absolute link outside the mount.
"""
import grp
import os
import pwd
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import time
import urllib.parse

import pytest

from harness import PASSWORD, ROOT, Client, Stack, free_port

IS_ROOT = os.geteuid() == 0
WWW = "www-data"
MOUNT = "/sales"
APP_MAX_BODY = 1 << 20  # the app's own limit in these tests; the front ends' is the shipped 8 MiB
BOUNDARY = "----e2eFrontEndBoundary0x19"
PNG = bytes([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) + b"\x00\x00\x00\x0dIHDR" + b"\x00" * 32
SECURITY_HEADERS = {"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "same-origin"}


def need(*binaries):
    for b in binaries:
        if shutil.which(b) is None:
            pytest.fail(f"{b} is not installed: `make deps` installs apache2, lighttpd and nginx")


def replace_all(text, pairs):
    """Substitutes each (old, new), failing if the shipped file no longer contains `old`."""
    for old, new in pairs:
        assert old in text, f"the shipped site file no longer contains {old!r}: update the test with the file"
        text = text.replace(old, new)
    return text


def site_variant(text, mount):
    """The shipped Apache/lighttpd site as the admin edits it for `mount`, following the file's own
    instructions: at the root as shipped; under a sub-path, the "at the site root" block deleted
    and the "# " taken off the lines of the "under a sub-path" block."""
    markers = ["# >>> at the site root", "# <<< at the site root", "# >>> under a sub-path", "# <<< under a sub-path"]
    for m in markers:
        assert [line.strip() for line in text.splitlines()].count(m) == 1, f"marker line {m!r} missing from the shipped site file"
    if not mount:
        return text
    out, block = [], None
    for line in text.splitlines(keepends=True):
        s = line.strip()
        if s in (markers[0], markers[2]):
            block = "root" if s == markers[0] else "sub"
            continue
        if s in (markers[1], markers[3]):
            block = None
            continue
        if block == "root":
            continue
        if block == "sub":
            line = re.sub(r"^(\s*)# ?", r"\1", line)
        out.append(line)
    return "".join(out).replace("/sales", mount)


def wait_port(port, proc, log, what):
    deadline = time.time() + 15
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}: " + read(log))
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{what} did not start: " + read(log))


def read(path):
    try:
        with open(path, errors="replace") as f:
            return f.read()[-4000:]
    except OSError:
        return ""


def stop(proc, sig=signal.SIGTERM):
    if proc and proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


class FrontEnd:
    """One front end in front of one salesd (a harness Stack without its nginx)."""

    name = ""

    def __init__(self, mount=""):
        self.mount = mount
        env = {"SALES_MOUNT_PATH": mount} if mount else {}
        self.stack = Stack(app_max_body=APP_MAX_BODY, extra_env=env)
        self.dir = self.stack.dir
        self.port = self.stack.port
        self.proc = None
        self.static = os.path.join(self.dir, "static")
        shutil.copytree(os.path.join(ROOT, "Web", "static"), self.static)
        # The front end's user must reach the static files and the socket inside the temp dir.
        os.chmod(self.dir, 0o711)
        for base, dirs, files in os.walk(self.static):
            os.chmod(base, 0o755)
            for f in files:
                os.chmod(os.path.join(base, f), 0o644)

    def start(self):
        s = self.stack
        s.cli("migrate")
        s.cli("user", "add", "admin", "--display-name", "管理员", "--roles", "admin", "--password", PASSWORD)
        s.cli("user", "add", "rep", "--display-name", "销售甲", "--roles", "sales_rep", "--password", PASSWORD)
        s.start_app()
        if IS_ROOT:
            # As systemd's salesd.socket does it: group www-data, mode 0660.
            os.chown(s.socket, -1, grp.getgrnam(WWW).gr_gid)
        self.configtest()
        self.launch()
        wait_port(self.port, self.proc, self.error_log, self.name)
        return self

    def stop(self):
        stop(self.proc)
        self.stack.stop()

    def client(self):
        return Client(self.port, self.mount)

    def configtest(self):
        r = subprocess.run(self.configtest_command, env=self.env, capture_output=True, text=True)
        assert r.returncode == 0, f"{self.configtest_command}: {r.stdout}{r.stderr}"
        return r.stdout + r.stderr


class Apache(FrontEnd):
    """Debian's apache2 from a private copy of /etc/apache2: the site installed as the README says."""

    name = "apache"

    def __init__(self, mount=""):
        need("apache2", "apachectl", "a2enmod", "a2ensite")
        super().__init__(mount)
        d = os.path.join(self.dir, "apache")
        self.confdir = os.path.join(d, "apache2")
        shutil.copytree("/etc/apache2", self.confdir, symlinks=True)
        for sub in ("run", "lock", "log", "state"):
            os.makedirs(os.path.join(d, sub))
        user = WWW if IS_ROOT else pwd.getpwuid(os.geteuid()).pw_name
        group = WWW if IS_ROOT else grp.getgrgid(os.getegid()).gr_name
        envvars = {
            "APACHE_RUN_USER": user, "APACHE_RUN_GROUP": group,
            "APACHE_PID_FILE": os.path.join(d, "run", "apache2.pid"), "APACHE_RUN_DIR": os.path.join(d, "run"),
            "APACHE_LOCK_DIR": os.path.join(d, "lock"), "APACHE_LOG_DIR": os.path.join(d, "log"), "LANG": "C",
        }
        with open(os.path.join(self.confdir, "envvars"), "w") as f:
            f.writelines(f"export {k}={v}\n" for k, v in envvars.items())
        with open(os.path.join(self.confdir, "ports.conf"), "w") as f:
            f.write(f"Listen 127.0.0.1:{self.port}\n")
        enabled = os.path.join(self.confdir, "sites-enabled")
        for link in os.listdir(enabled):  # the private copy serves only this site
            os.remove(os.path.join(enabled, link))
        with open(os.path.join(ROOT, "deploy", "apache", "sales.conf")) as f:
            site = site_variant(f.read(), mount)
        site = replace_all(site, [("<VirtualHost *:80>", f"<VirtualHost *:{self.port}>"),
                                  ("/run/salesd/salesd.sock", self.stack.socket),
                                  ("/opt/sales/Web/static/", self.static + "/")])
        with open(os.path.join(self.confdir, "sites-available", "sales.conf"), "w") as f:
            f.write(site)
        self.env = dict(os.environ, APACHE_CONFDIR=self.confdir, APACHE_ENVVARS=os.path.join(self.confdir, "envvars"),
                        APACHE_STATE_DIRECTORY=os.path.join(d, "state"), **envvars)
        for cmd in (["a2enmod", "-q", "proxy_fcgi", "headers"], ["a2ensite", "-q", "sales"]):
            subprocess.run(cmd, env=self.env, check=True, capture_output=True)
        self.configtest_command = ["apachectl", "-t"]
        self.error_log = os.path.join(d, "log", "error.log")

    def launch(self):
        self.out = open(os.path.join(self.dir, "apache.out"), "wb")
        self.proc = subprocess.Popen(["apache2", "-d", self.confdir, "-DFOREGROUND"], env=self.env,
                                     stdout=self.out, stderr=self.out)
        self.error_log = os.path.join(self.dir, "apache.out")


class Lighttpd(FrontEnd):
    """Debian's stock lighttpd.conf with private paths and port, including the shipped site."""

    name = "lighttpd"

    def __init__(self, mount=""):
        need("lighttpd")
        super().__init__(mount)
        d = os.path.join(self.dir, "lighttpd")
        os.makedirs(os.path.join(d, "uploads"))
        if IS_ROOT:  # lighttpd opens its log after dropping to www-data
            for p in (d, os.path.join(d, "uploads")):
                os.chown(p, pwd.getpwnam(WWW).pw_uid, grp.getgrnam(WWW).gr_gid)
        with open(os.path.join(ROOT, "deploy", "lighttpd", "sales.conf")) as f:
            site = site_variant(f.read(), mount)
        site = replace_all(site, [("/run/salesd/salesd.sock", self.stack.socket),
                                  ("/opt/sales/Web/static/", self.static + "/")])
        site_path = os.path.join(self.dir, "lighttpd-sales.conf")
        with open(site_path, "w") as f:
            f.write(site)
        with open("/etc/lighttpd/lighttpd.conf") as f:
            conf = f.read()
        self.error_log = os.path.join(d, "error.log")
        for pattern, new in [
            (r'^server\.document-root\s*=.*$', f'server.document-root = "{self.static}"'),
            (r'^server\.upload-dirs\s*=.*$', f'server.upload-dirs = ( "{d}/uploads" )'),
            (r'^server\.errorlog\s*=.*$', f'server.errorlog = "{self.error_log}"'),
            (r'^server\.pid-file\s*=.*$', f'server.pid-file = "{d}/lighttpd.pid"'),
            (r'^server\.port\s*=.*$', f'server.port = {self.port}\nserver.bind = "127.0.0.1"'),
            (r'^include_shell "/usr/share/lighttpd/use-ipv6\.pl.*$', "# (IPv6 listener left out: loopback only)"),
            (r'^include "/etc/lighttpd/conf-enabled/\*\.conf"$', f'include "{site_path}"'),
        ]:
            conf, n = re.subn(pattern, lambda _m, new=new: new, conf, flags=re.M)
            assert n == 1, f"Debian's lighttpd.conf changed: {pattern}"
        if not IS_ROOT:
            conf = re.sub(r'^server\.(username|groupname)\s*=.*$', "", conf, flags=re.M)
        self.conf = os.path.join(self.dir, "lighttpd.conf")
        with open(self.conf, "w") as f:
            f.write(conf)
        self.env = dict(os.environ)
        self.configtest_command = ["lighttpd", "-tt", "-f", self.conf]

    def launch(self):
        self.out = open(os.path.join(self.dir, "lighttpd.out"), "wb")
        self.proc = subprocess.Popen(["lighttpd", "-D", "-f", self.conf], stdout=self.out, stderr=self.out)


class Nginx(FrontEnd):
    """The shipped nginx site inside a minimal nginx.conf (Debian's mime types and fastcgi_params)."""

    name = "nginx"

    def __init__(self, mount=""):
        need("nginx")
        super().__init__(mount)
        with open(os.path.join(ROOT, "deploy", "nginx", "sales.conf")) as f:
            site = f.read()
        site = replace_all(site, [("    listen 80;\n", f"    listen 127.0.0.1:{self.port};\n"),
                                  ("    listen [::]:80;\n", ""),
                                  ("include fastcgi_params;", "include /etc/nginx/fastcgi_params;"),
                                  ("unix:/run/salesd/salesd.sock", "unix:" + self.stack.socket),
                                  ("/opt/sales/Web/static", self.static)])
        if mount:
            # What the comment in sales.conf tells the admin to do.
            site = replace_all(site, [("    location /static/ {", f"    location {mount}/static/ {{"),
                                      ("    location ^~ /_debug/ {", f"    location ^~ {mount}/_debug/ {{"),
                                      ("    location / {", f"    location = {mount} {{ return 301 {mount}/; }}\n"
                                                         f"    location {mount}/ {{")])
        site_path = os.path.join(self.dir, "nginx-sales.conf")
        with open(site_path, "w") as f:
            f.write(site)
        self.error_log = os.path.join(self.dir, "nginx-error.log")
        user = f"user {WWW} {WWW};" if IS_ROOT else ""
        self.conf = os.path.join(self.dir, "nginx.conf")
        with open(self.conf, "w") as f:
            f.write(f"""{user}
worker_processes 2;
pid {self.dir}/nginx.pid;
error_log {self.error_log} warn;
events {{ worker_connections 256; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log {self.dir}/nginx-access.log;
    client_body_temp_path {self.dir}/nginx-client-body;
    fastcgi_temp_path {self.dir}/nginx-fastcgi;
    proxy_temp_path {self.dir}/nginx-proxy;
    uwsgi_temp_path {self.dir}/nginx-uwsgi;
    scgi_temp_path {self.dir}/nginx-scgi;
    include {site_path};
}}
""")
        self.env = dict(os.environ)
        self.configtest_command = ["nginx", "-t", "-p", self.dir, "-c", self.conf, "-e", self.error_log]

    def launch(self):
        self.proc = subprocess.Popen(["nginx", "-p", self.dir, "-c", self.conf, "-e", self.error_log, "-g", "daemon off;"])

    def stop(self):
        stop(self.proc, signal.SIGQUIT)
        self.stack.stop()


FRONT_ENDS = {"nginx": Nginx, "apache": Apache, "lighttpd": Lighttpd}


def multipart(fields, files):
    out = b""
    for name, value in fields:
        out += f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode() + value.encode() + b"\r\n"
    for name, filename, ctype, data in files:
        out += (f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                f"Content-Type: {ctype}\r\n\r\n").encode() + data + b"\r\n"
    return out + f"--{BOUNDARY}--\r\n".encode()


def cookie_attrs(response, name):
    for k, v in response.headers:
        if k.lower() == "set-cookie" and v.startswith(name + "="):
            return v
    return None


def check_links(fe, r, where):
    """No site-absolute URL in a page may miss the mount; returns the page's links."""
    links = re.findall(r'\s(?:href|src|action|formaction)="(/[^"]*)"', r.text)
    if fe.mount:
        outside = [u for u in links if not (u == fe.mount or u.startswith(fe.mount + "/"))]
        assert not outside, f"{fe.name}: links without {fe.mount} on {where}: {outside[:5]}"
    return links


def run_flow(fe):
    m = fe.mount
    # The login page, through a front end that may omit CONTENT_LENGTH (Apache does for a GET).
    c = fe.client()
    page = c.get("/login")
    assert page.status == 200, f"{fe.name}: {page.status} {page.text[:300]}"
    assert "登录" in page.text and "请求体长度与声明不符" not in page.text
    for k, v in SECURITY_HEADERS.items():
        assert page.header(k) == v, f"{fe.name}: security header {k} missing on a page"
    assert "default-src 'self'" in (page.header("Content-Security-Policy") or "")
    links = check_links(fe, page, "/login")
    css = [u for u in links if u.split("?")[0].endswith("/static/app.css")]
    assert len(css) == 1 and css[0].startswith(m + "/static/app.css?v="), links
    style = c.get(css[0], absolute=True)
    assert style.status == 200 and b"{" in style.body, f"{fe.name}: static CSS {css[0]} → {style.status}"
    assert "css" in (style.header("Content-Type") or "")
    assert style.header("X-Content-Type-Options") == "nosniff"
    pre = cookie_attrs(page, "pre_csrf")
    assert pre and f"Path={m or '/'};" in pre, pre

    # The mount itself without its slash, and a debug route, which the site files keep out.
    if m:
        bare = c.get(m, absolute=True)
        target = urllib.parse.urlsplit(bare.header("Location") or "").path
        assert bare.status in (301, 302, 303) and target.startswith(m + "/"), f"{fe.name}: {m} → {bare.status} {target}"
    assert c.get("/_debug/sleep?ms=1").status in (403, 404)

    # Login: 303 to the home page, inside the mount; the session cookie's path is the mount.
    login = c.login("admin")
    assert login.status == 303, f"{fe.name}: login {login.status} {login.text[:300]}"
    assert login.header("Location") == m + "/"
    sid = cookie_attrs(login, "sid")
    assert sid and f"Path={m or '/'};" in sid and "HttpOnly" in sid, sid
    home = c.get("/")
    assert home.status == 200 and "待办事项" in home.text
    check_links(fe, home, "/")

    # A form with mistakes: 422, every typed value kept; corrected: 303 inside the mount.
    check_links(fe, c.get("/admin/users/new"), "/admin/users/new")
    bad = c.post("/admin/users/new", {"username": "!", "display_name": "赵六", "password": "x"})
    assert bad.status == 422, f"{fe.name}: {bad.status} {bad.text[:300]}"
    assert 'value="赵六"' in bad.text and 'value="!"' in bad.text and "至少 8 个字" in bad.text
    check_links(fe, bad, "the 422 form")
    ok = c.post("/admin/users/new", [("username", "qian.qi"), ("display_name", "钱七"), ("password", "long-enough-1"),
                                     ("roles", "sales_rep")])
    assert ok.status == 303, f"{fe.name}: {ok.status} {ok.text[:300]}"
    assert ok.header("Location") == m + "/admin/users"
    users = c.get(ok.header("Location"), absolute=True)
    assert users.status == 200 and "钱七" in users.text and "用户「钱七」（qian.qi）已建立。" in users.text

    # A POST without the CSRF token: 403, nothing stored.
    c.get("/admin/users/new")
    assert c.post("/admin/users/new", {"username": "nocsrf", "display_name": "无令牌", "password": "long-enough-1"},
                  csrf=False).status == 403
    db = sqlite3.connect(fe.stack.db_path)
    assert db.execute("SELECT COUNT(*) FROM users WHERE username IN ('qian.qi', 'nocsrf')").fetchone()[0] == 1

    # Bodies over the limits: the app's (1 MiB here, its Chinese page) and the front end's (8 MiB).
    c.get("/admin/users/new")
    over_app = c.request("POST", "/admin/users/new", b"a=" + b"x" * (2 << 20),
                         {"Content-Type": "application/x-www-form-urlencoded"})
    assert over_app.status == 413 and "提交内容过大" in over_app.text, f"{fe.name}: {over_app.status}"
    over_front = c.request("POST", "/admin/users/new", b"a=" + b"x" * (9 << 20),
                           {"Content-Type": "application/x-www-form-urlencoded"})
    assert over_front.status == 413, f"{fe.name}: {over_front.status}"

    # A CSV export, from the link on the list page.
    audit = c.get("/admin/audit")
    assert audit.status == 200
    csv_links = [u for u in check_links(fe, audit, "/admin/audit") if "format=csv" in u]
    assert csv_links, f"{fe.name}: no CSV link on the audit page"
    export = c.get(csv_links[0].replace("&amp;", "&"), absolute=True)
    assert export.status == 200 and "text/csv" in (export.header("Content-Type") or ""), f"{fe.name}: {export.status}"
    assert export.body.startswith(b"\xef\xbb\xbf") and "create" in export.text and "sales_rep" in export.text

    # Logout: back to the login page inside the mount, the cookie ended on the same path.
    out = c.post("/logout", {})
    assert out.status == 303 and out.header("Location") == m + "/login"
    ended = cookie_attrs(out, "sid")
    assert ended and "Max-Age=0" in ended and f"Path={m or '/'};" in ended

    # A multipart upload (a complaint with a photo), the photo and the print page from the links.
    rep_id = db.execute("SELECT id FROM users WHERE username = 'rep'").fetchone()[0]
    db.execute("""INSERT INTO crm_customers (name, code, status, owner_id, rating_class, in_city, created_by, created_at, updated_at)
                  VALUES ('本市建材公司', 'KH-2026-0001', 'customer', ?, 'B', 1, ?, 0, 0)""", (rep_id, rep_id))
    db.commit()
    customer = db.execute("SELECT id FROM crm_customers WHERE code = 'KH-2026-0001'").fetchone()[0]
    rep = fe.client()
    assert rep.login("rep").status == 303
    check_links(fe, rep.get("/service/complaints/new"), "/service/complaints/new")
    fields = [("_csrf", rep.csrf or ""), ("kind", "quality"), ("customer", str(customer)), ("summary", "地板开裂"),
              ("invoice_no", "FP-001"), ("product", "实木地板"), ("spec", "900×90"), ("quantity", "30"), ("grade", "A"),
              ("color", "C12"), ("purchase_date", "2026-05-01")]
    r = rep.request("POST", "/service/complaints/new", multipart(fields, [("photo", "crack.png", "image/png", PNG)]),
                    {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"})
    assert r.status == 303, f"{fe.name}: upload {r.status} {r.text[:500]}"
    complaint_url = r.header("Location")
    assert complaint_url.startswith(m + "/service/complaints/")
    complaint = rep.get(complaint_url, absolute=True)
    assert complaint.status == 200
    links = check_links(fe, complaint, complaint_url)
    photo_links = [u for u in links if "/files/" in u]
    assert photo_links, f"{fe.name}: no file link on the complaint page"
    photo = rep.get(photo_links[0], absolute=True)
    assert photo.status == 200 and photo.body == PNG and photo.header("Content-Type") == "image/png"
    print_links = [u for u in links if u.endswith("/print")]
    assert print_links, f"{fe.name}: no print link on the complaint page"
    printed = rep.get(print_links[0], absolute=True)
    assert printed.status == 200 and "地板开裂" in printed.text
    check_links(fe, printed, print_links[0])
    db.close()


@pytest.mark.parametrize("mount", ["", MOUNT], ids=["root", "sub-path"])
@pytest.mark.parametrize("front", ["nginx", "apache", "lighttpd"])
def test_site_file_passes_its_config_test(front, mount):
    """apachectl -t, lighttpd -tt, nginx -t on each shipped site file, at the root and under /sales."""
    out = FRONT_ENDS[front](mount).configtest()
    if front == "apache":
        assert "Syntax OK" in out
    # The site must not quietly lose its limits and headers in an edit.
    with open(os.path.join(ROOT, "deploy", front, "sales.conf")) as f:
        site = f.read()
    assert "8388608" in site or "8192" in site or "client_max_body_size 8m" in site
    for header in SECURITY_HEADERS:
        assert header in site


@pytest.mark.parametrize("mount", ["", MOUNT], ids=["root", "sub-path"])
@pytest.mark.parametrize("front", ["nginx", "apache", "lighttpd"])
def test_flow_through_front_end(front, mount):
    fe = FRONT_ENDS[front](mount)
    try:
        fe.start()
        run_flow(fe)
        log = fe.stack.log()
        assert "error id=" not in log, log[-2000:]
    finally:
        fe.stop()


def test_apache_sends_no_content_length_for_a_get_and_the_login_page_still_works():
    """The reported bug: Apache leaves CONTENT_LENGTH unset without a body (RFC 3875 §4.1.2)."""
    fe = Apache()
    try:
        fe.start()
        r = fe.client().get("/login")
        assert r.status == 200 and "请求体长度与声明不符" not in r.text
        # A chunked POST: Apache hands it on with a length; the app answers it (CSRF refused, not 400).
        conn = socket.create_connection(("127.0.0.1", fe.port), timeout=10)
        conn.sendall(b"POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                     b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n7\r\nfoo=bar\r\n0\r\n\r\n")
        answer = b""
        while True:
            chunk = conn.recv(65536)
            if not chunk:
                break
            answer += chunk
        conn.close()
        assert answer.startswith(b"HTTP/1.1 403"), answer[:200]
    finally:
        fe.stop()


def test_readme_shows_lines_that_are_in_the_site_files():
    """The README's deployment section shows the essential lines of each site: each must be in its file."""
    with open(os.path.join(ROOT, "README.md")) as f:
        readme = f.read()
    blocks = re.findall(r"<!-- site: (deploy/\S+) -->\n```\w*\n(.*?)```", readme, re.S)
    assert sorted(path for path, _ in blocks) == ["deploy/apache/sales.conf", "deploy/lighttpd/sales.conf",
                                                  "deploy/nginx/sales.conf"]
    for path, block in blocks:
        with open(os.path.join(ROOT, path)) as f:
            lines = {line.strip() for line in f}
        missing = [line.strip() for line in block.splitlines() if line.strip() and line.strip() not in lines]
        assert not missing, f"README shows lines that {path} does not have: {missing}"
