"""Hostile input through every form field of every module (issue 8): a bounded crawler, as one
user holding every role, submits an XSS and SQL-injection corpus into every POST form reachable
from a parameterless GET page, then re-crawls lists, detail and print pages, CSV exports and the
inbox. Payloads must be stored literally, rendered escaped everywhere, CSV cells neutralised
against formula injection, the schema unchanged, and no response may be a 5xx."""
import csv
import io
import re
import sqlite3
import time
import urllib.parse
import uuid
from html.parser import HTMLParser

import harness
from harness import Stack

XSS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "javascript:alert(1)",
    "'\"><svg/onload=alert(1)>",
    "</textarea><script>x</script>",
    "<iframe src=javascript:alert(1)></iframe>",
    "<a href=\"javascript:alert(1)\">x</a>",
]
SQLI = [
    "' OR '1'='1",
    "1; DROP TABLE users; --",
    "Robert'); DROP TABLE crm_customers;--",
]
FORMULA = ['=HYPERLINK("http://x","y")', "+1+cmd|' /C calc'!A0", "@SUM(1+1)", "-2+3+cmd|' /C calc'!A0"]
CORPUS = XSS + SQLI + FORMULA

# What must never appear unescaped in any HTML response.
DANGEROUS = [
    "<script>alert(1)</script>",
    "<script>x</script>",
    "<img src=x onerror=alert(1)>",
    "<svg/onload=alert(1)>",
    "<iframe src=javascript:alert(1)>",
    '<a href="javascript:alert(1)">',
]
URL_ATTRS = {"href", "src", "action", "formaction", "xlink:href", "data", "poster"}

CUSTOMER_CODE = "KH-2026-0901"
MAX_POSTS = 200
POST_BUDGET_S = 60
MAX_LINKS = 300
SKIP_PATHS = {"/logout", "/login", "/admin/modules"}   # switching modules off would hide the rest of the crawl


