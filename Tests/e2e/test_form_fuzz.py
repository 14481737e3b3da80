"""Every declared form fuzzed through the real stack (issue 12, part 3).

A real salesd behind a real nginx (harness.Stack, with the test clock). One user per role from
`salesd user roles --list` (plus the harness's `admin` and `rep`). Each round:

1. the world: through the pages, as the people who do each step, records are brought into the
   states where the record-scoped forms appear (an order scheduled by 生产部, a complaint routed to
   a department, a return verified by 品质部, a suggestion batch opened on the 20th and one
   published with implementation orders, a gift budget approved …);
2. discovery: every role crawls its pages (parameterless routes, the world's records and their
   sub-pages, a few records from each list) and every POST form found is matched to a form of
   `salesd forms` (same module, every declared field present with its kind);
3. fuzz: each declared form, as several of the roles that reached it, gets seeded generated
   submissions — a valid baseline with some fields replaced (empty, very long, huge and negative
   numbers, 2026-13, 0000-00-00, 9999-12-31, emoji and combining marks, NUL bytes, leading =,
   markup, repeated / missing / odd row indexes, unknown select options …) and wholly random ones.

Every answer: no 5xx, escaped HTML; a 422 is the same form with a message and every typed value
back (HTML-escaped: the parsed page gives back exactly what was sent); a 303 is followed (no 5xx)
and each typed text / number / date is in the database as typed. After each form: /healthz's
`restarts:` is 0 when the line exists (the supervised pool); otherwise the salesd process is alive;
the log has no crash line and no `programming error:` line (a handler reading an undeclared form
value or blaming an undeclared field, issue #13). Every declared form must be fuzzed at least once (SKIP says why not).

Bounded: `make fuzz-forms-ci` (3 rounds, about 80 s on 2 cores). Long: `make fuzz-forms`
(FORM_FUZZ_ROUNDS, default 12, more submissions and roles per form). The seed is printed;
FORM_FUZZ_SEED=<seed> replays a run (same seed, same submissions, as long as the application
answers the same). Knobs: FORM_FUZZ_PER_ROLE, FORM_FUZZ_ROLES_PER_FORM, FORM_FUZZ_BUDGET_S (stop
starting rounds after that many seconds), FORM_FUZZ_KEEP_GOING=1 (collect lost values and
unstored submits, one example per form and kind, and fail at the end; a 5xx still stops at once),
FORM_FUZZ_DEBUG=1 (what each form refused, records that were used up, the salesd log kept in
$TMPDIR/form-fuzz-salesd.log)."""
import atexit
import concurrent.futures
import datetime
import html
import itertools
import json
import os
import random
import re
import shutil
import sqlite3
import tempfile
import time
import urllib.parse
import uuid

import pytest

from harness import PASSWORD, Stack
from test_hostile_input import FORMULA, SQLI, XSS, Forms, check_html, module_link

pytestmark = pytest.mark.formfuzz      # `make e2e` leaves it out: `make fuzz-forms-ci` / `make fuzz-forms` run it

ROUNDS = int(os.environ.get("FORM_FUZZ_ROUNDS", "3"))
SEED = int(os.environ.get("FORM_FUZZ_SEED") or random.SystemRandom().randrange(1, 2**31))
# Submissions per form, per role, per round; roles per form per round.
PER_ROLE = int(os.environ.get("FORM_FUZZ_PER_ROLE", "4"))
ROLES_PER_FORM = int(os.environ.get("FORM_FUZZ_ROLES_PER_FORM", "3"))
# A wall-clock cap for the fuzz phase (the long run sets it high); rounds stop early when hit.
BUDGET_S = float(os.environ.get("FORM_FUZZ_BUDGET_S", "600"))
# Collect lost values and unstored submits (one example per form and kind) and fail at the end,
# instead of at the first; a 5xx or a crash always stops at once.
KEEP_GOING = os.environ.get("FORM_FUZZ_KEEP_GOING") == "1"

START_MONTH = (2026, 1)          # round r lives in months START + 2r and START + 2r + 1 (test clock)


# ---------------------------------------------------------------------------------------------
# Pages and forms

class Page(Forms):
    """test_hostile_input.Forms plus what a re-rendered form must give back: textarea text,
    which options are selected, input ids and aria-invalid marks."""

    def __init__(self):
        super().__init__()
        self._ta = None
        self._last = None         # the last control of the current form
        self._err = None          # [name, text] of an error message being read
        self.errors = {}          # control name → the message shown beside it

    def handle_starttag(self, tag, attrs):
        super().handle_starttag(tag, attrs)
        a = dict(attrs)
        if self.form is not None and tag == "button" and a.get("name"):
            # The approval panel's decisions: <button name="action" value="approve">.
            self.form.setdefault("buttons", []).append((a["name"], a.get("value") or ""))
        if self.form is not None and a.get("name") and tag in ("input", "select", "textarea"):
            self._last = a["name"]
        if self.form is not None and tag in ("p", "span") and "error" in (a.get("class") or "").split():
            m = re.fullmatch(r"f-(.+)-error", a.get("id") or "")
            named = next((n for k, x in self.form["fields"] for n in [field_name(k, x)]
                          if m and n and n.replace(".", "-") == m.group(1)), None)
            self._err = [named or self._last, ""]
        if tag == "textarea" and self.form is not None and self.textarea is not None:
            self._ta = self.textarea
            self._ta["_text"] = ""
        if tag == "option" and self.select is not None:
            a = dict(attrs)
            self.select.setdefault("selected", [])
            if "selected" in a:
                self.select["selected"].append(len(self.select["options"]) - 1)

    def handle_data(self, data):
        super().handle_data(data)
        if self._ta is not None:
            self._ta["_text"] += data
        if self._err is not None:
            self._err[1] += data

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._ta = None
        if tag in ("p", "span") and self._err is not None:
            if self._err[0]:
                self.errors[self._err[0]] = self._err[1].strip()
            self._err = None
        super().handle_endtag(tag)


def page_forms(text):
    p = Page()
    p.feed(text)
    p.close()
    return p


def field_name(kind, a):
    return a["attrs"].get("name") if kind == "select" else a.get("name")


def kind_of(kind, a):
    """The kind of an HTML form control, in the vocabulary of `salesd forms`."""
    if kind == "textarea":
        return "textarea"
    if kind == "select":
        return "select"
    t = a.get("type", "text").lower()
    if t == "hidden":
        return "hidden"
    if t == "checkbox":
        return "checkbox"
    if t == "file":
        return "file"
    if t == "password":
        return "password"
    if t == "date":
        return "date"
    if a.get("inputmode") == "numeric":
        return "integer"
    if a.get("inputmode") == "decimal":
        return "money"
    if t in ("submit", "button", "reset", "image"):
        return "button"
    return "text"


def norm(name):
    """`lines.3.qty` → `lines.N.qty` (the row notation of `salesd forms`)."""
    return re.sub(r"\.\d+\.", ".N.", name)


def form_defaults(form):
    """What a browser would send for the form as shown: [(name, value)]."""
    pairs = []
    for kind, a in form["fields"]:
        name = field_name(kind, a)
        if not name:
            continue
        k = kind_of(kind, a)
        if k == "select":
            sel = a.get("selected") or []
            if sel:
                pairs.append((name, a["options"][sel[0]] or ""))
            else:
                pairs.append((name, ""))
        elif k == "checkbox":
            if "checked" in a:
                pairs.append((name, a.get("value", "on")))
        elif k in ("file", "button"):
            continue
        elif k == "textarea":
            pairs.append((name, a.get("_text", "")))
        else:
            pairs.append((name, a.get("value", "")))
    return pairs


class Actor:
    """One logged-in person (a harness Client): logs in again when the session is gone."""

    def __init__(self, stack, username):
        self.stack = stack
        self.username = username
        self.c = stack.client()
        self.login()

    def login(self):
        r = self.c.login(self.username)
        assert r.status == 303 and not (r.header("Location") or "").startswith("/login"), (self.username, r.status)

    def get(self, path):
        r = self.c.get(path)
        if r.status == 303 and (r.header("Location") or "").startswith("/login"):
            self.login()
            r = self.c.get(path)
        return r

    def request(self, method, path, body, ctype):
        return self.c.request(method, path, body, {"Content-Type": ctype})

    def find_form(self, page, action=None, has=None):
        """GETs `page` and returns (response, form, absolute action) for the first POST form
        whose action ends with `action` (None: the page itself) and that has field `has`."""
        r = self.get(page)
        assert r.status == 200, (self.username, page, r.status, r.text[:500])
        for f in page_forms(r.text).forms:
            act = urllib.parse.urljoin(page, f["action"] or page)
            path = urllib.parse.urlsplit(act).path
            if action is None and path != urllib.parse.urlsplit(page).path:
                continue
            if action is not None and not path.endswith(action):
                continue
            if has and not any(field_name(k, a) == has for k, a in f["fields"]):
                continue
            return r, f, act
        raise AssertionError(f"{self.username}: no form {action or ''} {has or ''} on {page}")

    def act(self, page, action, values=(), expect=303):
        """Presses the button of the form on `page` whose hidden `action` is `action`, or the
        `<button name="action" value="…">` of the one approval panel (审批意见 + decisions)."""
        r = self.get(page)
        assert r.status == 200, (self.username, page, r.status)
        for f in page_forms(r.text).forms:
            hidden = dict((field_name(k, a), a.get("value")) for k, a in f["fields"] if kind_of(k, a) == "hidden")
            if hidden.get("action") == action or ("action" not in hidden and ("action", action) in f.get("buttons", [])):
                pairs = [(k, v) for k, v in form_defaults(f) if k not in dict(values)] + list(dict(values).items())
                if hidden.get("action") != action:
                    pairs.append(("action", action))
                r = post_pairs(self, urllib.parse.urljoin(page, f["action"] or page), f, pairs)
                if expect is not None:
                    assert r.status == expect, (self.username, page, action, r.status, r.text[:3000])
                return r
        raise AssertionError(f"{self.username}: no {action!r} button on {page}: {[x['action'] for x in page_forms(r.text).forms]}")

    def submit(self, page, values=(), action=None, has=None, files=(), expect=303):
        """Fills the form on `page` as shown, with `values` ({name: value or [values]}) over it,
        and posts it. Returns the response (asserted `expect` unless None)."""
        _, form, act = self.find_form(page, action, has)
        values = dict(values)
        for pat in [k for k in values if "*" in k]:     # `recv_*`: every field of that shape
            v = values.pop(pat)
            for name in {field_name(k, a) for k, a in form["fields"]}:
                if name and re.fullmatch(pat.replace("*", ".*"), name):
                    values[name] = v
        pairs = [(k, v) for k, v in form_defaults(form) if k not in values]
        for k, v in values.items():
            for x in (v if isinstance(v, (list, tuple)) else [v]):
                pairs.append((k, str(x)))
        r = post_pairs(self, act, form, pairs, files)
        if expect is not None:
            assert r.status == expect, (self.username, page, act, pairs, r.status, messages(r.text) or r.text[:2000])
        return r


