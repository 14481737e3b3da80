"""The Debian package (issue 18) on a Debian 12 without Swift: installed, used, upgraded, removed
and purged in a throwaway root made with Debian's own debootstrap (`make deb-test`).

The root is `debootstrap --variant=minbase bookworm` from the machine's Debian mirror, plus the
package's dependencies downloaded (not installed) — cached outside the checkout, as
~/.cache/salesd-tests/deb-root.tar ($XDG_CACHE_HOME if set), so a later run — from this clone or
a fresh one, as CI's — unpacks it instead (DEB_ROOT_CACHE=… elsewhere; DEB_ROOT_REFRESH=1 or a cache older than
DEB_ROOT_MAX_AGE_DAYS, default 14, makes a new one). systemd does not run in the root, so the
maintainer scripts must cope; the test starts `salesd serve` (on a listening socket it makes, as
salesd.socket would) and nginx by hand inside the root, on a free loopback port.

Phases, in order (each needs the one before):
  install  — `apt-get install ./salesd_<v>.deb` pulls nginx & co; user, permissions, schema,
             enabled units and site, no Swift anywhere
  serve    — first admin via `runuser -u salesd`, login through nginx, home page, CSS, 502 page
  upgrade  — the admin edits the site and the config; a package with a bumped version whose site
             changed is installed with --force-confold: both edits kept (new site beside it as
             .dpkg-dist), a pre-upgrade backup archive, the same user logs in again
  remove   — program gone; configuration, user and data kept
  purge    — configuration, site link and user gone, nginx -t still passes, data kept;
             installed again, the kept data belongs to the new salesd user and serves
  systemd  — a copy of the root booted with systemd (systemd-nspawn, own network namespace):
             install starts socket, service (Type=notify) and timer and reloads nginx; login on
             port 80; the backup unit; an upgrade while running (backup, restart, drop-in kept);
             purge stops everything and keeps the data. Skipped, saying why, where nspawn
             cannot boot a container.

Skips, saying why, only when this machine cannot make such a root: not root, no debootstrap,
no mount of /proc, or no cached root and no Debian mirror reachable (measured here: debootstrap
32–77 s on a quiet machine, 3 min 18 s while other builds loaded both cores; the whole first
run about 2 min, a cached one about 1 min). Timings are printed at the
end (and written to build/deb-test-timings.txt).
"""
import glob
import hashlib
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "Tests", "e2e"))
from harness import Client, free_port  # noqa: E402

BUILD = os.path.join(ROOT, "build")
CACHE = os.environ.get("DEB_ROOT_CACHE") or os.path.join(
    os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "salesd-tests", "deb-root.tar")
R = os.path.join(BUILD, "deb-root")
MAX_AGE_DAYS = float(os.environ.get("DEB_ROOT_MAX_AGE_DAYS", "14"))
PASSWORD = "Deb-Test-Passw0rd"
COMPANY = "测试公司（包安装）"
CONF = "/etc/sales/salesd.json"
SITE = "/etc/nginx/sites-available/salesd.conf"
CHROOT_ENV = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL": "C.UTF-8",
              "HOME": "/root", "DEBIAN_FRONTEND": "noninteractive", "TERM": "dumb"}
APT = ("apt-get", "-y", "-q", "-o", "Dpkg::Use-Pty=0")
# What a root needs to boot under systemd-nspawn (the systemd phase).
BOOT_PACKAGES = ("systemd", "systemd-sysv", "dbus")

TIMINGS = []
STATE = {"passed": set()}


def timed(name):
    class T:
        def __enter__(self):
            self.t = time.monotonic()

        def __exit__(self, *exc):
            TIMINGS.append((name, time.monotonic() - self.t, "" if exc[0] is None else " (failed)"))
    return T()


def needs(phase):
    if phase not in STATE["passed"]:
        pytest.skip(f"needs the phase '{phase}', which did not pass")


# --- the throwaway root -------------------------------------------------------------------------

