"""End-to-end through a real nginx and the real responder on loopback (issue #2's list)."""
import os
import signal
import sqlite3
import threading
import time

from harness import PASSWORD, Stack


def test_login_page_renders_in_chinese(stack):
    r = stack.client().get("/login")
    assert r.status == 200
    assert "登录" in r.text
    assert r.header("Content-Type").startswith("text/html")
    assert r.header("X-Frame-Options") == "DENY"  # nginx security headers


def test_static_css_is_served_by_nginx(stack):
    r = stack.client().get("/static/app.css")
    assert r.status == 200
    assert b"{" in r.body


def test_wrong_password_is_refused(stack):
    c = stack.client()
    r = c.login("admin", "not-the-password")
    assert r.status == 401
    assert "用户名或密码不正确" in r.text
    assert "sid" not in c.cookies


def test_menu_shows_exactly_the_permitted_modules(stack):
    admin = stack.client()
    assert admin.login("admin").status == 303
    home = admin.get("/")
    assert home.status == 200
    assert "系统管理" in home.text and 'href="/admin/users"' in home.text
    rep = stack.client()
    assert rep.login("rep").status == 303
    rep_home = rep.get("/")
    assert rep_home.status == 200
    assert "系统管理" not in rep_home.text
    assert rep.get("/admin/users").status == 403


def test_post_without_csrf_token_is_403(stack):
    c = stack.client()
    c.login("admin")
    r = c.post("/admin/users/new", {"username": "nocsrf", "display_name": "无令牌", "password": "long-enough-1"}, csrf=False)
    assert r.status == 403
    db = sqlite3.connect(stack.db_path)
    assert db.execute("SELECT COUNT(*) FROM users WHERE username = 'nocsrf'").fetchone()[0] == 0


def test_invalid_form_is_422_with_typed_values_kept(stack):
    c = stack.client()
    c.login("admin")
    c.get("/admin/users/new")
    r = c.post("/admin/users/new", {"username": "!", "display_name": "赵六", "password": "x"})
    assert r.status == 422
    assert 'value="赵六"' in r.text
    assert 'value="!"' in r.text
    assert "至少 8 个字" in r.text


def test_valid_form_is_303_row_stored_and_audited(stack):
    c = stack.client()
    c.login("admin")
    c.get("/admin/users/new")
    r = c.post("/admin/users/new", [("username", "qian.qi"), ("display_name", "钱七"), ("password", "long-enough-1"),
                                    ("roles", "sales_rep")])
    assert r.status == 303
    assert r.header("Location") == "/admin/users"
    db = sqlite3.connect(stack.db_path)
    (uid,) = db.execute("SELECT id FROM users WHERE username = 'qian.qi'").fetchone()
    audit = db.execute("SELECT username, action FROM audit_log WHERE entity = 'user' AND entity_id = ?", (str(uid),)).fetchall()
    assert audit == [("admin", "create")]


def test_body_over_the_limit_is_413(stack):
    c = stack.client()
    c.login("admin")
    c.get("/admin/users/new")
    big = b"a=" + b"x" * (2 << 20)  # 2 MiB > the app's 1 MiB limit (nginx allows 8m here)
    r = c.request("POST", "/admin/users/new", big, {"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status == 413
    assert "提交内容过大" in r.text
    # nginx's own limit answers 413 too.
    r2 = c.request("POST", "/admin/users/new", b"a=" + b"x" * (9 << 20), {"Content-Type": "application/x-www-form-urlencoded"})
    assert r2.status == 413


def test_unknown_path_is_404(stack):
    c = stack.client()
    c.login("admin")
    r = c.get("/does/not/exist")
    assert r.status == 404
    assert "页面不存在" in r.text


def test_head_has_no_body(stack):
    r = stack.client().request("HEAD", "/login")
    assert r.status == 200
    assert r.body == b""


def test_access_log_line_per_request(stack):
    c = stack.client()
    c.get("/login?probe=accesslog")
    time.sleep(0.2)
    assert "GET /login?probe=accesslog 200" in stack.log()


def test_sigterm_during_slow_request_completes_it_and_exits_0():
    s = Stack().start()
    try:
        result = {}

        def slow():
            result["r"] = s.client().get("/_debug/sleep?ms=1500")

        t = threading.Thread(target=slow)
        t.start()
        time.sleep(0.4)  # the request is in flight
        s.app.send_signal(signal.SIGTERM)
        t.join(10)
        assert result["r"].status == 200
        assert "slept 1500 ms" in result["r"].text
        assert s.app.wait(10) == 0
        assert not os.path.exists(s.socket)
        # nginx now answers 502 (responder down), and recovers when it is back.
        assert s.client().get("/login").status == 502
        s.start_app()
        assert s.client().get("/login").status == 200
    finally:
        s.stop()


def test_socket_activation_restart_keeps_the_socket():
    """systemd owns the listening socket and hands it over as fd 0 (StandardInput=socket);
    a stop must leave that socket listening so the next start serves again."""
    import socket as so
    s = Stack()
    listener = so.socket(so.AF_UNIX, so.SOCK_STREAM)
    listener.bind(s.socket)
    listener.listen(64)
    try:
        s.start(inherit=listener)
        assert s.client().get("/login").status == 200
        s.app.send_signal(signal.SIGTERM)
        assert s.app.wait(10) == 0
        s.start_app(inherit=listener)
        assert s.client().get("/login").status == 200
        result = {}
        t = threading.Thread(target=lambda: result.setdefault("r", s.client().get("/_debug/sleep?ms=800")))
        t.start()
        time.sleep(0.3)
        s.app.send_signal(signal.SIGTERM)
        t.join(10)
        assert result["r"].status == 200
        assert s.app.wait(10) == 0
    finally:
        s.stop()
        listener.close()