def messages(text):
    """The error messages of a page (beside fields and on top)."""
    return [html.unescape(re.sub(r"<[^>]+>", " ", m)).strip()
            for m in re.findall(r'class="(?:error|error-summary)"[^>]*>(.*?)</(?:p|span|div)>', text, re.S)]


def encode(pairs, files=(), multipart=False):
    if not multipart:
        return urllib.parse.urlencode(pairs).encode(), "application/x-www-form-urlencoded"
    boundary = "----fuzz" + uuid.uuid4().hex
    out = bytearray()
    for k, v in pairs:
        out += f"--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n".encode() + v.encode() + b"\r\n"
    for k, filename, ctype, data in files:
        fn = filename.replace("\\", "\\\\").replace('"', "%22").replace("\r", "").replace("\n", "")
        out += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"; filename=\"{fn}\"\r\n"
                f"Content-Type: {ctype}\r\n\r\n").encode() + data + b"\r\n"
    out += f"--{boundary}--\r\n".encode()
    return bytes(out), "multipart/form-data; boundary=" + boundary


def post_pairs(actor, action, form, pairs, files=()):
    body, ctype = encode(pairs, files, "multipart" in form["enctype"])
    return actor.request("POST", action, body, ctype)


# ---------------------------------------------------------------------------------------------
# The stack, its clock and its health

class FuzzStack(Stack):
    """harness.Stack with the test clock and long sessions (the clock walks months)."""

    def __init__(self):
        clock_dir = tempfile.mkdtemp(prefix="sales-fuzz-clock-")
        atexit.register(shutil.rmtree, clock_dir, True)
        self.clock = os.path.join(clock_dir, "now.txt")
        self.at(datetime.datetime(*START_MONTH, 5, 9, 0))
        super().__init__(extra_env={"SALES_CLOCK_FILE": self.clock, "SALES_SESSION_MINUTES": str(60 * 24 * 366)})

    def at(self, when):
        self.now = when
        with open(self.clock, "w") as f:
            f.write(when.strftime("%Y-%m-%dT%H:%M:%S+08:00"))

    @property
    def today(self):
        return self.now.date()

    def pool_restarts(self):
        """(restarts or None when /healthz has no such line, the whole answer)."""
        c = self.client()
        r = c.get("/healthz")
        assert r.status == 200, ("healthz", r.status, r.text[:300])
        m = re.search(r"^restarts:\s*(\d+)\s*$", r.text, re.M)
        return (int(m.group(1)) if m else None), r.text


# A Swift trap's message, a signal, or the pool's line for a worker that died (ProcessPool.reap).
CRASH = re.compile(r"(?i)fatal error|segmentation fault|illegal instruction|core dumped|killed by signal|"
                   r"worker \d+ [^\n]*(exited with status|in-flight requests are lost)")


# A handler read a form value by a name its schema does not declare, or attached an error to an
# undeclared field (issue #13 item 3): salesd logs it as `programming error: …`.
PROGRAMMING_ERROR = re.compile(r"programming error: [^\n]*")


def assert_healthy(s, where):
    """The worker pool never restarted (when /healthz reports it), the responder never exited,
    the log has no crash line and no programming error (read from where the last check stopped)."""
    with open(os.path.join(s.dir, "salesd.log"), "rb") as f:
        f.seek(max(0, getattr(s, "log_checked", 0) - 200))
        log = f.read().decode("utf-8", "replace")
        s.log_checked = f.tell()
    m = CRASH.search(log)
    assert m is None, f"crash line in the salesd log after {where}: {log[max(0, m.start() - 1500):m.end() + 500]}"
    p = PROGRAMMING_ERROR.search(log)
    assert p is None, f"programming error in the salesd log after {where}: {log[max(0, p.start() - 1500):p.end() + 200]}"
    assert s.app.poll() is None, f"salesd exited ({s.app.returncode}) after {where}: {log[-3000:]}"
    restarts, text = s.pool_restarts()
    if restarts is not None:
        assert restarts == 0, f"worker pool restarted {restarts} time(s) after {where}:\n{text}\n{log[-3000:]}"
    return restarts


# ---------------------------------------------------------------------------------------------
# People

DEPARTMENTS = {   # --department of each role's user (the suggestion module's department managers)
    "sales_rep": "销售部", "sales_supervisor": "销售部", "sales_manager": "销售部", "market_manager": "市场部",
    "marketing_director": "销售部", "general_manager": "总经理办公室", "finance": "财务部", "production": "生产部",
    "quality": "品质部", "technical": "技术部", "service_rep": "客户服务部", "service_supervisor": "客户服务部",
    "committee": "市场部", "admin": "",
}


def role_users(s):
    """One user per role (`u_<role>`), plus the harness's admin and rep. {role: username}."""
    roles = [line.split("\t")[0] for line in s.cli("user", "roles", "--list").strip().split("\n")]
    users = {}
    for role in roles:
        name = "u_" + role
        s.cli("user", "add", name, "--display-name", "测试" + role, "--roles", role,
              "--department", DEPARTMENTS.get(role, ""), "--password", PASSWORD)
        users[role] = name
    return roles, users


# ---------------------------------------------------------------------------------------------
# Routes, declared forms and discovery

class Catalog:
    """`salesd routes` and `salesd forms`."""

    def __init__(self, s):
        self.routes = [line.split("\t") for line in s.cli("routes").strip().split("\n")]
        self.declared = {}
        for line in s.cli("forms").strip().split("\n"):
            module, form, field, kind = line.split("\t")
            self.declared.setdefault(f"{module}:{form}", {})[field] = kind
        self.get_patterns = [(self.rx(p), p, m) for meth, p, m, _ in self.routes if meth == "GET" and ":" in p]
        self.post_patterns = [(self.rx(p), p, m) for meth, p, m, _ in self.routes if meth == "POST"]
        self.pages = [p for meth, p, _, _ in self.routes
                      if meth == "GET" and ":" not in p and p not in ("/login", "/healthz") and not p.startswith("/_debug")]
        self.modules = {m for _, _, m, _ in self.routes} | {p.strip("/").split("/")[0] for _, p, _, _ in self.routes}

    @staticmethod
    def rx(pattern):
        return re.compile("^" + re.sub(r":[a-z_]+", r"[^/]+", pattern) + "$")

    def get_route(self, path):
        return next((p for rx, p, _ in self.get_patterns if rx.match(path)), None)

    def post_module(self, path):
        return next((m for rx, p, m in self.post_patterns if rx.match(path)), None)

    def match(self, module, kinds):
        """The declared form of `module` that an HTML form renders, given the form's
        {row-normalised field name: {control kinds}}: every declared field present as a control
        that can carry its kind; the declared form with the most fields wins. A form with a
        hidden `action` it does not declare is a state-machine button (approve, cancel …), not a
        declared form."""
        if "hidden" in kinds.get("action", ()) and not any("action" in f for k, f in self.declared.items()
                                                           if k.split(":")[0] == module and set(f) <= set(kinds)):
            return None
        best = [k for k, f in self.declared.items() if k.split(":")[0] == module
                and all(n in kinds and kinds[n] & COMPATIBLE.get(kd, {kd}) for n, kd in f.items())]
        if not best:
            return None
        top = max(len(self.declared[k]) for k in best)
        best = sorted(k for k in best if len(self.declared[k]) == top)
        return best[0] if len(best) == 1 else "|".join(best)


# Declared kind → the HTML controls that may carry it (a module may render a field by hand:
# an owner id as a select of people, a choice as a hidden value, a date as plain text).
COMPATIBLE = {
    "text": {"text", "select", "hidden"}, "textarea": {"textarea"}, "integer": {"integer", "select", "hidden", "text"},
    "money": {"money", "text"}, "date": {"date", "text"}, "select": {"select", "hidden", "text"},
    "multiSelect": {"checkbox", "select"}, "checkbox": {"checkbox"}, "file": {"file"}, "password": {"password"},
}


class Instance:
    """A declared form as one person sees it on one page."""

    def __init__(self, key, role, page, action, names):
        self.key, self.role, self.page, self.action, self.names = key, role, page, action, names

    def __repr__(self):
        return f"{self.key}@{self.page}({self.role})"


def discover(cat, actors, world_pages, skip, per_pattern=3):
    """Each role crawls its pages: the parameterless GET routes, the world's record pages and
    every record page linked from them, and up to `per_pattern` records per route linked from
    elsewhere (so a new module's records are found without a world step). Returns {declared
    form: [Instance]} (world pages first) and the undeclared POST forms seen ({route: roles}).
    `skip(path)`: pages and actions left alone. The roles crawl at the same time (three at once:
    GETs only, each as its own person); the results are merged in role order, so a seed gives
    the same forms as before."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=3) as pool:
        crawls = [pool.submit(crawl, cat, role, actor, world_pages, skip, per_pattern) for role, actor in actors.items()]
        results = [c.result() for c in crawls]
    found, undeclared = {}, {}
    for f, u in results:
        for key, instances in f.items():
            found.setdefault(key, []).extend(instances)
        for route, roles in u.items():
            undeclared.setdefault(route, set()).update(roles)
    return found, undeclared


def crawl(cat, role, actor, world_pages, skip, per_pattern):
    """One role's part of `discover`."""
    found, undeclared = {}, {}
    queue = list(dict.fromkeys(cat.pages + world_pages))
    queued = set(queue)
    per = {}
    while queue:
        path = queue.pop(0)
        r = actor.get(path)
        assert r.status < 500, (role, path, r.status, r.text[:500])
        if r.status != 200 or "text/html" not in (r.header("Content-Type") or ""):
            continue
        p = page_forms(r.text)
        for f in p.forms:
            act = urllib.parse.urljoin(path, f["action"] or path)
            apath = urllib.parse.urlsplit(act).path
            if apath in ("/logout", "/login") or skip(apath):
                continue
            module = cat.post_module(apath)
            kinds = {}
            for k, a in f["fields"]:
                if field_name(k, a) and field_name(k, a) not in ("_csrf", "_idem"):
                    kinds.setdefault(norm(field_name(k, a)), set()).add(kind_of(k, a))
            for name, _ in f.get("buttons", []):
                if name == "action":          # an approval panel: state-machine buttons, as a hidden action
                    kinds.setdefault("action", set()).add("hidden")
            names = set(kinds)
            key = cat.match(module, kinds) if module else None
            if key is None:
                route = next((pat for rx, pat, _ in cat.post_patterns if rx.match(apath)), apath)
                undeclared.setdefault(route, set()).add(role)
                continue
            found.setdefault(key, []).append(Instance(key, role, path, act, names))
        for href in p.links:
            link = module_link(href, cat.modules)
            if not link or link in queued or "format=csv" in link:
                continue
            lpath = urllib.parse.urlsplit(link).path
            if skip(lpath):
                continue
            route = cat.get_route(lpath)
            if route is None:
                continue
            near = any(lpath.startswith(w + "/") or lpath == w for w in world_pages)
            if not near:
                if per.get(route, 0) >= per_pattern:
                    continue
                per[route] = per.get(route, 0) + 1
            queued.add(link)
            queue.append(link)
    return found, undeclared