def mirrors():
    """(debian, security) URLs from this machine's apt sources (deb822 or one-line)."""
    main = security = None
    entries = []
    for path in sorted(glob.glob("/etc/apt/sources.list.d/*.sources")):
        for block in open(path).read().split("\n\n"):
            fields = dict(re.findall(r"^(\w[\w-]*):\s*(.*)$", block, re.M))
            if fields.get("Types", "").split()[:1] == ["deb"]:
                for uri in fields.get("URIs", "").split():
                    entries.append((uri, fields.get("Suites", "").split()))
    for path in ["/etc/apt/sources.list", *sorted(glob.glob("/etc/apt/sources.list.d/*.list"))]:
        if os.path.exists(path):
            for line in open(path):
                m = re.match(r"\s*deb\s+(?:\[[^]]*\]\s+)?(\S+)\s+(\S+)", line)
                if m:
                    entries.append((m.group(1), [m.group(2)]))
    for uri, suites in entries:
        if "bookworm" in suites and main is None:
            main = uri.rstrip("/")
        if "bookworm-security" in suites and security is None:
            security = uri.rstrip("/")
    main = os.environ.get("DEB_MIRROR", main or "http://deb.debian.org/debian")
    return main, os.environ.get("DEB_SECURITY_MIRROR", security or "http://deb.debian.org/debian-security")


def sh(*cmd, check=True, timeout=900, **kw):
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)
    if check and p.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} exited {p.returncode}\n--- stdout\n{p.stdout[-6000:]}\n--- stderr\n{p.stderr[-6000:]}")
    return p


def inroot(*cmd, check=True, timeout=900):
    """A command inside the root (a clean environment: nothing of this machine's)."""
    return sh("chroot", R, *cmd, check=check, timeout=timeout, env=CHROOT_ENV)


def proc_mounted():
    return os.path.ismount(os.path.join(R, "proc"))


def discard_root():
    if os.path.exists(R):
        if proc_mounted():
            sh("umount", "-l", os.path.join(R, "proc"), check=False)
        if proc_mounted():
            raise AssertionError(f"{R}/proc is still mounted: not removing {R}")
        shutil.rmtree(R)


def make_root(deb):
    """debootstrap + apt sources + no daemon starts + the package's dependencies downloaded."""
    main, security = mirrors()
    new = R + ".new"
    if os.path.exists(new):
        shutil.rmtree(new)
    with timed(f"root: debootstrap --variant=minbase bookworm ({main})"):
        sh("debootstrap", "--variant=minbase", "bookworm", new, main, timeout=1800)
    with open(os.path.join(new, "etc/apt/sources.list"), "w") as f:
        f.write(f"deb {main} bookworm main\ndeb {main} bookworm-updates main\ndeb {security} bookworm-security main\n")
    # As in Debian's container images: package scripts start no daemon inside this root (nginx's
    # postinst would otherwise start nginx on this machine's port 80).
    policy = os.path.join(new, "usr/sbin/policy-rc.d")
    with open(policy, "w") as f:
        f.write("#!/bin/sh\n# deb-test root: no daemon is started by package scripts\nexit 101\n")
    os.chmod(policy, 0o755)
    shutil.copy(deb, os.path.join(new, "tmp", os.path.basename(deb)))
    with timed("root: apt-get update + download the package's dependencies"):
        sh("chroot", new, "apt-get", "update", "-q", env=CHROOT_ENV, timeout=900)
        sh("chroot", new, "apt-get", "install", "-y", "-q", "--download-only", "/tmp/" + os.path.basename(deb), *BOOT_PACKAGES,
           env=CHROOT_ENV, timeout=900)
    os.remove(os.path.join(new, "tmp", os.path.basename(deb)))
    with timed("root: save the cache " + CACHE):
        os.makedirs(os.path.dirname(CACHE), exist_ok=True)
        sh("tar", "--numeric-owner", "-C", new, "-cf", CACHE + ".tmp", ".")
        os.replace(CACHE + ".tmp", CACHE)
        open(CACHE + ".stamp", "w").write(cache_stamp())
    os.rename(new, R)


def cache_stamp():
    """What a cached root holds; a cache with another stamp is made again."""
    return f"format 2: minbase bookworm from {mirrors()[0]}; downloaded: the package's dependencies, {' '.join(BOOT_PACKAGES)}\n"


def usable_cache():
    if os.environ.get("DEB_ROOT_REFRESH") or not os.path.exists(CACHE) or not os.path.exists(CACHE + ".stamp"):
        return False
    if open(CACHE + ".stamp").read() != cache_stamp():
        return False
    return (time.time() - os.path.getmtime(CACHE)) / 86400 < MAX_AGE_DAYS


