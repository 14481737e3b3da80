"""Hostile input through the forms that live under record routes (`/crm/customers/:id/...`,
`/order/orders/:id/...`, `/service/complaints/:id/...`, `/ideas/:id/...`: edit, approve, comment,
route, close …) — the part test_hostile_input.py cannot reach from parameterless pages.

As one user holding every role: records are created first through each module's own "new" forms
(plain values where a field refuses a payload), then every POST form found on the record pages
(pages whose path matches a `:param` GET route of `salesd routes`) is filled with the XSS and
SQL-injection corpus, in rounds, so forms that appear only after an earlier step (a routed
complaint's department opinion, an approved application …) are reached too. Then detail pages,
print views, lists, CSV exports and the inbox are crawled: payloads stored literally, rendered
escaped everywhere, CSV neutralised, schema unchanged, no 5xx.

Coverage is measured against the forms the modules declare (`salesd forms`, i.e.
`DepartmentModule.forms`): every declared form with a free-text field must have been submitted
with payloads, except those listed in UNREACHED with the reason."""
import re
import time
import urllib.parse

from harness import Stack
from test_hostile_input import (CORPUS, SQLI, XSS, Filler, hostile_user,
                                module_link, parse, recrawl, schema, stored, submit_hostile)

MAX_POSTS = 400
POST_BUDGET_S = 90
MAX_PAGES = 600
ROUNDS = 3
SKIP = {"/logout", "/login", "/admin/roles",    # the role matrix would take this user's permissions
        "/admin/modules"}                       # switching modules off would hide the rest of the crawl

# Declared forms not reached through record pages in this run, and why (kept short and honest).
# Each needs a state one user with every role cannot reach by filling forms in a few rounds (a
# second person, the suggestion calendar's test clock, a scheduled production run); they are
# covered by the module tests, not with the hostile corpus. Shrink this list, never grow it quietly.
UNREACHED = {
    "crm:dailyReview": "a superior reviews another rep's daily report",
    "crm:rating_review": "a rating is reviewed by someone other than its proposer (RULES §6)",
    "crm:credit_survey": "needs a 认定申请; this filler never passes the application form's cash + cheque = 100 % rule",
    "ideas:grade": "the batch must be open for review (after the 20th: test clock) and a committee seat",
    "ideas:note": "as ideas:grade",
    "ideas:impl-plan": "a published batch with an adopted suggestion",
    "ideas:impl-issue": "as ideas:impl-plan",
    "ideas:impl-decision": "as ideas:impl-plan, after an issue",
    "ideas:impl-confirm": "as ideas:impl-plan, after the plan",
    "ideas:impl-performance": "as ideas:impl-plan, after confirmation",
    "order:delivery": "an order that passed its checks and was scheduled",
    "order:order_change": "a confirmed order under contract",
    "order:order_change_company": "a confirmed order under contract (as order:order_change)",
    "order:contract_revise": "a contract refused by a department in review",
    "order:order_trial": "a change that needs a trial sample",
    "service:complaint-penalty": "a verified service complaint",
    "service:patrol-report": "a patrol visit assigned to someone other than the customer's rep",
    "service:return-notice": "a return whose list was accepted by 品质部",
    "service:return-receive": "a return after its notice",
}


def normal(name):
    return re.sub(r"\.\d+\.", ".N.", name)


def route_patterns(routes):
    out = []
    for method, path, module, access in routes:
        if method == "GET" and ":" in path:
            out.append((re.compile("^" + re.sub(r":[a-z_]+", r"[^/]+", path) + "$"), path))
    return out


