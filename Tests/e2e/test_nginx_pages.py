"""What nginx itself answers (issue 18), through the same site settings as production
(deploy/nginx/sales.conf and the local template carry the same lines): Chinese pages for an
upload that is too large and for salesd being down, gzip and caching for static files, and no
gzip on dynamic pages (they carry the session's CSRF token: BREACH)."""
import gzip
import os

from harness import ROOT, Stack


def test_too_large_upload_and_a_stopped_service_get_chinese_pages():
    s = Stack(nginx_max_body="1k")
    s.start()
    try:
        c = s.client()
        assert c.login("rep").status in (303, 413)       # the login form is far below 1k
        big = c.post("/crm/customers/new", {"name": "x" * 4000})
        assert big.status == 413, big.status
        assert "上传内容过大" in big.text and "本次提交没有保存" in big.text
        assert "nginx" not in big.text.lower()
        s.app.terminate()
        s.app.wait(10)
        down = s.client().get("/")
        assert down.status == 502, down.status
        assert "系统暂时无法访问" in down.text and "nginx" not in down.text.lower()
        # The error pages themselves are not addressable.
        assert s.client().get("/_errors/50x.html").status == 404
    finally:
        s.stop()


def test_static_files_are_gzipped_and_versioned_urls_cached_long_but_pages_are_not_gzipped():
    s = Stack()
    s.start()
    try:
        c = s.client()
        css = c.request("GET", "/static/app.css", headers={"Accept-Encoding": "gzip"})
        assert css.status == 200 and css.header("Content-Encoding") == "gzip"
        assert gzip.decompress(css.body) == open(os.path.join(ROOT, "Web", "static", "app.css"), "rb").read()
        assert "max-age=3600" in (css.header("Cache-Control") or "")
        versioned = c.request("GET", "/static/app.css?v=abc123", headers={"Accept-Encoding": "gzip"})
        assert "max-age=31536000" in (versioned.header("Cache-Control") or ""), versioned.headers
        assert c.login("rep").status == 303
        page = c.request("GET", "/", headers={"Accept-Encoding": "gzip"})
        assert page.status == 200 and page.header("Content-Encoding") is None
        # The layout links the CSS by content hash: cached for a year, new after an upgrade.
        import re
        href = re.search(r'href="(/static/app\.css\?v=[0-9a-f]{1,8})"', page.text).group(1)
        assert "max-age=31536000" in (c.get(href).header("Cache-Control") or "")
        # The security headers stay on static files too.
        assert css.header("X-Content-Type-Options") == "nosniff"
    finally:
        s.stop()