def why_not_here():
    if os.geteuid() != 0:
        return "not root: debootstrap, chroot and mount need root (run `sudo make deb-test`)"
    if shutil.which("debootstrap") is None:
        return "debootstrap is not installed (apt-get install debootstrap)"
    if not usable_cache():
        main, _ = mirrors()
        try:
            urllib.request.urlopen(main + "/dists/bookworm/Release", timeout=15).close()
        except Exception as e:  # noqa: BLE001 — any failure means: no network to a Debian mirror
            return f"no cached root ({CACHE}) and the Debian mirror {main} is not reachable: {e}"
    return None


# --- the package files --------------------------------------------------------------------------

def first_deb():
    deb = os.environ.get("DEB")
    if not deb:
        found = sorted(p for p in glob.glob(os.path.join(BUILD, "salesd_*_*.deb")) if "+test" not in p)
        deb = found[-1] if found else None
    if not deb or not os.path.exists(deb):
        pytest.fail("no package: run `make deb` first (or give DEB=path)")
    return os.path.abspath(deb)


def field(deb, name):
    return sh("dpkg-deb", "--field", deb, name).stdout.strip()


def bumped(deb, suffix="+test1"):
    """The same package with a bumped version and a changed nginx site (a new upstream site)."""
    work = tempfile.mkdtemp(prefix="salesd-deb-")
    tree = os.path.join(work, "tree")
    sh("dpkg-deb", "-R", deb, tree)
    version = field(deb, "Version") + suffix
    control = os.path.join(tree, "DEBIAN/control")
    text = re.sub(r"^Version: .*$", "Version: " + version, open(control).read(), flags=re.M)
    open(control, "w").write(text)
    site = os.path.join(tree, SITE.lstrip("/"))
    with open(site, "a") as f:
        f.write(f"# (salesd {version}: this line makes the packaged site differ from the previous version's)\n")
    md5 = hashlib.md5(open(site, "rb").read()).hexdigest()
    sums = os.path.join(tree, "DEBIAN/md5sums")
    open(sums, "w").write(re.sub(r"^\w+(  " + re.escape(SITE.lstrip("/")) + ")$", md5 + r"\1", open(sums).read(), flags=re.M))
    out = os.path.join(work, f"salesd_{version}_amd64.deb")
    sh("dpkg-deb", "--root-owner-group", "-Znone", "--build", tree, out)  # a test artefact: not compressed, fast
    return out, version


def second_deb(root):
    if "deb2" not in root:
        root["deb2"] = bumped(root["deb"])[0]
    return root["deb2"]


# --- running salesd and nginx inside the root ----------------------------------------------------

def ids(name, db):
    for line in open(os.path.join(R, "etc", db)):
        parts = line.split(":")
        if parts[0] == name:
            return int(parts[2]), int(parts[3]) if db == "passwd" else None
    raise AssertionError(f"no {name} in the root's /etc/{db}")


class Served:
    """salesd (given a listening socket, as salesd.socket does) and nginx, both inside the root."""

    def __init__(self, port):
        self.port = port
        self.procs = []
        uid, gid = ids("salesd", "passwd")
        www, _ = ids("www-data", "group")
        run = os.path.join(R, "run/salesd")
        os.makedirs(run, exist_ok=True)
        os.chmod(run, 0o755)
        self.path = path = os.path.join(run, "salesd.sock")
        if os.path.lexists(path):
            os.unlink(path)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(path)
        os.chown(path, uid, www)
        os.chmod(path, 0o660)
        self.sock.listen(128)
        self.log = open(os.path.join(BUILD, "deb-test-salesd.log"), "ab")
        # The unit's command line (`--listen inherit` from the packaged configuration), as salesd:salesd.
        self.procs.append(subprocess.Popen(
            ["chroot", f"--userspec={uid}:{gid}", R, "/usr/bin/salesd", "serve", "--config", CONF],
            stdin=self.sock.fileno(), stdout=self.log, stderr=subprocess.STDOUT, env=CHROOT_ENV))
        self.procs.append(subprocess.Popen(
            ["chroot", R, "/usr/sbin/nginx", "-g", "daemon off;"], stdin=subprocess.DEVNULL,
            stdout=self.log, stderr=subprocess.STDOUT, env=CHROOT_ENV))
        deadline = time.monotonic() + 60
        while True:
            for p in self.procs:
                if p.poll() is not None:
                    self.stop()
                    raise AssertionError(f"{p.args} exited {p.returncode}; see build/deb-test-salesd.log")
            try:
                if Client(port).get("/login").status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise AssertionError("salesd behind nginx did not answer /login within 60 s; see build/deb-test-salesd.log")
            time.sleep(0.3)

    def stop_salesd(self):
        """As `systemctl stop salesd.socket salesd.service`: nothing listens any more."""
        p = self.procs[0]
        if p.poll() is None:
            p.terminate()
            p.wait(timeout=40)
        self.sock.close()
        os.unlink(self.path)
        return p.returncode

    def stop(self):
        for p in reversed(self.procs):
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(timeout=40)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        self.sock.close()
        self.log.close()


