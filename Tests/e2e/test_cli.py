"""The admin CLI as operators run it (issue 18): the real `salesd` binary, its exit status and
messages, and the audit rows it leaves in the database.

- `salesd user add/passwd/roles` follow the web's rules (the admin user form: username
  2–32 of [A-Za-z0-9._-], password 8–128, known roles): refused input exits 65 with the form's
  Chinese message, an existing user 65, an unknown user 67 — never an SQL or Foundation error.
- Every change writes an audit row: user `cli`, address `cli`, the command and system user in
  the reason (plus `--reason`); `passwd` ends the user's sessions.
- Configuration: a missing file or an unknown key exits 78 with the file / key named (and the
  nearest key suggested); `salesd config --print` shows each value's origin, file < env < flag.
- `salesd --version` prints the one version constant (Sources/salesd/Version.swift).
- The systemd unit sets no SALES_* variable, and the deploy guide's CLI lines use the unit's
  config file, so the CLI and the service open the same database.
"""
import json
import os
import re
import sqlite3
import subprocess
import tempfile

import pytest

from harness import PASSWORD, ROOT, SALESD, Stack

EX_DATAERR, EX_NOUSER, EX_IOERR, EX_CONFIG = 65, 67, 74, 78
RAW_ERRORS = ("NSCocoaErrorDomain", "SQLITE", "UNIQUE constraint", "StorageError", "DecodingError", "Error Domain")


