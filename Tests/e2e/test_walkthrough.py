"""Executes README's "Add a department module" walkthrough on a copy of the repository:
applies exactly the README's blocks, builds, and uses the new module through nginx."""
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile

import harness
from harness import ROOT, Stack

STEP = re.compile(r"<!-- walkthrough: (create (?P<create>\S+)|insert in (?P<file>\S+) after `(?P<after>[^`]+)`) -->\n```\w*\n(?P<body>.*?)```",
                  re.S)


def apply_walkthrough(readme, tree):
    steps = list(STEP.finditer(readme))
    assert len(steps) >= 5, "README walkthrough blocks not found"
    for m in steps:
        body = m.group("body")
        if m.group("create"):
            path = os.path.join(tree, m.group("create"))
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w") as f:
                f.write(body)
        else:
            path = os.path.join(tree, m.group("file"))
            text = open(path).read()
            anchor = m.group("after")
            lines = text.split("\n")
            idx = [i for i, line in enumerate(lines) if line == anchor]
            assert len(idx) == 1, f"anchor {anchor!r} not found once in {m.group('file')}"
            lines[idx[0] + 1:idx[0] + 1] = body.rstrip("\n").split("\n")
            with open(path, "w") as f:
                f.write("\n".join(lines))


def test_readme_module_walkthrough_really_works():
    tree = tempfile.mkdtemp(prefix="sales-walkthrough-")
    try:
        files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, check=True,
                               capture_output=True, text=True).stdout.split("\n")
        for f in filter(None, files):
            src = os.path.join(ROOT, f)
            if not os.path.isfile(src):
                continue
            dst = os.path.join(tree, f)
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            shutil.copy2(src, dst)
        apply_walkthrough(open(os.path.join(ROOT, "README.md")).read(), tree)
        build = subprocess.run(["swift", "build", "--product", "salesd"], cwd=tree, capture_output=True, text=True)
        assert build.returncode == 0, build.stdout[-4000:] + build.stderr[-4000:]

        salesd = os.path.join(tree, ".build", "debug", "salesd")
        old = harness.SALESD
        harness.SALESD = salesd
        s = Stack(extra_env={"SALES_PLUGINS_DIR": os.path.join(tree, "Plugins"), "SALES_WEB_DIR": os.path.join(tree, "Web")})
        try:
            s.start()
            assert "hello\t1.0.0\t留言板" in s.cli("modules")
            assert "/hello/notes\thello\thello.use" in s.cli("routes")
            c = s.client()
            assert c.login("rep").status == 303
            home = c.get("/")
            assert "留言板" in home.text and 'href="/hello/notes"' in home.text
            page = c.get("/hello/notes")
            assert page.status == 200
            bad = c.post("/hello/notes", {"text": "好"})
            assert bad.status == 422 and "至少 2 个字" in bad.text and ">好</textarea>" in bad.text
            ok = c.post("/hello/notes", {"text": "第一条留言"})
            assert ok.status == 303 and ok.header("Location") == "/hello/notes"
            assert "第一条留言" in c.get("/hello/notes").text
            db = sqlite3.connect(s.db_path)
            assert db.execute("SELECT COUNT(*) FROM audit_log WHERE entity = 'hello.note' AND username = 'rep'").fetchone()[0] == 1
        finally:
            s.stop()
            harness.SALESD = old
    finally:
        shutil.rmtree(tree, ignore_errors=True)