def login_and_home(port):
    c = Client(port)
    r = c.login("admin", PASSWORD)
    assert r.status == 303, f"login through nginx: {r.status}\n{r.text[:2000]}"
    home = c.get("/")
    assert home.status == 200, home.text[:2000]
    assert "系统管理" in home.text and 'href="/admin/users"' in home.text, home.text[:3000]
    return home


# --- the phases ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def root():
    reason = why_not_here()
    if reason:
        print(f"\nSKIP deb-test: {reason}")
        pytest.skip(reason)
    deb = first_deb()
    discard_root()
    if usable_cache():
        with timed("root: unpack the cached " + CACHE):
            os.makedirs(R)
            sh("tar", "--numeric-owner", "-C", R, "-xf", CACHE)
    else:
        make_root(deb)
    p = subprocess.run(["mount", "-t", "proc", "proc", os.path.join(R, "proc")], capture_output=True, text=True)
    if p.returncode != 0:
        reason = f"cannot mount /proc in the root: {p.stderr.strip()}"
        print(f"\nSKIP deb-test: {reason}")
        discard_root()
        pytest.skip(reason)
    state = {"deb": deb, "served": None}
    yield state
    if state["served"]:
        state["served"].stop()
    sh("umount", os.path.join(R, "proc"), check=False)
    if not os.environ.get("DEB_TEST_KEEP"):
        discard_root()
    print("\n\ndeb-test timings (s):")
    for name, seconds, note in TIMINGS:
        print(f"  {seconds:7.1f}  {name}{note}")
    with open(os.path.join(BUILD, "deb-test-timings.txt"), "w") as f:
        f.writelines(f"{seconds:.1f}\t{name}{note}\n" for name, seconds, note in TIMINGS)


def test_install_on_a_debian_12_without_swift(root):
    deb = root["deb"]
    version = field(deb, "Version")
    shutil.copy(deb, os.path.join(R, "tmp"))
    assert shutil.which("swift", path=os.path.join(R, "usr/bin")) is None
    with timed("install: apt-get install ./" + os.path.basename(deb)):
        p = inroot(*APT, "install", "/tmp/" + os.path.basename(deb))
    out = p.stdout + p.stderr
    print(out[-2500:])
    for dep in ("nginx", "libfcgi0ldbl", "libsqlite3-0", "libargon2-1", "adduser"):
        assert inroot("dpkg-query", "-W", "-f=${Status}", dep).stdout == "install ok installed", dep
    assert inroot("dpkg-query", "-W", "-f=${Version}", "salesd").stdout == version
    # postinst: what it printed, and what it did without systemd
    assert "runuser -u salesd -- salesd user add admin" in out and "http://" in out, out[-3000:]
    assert "systemd is not running here" in out
    assert inroot("salesd", "--version").stdout.split()[-1] == version
    ldd = inroot("ldd", "/usr/bin/salesd").stdout
    assert "not found" not in ldd and "libswift" not in ldd, ldd
    assert not os.path.exists(os.path.join(R, "usr/lib/swift")) and not os.path.exists(os.path.join(R, "opt/swift"))
    assert inroot("getent", "passwd", "salesd").stdout.split(":")[5] == "/var/lib/salesd"
    assert inroot("stat", "-c", "%U:%G %a", "/var/lib/salesd", "/etc/sales", CONF).stdout.split("\n")[:3] == \
        ["salesd:salesd 750", "root:salesd 750", "root:salesd 640"]
    db = os.path.join(R, "var/lib/salesd/sales.sqlite")
    assert os.path.exists(db), "postinst ran no `salesd migrate`"
    assert inroot("stat", "-c", "%U:%G %a", "/var/lib/salesd/sales.sqlite").stdout.strip() == "salesd:salesd 640"
    check = inroot("runuser", "-u", "salesd", "--", "salesd", "check", "--integrity", "--config", CONF, check=False)
    assert check.returncode == 0, check.stdout + check.stderr
    # enabled as on a booted system (deb-systemd-helper's links), the site enabled, Debian's default not
    for link in ("sockets.target.wants/salesd.socket", "multi-user.target.wants/salesd.service", "timers.target.wants/salesd-backup.timer"):
        assert os.path.islink(os.path.join(R, "etc/systemd/system", link)), link
    assert os.readlink(os.path.join(R, "etc/nginx/sites-enabled/salesd.conf")) == "../sites-available/salesd.conf"
    assert not os.path.lexists(os.path.join(R, "etc/nginx/sites-enabled/default"))
    assert inroot("nginx", "-t").returncode == 0
    STATE["passed"].add("install")