class CLI:
    """salesd with its own data folder; every setting from a config file unless a test adds env."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="sales-cli-")
        self.data = os.path.join(self.dir, "data")
        self.config = os.path.join(self.dir, "salesd.json")
        self.write_config({"dataDir": self.data, "webDir": os.path.join(ROOT, "Web"),
                           "pluginsDir": os.path.join(ROOT, "Plugins"), "sqliteSynchronous": "NORMAL"})
        # No SALES_* from the caller's environment (the conftest's trace file aside).
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("SALES_") or k == "SALES_WRITE_TRACE_FILE"}

    def write_config(self, settings):
        with open(self.config, "w") as f:
            json.dump(settings, f, ensure_ascii=False)

    def run(self, *args, env=None, config=True):
        cmd = [SALESD, *args] + (["--config", self.config] if config else [])
        p = subprocess.run(cmd, env={**self.env, **(env or {})}, capture_output=True, text=True, cwd=self.dir, timeout=60)
        for raw in RAW_ERRORS:
            assert raw not in p.stdout + p.stderr, (args, p.stdout, p.stderr)
        return p

    @property
    def db_path(self):
        return os.path.join(self.data, "sales.sqlite")

    def query(self, sql, *params):
        db = sqlite3.connect(self.db_path)
        try:
            return db.execute(sql, params).fetchall()
        finally:
            db.close()

    def audit(self, action=None):
        sql = "SELECT username, address, module, entity, entity_id, action, from_state, to_state, reason FROM audit_log WHERE entity = 'user'"
        rows = self.query(sql + (" AND action = ?" if action else "") + " ORDER BY id", *([action] if action else []))
        return [dict(zip(("username", "address", "module", "entity", "entity_id", "action", "from", "to", "reason"), r)) for r in rows]


@pytest.fixture()
def cli():
    c = CLI()
    assert c.run("migrate").returncode == 0
    return c


def test_version_prints_the_one_constant():
    source = open(os.path.join(ROOT, "Sources", "salesd", "Version.swift")).read()
    version = re.search(r'let salesdVersion = "([^"]+)"', source).group(1)
    p = subprocess.run([SALESD, "--version"], capture_output=True, text=True)
    assert p.returncode == 0 and p.stdout.strip() == version, (p.stdout, p.stderr)


@pytest.mark.parametrize("username,password,expected", [
    ("", PASSWORD, "用户名"),                         # empty name
    ("a b<c>", PASSWORD, "用户名为 2–32 位字母"),      # a name the web form refuses
    ("x", PASSWORD, "用户名为 2–32 位字母"),           # too short
    ("a" * 33, PASSWORD, "用户名为 2–32 位字母"),      # too long
    ("zhang.san", "x", "至少 8 个字"),                 # a one-character password
    ("zhang.san", "p" * 129, "最多 128 个字"),
])
def test_user_add_refuses_what_the_web_form_refuses(cli, username, password, expected):
    p = cli.run("user", "add", username, "--password", password)
    assert p.returncode == EX_DATAERR, (p.returncode, p.stdout, p.stderr)
    assert expected in p.stderr, p.stderr
    assert password not in p.stderr or password == PASSWORD, "a refused password is not printed"
    assert cli.query("SELECT COUNT(*) FROM users") == [(0,)]
    assert cli.audit() == []


def test_user_add_refuses_an_unknown_role_and_a_duplicate(cli):
    p = cli.run("user", "add", "zhang.san", "--roles", "sales_rep,wizard", "--password", PASSWORD)
    assert p.returncode == EX_DATAERR and "未知角色" in p.stderr and "wizard" in p.stderr, p.stderr
    assert cli.run("user", "add", "zhang.san", "--password", PASSWORD).returncode == 0
    dup = cli.run("user", "add", "zhang.san", "--password", PASSWORD)
    assert dup.returncode == EX_DATAERR, (dup.returncode, dup.stderr)
    assert "用户已存在" in dup.stderr and "zhang.san" in dup.stderr
    assert cli.query("SELECT COUNT(*) FROM users") == [(1,)]
    # --if-missing: the existing user is fine, nothing changes, no audit row.
    again = cli.run("user", "add", "zhang.san", "--password", PASSWORD, "--if-missing")
    assert again.returncode == 0 and "exists" in again.stdout
    assert len(cli.audit("create")) == 1


def test_user_add_takes_departments_from_the_directory(cli):
    """Departments are records (RULES §6): --department names directory departments (name or
    code); an unknown one exits 65 naming the known ones; without it the roles decide."""
    p = cli.run("user", "add", "li.si", "--roles", "quality", "--department", "质检科", "--password", PASSWORD)
    assert p.returncode == EX_DATAERR and "没有此部门" in p.stderr and "质检科" in p.stderr and "品质部" in p.stderr, p.stderr
    assert cli.query("SELECT COUNT(*) FROM users") == [(0,)]
    assert cli.run("user", "add", "li.si", "--roles", "quality", "--department", "品质部,technical", "--password", PASSWORD).returncode == 0
    assert cli.run("user", "add", "wang.wu", "--roles", "finance", "--password", PASSWORD).returncode == 0
    members = cli.query("""SELECT u.username, d.code FROM department_members m JOIN users u ON u.id = m.user_id
                           JOIN departments d ON d.id = m.department_id ORDER BY u.username, d.position""")
    assert members == [("li.si", "quality"), ("li.si", "technical"), ("wang.wu", "finance")]
    assert cli.query("SELECT department FROM users WHERE username = 'li.si'") == [("品质部、技术部",)]


def test_unknown_users_exit_67(cli):
    for args in (["user", "roles", "nobody"], ["user", "roles", "nobody", "--set", "sales_rep"],
                 ["user", "passwd", "nobody", "--password", PASSWORD]):
        p = cli.run(*args)
        assert p.returncode == EX_NOUSER, (args, p.returncode, p.stdout, p.stderr)
        assert "没有此用户" in p.stderr and "nobody" in p.stderr, p.stderr
    assert cli.audit() == []


def test_every_change_writes_an_audit_row_as_cli(cli):
    add = cli.run("user", "add", "li.si", "--display-name", "李四", "--roles", "sales_rep,sales_rep", "--password", PASSWORD,
                  "--reason", "新员工入职")
    assert add.returncode == 0, add.stderr
    (uid,) = cli.query("SELECT id FROM users WHERE username = 'li.si'")[0]
    passwd = cli.run("user", "passwd", "li.si", "--password", "another-Passw0rd", "--reason", "忘记密码")
    assert passwd.returncode == 0 and "password of li.si changed" in passwd.stdout, passwd.stderr
    short = cli.run("user", "passwd", "li.si", "--password", "short")
    assert short.returncode == EX_DATAERR and "至少 8 个字" in short.stderr
    roles = cli.run("user", "roles", "li.si", "--set", "sales_supervisor,sales_rep", "--reason", "晋升")
    assert roles.returncode == 0 and roles.stdout.strip() == "sales_rep,sales_supervisor", roles.stdout
    same = cli.run("user", "roles", "li.si", "--set", "sales_rep,sales_supervisor")
    assert same.returncode == 0

    rows = cli.audit()
    assert [r["action"] for r in rows] == ["create", "password", "roles"], rows   # no row for an unchanged set
    for r in rows:
        assert (r["username"], r["address"], r["module"], r["entity_id"]) == ("cli", "cli", "admin", str(uid)), r
        assert "命令行 salesd user" in r["reason"] and "系统用户" in r["reason"], r
    assert rows[0]["to"] == "active" and "新员工入职" in rows[0]["reason"] and "sales_rep" in rows[0]["reason"]
    assert "忘记密码" in rows[1]["reason"]
    assert (rows[2]["from"], rows[2]["to"]) == ("sales_rep", "sales_rep,sales_supervisor") and "晋升" in rows[2]["reason"]
    assert "another-Passw0rd" not in json.dumps(rows, ensure_ascii=False)


def test_a_generated_password_is_printed_once_and_follows_the_rules(cli):
    p = cli.run("user", "add", "wang.wu")
    assert p.returncode == 0, p.stderr
    generated = re.search(r"^password: (\S+)$", p.stdout, re.M).group(1)
    assert 8 <= len(generated) <= 128


def test_missing_config_and_unknown_keys_exit_78_with_the_name(cli):
    missing = os.path.join(cli.dir, "nope.json")
    p = subprocess.run([SALESD, "migrate", "--config", missing], env=cli.env, capture_output=True, text=True)
    assert p.returncode == EX_CONFIG, (p.returncode, p.stderr)
    assert "not found" in p.stderr and missing in p.stderr and "NSCocoaErrorDomain" not in p.stderr, p.stderr

    cli.write_config({"dataDir": cli.data, "dataDirr": "/elsewhere"})
    for args in (["migrate"], ["user", "list"], ["config", "--print"], ["serve"]):
        p = cli.run(*args)
        assert p.returncode == EX_CONFIG, (args, p.returncode, p.stderr)
        assert 'unknown key "dataDirr"' in p.stderr and 'did you mean "dataDir"?' in p.stderr, p.stderr

    cli.write_config({"dataDir": cli.data, "processes": "two"})
    p = cli.run("config", "--check")
    assert p.returncode == EX_CONFIG and "processes" in p.stderr and "whole number" in p.stderr, p.stderr


def test_an_unusable_data_dir_is_a_clear_message(cli):
    cli.write_config({"dataDir": "/proc/no/such/dir", "webDir": os.path.join(ROOT, "Web"), "pluginsDir": os.path.join(ROOT, "Plugins")})
    p = cli.run("migrate")
    assert p.returncode == EX_IOERR, (p.returncode, p.stderr)
    assert "/proc/no" in p.stderr and "文件错误" in p.stderr, p.stderr


def test_a_database_nobody_migrated_is_named_not_an_sql_error():
    fresh = CLI()   # no `salesd migrate`: e.g. a configuration other than the service's
    for args in (["user", "list"], ["user", "passwd", "admin", "--password", PASSWORD], ["user", "roles", "admin"]):
        p = fresh.run(*args)
        assert p.returncode == EX_IOERR, (args, p.returncode, p.stderr)
        assert "数据库尚未初始化" in p.stderr and fresh.db_path in p.stderr and "salesd migrate" in p.stderr, p.stderr
        assert "no such table" not in p.stderr


def test_config_print_shows_each_value_and_its_origin_file_env_flag(cli):
    cli.write_config({"dataDir": cli.data, "listen": "tcp:127.0.0.1:9001", "threads": 2, "companyName": "文件公司"})
    p = cli.run("config", "--print", "--threads", "5", env={"SALES_LISTEN": "unix:/tmp/env.sock", "SALES_THREADS": "3"})
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    s = out["settings"]
    assert out["file"] == cli.config and out["databasePath"] == os.path.join(cli.data, "sales.sqlite")
    assert s["dataDir"] == {"value": cli.data, "from": "file", "file": cli.config}
    assert s["companyName"]["value"] == "文件公司" and s["companyName"]["from"] == "file"
    assert s["listen"] == {"value": "unix:/tmp/env.sock", "from": "env", "env": "SALES_LISTEN"}     # env beats file
    assert s["threads"] == {"value": 5, "from": "flag", "flag": "--threads"}                           # flag beats env
    assert s["sessionMinutes"] == {"value": 480, "from": "default"}
    assert s["secureCookies"]["value"] is False
    assert "slowRequestMs" in s and "logPriorityPrefix" in s


def test_migrate_and_user_use_the_config_files_database(cli):
    """With the unit's way of running (only --config), every command opens dataDir's database —
    and an environment override is visible in `config --print` rather than silent."""
    assert cli.run("user", "add", "zhao.liu", "--password", PASSWORD).returncode == 0
    assert cli.query("SELECT username FROM users") == [("zhao.liu",)]
    assert "zhao.liu" in cli.run("user", "list").stdout
    other = os.path.join(cli.dir, "other")
    p = cli.run("config", "--print", env={"SALES_DATA_DIR": other})
    assert json.loads(p.stdout)["settings"]["dataDir"] == {"value": other, "from": "env", "env": "SALES_DATA_DIR"}


def test_the_unit_and_the_deploy_guide_use_one_config_file():
    unit = open(os.path.join(ROOT, "deploy", "systemd", "salesd.service")).read()
    assert not re.search(r"^Environment=.*SALES_", unit, re.M), "the unit overrides the config file"
    exec_lines = [l for l in unit.splitlines() if l.startswith("ExecStart")]
    assert exec_lines and all("--config /etc/sales/salesd.json" in l for l in exec_lines), exec_lines
    guide = open(os.path.join(ROOT, "deploy", "README.md")).read()
    commands = re.findall(r"bin/salesd (?:migrate|user|backup|config)\b[^\n`']*", guide)
    assert commands, "the deploy guide shows the CLI"
    for c in commands:
        assert "--config /etc/sales/salesd.json" in c, c


def test_passwd_ends_the_users_sessions():
    s = Stack()
    s.start()
    try:
        c = s.client()
        assert c.login("rep").status == 303
        assert c.get("/").status == 200
        out = s.cli("user", "passwd", "rep", "--password", "a-new-Passw0rd")
        assert "1 session(s) ended" in out, out
        r = c.get("/")
        assert r.status == 303 and r.header("Location").startswith("/login")
        assert s.client().login("rep").status == 401
        assert s.client().login("rep", "a-new-Passw0rd").status == 303
    finally:
        s.stop()


def _add_file(cli, file_id, content):
    os.makedirs(os.path.join(cli.data, "files"), exist_ok=True)
    with open(os.path.join(cli.data, "files", file_id), "wb") as f:
        f.write(content)
    db = sqlite3.connect(cli.db_path)
    db.execute("INSERT INTO files (id, module, original_name, content_type, size, created_at) VALUES (?, 'service', ?, 'text/plain', ?, 0)",
               (file_id, file_id + ".txt", len(content)))
    db.commit()
    db.close()


def test_backup_holds_database_files_and_config_and_restore_checks_before_replacing(cli):
    """Issue 18: one archive with the database, the uploads and the configuration; a restore
    that checks the archive first and refuses to overwrite a database with users unless told."""
    assert cli.run("user", "add", "keeper", "--roles", "admin", "--password", PASSWORD).returncode == 0
    _add_file(cli, "f1", b"photo of the crack")
    archive = os.path.join(cli.dir, "b.tar.gz")
    p = cli.run("backup", archive)
    assert p.returncode == 0 and "1 个附件" in p.stdout, p.stdout + p.stderr
    names = subprocess.run(["tar", "tzf", archive], capture_output=True, text=True).stdout.split()
    assert {"salesd-backup/MANIFEST.json", "salesd-backup/sales.sqlite", "salesd-backup/files/f1", "salesd-backup/salesd.json"} <= set(names)
    assert not [n for n in names if n.endswith("-wal") or n.endswith("-shm")], names
    assert cli.run("backup", archive).returncode != 0                       # never overwrites
    # Later: a user added, the upload lost.
    assert cli.run("user", "add", "later", "--roles", "sales_rep", "--password", PASSWORD).returncode == 0
    os.remove(os.path.join(cli.data, "files", "f1"))
    check = cli.run("check", "--integrity")
    assert check.returncode == 1 and "f1" in check.stdout and "文件缺失" in check.stdout, check.stdout
    refused = cli.run("restore", archive)
    assert refused.returncode == EX_DATAERR and "--force" in refused.stderr, refused.stderr
    assert cli.query("SELECT username FROM users ORDER BY id") == [("keeper",), ("later",)]
    bogus = os.path.join(cli.dir, "bogus.tar.gz")
    with open(bogus, "wb") as f:
        f.write(b"not an archive")
    assert cli.run("restore", bogus, "--force").returncode == EX_DATAERR
    ok = cli.run("restore", archive, "--force")
    assert ok.returncode == 0, ok.stderr
    assert cli.query("SELECT username FROM users ORDER BY id") == [("keeper",)]
    assert open(os.path.join(cli.data, "files", "f1"), "rb").read() == b"photo of the crack"
    again = cli.run("check", "--integrity")
    assert again.returncode == 0 and "一切正常" in again.stdout, again.stdout


def test_a_database_migrated_by_a_newer_salesd_is_refused(cli):
    """Issue 18: the schema-version guard — an older binary never serves or migrates a database
    a newer one has migrated."""
    db = sqlite3.connect(cli.db_path)
    db.execute("INSERT INTO schema_migrations (module, version, name, applied_at) VALUES ('core', 999, 'from the future', 0)")
    db.commit()
    db.close()
    for args in (["migrate"], ["user", "add", "x.y", "--password", PASSWORD], ["serve", "--listen", "tcp:127.0.0.1:1"]):
        p = cli.run(*args)
        assert p.returncode == EX_DATAERR and "core 999 > " in p.stderr and "更新版本" in p.stderr, (args, p.returncode, p.stderr)
    check = cli.run("check")
    assert check.returncode == 1 and "core 999" in check.stdout


def test_passwd_temporary_makes_the_user_choose_a_new_one(cli):
    assert cli.run("user", "add", "tmp.user", "--roles", "sales_rep", "--password", PASSWORD).returncode == 0
    assert cli.query("SELECT must_change_password FROM users WHERE username = 'tmp.user'") == [(0,)]
    assert cli.run("user", "passwd", "tmp.user", "--password", "given-by-it-1", "--temporary").returncode == 0
    assert cli.query("SELECT must_change_password FROM users WHERE username = 'tmp.user'") == [(1,)]
    assert cli.run("user", "passwd", "tmp.user", "--password", "given-by-it-2").returncode == 0
    assert cli.query("SELECT must_change_password FROM users WHERE username = 'tmp.user'") == [(0,)]


def _csv(client, path):
    """A list page's 导出 CSV as rows of dicts (UTF-8 with BOM)."""
    import csv
    import io
    r = client.get(path + ("&" if "?" in path else "?") + "format=csv")
    assert r.status == 200, (path, r.status)
    return list(csv.DictReader(io.StringIO(r.body.decode("utf-8-sig"))))


