"""Access-control matrix: every route the registry knows (from `salesd routes`, the same source
as the CLI) against every role and no session, through nginx. A role without the route's
permission gets 403, no session gets a redirect to the login page, and a route added without
a permission (or an unlisted `authenticated` one) fails here."""
import re
import sqlite3

from harness import PASSWORD, Stack

# Routes any logged-in user may use, by design. A new `authenticated` route must be added here
# deliberately (with a reason), or this test fails.
AUTHENTICATED = {
    "/": "home inbox",
    "/logout": "log out",
    "/account/password": "change one's own password (issue 18), every user",
    "/ideas/new": "§20 anyone submits a suggestion",
    "/ideas/mine": "own suggestions",
    "/ideas/:id": "own or published suggestion (record-level check)",
    "/ideas/:id/edit": "own suggestion (record-level check)",
    "/ideas/bulletin": "published results, every user (§24)",
    "/ideas/calendar": "the suggestion calendar, every user (§19, §21, §23.2)",
    "/ideas/bulletin/:batch": "published results, every user (§24)",
}
PUBLIC = {"/login", "/healthz", "/_debug/sleep", "/_debug/crash"}  # the debug routes exist only with SALES_DEBUG_ROUTES=1 (tests)


def concrete(path):
    return re.sub(r":batch", "2026-11", re.sub(r":[a-z]+", "1", path))


def test_every_route_against_every_role():
    s = Stack()
    s.start()
    try:
        routes = [line.split("\t") for line in s.cli("routes").strip().split("\n")]
        roles = [line.split("\t")[0] for line in s.cli("user", "roles", "--list").strip().split("\n")]
        assert len(routes) > 50 and len(roles) >= 14
        for method, path, module, access in routes:
            if access == "public":
                assert path in PUBLIC, f"unexpected public route {method} {path}"
            elif access == "authenticated":
                assert path in AUTHENTICATED, f"{method} {path} ({module}) has no permission and is not listed as authenticated"
            else:
                # One permission, or any of several (`Access.anyOf`: "order.view|order.products").
                assert all(re.fullmatch(r"[a-z-]+\.[a-z_]+", p) and p.startswith(module + ".") for p in access.split("|")), \
                    (method, path, access)

        # No session: every non-public route sends the browser to the login page.
        anon = s.client()
        anon.get("/login")
        for method, path, _, access in routes:
            if access == "public":
                continue
            r = anon.get(concrete(path)) if method == "GET" else anon.post(concrete(path), {})
            assert r.status == 303 and r.header("Location").startswith("/login"), (method, path, r.status)

        db = sqlite3.connect(s.db_path)

        def granted(role):
            # Read each time: an allowed POST (e.g. the role matrix itself) may change it.
            return {p for (p,) in db.execute("SELECT permission FROM role_permissions WHERE role_id = ?", (role,))}
        checked = 0
        for role in roles:
            s.cli("user", "add", "u_" + role, "--roles", role, "--password", PASSWORD)
            c = s.client()
            assert c.login("u_" + role).status == 303
            home = c.get("/")
            assert home.status == 200
            for method, path, module, access in routes:
                if access in ("public", "authenticated") or path == "/logout":
                    continue
                r = c.get(concrete(path)) if method == "GET" else c.post(concrete(path), {})
                allowed = any(p in granted(role) for p in access.split("|"))
                if not allowed:
                    assert r.status == 403, (role, method, path, r.status)
                    assert "无权访问" in r.text
                elif module != "ideas":  # ideas grading also needs a committee seat (record-level)
                    assert r.status != 403, (role, method, path, r.status)
                assert r.status < 500, (role, method, path, r.status, s.log()[-2000:])
                checked += 1
        assert checked > 500
    finally:
        s.stop()