def test_first_admin_and_the_site_through_nginx(root):
    needs("install")
    with timed("serve: user add (runuser), salesd + nginx up, login, home page"):
        p = inroot("runuser", "-u", "salesd", "--", "salesd", "user", "add", "admin", "--display-name", "管理员",
                   "--roles", "admin", "--password", PASSWORD, "--config", CONF)
        # The administrator's first-day edits: the site on this test's port and a host name, the company name.
        port = free_port()
        site = os.path.join(R, SITE.lstrip("/"))
        text = open(site).read()
        assert "listen 80;" in text
        text = text.replace("    listen 80;\n", f"    listen 127.0.0.1:{port};\n").replace("    listen [::]:80;\n", "")
        text = text.replace("server_name sales.example.com;", "server_name sales.deb-test.internal;", 1)
        open(site, "w").write(text)
        conf = os.path.join(R, CONF.lstrip("/"))
        config = open(conf, encoding="utf-8").read()
        config = re.sub(r'"companyName": "[^"]*"', f'"companyName": "{COMPANY}"', config)
        open(conf, "w", encoding="utf-8").write(config)
        assert inroot("nginx", "-t").returncode == 0
        root["port"] = port
        root["served"] = Served(port)
        home = login_and_home(port)
        assert COMPANY in home.text
        css = Client(port).get("/static/app.css")
        assert css.status == 200 and b"{" in css.body, "nginx serves /usr/share/salesd/Web/static"
        # nginx's own Chinese 502 page (from /usr/share/salesd/Web/static/errors) while salesd is down
        assert root["served"].stop_salesd() == 0, "salesd did not stop cleanly on SIGTERM"
        down = Client(port).get("/")
        assert down.status == 502 and "系统暂时无法访问" in down.text, down.text[:500]
        root["served"].stop()
        root["served"] = None
    assert "admin" in p.stdout + p.stderr
    STATE["passed"].add("serve")


def test_upgrade_keeps_the_edited_site_config_and_data(root):
    needs("serve")
    new = second_deb(root)
    version = field(new, "Version")
    shutil.copy(new, os.path.join(R, "tmp"))
    site = os.path.join(R, SITE.lstrip("/"))
    conf = os.path.join(R, CONF.lstrip("/"))
    before = {p: open(p, "rb").read() for p in (site, conf)}
    with timed(f"upgrade: apt-get install ./{os.path.basename(new)} (--force-confold)"):
        p = inroot(*APT, "-o", "Dpkg::Options::=--force-confold", "install", "/tmp/" + os.path.basename(new))
    out = p.stdout + p.stderr
    print(out[-2000:])
    assert inroot("dpkg-query", "-W", "-f=${Version}", "salesd").stdout == version
    for path, content in before.items():
        assert open(path, "rb").read() == content, f"{path}: the administrator's edit was replaced"
    dist = open(site + ".dpkg-dist").read()
    assert f"salesd {version}" in dist, "the new packaged site is beside the kept one"
    backups = glob.glob(os.path.join(R, "var/lib/salesd/backups", f"pre-upgrade-{field(root['deb'], 'Version')}-*.tar.gz"))
    assert len(backups) == 1, os.listdir(os.path.join(R, "var/lib/salesd/backups"))
    names = sh("tar", "-tzf", backups[0]).stdout.split()
    assert "salesd-backup/sales.sqlite" in names and "salesd-backup/MANIFEST.json" in names, names
    assert "backup taken before the upgrade" in out, out[-2000:]
    users = inroot("runuser", "-u", "salesd", "--", "salesd", "user", "list", "--config", CONF).stdout
    assert "admin" in users, users
    with timed("upgrade: salesd + nginx up again, the same user logs in"):
        root["served"] = Served(root["port"])
        assert COMPANY in login_and_home(root["port"]).text
        root["served"].stop()
        root["served"] = None
    STATE["passed"].add("upgrade")