def test_hostile_input_through_record_forms():
    s = Stack()
    s.start()
    try:
        before = schema(s.db_path)
        uid, c, login = hostile_user(s)
        skip_prefixes = (f"/admin/users/{uid}",)    # editing oneself could end this session

        routes = [line.split("\t") for line in s.cli("routes").strip().split("\n")]
        modules = {m for _, _, m, _ in routes} | {p.strip("/").split("/")[0] for _, p, _, _ in routes}
        patterns = route_patterns(routes)
        lists = [p for m, p, _, _ in routes if m == "GET" and ":" not in p and p not in SKIP and not p.startswith("/_debug")]
        declared = {}
        for line in s.cli("forms").strip().split("\n"):
            module, form, field, kind = line.split("\t")
            declared.setdefault((module, form), {})[field] = kind

        def get(path):
            r = c.get(path)
            if r.status == 303 and (r.header("Location") or "").startswith("/login"):
                login()
                r = c.get(path)
            assert r.status < 500, (path, r.status, s.log()[-2000:])
            return r

        def record_route(path):
            p = urllib.parse.urlsplit(path).path
            return next((pat for rx, pat in patterns if rx.match(p)), None)

        filler = Filler()
        posts, t0, statuses = 0, time.time(), {}
        submitted = []        # (route pattern of the page, set of normalised field names, accepted?)
        done = set()

        def submit_forms(page, text, record):
            nonlocal posts
            for form in parse(text).forms:
                if posts >= MAX_POSTS or time.time() - t0 > POST_BUDGET_S:
                    return
                action = urllib.parse.urljoin(page, form["action"] or page)
                apath = urllib.parse.urlsplit(action).path
                if apath in SKIP or apath.startswith(skip_prefixes) or apath.startswith("/_debug"):
                    continue
                names = frozenset(normal(a["attrs"]["name"] if k == "select" else a["name"]) for k, a in form["fields"])
                key = (record_route(apath) or apath, names)
                if key in done:
                    continue
                pr, made = submit_hostile(c, s, filler, page, form, action, statuses, 3)
                posts += made
                if pr.status < 400:
                    done.add(key)
                submitted.append((record, names, pr.status < 400))

        # Rounds: create records from the parameterless pages, then act on every record page
        # found by following links, again and again (each step can open the next form).
        seen_pages = 0
        for round_ in range(ROUNDS + 1):
            if round_ == 0:
                for page in lists:
                    r = get(page)
                    if r.status == 200 and "text/html" in (r.header("Content-Type") or ""):
                        submit_forms(page, r.text, None)
                continue
            queue, queued = list(lists), set(lists)
            while queue and seen_pages < MAX_PAGES * round_:
                path = queue.pop(0)
                r = get(path)
                seen_pages += 1
                if r.status != 200 or "text/html" not in (r.header("Content-Type") or ""):
                    continue
                pattern = record_route(path)
                if pattern:
                    submit_forms(path, r.text, pattern)
                for href in parse(r.text).links:
                    link = module_link(href, modules)
                    if link and link not in queued and record_route(link) and "format=csv" not in link:
                        queued.add(link)
                        queue.append(link)
        record_posts = [x for x in submitted if x[0]]
        print(f"\nhostile-records: {posts} POSTs in {time.time() - t0:.0f}s, {len(record_posts)} from record pages "
              f"({len({x[0] for x in record_posts})} record routes), statuses {sorted(statuses.items())}")
        assert len({x[0] for x in record_posts if x[2]}) >= 15, sorted({x[0] for x in record_posts})

        # Coverage against the declared forms: a declared form counts as reached when a submitted
        # HTML form carried all of its fields (file inputs included, rows as name.N.field).
        reached, missed = [], []
        for (module, form), fields in sorted(declared.items()):
            if not any(k in ("text", "textarea") for k in fields.values()):
                continue
            want = set(fields)
            hit = [x for x in submitted if want <= set(x[1])]
            (reached if hit else missed).append(f"{module}:{form}")
        print(f"hostile-records: declared forms with free text reached {len(reached)}, not reached {missed}")
        unexpected = [m for m in missed if m not in UNREACHED]
        assert not unexpected, f"declared forms never submitted with payloads: {unexpected}"

        # Crawl everything again: lists, record pages, print views, CSV exports, inbox.
        seen, _, csvs, _ = recrawl(get, list(lists) + ["/"], modules, exports=set(lists), max_pages=2 * MAX_PAGES)
        record_pages = [p for p in seen if record_route(p)]
        prints = [p for p in record_pages if "print" in p]
        print(f"hostile-records: re-crawled {len(seen)} URLs ({len(record_pages)} record pages, {len(prints)} print views, {csvs} CSV)")
        assert prints, "no print view reached"

        found = stored(s.db_path, CORPUS)
        assert any(v in found for v in XSS) and any(v in found for v in SQLI)
        assert schema(s.db_path) == before, "schema changed"
    finally:
        s.stop()