def test_demo_fills_a_new_database_with_a_living_company_and_refuses_a_second_run():
    """Issue #16 "salesd demo": on a new database (with only the first admin, as `make demo`
    makes it) `salesd demo` creates a company that is then used through nginx as its staff would:
    a user in every role with 直属上级, customers of every class A–D and prospects, orders in many
    states, complaints (one closed), returns (one settled), and a published suggestion batch on
    its bulletin. A second run refuses (65) and changes nothing."""
    import datetime
    s = Stack()
    s.cli("migrate")
    s.cli("user", "add", "admin", "--display-name", "管理员", "--roles", "admin", "--password", PASSWORD)
    p = subprocess.run([SALESD, "demo"], env=s.env, capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "演示数据已生成" in p.stdout and "demo-1234" in p.stdout, p.stdout
    assert re.search(r"订单: .*已完成 \d+.*", p.stdout) and "投诉: " in p.stdout, p.stdout
    s.start_app()
    s.start_nginx()
    try:
        def login(user, password="demo-1234"):
            c = s.client()
            assert c.login(user, password).status == 303, user
            return c

        # Every role of RULES §5 has a user, each but the top with a 直属上级 (the admin's user list).
        users = _csv(login("admin", PASSWORD), "/admin/users")
        titles = {t for u in users for t in u["角色"].split("、")}
        assert {"销售专员", "销售主管", "销售经理", "市场部经理", "营销总监", "总经理", "财务部", "生产部", "品质部", "技术部",
                "客户服务专员", "客户服务主管", "评定委员会", "管理员"} <= titles, titles
        assert len(users) >= 15 and sum(1 for u in users if u["直属上级"]) >= len(users) - 2, users

        # Customers in every class and prospects, as the 总经理 sees them (crm.view_all).
        gm = login("chenjianguo")
        customers = _csv(gm, "/crm/customers")
        assert {c["评级"] for c in customers if c["状态"] == "正式客户" and c["客户代码"].startswith("KH-")} >= set("ABCD"), customers
        assert sum(1 for c in customers if c["状态"] == "潜在客户") >= 2, customers

        # Orders in many states, the over-line one in the 总经理's inbox.
        orders = _csv(gm, "/order/orders")
        states = {o.get("状态", "") for o in orders}
        assert len(states) >= 8 and any("已完成" in st for st in states) and any("警戒线" in st for st in states), states
        assert "超警戒线订单待批准" in gm.get("/").text

        # Complaints (one closed within the day) and returns (one settled on the receivables).
        manager = login("wanghaifeng")
        complaints = {c.get("状态", "") for c in _csv(manager, "/service/complaints")}
        assert len(complaints) >= 3 and any("结案" in st for st in complaints), complaints
        returns = {r.get("状态", "") for r in _csv(login("zhengli"), "/service/returns")}
        assert any("结算" in st for st in returns) and len(returns) >= 2, returns

        # The suggestion batch of two months ago is published: its bulletin shows the awards.
        back = (datetime.datetime.utcnow() + datetime.timedelta(hours=8)).date() - datetime.timedelta(days=60)
        bulletin = login("zhangwei").get(f"/ideas/bulletin/{back.year:04d}-{back.month:02d}")
        assert bulletin.status == 200 and "客户档案按周更新" in bulletin.text and "二等奖" in bulletin.text

        # A second run refuses and adds nothing.
        before = sqlite3.connect(s.db_path).execute("SELECT COUNT(*) FROM audit_log").fetchone()[0]
        again = subprocess.run([SALESD, "demo"], env=s.env, capture_output=True, text=True, timeout=60)
        assert again.returncode == EX_DATAERR and "已有数据" in again.stderr, again.stdout + again.stderr
        assert sqlite3.connect(s.db_path).execute("SELECT COUNT(*) FROM audit_log").fetchone()[0] == before
    finally:
        s.stop()