def test_remove_keeps_configuration_user_and_data(root):
    needs("upgrade")
    with timed("remove: apt-get remove salesd"):
        p = inroot(*APT, "remove", "salesd")
    print((p.stdout + p.stderr)[-1200:])
    assert inroot("dpkg-query", "-W", "-f=${Status}", "salesd").stdout == "deinstall ok config-files"
    assert not os.path.exists(os.path.join(R, "usr/bin/salesd")) and not os.path.exists(os.path.join(R, "usr/share/salesd"))
    for kept in ("var/lib/salesd/sales.sqlite", CONF.lstrip("/"), SITE.lstrip("/")):
        assert os.path.exists(os.path.join(R, kept)), kept
    assert inroot("getent", "passwd", "salesd", check=False).returncode == 0
    assert inroot("nginx", "-t").returncode == 0
    STATE["passed"].add("remove")


def test_purge_keeps_the_data_and_a_reinstall_uses_it(root):
    needs("remove")
    with timed("purge: apt-get purge salesd"):
        p = inroot(*APT, "purge", "salesd")
    out = p.stdout + p.stderr
    print(out[-1200:])
    assert "KEPT the data in /var/lib/salesd" in out
    assert inroot("dpkg-query", "-W", "-f=${Status}", "salesd", check=False).stdout in ("", "unknown ok not-installed")
    assert not os.path.exists(os.path.join(R, "etc/sales"))
    assert not os.path.lexists(os.path.join(R, SITE.lstrip("/"))) and not os.path.lexists(os.path.join(R, "etc/nginx/sites-enabled/salesd.conf"))
    assert not glob.glob(os.path.join(R, "etc/systemd/system/*/salesd*"))
    assert inroot("getent", "passwd", "salesd", check=False).returncode != 0, "purge removes the user"
    assert inroot("nginx", "-t").returncode == 0, "no dangling site link"
    assert os.path.exists(os.path.join(R, "var/lib/salesd/sales.sqlite"))
    assert glob.glob(os.path.join(R, "var/lib/salesd/backups/pre-upgrade-*.tar.gz"))
    # Installed again: the new salesd user owns the kept data, which still has the admin. Another
    # system user takes the old uid first, so the new salesd gets another one.
    inroot("adduser", "--quiet", "--system", "--no-create-home", "deb-test-uid-taker")
    shutil.copy(root["deb2"], os.path.join(R, "tmp"))
    with timed("purge: installed again over the kept data"):
        p = inroot(*APT, "install", "/tmp/" + os.path.basename(root["deb2"]))
        assert "giving it to salesd:salesd" in p.stdout, p.stdout[-2000:]
        assert inroot("find", "/var/lib/salesd", "!", "-user", "salesd").stdout == ""
        users = inroot("runuser", "-u", "salesd", "--", "salesd", "user", "list", "--config", CONF).stdout
        assert "admin" in users, users
    STATE["passed"].add("purge")


# --- the same package on a booted Debian 12 (systemd in a systemd-nspawn container) --------------

NS = os.path.join(BUILD, "deb-root-systemd")
LOGIN = """
import sys
sys.path.insert(0, {e2e!r})
from harness import Client
c = Client(80)
r = c.login("admin", {pw!r})
assert r.status == 303, (r.status, r.text[:1500])
home = c.get("/")
assert home.status == 200 and "系统管理" in home.text, (home.status, home.text[:1500])
print("login through nginx on port 80: ok")
"""