class Forms(HTMLParser):
    """Collects <form method=post>, their inputs, textareas, selects and links."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms, self.links, self.urls, self.handlers = [], [], [], []
        self.form = None
        self.select = None
        self.textarea = None

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        for k, v in a.items():
            if k in URL_ATTRS:
                self.urls.append((tag, k, v))
            elif k.startswith("on"):
                self.handlers.append((tag, k))
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        if tag == "form":
            self.form = None
            if a.get("method", "get").lower() == "post":
                self.form = {"action": a.get("action"), "enctype": a.get("enctype", ""), "fields": []}
                self.forms.append(self.form)
            return
        if self.form is None:
            return
        if tag == "input" and a.get("name"):
            self.form["fields"].append(("input", a))
        elif tag == "textarea" and a.get("name"):
            self.textarea = a
            self.form["fields"].append(("textarea", a))
        elif tag == "select" and a.get("name"):
            self.select = {"attrs": a, "options": []}
            self.form["fields"].append(("select", self.select))
        elif tag == "option" and self.select is not None:
            self.select["options"].append(a.get("value"))
            self.select["_pending"] = a.get("value") is None

    def handle_data(self, data):
        if self.select is not None and self.select.get("_pending"):
            self.select["options"][-1] = data.strip()
            self.select["_pending"] = False

    def handle_endtag(self, tag):
        if tag == "form":
            self.form = None
        elif tag == "select":
            self.select = None
        elif tag == "textarea":
            self.textarea = None


def parse(text):
    p = Forms()
    p.feed(text)
    return p


class Filler:
    def __init__(self):
        self.i = 0

    def payload(self):
        v = CORPUS[self.i % len(CORPUS)]
        self.i += 1
        return v

    def fields(self, form):
        pairs = []
        for kind, a in form["fields"]:
            if kind == "select":
                opts = [o for o in a["options"] if o]
                if opts:
                    pairs.append((a["attrs"]["name"], opts[0]))
                continue
            name = a["name"]
            if kind == "textarea":
                pairs.append((name, self.payload()))
                continue
            typ = a.get("type", "text").lower()
            if typ in ("hidden",):
                pairs.append((name, a.get("value", "")))
            elif typ in ("checkbox", "radio"):
                if "checked" in a:
                    pairs.append((name, a.get("value", "on")))
            elif typ in ("submit", "button", "image", "reset", "file"):
                continue
            elif typ == "password":
                pairs.append((name, harness.PASSWORD))
            elif typ == "date":
                pairs.append((name, "2026-01-05"))
            elif typ == "number" or a.get("inputmode") in ("numeric", "decimal"):
                pairs.append((name, "1"))
            elif typ in ("month",):
                pairs.append((name, "2026-01"))
            elif typ in ("time",):
                pairs.append((name, "09:30"))
            elif typ == "email":
                pairs.append((name, "x@example.com"))
            else:
                pairs.append((name, self.payload()))
        return pairs


def plain(name, value, error=""):
    """A value most validators accept, for a field that refused its payload (guided by the
    field's error message where it names a format)."""
    error = " ".join(error.split())
    if "YYYY-MM-DD" in error:
        return "2026-01-05"
    if "YYYY-MM" in error:
        return "2026-01"
    if "KH-YYYY" in error:
        return "KH-YYYY-NNNN"
    if "客户代码" in error or name == "customer_code":
        return CUSTOMER_CODE
    m = re.search(r"应为\s*(\d+)", error)
    if m:
        return m.group(1)
    if re.search(r"phone|mobile|tel", name):
        return "13800138000"
    if re.search(r"email", name):
        return "x@example.com"
    if value in CORPUS:
        return "测试内容" + str(len(value))
    if value.startswith("测试内容"):
        return "t" + uuid.uuid4().hex[:8]   # e.g. a login name: ASCII letters and digits only
    return value


def multipart(pairs):
    boundary = "----hostile" + uuid.uuid4().hex
    out = io.BytesIO()
    for k, v in pairs:
        out.write(f"--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n".encode())
        out.write(v.encode() + b"\r\n")
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue(), "multipart/form-data; boundary=" + boundary


def check_html(where, text):
    for d in DANGEROUS:
        assert d not in text, f"unescaped XSS payload {d!r} in {where}"
    p = parse(text)
    for tag, name, value in p.urls:
        assert not re.sub(r"[\x00-\x20]", "", value).lower().startswith("javascript:"), \
            f"javascript: URL in <{tag} {name}> in {where}: {value!r}"
    for tag, name in p.handlers:
        raise AssertionError(f"event-handler attribute <{tag} {name}=...> in {where}")


def check_csv(where, text):
    for row in csv.reader(io.StringIO(text)):
        for cell in row:
            if not cell:
                continue
            if cell[0] in "=+@" or (cell[0] == "-" and not re.fullmatch(r"-[0-9.,]+", cell)):
                raise AssertionError(f"formula-injection CSV cell {cell!r} in {where}")


def schema(path):
    db = sqlite3.connect(path)
    try:
        return db.execute("SELECT type, name, sql FROM sqlite_master ORDER BY name").fetchall()
    finally:
        db.close()


def stored(path, values):
    """{payload: [table.column, ...]} for payloads found byte for byte in a text column."""
    db = sqlite3.connect(path)
    found = {}
    try:
        tables = [t for (t,) in db.execute("SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'")]
        for t in tables:
            cols = [r[1] for r in db.execute(f'PRAGMA table_info("{t}")')]
            for c in cols:
                for v in values:
                    n = db.execute(f'SELECT COUNT(*) FROM "{t}" WHERE instr(CAST("{c}" AS TEXT), ?) > 0', (v,)).fetchone()[0]
                    if n:
                        found.setdefault(v, []).append(f"{t}.{c}")
    finally:
        db.close()
    return found


def module_link(href, modules):
    if not href.startswith("/") or href.startswith("//"):
        return None
    path = urllib.parse.urlsplit(href)
    seg = path.path.strip("/").split("/")[0]
    if seg not in modules or path.path in SKIP_PATHS or path.path.startswith("/_debug"):
        return None
    return href


def submit_hostile(c, s, filler, page, form, action, statuses, budget):
    """Posts `form` (found on `page`) filled with payloads. Refused by validation (422), the
    re-rendered form marks the fields it refused: only those are made plain (the others keep
    their payloads) and it is sent again, up to three times or `budget` POSTs. Every answer is
    below 500 and escaped. Returns (last response, POSTs made)."""
    pairs = filler.fields(form)
    made = 0
    while True:
        if "multipart" in form["enctype"]:
            body, ctype = multipart(pairs)
        else:
            body, ctype = urllib.parse.urlencode(pairs).encode(), "application/x-www-form-urlencoded"
        pr = c.request("POST", action, body, {"Content-Type": ctype})
        made += 1
        statuses[pr.status] = statuses.get(pr.status, 0) + 1
        assert pr.status < 500, (page, action, pairs, pr.status, s.log()[-2000:])
        if "text/html" in (pr.header("Content-Type") or ""):
            check_html(f"POST {action} (from {page})", pr.text)
        if pr.status != 422 or made >= 3 or made >= budget:
            return pr, made
        again = [f for f in parse(pr.text).forms if f["action"] == form["action"]]
        if not again:
            return pr, made
        errors = dict(re.findall(r'id="f-([^"]*)-error"[^>]*>([^<]*)<', pr.text))
        invalid = {a.get("name") for k, a in again[0]["fields"] if k != "select" and "aria-invalid" in a}
        invalid |= {a["attrs"].get("name") for k, a in again[0]["fields"] if k == "select" and "aria-invalid" in a["attrs"]}
        hidden = {a["name"]: a.get("value", "") for k, a in again[0]["fields"] if k == "input" and a.get("type") == "hidden"}
        if not invalid:
            return pr, made
        pairs = [(k, hidden.get(k, v)) if k in hidden else (k, plain(k, v, errors.get(k, "")) if k in invalid else v) for k, v in pairs]


def recrawl(get, start, modules, exports, max_links=None, max_pages=None):
    """GETs the `start` pages, the CSV export of those in `exports` and every module link the
    pages show, breadth first: every HTML page must be escaped, every CSV neutralised.
    Returns (URLs fetched, links followed, CSV exports, CSV exports containing a payload)."""
    queue, queued, seen = list(start), set(start), set()
    followed = csvs = csv_payloads = 0
    while queue and (max_pages is None or len(seen) < max_pages):
        path = queue.pop(0)
        if path in seen:
            continue
        seen.add(path)
        r = get(path)
        ctype = r.header("Content-Type") or ""
        if "text/csv" in ctype:
            check_csv(path, r.text)
            csvs += 1
            csv_payloads += any(p in r.text for p in CORPUS)
            continue
        if "text/html" not in ctype:
            continue
        check_html(f"GET {path}", r.text)
        if path in exports:
            queue.append(path + "?format=csv")
        for href in parse(r.text).links:
            link = module_link(href, modules)
            if link and link not in queued and (max_links is None or followed < max_links):
                queued.add(link)
                followed += 1
                queue.append(link)
    return seen, followed, csvs, csv_payloads


def hostile_user(s):
    """Adds `hostile`, holding every role, with one approved customer of its own (as
    test_service.py seeds it, so customer selects and 客户代码 fields have something valid to
    point at), and logs in. Returns (user id, client, login: logs in again)."""
    roles = [line.split("\t")[0] for line in s.cli("user", "roles", "--list").strip().split("\n")]
    s.cli("user", "add", "hostile", "--roles", ",".join(roles), "--password", harness.PASSWORD)
    db = sqlite3.connect(s.db_path)
    uid = db.execute("SELECT id FROM users WHERE username = 'hostile'").fetchone()[0]
    db.execute("""INSERT INTO crm_customers (name, code, status, owner_id, rating_class, in_city, created_by, created_at, updated_at)
                  VALUES ('种子客户', ?, 'customer', ?, 'B', 1, ?, 0, 0)""", (CUSTOMER_CODE, uid, uid))
    db.commit()
    db.close()
    c = s.client()

    def login():
        r = c.login("hostile")
        assert r.status == 303 and not r.header("Location").startswith("/login"), (r.status, r.header("Location"))
    login()
    return uid, c, login


def test_hostile_input_everywhere():
    s = Stack()
    s.start()
    try:
        before = schema(s.db_path)
        uid, c, login = hostile_user(s)

        routes = [line.split("\t") for line in s.cli("routes").strip().split("\n")]
        modules = {m for _, _, m, _ in routes} | {p.strip("/").split("/")[0] for _, p, _, _ in routes}
        pages = [p for m, p, _, _ in routes
                 if m == "GET" and ":" not in p and p not in SKIP_PATHS and not p.startswith("/_debug")]
        assert len(pages) > 20

        def get(path):
            r = c.get(path)
            if r.status == 303 and (r.header("Location") or "").startswith("/login"):
                login()
                r = c.get(path)
            assert r.status < 500, (path, r.status, s.log()[-2000:])
            return r

        # Phase 1: submit the corpus into every POST form on every parameterless page.
        filler = Filler()
        posts, t0, statuses = 0, time.time(), {}
        seen_forms, refused = set(), []
        for round_ in range(2):
            # Round 2 revisits only pages whose forms were refused: selects (customers,
            # orders) may have options now that round 1 created records.
            round_pages = pages if round_ == 0 else list(dict.fromkeys(retry))
            retry = []
            for page in round_pages:
                if posts >= MAX_POSTS or time.time() - t0 > POST_BUDGET_S:
                    break
                r = get(page)
                if r.status != 200 or "text/html" not in (r.header("Content-Type") or ""):
                    continue
                for form in parse(r.text).forms:
                    action = form["action"] or page
                    action = urllib.parse.urljoin(page, action)
                    if urllib.parse.urlsplit(action).path in SKIP_PATHS:
                        continue
                    key = (round_, page, action, tuple(a.get("name") if k != "select" else a["attrs"]["name"] for k, a in form["fields"]))
                    if key in seen_forms:
                        continue
                    seen_forms.add(key)
                    pr, made = submit_hostile(c, s, filler, page, form, action, statuses, MAX_POSTS - posts)
                    posts += made
                    if pr.status >= 400:
                        retry.append(page)
                        if round_ == 1:
                            refused.append(f"{action}:{pr.status}")
                    if posts >= MAX_POSTS or time.time() - t0 > POST_BUDGET_S:
                        break
        print("hostile: refused " + " ".join(refused))
        print(f"\nhostile: {posts} POSTs from {len(pages)} pages, statuses {sorted(statuses.items())}")
        assert posts >= 10
        assert statuses.get(303, 0) >= 5, statuses  # some submissions were accepted, not all refused

        # Phase 2: re-crawl pages, follow module links (detail, print) and CSV exports.
        seen, followed, csvs, csv_payloads = recrawl(get, pages, modules, exports={p for p in pages if "?" not in p},
                                                     max_links=MAX_LINKS)
        print(f"hostile: re-crawled {len(seen)} URLs ({followed} followed links, {sum(bool(re.search(r'/[0-9]+', u)) for u in seen)} with record ids, "
              f"{csvs} CSV exports, {csv_payloads} with payloads)")
        assert len(seen) > len(pages)

        # Phase 3: stored literally, schema unchanged.
        found = stored(s.db_path, CORPUS)
        print("hostile: stored " + ", ".join(f"{v!r}→{cols[:3]}" for v, cols in found.items()))
        assert any(v in found for v in XSS), "no XSS payload stored byte for byte"
        assert any(v in found for v in SQLI), "no SQL-injection payload stored byte for byte"
        assert schema(s.db_path) == before, "schema changed"
        db = sqlite3.connect(s.db_path)
        assert db.execute("SELECT COUNT(*) FROM users").fetchone()[0] >= 3
        db.close()
    finally:
        s.stop()