# ---------------------------------------------------------------------------------------------
# The world: records in the states where the record-scoped forms appear, set up through the
# pages by the people whose step it is (as test_crm / test_order / test_service /
# test_suggestions walk them). Called once per round, so each round has fresh records to fuzz.

def loc(r):
    return r.header("Location")


def rid(url):
    return url.rstrip("/").rsplit("/", 1)[1]


class World:
    def __init__(self, s, actors):
        self.s = s
        self.a = actors
        self.pages = []          # this round's record pages (discovery starts here too)
        self.reserved = {}       # this round's records kept for one form alone: {record path: form}
        self.customers = []      # approved customers of the rep: (customer page, code)
        self.branch = None

    def __getattr__(self, role):
        a = self.__dict__.get("a", {})
        if role in a:
            return a[role]
        raise AttributeError(role)

    def page(self, url):
        self.pages.append(urllib.parse.urlsplit(url).path)
        return url

    # -- once --------------------------------------------------------------------------------

    def setup(self):
        """What every round builds on: approved customers with contracts, the committee's
        seats, the award departments; the settings forms as they were (reset() puts them back)."""
        for name in ("华东汽车配件有限公司", "外省装饰材料公司"):
            self.customers.append(self.approved_customer(name))
        for _, code in self.customers:
            self.contract(code)
        # The committee (§22): the 营销总监 chairs, the 销售部经理 and 市场部经理 are vice chairs.
        seats = {}
        for role, seat in (("marketing_director", "chair"), ("sales_manager", "vice"), ("market_manager", "vice"), ("committee", "member")):
            seats[f"p:{self.user_id('u_' + role)}"] = seat
        self.admin.submit("/ideas/committee", seats)
        for name, count in (("销售部", "40"), ("财务部", "10"), ("市场部", "8")):
            self.admin.submit("/ideas/departments", {"name": name, "headcount": count})
        self.snapshot()

    CONFIG = (("/crm/policy", "admin"), ("/service/policy", "admin"), ("/ideas/awards", "admin"))

    def snapshot(self):
        self.config = []
        for page, role in self.CONFIG:
            _, form, _ = self.a[role].find_form(page)
            self.config.append((page, role, dict(form_defaults(form))))

    def reset(self):
        """Undoes what last round's fuzzing changed that this round's steps rely on, and opens a
        fresh branch (its manager may have been changed)."""
        rep_id = self.user_id("u_sales_rep")
        # The fuzzed user form may have made a world user somebody's 直属上级: a 销售主管 with a
        # team sees only the team's customers (004 第四章), so the reports-to links go first.
        db = sqlite3.connect(self.s.db_path)
        db.execute("UPDATE users SET supervisor_id = NULL")
        db.commit()
        db.close()
        for cust, _ in self.customers:
            self.sales_supervisor.submit(cust + "/owner", {"owner_id": rep_id, "reason": "恢复负责人"}, expect=None)
            db = sqlite3.connect(self.s.db_path)
            owner = db.execute("SELECT owner_id FROM crm_customers WHERE id = ?", (int(rid(cust)),)).fetchone()[0]
            db.close()
            assert str(owner) == rep_id, (cust, owner)
        for page, role, values in self.config:
            self.a[role].submit(page, {k: v for k, v in values.items() if k not in ("_csrf", "_idem")})
        r = self.admin.submit("/order/branches/new", {"name": f"华东分公司{self.round}", "manager_id": self.user_id("u_sales_manager"),
                                                      "capital_limit": "10000"})
        self.branch = loc(r)

    def user_id(self, username):
        db = sqlite3.connect(self.s.db_path)
        try:
            return str(db.execute("SELECT id FROM users WHERE username = ?", (username,)).fetchone()[0])
        finally:
            db.close()

    def approved_customer(self, name):
        """Prospect → 认定申请 → credit investigation (the 新客户信用调查表, required before the
        评定报告, 002 §9) → rating → evaluated → approved by the 销售主管 (test_crm.py's walk): a
        customer with a code, owned by the rep."""
        rep, sup = self.sales_rep, self.sales_supervisor
        cust = loc(rep.submit("/crm/customers/new", {"name": name, "city": "上海", "in_city": "1"}))
        app = loc(rep.submit(cust + "/apply", {"pay_cash_pct": "40", "pay_check_pct": "60"}))
        rep.act(app, "submit")
        rep.submit(app + "/survey", {"methods": "实地走访", "conclusion": "good"})
        rep.submit(f"{cust}/rate?application={rid(app)}", {
            "capacity": "120000", "ranking": "15", "brand": "1", "nature": "1", "capital": "5000", "assets": "0",
            "years": "6", "credit": "1", "payment": "80"})
        rep.act(app, "evaluate")
        sup.act(app, "approve")
        code = re.search(r"KH-\d{4}-\d{4}", rep.get(cust).text).group(0)
        return cust, code

    # -- every round -------------------------------------------------------------------------

    def build(self, round_):
        """This round's records; first undoes what fuzzing may have changed that the steps
        rely on (the base customers' owner, the class policy, the deadline policy, the award
        table)."""
        self.pages = []
        self.reserved = {}
        self.round = round_
        self.reset()
        self.ideas()
        self.crm()
        self.order()
        self.service()
        self.admin_users()
        return self.pages

    def crm(self):
        rep, sup = self.sales_rep, self.sales_supervisor
        n = self.round
        cust = self.page(loc(rep.submit("/crm/customers/new", {"name": f"潜在客户{n}", "city": "杭州"})))
        app = self.page(loc(rep.submit(cust + "/apply", {"pay_cash_pct": "100", "pay_check_pct": "0"})))
        rep.act(app, "submit")          # in credit investigation: the 新客户信用调查表 (002 §9)
        self.page(loc(rep.submit("/crm/reports/daily/new", {"progress": "拜访三家", "results": "签约一家"})))
        self.page(loc(rep.submit("/crm/reports/development/new", {"customer_id": rid(cust), "process": "多次拜访"})))
        for _ in range(4):          # complete and cancel each take one
            self.page(loc(rep.submit("/crm/visits/plans/new", {"customer_id": rid(cust), "kind": "visit",
                                                               "planned_date": str(self.s.today), "purpose": "介绍新产品"})))
        key, _ = self.customers[n % len(self.customers)]
        self.page(f"/crm/key-customers/{rid(key)}")
        sup.submit(f"/crm/key-customers/{rid(key)}", {"sales_target": "100000", "reason": "销量大"})
        # The rating review (RULES §6): a first class the 销售主管 approves alone, then an upgrade D → A
        # passed on to the 销售经理 (the manager's 审批 form) and one waiting for the 销售主管 (theirs).
        d_class = {"capacity": "50000", "ranking": "40", "capital": "1000", "years": "5", "payment": "60"}
        a_class = {"capacity": "120000", "ranking": "15", "brand": "0", "nature": "0", "capital": "9000", "assets": "0",
                   "years": "6", "credit": "0", "payment": "90"}
        for i, forward in enumerate((True, False)):
            c = loc(rep.submit("/crm/customers/new", {"name": f"评级客户{n}-{i}", "city": "杭州"}))
            sup.submit(loc(rep.submit(c + "/rate", d_class)), {"decision": "approve"}, action="/review")
            upgrade = self.page(loc(rep.submit(c + "/rate", a_class)))
            if forward:
                sup.submit(upgrade, {"decision": "approve", "opinion": "产能属实"}, action="/review")
        # A quarterly 调查报告 of the rep (003 §5.2), for its edit form: one per kind and quarter, so a
        # later round in the same quarter takes the one already filed.
        r = rep.submit("/crm/survey-reports/new", {"kind": "market", "subject": "华东市场", "findings": "需求增长"}, expect=None)
        self.page(loc(r) if r.status == 303 else
                  re.search(r'href="(/crm/survey-reports/\d+)"', rep.get("/crm/survey-reports?kind=market").text).group(1))

    def new_order(self, code, lines=(("阀门", "10", "100"), ("法兰", "5", "20")), fuzz_page=True):
        """A new order's page. `fuzz_page=False`: the order page itself is not offered to the
        fuzzer (its cancel / approval buttons would take the order out of the state another
        form on it needs — seed 317053105 cancelled the order meant for 本公司提出合同变更)."""
        fields = {"customer_code": code, "channel": "fax", "planned_delivery": str(self.s.today + datetime.timedelta(days=60))}
        for i, (p, q, price) in enumerate(lines):
            fields.update({f"lines.{i}.product": p, f"lines.{i}.qty": q, f"lines.{i}.price": price})
        url = loc(self.sales_rep.submit("/order/orders/new", fields))
        return self.page(url) if fuzz_page else url

    def contract(self, code, no=None, reviews=("technical", "quality", "production"), approve=True):
        """The rep records the customer's contract; 技术部、品质部、生产部 review it and the GM approves
        it (002 §3.3, 003 §3.2–§3.7). Returns the contract's page."""
        no = no or "HT-" + code
        url = loc(self.sales_rep.submit("/order/contracts/new", {"customer_code": code, "contract_no": no, "title": "年度供货合同"}))
        who = {"technical": self.technical, "quality": self.quality, "production": self.production}
        for dept in reviews:
            who[dept].submit(f"{url}/review/{dept}", {"decision": "agree", "opinion": "可满足"})
        if approve:
            self.general_manager.act(url, "approve")
        return url

    def order(self):
        """Orders of a customer approved this round: last round's fuzzed orders count against the
        older customers' warning lines and would hold these for the GM."""
        rep, mgr, prod = self.sales_rep, self.sales_manager, self.production
        cust, code = self.approved_customer(f"订货客户{self.round}")
        self.contract(code)
        # Contract review (003 §3.2–§3.7): one waiting for the departments (review), one refused by
        # 品质部 and back with sales (revise).
        reviewing = self.page(self.contract(code, no=f"HT-R{self.round}-{code}", reviews=(), approve=False))
        for dept in ("technical", "quality", "production"):
            self.page(f"{reviewing}/review/{dept}")
        returned = self.contract(code, no=f"HT-X{self.round}-{code}", reviews=(), approve=False)
        self.quality.submit(f"{returned}/review/quality", {"decision": "refuse", "opinion": "标准未定", "reason": "缺出厂检验标准"})
        self.page(returned + "/revise")
        # Its statement of account: the confirmation form of last month (003 §5.5.2.4; the
        # handler's default month). The plan and new-product forms are parameterless pages.
        self.page(f"/order/statements/{rid(cust)}")
        self.page(f"/order/statements/{rid(cust)}/confirm")
        # A change the company initiates (003 §3.11), on an order of its own that no other form may
        # touch: the order's other forms (the customer's change, paths, cancel …) would move it out
        # of the state the company's change needs (seed 317053105 cancelled it; seed 1109736249
        # filed a customer's change on it first).
        company = self.new_order(code, fuzz_page=False)
        self.page(company + "/changes/company")
        self.reserved[urllib.parse.urlsplit(company).path] = "order:order_change_company"
        self.new_order(code)                            # the customer's change (order_change) on its own order
        accepted = self.new_order(code)                 # paths, change
        rep.submit(accepted + "/paths", {"lines.0.on_hand": "0", "lines.0.new_variant": "1"})   # → a trial for 技术部
        released = self.new_order(code)                 # schedule
        mgr.act(released, "release")
        scheduled = self.new_order(code)                # delivery
        mgr.act(scheduled, "release")
        d = self.s.today
        prod.submit(scheduled + "/schedule", {"sched_start": str(d), "sched_end": str(d + datetime.timedelta(days=7))})
        self.page(self.branch)

    def service(self):
        rep, mgr, tech, qual, prod = self.sales_rep, self.sales_manager, self.technical, self.quality, self.production
        cust, _ = self.customers[0]
        cid = rid(cust)

        def complaint(kind):
            fields = {"kind": kind, "customer": cid, "summary": "地板开裂", "product": "实木地板", "quantity": "3",
                      "invoice_no": "FP-001", "spec": "900×90", "grade": "A", "color": "C12", "concerned": "送货司机",
                      "purchase_date": str(self.s.today - datetime.timedelta(days=10))}
            return self.page(loc(rep.submit("/service/complaints/new", fields)))

        complaint("quality")                                        # route, attach
        routed = complaint("quality")                               # findings
        mgr.submit(routed + "/route", {"departments": ["quality", "technical", "production", "service"]})
        to_decide = complaint("quality")                            # remedy (deciding it ends the findings: its own record)
        mgr.submit(to_decide + "/route", {"departments": ["technical"]})
        decided = complaint("quality")                              # close, quality penalty
        mgr.submit(decided + "/route", {"departments": ["technical"]})
        tech.submit(decided + "/remedy", {"remedy": "更换"})
        verified = complaint("service")                             # penalty, close
        mgr.act(verified, "verify", {"reason": "核实属实"})

        def ret():
            return self.page(loc(rep.submit("/service/returns/new", {"customer": cid, "reason_code": "6.1.2", "reason_form": "oral",
                                                                     "reason_text": "组装时发现开裂"})))
        ret()                                                       # list
        listed = ret()                                              # notice
        line = {"lines.0.product": "实木地板", "lines.0.spec": "900×90", "lines.0.quantity": "10", "lines.0.price": "100", "checked": "1"}
        rep.submit(listed + "/list", line)
        noticed = ret()                                             # receive
        rep.submit(noticed + "/list", line)
        qual.submit(noticed + "/notice", {"outcome": "approve", "opinion": "准予退回"})
        partial = ret()                                             # receive, bounded by the accepted quantity
        rep.submit(partial + "/list", line)
        qual.submit(partial + "/notice", {"outcome": "partial", "acc_*": "6", "opinion": "4 片为安装损坏"})
        received = ret()                                            # settle
        rep.submit(received + "/list", line)
        qual.submit(received + "/notice", {"outcome": "approve", "opinion": "准予退回"})
        prod.submit(received + "/receive", {"recv_*": "10"})
        # arrival: every return above still offers it to the rep; quality penalty: `decided` above

        sup, svc = self.service_supervisor, self.service_rep
        svc_id = self.user_id("u_service_rep")
        for _ in range(2):
            self.page(loc(sup.submit("/service/patrol/visits/new", {"customer": cid, "patroller": svc_id,
                                                                   "planned_date": str(self.s.today), "purpose": "季度巡访"})))
        self.page(loc(svc.submit("/service/patrol/gifts/new", {"customer": cid, "gift": "台历", "budget": "200",   # decide
                                                             "reason": "老客户"})))
        approved = self.page(loc(svc.submit("/service/patrol/gifts/new", {"customer": cid, "gift": "茶叶", "budget": "300",
                                                                        "reason": "老客户"})))
        sup.submit(approved + "/decide", {"decision": "approve"})                                              # record

    def ideas(self):
        """Walks the suggestion calendar (§19–§26) with the test clock: batch M is graded and
        published on the 22nd (implementation orders in four states), batch M+1 is open for
        review on the 22nd of the next month (grade and note forms). The clock ends there."""
        y, m = START_MONTH
        k = (y * 12 + m - 1) + 2 * self.round
        M = (k // 12, k % 12 + 1)
        N = ((k + 1) // 12, (k + 1) % 12 + 1)
        chair = self.marketing_director

        def submit(who, title):
            return loc(who.submit("/ideas/new", {"topic": "management", "title": title, "content": title + "——详细内容。"}))

        self.s.at(datetime.datetime(*M, 5, 10, 0))
        adopted = [submit(self.finance, f"客户档案周报{self.round}"), submit(self.sales_rep, f"销售例会改进{self.round}")]
        self.s.at(datetime.datetime(*M, 22, 10, 0))
        for i, url in enumerate(adopted):
            # RULES §6: the implementing departments are picked from the directory (codes).
            chair.submit(url, {"outcome": f"grade{i + 2}", "departments": ["sales", "finance", "market"]}, action="/grade")
        # Suggestions the fuzzer submitted last round joined this batch too: all must be graded.
        db = sqlite3.connect(self.s.db_path)
        rest = [i for (i,) in db.execute("SELECT id FROM ideas_suggestions WHERE batch = ? AND outcome IS NULL",
                                         (f"{M[0]:04d}-{M[1]:02d}",))]
        db.close()
        for i in rest:
            chair.submit(f"/ideas/{i}", {"outcome": "rejected", "reason": "不采用"}, action="/grade")
        batch = f"/ideas/batches/{M[0]:04d}-{M[1]:02d}"
        chair.submit(batch, {}, action="/finalize")
        for i, who in enumerate((self.sales_rep, self.finance, self.quality)):     # batch M+1: graded next
            self.page(submit(who, f"待评建议{self.round}-{i}"))
        self.s.at(datetime.datetime(*N, 22, 10, 0))
        db = sqlite3.connect(self.s.db_path)
        orders = {(sid, dept): oid for oid, sid, dept in db.execute(
            "SELECT id, suggestion_id, department FROM ideas_orders WHERE suggestion_id IN (?, ?)", [int(rid(u)) for u in adopted])}
        db.close()
        a, b = (int(rid(u)) for u in adopted)
        fresh, issue, planned, confirmed = orders[(a, "sales")], orders[(a, "finance")], orders[(a, "market")], orders[(b, "sales")]
        self.finance.submit(f"/ideas/orders/{issue}/issue", {"kind": "difficulty", "text": "人手不足，需要协调"})
        self.market_manager.submit(f"/ideas/orders/{planned}/plan", {"plan_date": str(self.s.today),      # confirmable today
                                                                      "plan_method": "每周五由内勤汇总"})
        self.sales_manager.submit(f"/ideas/orders/{confirmed}/plan", {"plan_date": str(self.s.today),
                                                                       "plan_method": "每周五由内勤汇总"})
        self.committee.submit(f"/ideas/orders/{confirmed}/confirm", {"effect": "效果良好，客户满意"})
        for oid in (fresh, issue, planned, confirmed):
            self.page(f"/ideas/orders/{oid}")
        for oid in orders.values():
            self.page(f"/ideas/orders/{oid}/plan")

    def admin_users(self):
        name = f"victim{self.round}"
        r = self.admin.submit("/admin/users/new", {"username": name, "display_name": "待编辑", "password": PASSWORD + "x",
                                                   "roles": "sales_rep"})
        self.page(loc(r))          # admin:user.edit is fuzzed on this user, never on the people of the world
        d = self.admin.submit("/admin/departments/new", {"code": f"victim{self.round}", "name": f"待编辑部门{self.round}",
                                                         "position": "50"})
        self.page(loc(d))          # admin:department.edit likewise, never on the world's departments


# ---------------------------------------------------------------------------------------------
# Generated values

LONG = 6000          # characters of a "very long" value (several per form stay far below the 1 MiB body limit)

TEXT = [
    "", " ", "\u3000", "\t\r\n", "😀👍🏽👨‍👩‍👧‍👦🇨🇳", "e\u0301\u0302\u0303\u0304", "Z\u0335\u0321\u031b\u0324a\u0338l\u0337g\u0338o",
    "a\x00b", "\x00", "\x01\x02\x1b[31m\x7f", "前\r\n后", "\u202e倒序\u202c", "\u200b", "\ufeff开头", "\U0010ffff", "\uffff",
    "=1+1", '=HYPERLINK("http://x","y")', "+1", "-1", "@SUM(1)", "=cmd|' /C calc'!A0",
    "{{name}}", "{{{shell}}}", "{{>layout}}", "%s%n%x", "../../etc/passwd", "null", "NaN", "true", "undefined",
    "１２３", "١٢٣", "𝟙𝟚𝟛", "ß", "İ", "ǅ", "\\", "'", '"', "&amp;", "&#0;", "<!--", "]]>",
] + XSS + SQLI + FORMULA
NUMBER = [
    "0", "-0", "-1", "1", "+5", " 7 ", "9223372036854775807", "9223372036854775808", "-9223372036854775808",
    "-9223372036854775809", "99999999999999999999999999", "1e309", "1e3", "NaN", "Infinity", "-Infinity", "0x1F",
    "1,000", "1,,0", "１２３", "١٢٣", "1.5", "1.005", "-0.01", "9999999999999.99", "99999999999999.99", "¥-5",
    "￥1,234.50", ".5", "5.", "- 5", "2147483648", "-2147483649", "4294967296", "00000000000000000001", "1e-7",
]
DATE = [
    "2026-13", "2026-13-01", "0000-00-00", "9999-12-31", "0001-01-01", "1900-02-29", "2000-02-29", "2026-02-29",
    "2026-02-30", "2026-04-31", "1970-01-01", "0000-01-01", "0000-02-29", "1969-12-31", "2026/1/5", "2026.01.05", "2026-1-5", "-2026-01-05",
    "20260105", "2026-00-10", "2026-01-00", "99999-01-01", "2026-01-05T10:00", "2100-12-31", "1999-12-31",
]
MONTH = ["2026-13", "2026-00", "0000-00", "9999-12", "2026-1", "2026-12-01", "1999-12", "2101-01", "2100-12", "2000-01", "-001-01"]


def hint(name, form_field):
    """What a free-text field holds, from its name and label: month, date/time, number, or text."""
    label = (form_field or {}).get("aria-label", "") if isinstance(form_field, dict) else ""
    s = name.lower() + " " + label
    if re.search(r"month|batch|reserve|YYYY-MM（|（YYYY-MM）|月份|批次", s):
        return "month"
    if re.search(r"date|_on\b|_at\b|time|日期|时间", s):
        return "date"
    if re.search(r"phone|qty|quantity|pct|postcode|year|count|数量|电话|邮编", s):
        return "number"
    return "text"


SERIAL = itertools.count(1)     # fresh user names, the same in every run with the same seed


def repair(message, kind, name, today):
    """A value the message asks for (the field's own error beside it), or None."""
    m = " ".join(message.split())
    rules = [
        (r"身份证", "110101199003071234"), (r"营业执照", "ABC-123456"), (r"帐号|账号", "6222 0212 3456"),
        (r"传真|电话|手机", "021-55550000"), (r"HH:MM.*YYYY|YYYY-MM-DD HH:MM", f"{today} 09:00"), (r"HH:MM", "09:30"),
        (r"YYYY-MM-DD|有效日期|晚于今天|早于", str(today)), (r"YYYY-MM|月份", f"{today.year:04d}-{today.month:02d}"),
        (r"用户名", f"u{next(SERIAL)}"), (r"邮编", "200000"), (r"KH-YYYY", "KH-YYYY-NNNN"),
    ]
    for pattern, value in rules:
        if re.search(pattern, m):
            return value
    n = re.search(r"应在\s*(-?[\d,.]+)\s*至\s*(-?[\d,.]+)", m) or re.search(r"不能小于\s*(-?[\d,.]+)", m) \
        or re.search(r"不能大于\s*(-?[\d,.]+)", m) or re.search(r"应为\s*(\d+)", m)
    if n:
        return n.group(1).replace(",", "")
    n = re.search(r"至少\s*(\d+)\s*个字", m)
    if n:
        return "测试内容" * (int(n.group(1)) // 4 + 1)
    if re.search(r"最多\s*(\d+)\s*个字", m):
        return "测试"
    if re.search(r"整数|数值超出范围", m):
        return "1"
    if re.search(r"金额", m):
        return "100"
    return None


class Gen:
    """Seeded values for one submission at a time."""

    def __init__(self, rng, stack, codes):
        self.rng = rng
        self.s = stack
        self.codes = codes

    def long(self):
        unit = self.rng.choice(["长", "a", "😀", "e\u0301", "<&>", "中文 "])
        return (unit * (LONG // len(unit) + 1))[:LONG]

    def hostile(self, kind, hint_):
        r = self.rng
        pick = r.random()
        if pick < 0.06:
            return self.long()
        if kind in ("integer", "money") or hint_ == "number":
            pool = NUMBER + (["1" + "0" * 30] if pick < 0.1 else [])
            return r.choice(pool if r.random() < 0.8 else TEXT)
        if kind == "date" or hint_ == "date":
            return r.choice(DATE if r.random() < 0.8 else TEXT + NUMBER)
        if hint_ == "month":
            return r.choice(MONTH + DATE[:3] if r.random() < 0.8 else TEXT + NUMBER)
        return r.choice(TEXT if r.random() < 0.85 else NUMBER + DATE + MONTH)

    def plausible(self, kind, hint_, name):
        r = self.rng
        today = self.s.today
        if name.endswith("customer_code") or name == "code":
            return r.choice(self.codes)
        if name == "username":
            return f"u{next(SERIAL)}"
        if re.search(r"fax|phone|tel", name):
            return "021-55550000"
        if kind == "integer" or hint_ == "number":
            if "phone" in name:
                return "13800138000"
            if "postcode" in name:
                return "200000"
            if "year" in name:
                return str(today.year - 1)
            return str(r.choice([1, 2, 5, 10, 30, 100]))
        if kind == "money":
            return r.choice(["100", "1,234.50", "0.5", "2000"])
        if kind == "date" or hint_ == "date":
            return str(today + datetime.timedelta(days=r.choice([-3, 0, 0, 2, 10])))
        if hint_ == "month":
            return f"{today.year:04d}-{today.month:02d}"
        if kind == "textarea":
            return r.choice(["客户反馈良好，需要继续跟进。", "按计划执行，效果明显。", "详细说明：第一步……第二步……"])
        return r.choice(["测试", "华东", "张三", "A级", "φ20", "规格-01"]) + str(r.randint(1, 999))


# ---------------------------------------------------------------------------------------------
# One submission: built from the form as shown, checked against what came back

SWEEP_DATE = ["2026-02-30", "0000-00-00", "9999-12-31", "2026-13-01"]
SWEEP_MONTH = ["2026-13", "0000-00", "9999-12", "2101-01"]
PNG = bytes([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) + b"\x00\x00\x00\x0dIHDR" + b"\x00" * 32
KEPT = {"text", "textarea", "integer", "money", "date"}


def swift_trim(v):
    return v.strip(" \t\r\n\u3000")


def swift_int(v):
    t = swift_trim(v).replace(",", "")
    if re.fullmatch(r"[+-]?[0-9]+", t) and -2**63 <= int(t) < 2**63:
        return int(t)
    return None


def swift_money(v):
    s = v.strip(" \t\u3000")
    for p in ("¥", "￥"):
        if s.startswith(p):
            s = s[1:]
            break
    s = s.replace(",", "").replace("，", "")
    neg = s.startswith("-")
    s = s[1:] if neg else s
    m = re.fullmatch(r"([0-9]{1,13})(?:\.([0-9]{1,2}))?", s)
    if not m:
        return None
    fen = int(m.group(1)) * 100 + (int((m.group(2) + "0")[:2]) if m.group(2) else 0)
    return -fen if neg else fen


def swift_date(v):
    parts = [p for p in re.split(r"[-/.]", swift_trim(v)) if p]      # Swift's split drops empty parts
    if len(parts) != 3 or len(parts[0]) != 4 or not all(re.fullmatch(r"[+-]?[0-9]+", p) for p in parts):
        return None
    try:
        return str(datetime.date(int(parts[0]), int(parts[1]), int(parts[2])))
    except ValueError:
        return None


class Controls:
    """The controls of one HTML form by name, in order, with what the browser would send."""

    def __init__(self, form):
        self.form = form
        self.order, self.kinds, self.attrs, self.options = [], {}, {}, {}
        self.locked = set()       # shown but not editable (disabled): sent as the page carries them
        for k, a in form["fields"]:
            name = field_name(k, a)
            kd = kind_of(k, a)
            if not name or kd == "button":
                continue
            if "disabled" in (a["attrs"] if k == "select" else a):
                self.locked.add(name)
                continue
            if name not in self.kinds:
                self.order.append(name)
                self.kinds[name] = kd
                self.attrs[name] = a["attrs"] if k == "select" else a
            if k == "select":
                self.options[name] = [o for o in a["options"] if o]
            elif kd == "checkbox":
                self.options.setdefault(name, []).append(a.get("value", "on"))
        self.defaults = {}
        self.multi = {}
        for k, v in form_defaults(form):
            self.defaults.setdefault(k, v)
            self.multi.setdefault(k, []).append(v)


def shown_values(form):
    """What a re-rendered form shows: {name: [values]} for inputs and textareas, selected
    options for selects, checked values for checkboxes."""
    out = {}
    for k, a in form["fields"]:
        name = field_name(k, a)
        if not name:
            continue
        kd = kind_of(k, a)
        if k == "select":
            out.setdefault(name, []).extend(a["options"][i] for i in a.get("selected", []))
        elif kd == "checkbox":
            out.setdefault(name, [])
            if "checked" in a:
                out[name].append(a.get("value", "on"))
        elif kd == "textarea":
            out.setdefault(name, []).append(a.get("_text", ""))
        elif kd not in ("file", "button", "password"):
            out.setdefault(name, []).append(a.get("value", ""))
    return out


class Submission:
    def __init__(self, mode):
        self.mode = mode
        self.pairs = []
        self.files = []
        self.hostile = set()      # the names given hostile values

    def add(self, name, value):
        self.pairs.append((name, value))

    def first(self):
        out = {}
        for k, v in self.pairs:
            out.setdefault(k, v)
        return out

    def all(self, name):
        return [v for k, v in self.pairs if k == name]


def row_groups(decl):
    """{rows field: [columns]} of a declared form."""
    groups = {}
    for n in decl:
        if ".N." in n:
            g, col = n.split(".N.", 1)
            groups.setdefault(g, []).append(col)
    return groups


def canonical_row(name):
    """(rows field, index, column) of a row control named the way the host reads it (index
    0–999 without leading zeros), else None."""
    m = re.fullmatch(r"(.+?)\.(0|[1-9][0-9]{0,2})\.([^.]+)", name)
    return (m.group(1), int(m.group(2)), m.group(3)) if m else None


MODES = [("one", 35), ("some", 30), ("random", 20), ("rows", 15)]


class Fuzzer:
    """Builds seeded submissions for the forms as shown and checks the answers."""

    def __init__(self, s, cat, rng, gen, store):
        self.s, self.cat, self.rng, self.gen, self.store = s, cat, rng, gen, store
        self.learned = {}       # (form, field) → a value the form accepted for the field
        self.required = set()   # (form, field) seen refused as empty
        self.statuses = {}
        self.by_form = {}       # form → {status: count}
        self.roles = {}         # form → {role}
        self.posts = 0
        self.claims = {}        # this round's record → the form that used it first
        self.primary = {}       # this round's record → the form it is meant for
        self.errors = {}        # FORM_FUZZ_DEBUG: form → {message: count}
        self.failures = {}      # FORM_FUZZ_KEEP_GOING: one example per form and kind of failure

    # -- building ----------------------------------------------------------------------------

    def value(self, key, name, kind, ctrls, hostile, sweep):
        r, g = self.rng, self.gen
        ctrl = ctrls.kinds.get(name, "text")
        h = hint(name, ctrls.attrs.get(name))
        if kind == "select" or ctrl == "select":
            opts = ctrls.options.get(name, [])
            if hostile:
                return r.choice(["", "不存在", "0", "-1", "9999999999"] + TEXT[:8] + [o + " " for o in opts[:1]])
            return r.choice(opts) if opts else ""
        if sweep and (kind == "date" or h in ("date", "month")):
            return sweep["month"] if h == "month" and kind != "date" else sweep["date"]
        if hostile:
            return g.hostile(kind, h)
        learned = self.learned.get((key, norm(name)))
        if learned is not None and r.random() < 0.9:
            return learned
        return g.plausible(kind, h, name)

    def build(self, key, ctrls, mode, sweep=None):
        """A submission of `mode`: "one" (one field hostile), "some" (about a third), "random"
        (nearly all), "rows" (row indexes: gaps, repeats, odd names) or "sweep" (every date
        and month field one edge value, one select at one option, the rest plausible)."""
        decl = self.cat.declared[key]
        r = self.rng
        sub = Submission(mode)
        groups = row_groups(decl)
        in_rows = {(grp, c) for grp, cols in groups.items() for c in cols}
        names = [n for n in ctrls.order if not (canonical_row(n) and canonical_row(n)[::2] in in_rows)]
        fuzzable = [n for n in names if norm(n) in decl and ctrls.kinds[n] != "hidden"]
        fuzzable += [f"{grp}.N.{c}" for grp, cols in groups.items() for c in cols if decl[f"{grp}.N.{c}"] != "checkbox"]
        one = r.choice(fuzzable) if fuzzable and mode == "one" else None
        p = {"one": 0.0, "some": 0.3, "random": 0.9, "rows": 0.1, "sweep": 0.0}[mode]
        for name in names:
            ctrl = ctrls.kinds[name]
            kind = decl.get(norm(name))
            if name in ("_csrf", "_idem") or ctrl == "hidden" and (kind is None or kind == "select"):
                sub.add(name, ctrls.defaults.get(name, ""))
                continue
            if kind is None:      # a control the page adds to a declared form (received quantities …)
                kind = ctrl if ctrl in ("integer", "money", "date", "textarea", "checkbox", "select") else "text"
            hostile = name == one or (mode != "one" and r.random() < p)
            if hostile:
                sub.hostile.add(name)
            if kind == "file" or ctrl == "file":
                if r.random() < 0.35:
                    sub.files.append(self.file(name))
                continue
            opts = ctrls.options.get(name, [])
            if kind == "multiSelect" or (ctrl == "checkbox" and len(opts) > 1):
                if hostile:           # a choice twice, an unknown one, an empty one
                    picks = r.sample(opts, min(len(opts), r.randint(1, 2)))
                    picks += [r.choice(picks + ["不存在", "", "\x00"] if picks else ["不存在", "", "\x00"])]
                elif mode != "sweep" and name in ctrls.multi and r.random() < 0.5:
                    picks = ctrls.multi[name]
                else:
                    picks = r.sample(opts, min(len(opts), r.randint(1, 2)))
                for v in picks:
                    sub.add(name, v)
                continue
            if kind == "checkbox" or ctrl == "checkbox":
                v = r.choice(["1", "on", "0", "off", "", "是", "\x00", "1" * 40]) if hostile else r.choice(["1", None, None])
                if v is not None:
                    sub.add(name, v)
                continue
            if kind == "password":
                sub.add(name, self.gen.hostile("text", "text") if hostile else PASSWORD + "x")
                continue
            if sweep and name == sweep["select"]:
                sub.add(name, sweep["option"])
                continue
            if not hostile and mode not in ("random", "sweep") and ctrls.defaults.get(name) and (mode == "one" or r.random() < 0.7):
                sub.add(name, ctrls.defaults[name])        # as shown: an edit form's values, a prefilled date
                continue
            if not hostile and mode in ("some", "random") and r.random() < 0.05:
                sub.add(name, "")
                continue
            if not hostile and mode == "one" and name in ctrls.defaults and (key, norm(name)) not in self.required \
                    and r.random() < 0.6:
                sub.add(name, "")                          # left empty as shown (fewer cross-field clashes)
                continue
            sub.add(name, self.value(key, name, kind, ctrls, hostile, sweep))
        for grp, cols in groups.items():
            self.rows(key, ctrls, grp, cols, sub, mode, sweep, one)
        if mode in ("some", "random"):                  # what no browser sends
            texts = [k for k, _ in sub.pairs if decl.get(norm(k)) in ("text", "textarea")]
            if texts and r.random() < 0.15:
                sub.add(r.choice(texts), self.gen.hostile("text", "text"))      # repeated: the first counts
            droppable = [k for k, _ in sub.pairs if k not in ("_csrf", "_idem")]
            if droppable and r.random() < 0.1:
                gone = r.choice(droppable)
                sub.pairs = [(k, v) for k, v in sub.pairs if k != gone]        # missing altogether
            if r.random() < 0.1:
                sub.add(f"zz_unknown{r.randint(0, 9)}", self.gen.hostile("text", "text"))
        return sub

    def rows(self, key, ctrls, grp, cols, sub, mode, sweep, one=None):
        r, decl = self.rng, self.cat.declared[key]
        shown = sorted({canonical_row(n)[1] for n in ctrls.order if canonical_row(n) and canonical_row(n)[0] == grp})
        if mode == "rows":
            pattern = r.choice([[0], [0, 1], [0, 1, 2], [0, 2, 5], [3], [999], [1, 1], [0, 7, 7, 12], [2, 0, 1]])
        elif mode == "random":
            pattern = r.choice([shown or [0], [0, 1], [5, 998]])
        else:
            pattern = shown or [0]
        filled = 1 if mode == "sweep" else r.randint(1 if mode == "one" else 0, min(len(pattern), 3))
        seen = set()
        for pos, idx in enumerate(pattern):
            again = idx in seen
            seen.add(idx)
            for col in cols:
                name = f"{grp}.{idx}.{col}"
                kind = decl[f"{grp}.N.{col}"]
                ctrl = ctrls.kinds.get(name) or next((ctrls.kinds[n] for n in ctrls.order
                                                      if canonical_row(n) and canonical_row(n)[::2] == (grp, col)), "text")
                if name in ctrls.locked or ctrl == "hidden":  # a line id the page carries, a trial once requested
                    if name in ctrls.defaults:
                        sub.add(name, ctrls.defaults[name])
                    elif mode in ("rows", "random"):
                        sub.add(name, r.choice(["0", "-1", "999999", "abc", ""]))
                    continue
                if mode == "rows" and r.random() < 0.15:
                    continue                                  # a column left out
                hostile = (mode in ("rows", "random") and r.random() < 0.35) or (mode == "some" and r.random() < 0.2) \
                    or (pos == 0 and one == f"{grp}.N.{col}")
                if hostile:
                    sub.hostile.add(name)
                if kind == "checkbox":
                    if hostile or r.random() < 0.3:
                        sub.add(name, r.choice(["1", "0", "on", "\x00"]))
                    continue
                if pos >= filled and not hostile and not again:
                    sub.add(name, "")
                    continue
                sub.add(name, self.value(key, name, kind, ctrls, hostile, sweep))
        if mode in ("rows", "random") and r.random() < 0.5:
            col = r.choice(cols)
            junk = r.choice([f"{grp}.-1.{col}", f"{grp}.1000.{col}", f"{grp}.x.{col}", f"{grp}..{col}", f"{grp}.01.{col}",
                             f"{grp}.1", grp, f"{grp}.0.{col}.extra", f"{grp}.99999999999999999999.{col}"])
            sub.add(junk, self.gen.hostile("text", "text"))

    def file(self, name):
        r = self.rng
        return r.choice([
            (name, "照片.png", "image/png", PNG),
            (name, "../../etc/passwd", "image/png", PNG),
            (name, "😀\u202egnp.exe", "image/png", PNG),
            (name, "a" * 300 + ".png", "image/png", PNG),
            (name, "x.pdf", "application/pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"),
            (name, "run.sh", "application/x-sh", b"#!/bin/sh\nexit 0\n"),
            (name, "", "application/octet-stream", b""),
            (name, "big.png", "image/png", PNG + bytes(r.randrange(256) for _ in range(3000))),
        ])

    # -- submitting and checking -------------------------------------------------------------

    def locate(self, key, inst, text):
        """The form `inst` stands for on a fresh copy of its page, or None (gone: the record
        moved on, or this person may no longer act on it)."""
        want = set(self.cat.declared[key])
        target = urllib.parse.urlsplit(inst.action).path
        for f in page_forms(text).forms:
            act = urllib.parse.urljoin(inst.page, f["action"] or inst.page)
            if urllib.parse.urlsplit(act).path != target:
                continue
            names = {norm(field_name(k, a)) for k, a in f["fields"] if field_name(k, a)}
            if want <= names:
                return f, act
        return None, None

    def submit(self, key, inst, actor, mode, sweep=None):
        """One generated submission of `inst` as `actor`. Returns the status, or None when the
        form is no longer on its page."""
        r = actor.get(inst.page)
        assert r.status < 500, f"{key}: GET {inst.page} as {inst.role}: {r.status}\n{self.s.log()[-2000:]}"
        if r.status != 200:
            return None
        form, act = self.locate(key, inst, r.text)
        if form is None:
            return None
        ctrls = Controls(form)
        sub = self.build(key, ctrls, mode, sweep)
        resp = post_pairs(actor, act, form, sub.pairs, sub.files)
        self.posts += 1
        self.statuses[resp.status] = self.statuses.get(resp.status, 0) + 1
        self.by_form.setdefault(key, {})
        self.by_form[key][resp.status] = self.by_form[key].get(resp.status, 0) + 1
        self.roles.setdefault(key, set()).add(inst.role)
        where = f"{key} as {inst.role}, mode {mode}: POST {act} (page {inst.page}); FORM_FUZZ_SEED={SEED}"

        def show():
            sent = repr(sub.pairs)
            sent = sent if len(sent) < 6000 else sent[:6000] + " …"
            files = [(n, f, c, len(d)) for n, f, c, d in sub.files]
            return f"{where}\nsent: {sent}\nfiles: {files}\nanswer {resp.status}: {messages(resp.text)[:12]}\nlog: {self.s.log()[-2500:]}"

        assert resp.status < 500, "5xx\n" + show()
        try:
            self.check(key, inst, actor, ctrls, sub, act, resp, where, show, r.text)
        except AssertionError as e:
            if not KEEP_GOING:
                raise
            first = str(e).split("\n")[0]
            sig = (key, re.sub(r"'[^']*'", "…", first)[:80])
            if sig not in self.failures:
                self.failures[sig] = str(e)[:4000]
        return resp.status

    def check(self, key, inst, actor, ctrls, sub, act, resp, where, show, page):
        if "text/html" in (resp.header("Content-Type") or ""):
            check_html(where, resp.text)
        if resp.status == 422:
            self.check_kept(key, ctrls, sub, act, resp, show)
            if os.environ.get("FORM_FUZZ_DEBUG"):
                self.errors.setdefault(key, {})
                for m in messages(resp.text):
                    m = f"{sub.mode}: {m}"
                    self.errors[key][m] = self.errors[key].get(m, 0) + 1
        elif resp.status == 303:
            self.check_stored(key, ctrls, sub, show, page)
            follow = actor.get(resp.header("Location"))
            assert follow.status < 500, f"GET {resp.header('Location')} after the submit: {follow.status}\n" + show()
            if "text/html" in (follow.header("Content-Type") or ""):
                check_html(f"GET {resp.header('Location')} after {where}", follow.text)
        else:
            raise AssertionError(f"neither 422 with the form nor 303 but {resp.status}\n" + show())

    def expected(self, key, ctrls, name, sub=None):
        """The declared kind a submitted name is read as, or None when the host ignores it.
        Rows that carry a hidden id from the page (the order's lines of a delivery) are the
        page's: a row the page did not offer, or whose id was changed, is not a row of the form."""
        decl = self.cat.declared[key]
        row = canonical_row(name)
        if row and f"{row[0]}.N.{row[2]}" in decl:
            ids = [n for n in ctrls.order if ctrls.kinds[n] == "hidden" and canonical_row(n) and canonical_row(n)[0] == row[0]]
            if ids:
                mine = [n for n in ids if canonical_row(n)[1] == row[1]]
                if not mine or sub is None or any(sub.first().get(n) != ctrls.defaults.get(n) for n in mine):
                    return None
            return decl[f"{row[0]}.N.{row[2]}"]
        if name in decl:
            return decl[name]
        if name in ctrls.kinds and name not in ("_csrf", "_idem") and ctrls.kinds[name] not in ("hidden", "file", "password"):
            return ctrls.kinds[name]      # a control the page added to the declared form
        return None

    def check_kept(self, key, ctrls, sub, act, resp, show):
        """422: the same form, a message, every typed value back exactly (so escaped)."""
        assert messages(resp.text), "422 without any message\n" + show()
        target = urllib.parse.urlsplit(act).path
        again = [f for f in page_forms(resp.text).forms
                 if urllib.parse.urlsplit(urllib.parse.urljoin(act, f["action"] or act)).path == target]
        assert again, "422 without the form\n" + show()
        shown = {}
        for f in again:
            for k, v in shown_values(f).items():
                shown.setdefault(k, []).extend(v)
        lost = []
        first = sub.first()
        for name, value in first.items():
            kind = self.expected(key, ctrls, name, sub)
            if kind is None or kind in ("password", "file") or name in ctrls.locked:
                continue
            ctrl = ctrls.kinds.get(name) or next((ctrls.kinds[n] for n in ctrls.order if norm(n) == norm(name)), "text")
            if ctrl == "hidden" and name not in ctrls.kinds:
                continue                   # a row id the page did not offer: nothing to show it in
            got = shown.get(name)
            opts = ctrls.options.get(name) or next((ctrls.options[n] for n in ctrls.order if norm(n) == norm(name) and n in ctrls.options), [])
            if kind == "multiSelect" or (ctrl == "checkbox" and len(opts) > 1):
                want = sorted({v for v in sub.all(name) if v in opts})
                if sorted(set(got or [])) != want:
                    lost.append((name, sub.all(name), got))
            elif kind == "checkbox" or ctrl == "checkbox":
                on = value not in ("", "0", "off")
                if bool(got) != on:
                    lost.append((name, value, got))
            elif kind == "select" or ctrl == "select":
                if value in opts and value not in (got or []):
                    lost.append((name, value, got))
            elif kind in KEPT or ctrl in KEPT:
                if got is None or value not in got:
                    lost.append((name, value, got))
        assert not lost, "422 but typed values not given back (name, sent, shown): " + repr(lost)[:3000] + "\n" + show()
        # Learn from the messages beside fields that were given plausible values: next time
        # they get what the message asks for, so hostile values reach the module's own rules.
        for name, msg in page_forms(resp.text).errors.items():
            if name in sub.hostile or name not in first:
                continue
            kind = self.expected(key, ctrls, name, sub) or "text"
            if "必填" in msg:
                self.required.add((key, norm(name)))
            fixed = repair(msg, kind, name, self.s.today)
            if fixed is not None and fixed != first.get(name):
                self.learned[(key, norm(name))] = fixed
            else:
                self.learned.pop((key, norm(name)), None)

    def check_stored(self, key, ctrls, sub, show, page):
        """303: each typed text, number and date is in the database as typed."""
        module = key.split(":")[0]
        decl = self.cat.declared[key]
        first = sub.first()
        filled_rows = set()
        for name, value in first.items():
            row = canonical_row(name)
            if row and f"{row[0]}.N.{row[2]}" in decl and value.strip(" \t\u3000"):
                filled_rows.add(row[:2])
        missing = []
        for name, value in first.items():
            kind = self.expected(key, ctrls, name, sub)
            row = canonical_row(name)
            if kind not in KEPT or (row and row[:2] not in filled_rows and f"{row[0]}.N.{row[2]}" in decl):
                continue
            if not swift_trim(value):
                continue
            needle = STORED_AS.get(f"{key} {norm(name)}", {"integer": swift_int, "money": swift_money, "date": swift_date}.get(kind, swift_trim))(value)
            if needle is None or exempt(key, norm(name), first, page):
                continue
            if kind in ("text", "textarea") and ctrls.kinds.get(name) == "select":
                continue                   # a text field offered as a choice (a person, a department)
            self.learned[(key, norm(name))] = value
            if not self.store.has(module, needle, value):
                missing.append((name, value, needle))
        assert not missing, "303 but not stored as typed (name, sent, looked for): " + repr(missing)[:3000] + "\n" + show()


def exempt(key, field, values, page):
    """Fields a 303 may legitimately not store (see NOT_STORED); `page`: the form's page as it
    was shown before the submit."""
    rule = NOT_STORED.get(f"{key} {field}")
    return bool(rule and rule[1](values, page))


# Declared fields that a successful submit may store other than as typed, and why. Keep it short
# and honest: each entry is a rule of the module, not a fuzzing convenience.
QUALITY_ONLY = "001 篇二 §4.2a: 票据、规格、数量、等级、色号、购买日期 belong to a quality complaint only"
NOT_STORED = {
    "ideas:grade reserve_to": ("the batch a suggestion is deferred to is kept only when the outcome is 保留",
                               lambda v, _: v.get("outcome") != "reserved"),
    "service:complaint concerned": ("the person or department complained about belongs to a service complaint only",
                                    lambda v, _: v.get("kind") != "service"),
    **{f"service:complaint {f}": (QUALITY_ONLY, lambda v, _: v.get("kind") != "quality")
       for f in ("invoice_no", "product", "spec", "quantity", "grade", "color", "purchase_date")},
    **{f"order:order_change {f}": ("003 §3.10: the customer's agreement is recorded only once production has started",
                                   lambda _, page: "尚未投入生产" in page) for f in ("agreement", "agreement_note")},
    "ideas:impl-confirm topup_reason": ("§26.4: the reason is kept with a top-up; without an amount there is none",
                                        lambda v, _: swift_money(v.get("topup", "")) is None),
}


def local_time(v):
    """OrderUtil.parseLocalTime: `YYYY-MM-DD HH:MM` in the company zone → epoch seconds."""
    parts = swift_trim(v).split()
    d = swift_date(parts[0]) if len(parts) == 2 else None
    hm = parts[1].split(":") if d else []
    if len(hm) != 2 or not all(re.fullmatch(r"[+-]?[0-9]+", x) for x in hm) or not (0 <= int(hm[0]) < 24 and 0 <= int(hm[1]) < 60):
        return None
    start = datetime.datetime.fromisoformat(d + "T00:00:00+08:00")
    return int(start.timestamp()) + int(hm[0]) * 3600 + int(hm[1]) * 60


# Declared fields a module stores in another form than typed: how to find them.
STORED_AS = {
    "order:delivery arrived_at": local_time,        # the arrival time, as an instant
}


class Store:
    """Looks for a value anywhere in the database (text as typed, also inside JSON or a query
    string a module keeps, numbers as numbers), the submitting module's tables first."""

    SKIP = {"sessions", "login_failures", "pending_forms", "idempotency_keys"}

    def __init__(self, path):
        self.path = path
        self.db = sqlite3.connect(path)
        self.tables = [t for (t,) in self.db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name") if t not in self.SKIP]
        self.cols = {t: [r[1] for r in self.db.execute(f'PRAGMA table_info("{t}")')] for t in self.tables}

    def has(self, module, needle, typed):
        """`needle`: the value as the module should keep it (text trimmed, number, date);
        `typed`: as typed (a module may keep the submitted form itself, URL-encoded)."""
        prefix = {"admin": "users"}.get(module, module + "_")
        tables = sorted(self.tables, key=lambda t: (not t.startswith(prefix), t))
        if isinstance(needle, int):       # a number cell, or inside a text a module keeps (JSON rows …)
            for t in tables:
                cond = " OR ".join(f'"{c}" = ?1 OR instr(CAST("{c}" AS BLOB), ?2) > 0' for c in self.cols[t])
                if self.db.execute(f'SELECT 1 FROM "{t}" WHERE {cond} LIMIT 1', (needle, str(needle).encode())).fetchone():
                    return True
            needle = None
        variants = set()
        for s in (needle, swift_trim(typed)):
            if s:
                variants |= {s, json.dumps(s, ensure_ascii=False)[1:-1], json.dumps(s)[1:-1],
                             urllib.parse.quote_plus(s, safe=""), urllib.parse.quote(s, safe="")}
        for v in sorted(variants):
            b = v.encode()
            for t in tables:
                cond = " OR ".join(f'instr(CAST("{c}" AS BLOB), ?1) > 0' for c in self.cols[t])
                if self.db.execute(f'SELECT 1 FROM "{t}" WHERE {cond} LIMIT 1', (b,)).fetchone():
                    return True
        return False


# ---------------------------------------------------------------------------------------------
# The test

# Declared forms this test may leave unfuzzed, and why. Empty: every form of `salesd forms` is
# reached. A new module's form that discovery cannot reach fails the test until its records get
# a world step (World.build) or an entry here with a reason.
SKIP = {}


def test_every_declared_form_fuzzed_through_the_stack():
    print(f"\nform-fuzz: FORM_FUZZ_SEED={SEED} FORM_FUZZ_ROUNDS={ROUNDS} (per role {PER_ROLE}, roles per form {ROLES_PER_FORM})")
    t0 = time.time()
    s = FuzzStack()
    s.start()
    try:
        roles, users = role_users(s)
        actors = {role: Actor(s, name) for role, name in users.items()}
        cat = Catalog(s)
        world = World(s, actors)
        world.setup()
        own = {f"/admin/users/{world.user_id(n)}" for n in list(users.values()) + ["admin", "rep"]}
        # The world's departments (the directory the people belong to) are not renamed or switched
        # off by the fuzzer: a victim department per round is (World.admin_users).
        db = sqlite3.connect(s.db_path)
        own |= {f"/admin/departments/{i}" for (i,) in db.execute("SELECT id FROM departments")}
        db.close()

        def skip(path):
            # Editing the fuzzing people themselves (roles, password, active) or the role matrix
            # or the committee seats would take the world apart; victims are edited instead.
            # Switching modules off (/admin/modules) would hide the rest (ModuleSwitchTests has it).
            return path in own or path.startswith(("/admin/roles", "/admin/modules", "/ideas/committee", "/_debug"))

        rng = random.Random(SEED)
        gen = Gen(rng, s, [code for _, code in world.customers])
        fz = Fuzzer(s, cat, rng, gen, Store(s.db_path))
        assert_healthy(s, "set-up")
        rounds_done = 0
        for round_ in range(ROUNDS):
            if time.time() - t0 > BUDGET_S:
                print(f"form-fuzz: budget of {BUDGET_S:.0f}s reached after {round_} rounds")
                break
            t1 = time.time()
            pages = world.build(round_)
            t2 = time.time()
            found, undeclared = discover(cat, actors, pages, skip)
            found = keep_reserved(found, world.reserved)
            t3 = time.time()
            fz.claims, fz.primary = {}, primaries(found, pages)
            order = sorted(cat.declared)
            rng.shuffle(order)
            for key in order:
                fuzz_form(fz, key, found.get(key, []), actors, round_, pages)
                assert_healthy(s, key)
            rounds_done += 1
            print(f"form-fuzz: round {round_ + 1}: {fz.posts} POSTs so far, {time.time() - t0:.0f}s (world {t2 - t1:.0f}s, "
                  f"discovery {t3 - t2:.0f}s, fuzz {time.time() - t3:.0f}s), statuses {sorted(fz.statuses.items())}")
        restarts = assert_healthy(s, "the run")

        reached = set(fz.by_form)
        never = sorted(k for k in cat.declared if k not in reached and k not in SKIP)
        stale = sorted(k for k in SKIP if k in reached or k not in cat.declared)
        per_role = {}
        for k, rs in fz.roles.items():
            for role in rs:
                per_role[role] = per_role.get(role, 0) + 1
        print(f"form-fuzz: {len(reached)}/{len(cat.declared)} declared forms fuzzed in {rounds_done} rounds, {fz.posts} POSTs, "
              f"{time.time() - t0:.0f}s; statuses {sorted(fz.statuses.items())}; pool restarts "
              f"{restarts if restarts is not None else 'n/a (no pool line in /healthz; process alive)'}")
        print("form-fuzz: forms per role " + ", ".join(f"{r}:{n}" for r, n in sorted(per_role.items())))
        print("form-fuzz: never accepted (no 303): " + " ".join(sorted(k for k, st in fz.by_form.items() if 303 not in st)))
        print(f"form-fuzz: undeclared POST forms seen (not fuzzed): {sorted(undeclared)}")
        for k, ms in sorted(fz.errors.items()):     # FORM_FUZZ_DEBUG=1: what each form refused most, per mode
            top = sorted(ms.items(), key=lambda x: -x[1])
            top = [x for mode, _ in MODES + [("sweep", 0)] for x in [y for y in top if y[0].startswith(mode + ":")][:4]]
            print(f"form-fuzz: {k} refusals: " + "; ".join(f"{m[:60]}×{n}" for m, n in top))
        for msg in fz.failures.values():
            print("form-fuzz: FAILURE " + msg + "\n")
        assert not fz.failures, f"{len(fz.failures)} kinds of failure (above)"
        assert not never, f"declared forms never fuzzed (reach them in World.build, or list them in SKIP with a reason): {never}"
        assert not stale, f"SKIP lists forms that are reached or no longer declared: {stale}"
        assert len(per_role) >= 8, per_role
    finally:
        s.stop()
        if os.environ.get("FORM_FUZZ_DEBUG"):
            with open(os.path.join(tempfile.gettempdir(), "form-fuzz-salesd.log"), "w") as f:
                f.write(s.log())


def fuzz_form(fz, key, insts, actors, round_, world_pages):
    """This round's submissions of one declared form: a sweep (each option of each select once,
    with every date and month field at this round's edge value) as the first role, then
    PER_ROLE generated submissions as each of up to ROLES_PER_FORM roles (rotating by round)."""
    if not insts:
        return
    roles_here = sorted({i.role for i in insts})
    n = min(ROLES_PER_FORM, len(roles_here))
    chosen = [roles_here[(round_ * n + j) % len(roles_here)] for j in range(n)]
    fresh = {p: i for i, p in enumerate(world_pages)}

    def mine(rec):
        return fz.primary.get(rec) in (None, key) and fz.claims.get(rec) in (None, key)

    def rank(inst):
        # Records meant for this form first, then this round's others (forms on one record —
        # complete and cancel a visit plan — would otherwise use up each other's).
        rec = record(inst, world_pages)
        return (fz.primary.get(rec) not in (None, key), fz.claims.get(rec) not in (None, key), fresh.get(rec, 10**6))

    def route(inst):
        path = urllib.parse.urlsplit(inst.action).path
        return next((p for rx, p, _ in fz.cat.post_patterns if rx.match(path)), path)

    for ci, role in enumerate(chosen):
        # One pool per action route (a form offered to create and to edit is two code paths):
        # the submissions take turns.
        pools = {}
        for i in sorted((i for i in insts if i.role == role), key=rank):
            pools.setdefault(route(i), []).append(i)
        pools = [pools[r] for r in sorted(pools)]
        plan = []
        if ci == 0:
            first = min((p[0] for p in pools), key=rank)
            plan += sweeps(fz, key, first, actors[role], round_)
        plan += [(fz.rng.choices([m for m, _ in MODES], [w for _, w in MODES])[0], None) for _ in range(PER_ROLE)]
        for j, (mode, sweep) in enumerate(plan):
            if mode == "rows" and not row_groups(fz.cat.declared[key]):
                mode = "some"
            pools = [p for p in pools if p]
            if not pools:
                break
            pool = pools[j % len(pools)]
            while pool:
                if fz.submit(key, pool[0], actors[role], mode, sweep) is not None:
                    fz.claims.setdefault(record(pool[0], world_pages), key)
                    break
                if os.environ.get("FORM_FUZZ_DEBUG"):
                    g = actors[role].get(pool[0].page)
                    print(f"form-fuzz: {key}: {pool[0].page} ({role}) gone: {g.status} {messages(g.text)[:2]} {re.findall(r'<h1>(.*?)</h1>', g.text)[:1]}")
                gone = record(pool.pop(0), world_pages)   # the record moved on (or is no longer this person's)
                # Move on only to records no other form needs: once a form has used up the one
                # meant for it, the records of the forms sharing them stay theirs.
                pool[:] = [i for i in pool if record(i, world_pages) == gone or mine(record(i, world_pages))]


def record(inst, world_pages):
    """The world record an instance acts on: the world page its page is (or lies under), or
    the page itself."""
    path = urllib.parse.urlsplit(inst.page).path
    return max((w for w in world_pages if path == w or path.startswith(w + "/")), key=len, default=path)


def keep_reserved(found, reserved):
    """`found` without the instances on, or posting to, a record reserved for another form
    ({record path: form}): the record's page and every page under it."""
    def holders(inst):
        paths = [urllib.parse.urlsplit(u).path for u in (inst.page, inst.action or "")]
        return {k for rec, k in reserved.items() for p in paths if p == rec or p.startswith(rec + "/")}
    return {key: [i for i in insts if holders(i) <= {key}] for key, insts in found.items()}


def primaries(found, world_pages):
    """{world record: the form it is meant for}: each record shared by several forms goes to the
    one with the fewest records so far (the most specific first), so a form that uses up its
    record (a visit plan's 取消) leaves the others theirs (its 实施)."""
    records, forms_on = {}, {}
    for key, insts in found.items():
        for i in insts:
            rec = record(i, world_pages)
            if rec in world_pages:
                records.setdefault(key, set()).add(rec)
                forms_on.setdefault(rec, set()).add(key)
    out, count = {}, {}
    for rec in world_pages:
        if len(forms_on.get(rec, ())) < 2:
            continue
        k = min(forms_on[rec], key=lambda k: (count.get(k, 0), len(records[k]), k))
        out[rec] = k
        count[k] = count.get(k, 0) + 1
    return out


def sweeps(fz, key, inst, actor, round_):
    decl = fz.cat.declared[key]
    r = actor.get(inst.page)
    if r.status != 200:
        return []
    form, _ = fz.locate(key, inst, r.text)
    if form is None:
        return []
    ctrls = Controls(form)
    edge = {"date": SWEEP_DATE[round_ % len(SWEEP_DATE)], "month": SWEEP_MONTH[round_ % len(SWEEP_MONTH)]}
    out = []
    for name in ctrls.order:
        if decl.get(norm(name)) == "select" and ctrls.kinds[name] == "select" and not canonical_row(name):
            for opt in ctrls.options.get(name, []):
                out.append(("sweep", dict(edge, select=name, option=opt)))
    if not out and any(k == "date" or hint(n, None) in ("date", "month") for n, k in decl.items()):
        out.append(("sweep", dict(edge, select=None, option=None)))
    return out[:40]