class Booted:
    """A copy of the cached root booted with systemd (systemd-nspawn -b), on its own network
    namespace (so nginx can have port 80); commands enter it with nsenter."""

    def __init__(self):
        self.proc = self.leader = self.log = None

    def boot(self):
        if os.path.exists(NS):
            shutil.rmtree(NS)
        os.makedirs(NS)
        sh("tar", "--numeric-owner", "-C", NS, "-xf", CACHE)
        os.remove(os.path.join(NS, "usr/sbin/policy-rc.d"))  # a booted system starts what it installs
        sh("chroot", NS, *APT, "install", "--no-download", *BOOT_PACKAGES, env=CHROOT_ENV)
        open(os.path.join(NS, "etc/hostname"), "w").write("salesd-deb-test\n")
        self.log = open(os.path.join(BUILD, "deb-test-nspawn.log"), "wb")
        # SYSTEMD_NSPAWN_UNIFIED_HIERARCHY: the container gets cgroup v2 whatever this host mounts.
        self.proc = subprocess.Popen(
            ["systemd-nspawn", "-D", NS, "-b", "--register=no", "--keep-unit", "--private-network", "--console=pipe"],
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT,
            env={**os.environ, "SYSTEMD_NSPAWN_UNIFIED_HIERARCHY": "1"})
        deadline = time.monotonic() + 90
        while self.leader is None:
            try:
                children = open(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read().split()
                self.leader = int(children[0]) if children else None
            except OSError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise BootFailed(f"systemd-nspawn exited {self.proc.returncode}")
            time.sleep(0.2)
        while True:
            state = self.run("systemctl", "is-system-running", check=False).stdout.strip()
            if state in ("running", "degraded"):
                break
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise BootFailed(f"systemd in the container did not come up (state '{state}')")
            time.sleep(0.5)

    def run(self, *cmd, check=True):
        env = [f"{k}={v}" for k, v in CHROOT_ENV.items()]
        return sh("nsenter", "-t", str(self.leader), "-a", "env", "-i", *env, *cmd, check=check)

    def login(self):
        script = LOGIN.format(e2e=os.path.join(ROOT, "Tests", "e2e"), pw=PASSWORD)
        return sh("nsenter", "-t", str(self.leader), "-n", sys.executable, "-c", script).stdout

    def active(self, *units):
        return self.run("systemctl", "is-active", *units, check=False).stdout.split()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()  # nspawn asks the container's systemd to power off
            try:
                self.proc.wait(timeout=10)  # a throwaway root: no need to wait for a slow shutdown
            except subprocess.TimeoutExpired:
                if self.leader:
                    os.kill(self.leader, 9)  # ends the container's whole pid namespace
                self.proc.kill()
                self.proc.wait()
        if self.log:
            self.log.close()
        if self.proc and self.proc.poll() is not None and not os.environ.get("DEB_TEST_KEEP"):
            shutil.rmtree(NS, ignore_errors=True)


class BootFailed(Exception):
    pass


def test_on_a_booted_debian_12_with_systemd(root):
    """Install with systemd running: the units start (socket activation, Type=notify), nginx is
    reloaded, the nightly backup unit works, an upgrade restarts the service with a pre-upgrade
    backup and keeps a drop-in, purge stops everything and keeps the data."""
    if shutil.which("systemd-nspawn") is None:
        pytest.skip("systemd-nspawn is not installed (apt-get install systemd-container): the systemd phase needs it")
    booted = Booted()
    try:
        with timed("systemd: boot the root with systemd-nspawn"):
            try:
                booted.boot()
            except BootFailed as e:
                log = open(os.path.join(BUILD, "deb-test-nspawn.log"), errors="replace").read()[-1500:]
                print(f"\nSKIP deb-test systemd phase: this machine cannot boot a container: {e}\n{log}")
                pytest.skip(f"systemd-nspawn cannot boot a container here: {e}")
        deb, deb2 = root["deb"], second_deb(root)
        for d in (deb, deb2):
            shutil.copy(d, os.path.join(NS, "var/tmp"))
        with timed("systemd: apt-get install ./" + os.path.basename(deb) + " (units started)"):
            out = booted.run(*APT, "install", "/var/tmp/" + os.path.basename(deb)).stdout
        assert "salesd is running" in out, out[-2500:]
        assert booted.active("salesd.socket", "salesd.service", "salesd-backup.timer", "nginx.service") == ["active"] * 4
        enabled = booted.run("systemctl", "is-enabled", "salesd.socket", "salesd.service", "salesd-backup.timer").stdout.split()
        assert enabled == ["enabled"] * 3, enabled
        # Type=notify: systemd saw READY=1 and the master's status line
        assert "serving" in booted.run("systemctl", "show", "-p", "StatusText", "--value", "salesd.service").stdout
        with timed("systemd: first admin, login through nginx on port 80, the backup unit"):
            booted.run("runuser", "-u", "salesd", "--", "salesd", "user", "add", "admin", "--display-name", "管理员",
                       "--roles", "admin", "--password", PASSWORD, "--config", CONF)
            booted.login()
            booted.run("systemctl", "start", "salesd-backup.service")
            assert glob.glob(os.path.join(NS, "var/lib/salesd/backups/20*.tar.gz")), "salesd-backup.service wrote no archive"
            modes = booted.run("stat", "-c", "%a %U", "/var/lib/salesd", "/var/lib/salesd/sales.sqlite").stdout.split("\n")[:2]
            assert modes == ["750 salesd", "640 salesd"], modes
        # An administrator's drop-in (what `systemctl edit salesd` writes).
        dropin = os.path.join(NS, "etc/systemd/system/salesd.service.d")
        os.makedirs(dropin)
        open(os.path.join(dropin, "override.conf"), "w").write("[Service]\nTimeoutStopSec=45\n")
        booted.run("systemctl", "daemon-reload")
        pid = booted.run("systemctl", "show", "-p", "MainPID", "--value", "salesd.service").stdout.strip()
        with timed("systemd: upgrade to " + os.path.basename(deb2) + " while running"):
            out = booted.run(*APT, "install", "/var/tmp/" + os.path.basename(deb2)).stdout
        assert "backup taken before the upgrade" in out and "salesd is running" in out, out[-2500:]
        assert booted.active("salesd.socket", "salesd.service", "salesd-backup.timer") == ["active"] * 3
        assert booted.run("systemctl", "show", "-p", "MainPID", "--value", "salesd.service").stdout.strip() != pid, "not restarted"
        assert booted.run("systemctl", "show", "-p", "TimeoutStopUSec", "--value", "salesd.service").stdout.strip() == "45s"
        # The site was not edited here: dpkg installs the new version's without asking.
        assert "salesd 1.0.0+test1" in open(os.path.join(NS, SITE.lstrip("/"))).read()
        booted.login()
        with timed("systemd: purge"):
            out = booted.run(*APT, "purge", "salesd").stdout
        assert "KEPT the data" in out
        assert booted.active("salesd.socket", "salesd.service", "salesd-backup.timer") == ["inactive"] * 3
        assert booted.active("nginx.service") == ["active"] and booted.run("nginx", "-t", check=False).returncode == 0
        assert os.path.exists(os.path.join(NS, "var/lib/salesd/sales.sqlite"))
        STATE["passed"].add("systemd")
    finally:
        with timed("systemd: shut the container down"):
            booted.stop()


def test_packaged_units_verify(root):
    """The units as packaged (paths rewritten from deploy/systemd) pass `systemd-analyze verify`."""
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze not installed")
    work = tempfile.mkdtemp(prefix="salesd-units-")
    sh("dpkg-deb", "-x", root["deb"], work)
    binary = os.path.join(work, "usr/bin/salesd")
    units = os.path.join(work, "lib/systemd/system")
    for name in os.listdir(units):
        path = os.path.join(units, name)
        text = open(path).read()
        assert "/opt/sales" not in text and not re.search(r"/var/lib/sales\b", text), name
        open(path, "w").write(text.replace("/usr/bin/salesd", binary))
    p = subprocess.run(["systemd-analyze", "verify", *sorted(os.listdir(units))], cwd=units, capture_output=True, text=True)
    assert p.returncode == 0 and not p.stderr.strip(), p.stderr
    shutil.rmtree(work)


def test_lintian_is_clean():
    """Optional (lintian is not installed by `make deb-test`): no error or warning past the
    overrides in deploy/debian/lintian-overrides, each with its reason."""
    if shutil.which("lintian") is None:
        pytest.skip("lintian is not installed (apt-get install lintian to run this check)")
    p = subprocess.run(["lintian", "--tag-display-limit", "0", first_deb()], capture_output=True, text=True)
    tags = [line for line in p.stdout.splitlines() if re.match(r"[EW]: ", line)]
    assert p.returncode == 0 and not tags, p.stdout + p.stderr
