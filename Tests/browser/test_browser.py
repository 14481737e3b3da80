"""The shared layout in a real browser (issue 16): Chromium through nginx + salesd.

Walks what a user does every day — log in, the inbox, a module's list, a form sent with mistakes
(422: values kept, each error beside its field, the summary linking to the field) and corrected,
a confirmation shown once after the redirect — and checks the layout at 1366 px and 390 px on
every page it visits: the document no wider than the window (wide tables scroll in their own
box), codes, numbers and phone numbers on one line, the menu reachable on the phone. Screenshots
of each page at both widths are saved to build/screenshots/ (SCREENSHOTS_DIR) to be looked at.
"""
import os
import re

import pytest
from selenium.webdriver.common.by import By
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.support.ui import Select, WebDriverWait

PASSWORD = "e2e-Passw0rd!"
DESKTOP = 1366
PHONE = 390

# Every element that leaves the window to the right, unless it sits inside a box that scrolls
# (a table's .table-wrap, a table that scrolls itself); and every token that must not break
# (codes, phone numbers, amounts, times) drawn on more than one line.
LAYOUT_JS = r"""
const vw = document.documentElement.clientWidth;
function scrolls(el) {
  for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
    const o = getComputedStyle(p).overflowX;
    if (o === 'auto' || o === 'scroll' || o === 'hidden' || o === 'clip') return true;
  }
  return false;
}
const wide = [];
for (const el of document.body.querySelectorAll('*')) {
  const r = el.getBoundingClientRect();
  if (r.width === 0 || r.height === 0) continue;
  if (r.right > vw + 1 && !scrolls(el)) wide.push(el.tagName.toLowerCase() + (el.className ? '.' + String(el.className).trim().replace(/\s+/g, '.') : '') + ' right=' + Math.round(r.right));
}
const broken = [];
for (const el of document.querySelectorAll('.code, .tel, td.num, .num, .nowrap, code, a[href^="tel:"], .due')) {
  if (!el.textContent.trim() || el.getClientRects().length === 0) continue;
  // The text's own line boxes (not the boxes of elements inside it): more than one line apart = broken.
  const tops = [];
  const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    if (!n.textContent.trim()) continue;
    const range = document.createRange();
    range.selectNodeContents(n);
    for (const r of range.getClientRects()) if (r.width > 0) tops.push(r.top);
  }
  const cs = getComputedStyle(el);
  const line = parseFloat(cs.lineHeight) || parseFloat(cs.fontSize) * 1.6;
  if (tops.length > 1 && Math.max(...tops) - Math.min(...tops) > line * 0.8)
    broken.push(el.tagName.toLowerCase() + '.' + el.className + ': ' + el.textContent.trim().slice(0, 40));
}
return {docWidth: document.documentElement.scrollWidth, bodyWidth: document.body.scrollWidth, vw: vw,
        wide: wide.slice(0, 8), broken: broken.slice(0, 8)};
"""


def wait_for_next_page(driver, old, timeout=10):
    """Waits until `old` (the page's html element) is gone: the browser is on the next page.
    Chromium sometimes reports an element of a page it is leaving as "Node with given id does
    not belong to the document" instead of a stale element: that is gone too."""
    def gone(_):
        try:
            old.is_enabled()
            return False
        except StaleElementReferenceException:
            return True
        except WebDriverException as e:
            if "does not belong to the document" in str(e):
                return True
            raise
    WebDriverWait(driver, timeout).until(gone)


class Browser:
    """One Chromium window on the running stack; names each screenshot by step and width."""

    def __init__(self, driver, base, shots):
        self.d = driver
        self.base = base
        self.shots_dir = shots
        self.width = DESKTOP
        self.shots = []

    def size(self, width):
        self.width = width
        self.d.set_window_size(width, 900)

    def go(self, path):
        self.d.get(self.base + path)

    def path(self):
        return self.d.current_url[len(self.base):]

    def wait_path(self, pattern, timeout=10):
        try:
            # A redirect keeps the fragment of the page it answers (after a summary link: #f-phone).
            WebDriverWait(self.d, timeout).until(lambda d: re.fullmatch(pattern, d.current_url[len(self.base):].split("#")[0]))
        except Exception:
            self.shot("failed")
            main = self.finds("main")
            raise AssertionError(f"expected {pattern}, at {self.path()}: {main[0].text[:600] if main else ''}")
        return self.path().split("#")[0]

    def find(self, css):
        return self.d.find_element(By.CSS_SELECTOR, css)

    def finds(self, css):
        return self.d.find_elements(By.CSS_SELECTOR, css)

    def submit(self, form_css="main form.form, main form[method=post]"):
        """Clicks the form's submit button and waits for the next page."""
        form = self.find(form_css)
        old = self.find("html")
        form.find_element(By.CSS_SELECTOR, "button[type=submit], button:not([type])").click()
        wait_for_next_page(self.d, old)

    def fill(self, name, value):
        el = self.find(f"main [name='{name}']")
        el.clear()
        if value:
            el.send_keys(value)
        return el

    def login(self, user, password=PASSWORD):
        self.d.delete_all_cookies()
        self.go("/login")
        self.fill("username", user)
        self.fill("password", password)
        self.submit("main form")
        assert self.path() == "/", self.path()

    def check(self, name):
        """The layout checks on the page shown now, and its screenshot (full page height)."""
        info = self.d.execute_script(LAYOUT_JS)
        where = f"{name} at {self.width}px ({self.path()})"
        self.shot(name)   # first: a failing page is the one to look at
        assert info["docWidth"] <= info["vw"] + 1, f"{where}: the page scrolls sideways ({info['docWidth']} > {info['vw']}): {info['wide']}"
        assert not info["wide"], f"{where}: wider than the window outside a scrolling box: {info['wide']}"
        assert not info["broken"], f"{where}: a token broken across lines: {info['broken']}"

    def shot(self, name):
        label = "desktop" if self.width >= 1024 else "phone"
        height = self.d.execute_script("return Math.max(document.body.scrollHeight, document.documentElement.scrollHeight)")
        self.d.set_window_size(self.width, min(max(height + 120, 700), 6000))
        f = os.path.join(self.shots_dir, f"{name}-{label}.png")
        self.d.save_screenshot(f)
        self.shots.append(f)
        self.d.set_window_size(self.width, 900)


@pytest.fixture(scope="module")
def b(stack, browser, shots):
    return Browser(browser, f"http://127.0.0.1:{stack.port}", shots)


def test_a_days_walk_on_the_desktop(b):
    """Inbox → module list → a form with mistakes (422) → corrected → the new record."""
    b.size(DESKTOP)
    b.login("rep")
    assert b.find("nav.sidebar").is_displayed(), "desktop: the module menu is always there"
    assert not b.find("details.menu-toggle").is_displayed()
    assert b.find("main h1").text == "待办事项"
    b.check("01-home")

    b.find("nav.sidebar a[href='/crm/customers']").click()
    assert b.wait_path(r"/crm/customers")
    assert b.find("nav.sidebar a.active").get_attribute("href").endswith("/crm/customers"), "the current page is marked"
    crumbs = [li.text for li in b.finds("nav.crumbs li")]
    assert crumbs[0] == "首页" and crumbs[1] == "客户开发", crumbs
    b.check("02-customer-list")

    b.find("main .page-head a.button").click()
    b.wait_path(r"/crm/customers/new")
    assert "‹ 返回客户名录" in b.find("nav.crumbs").text, "the way back to the list"
    b.fill("name", "张")
    b.fill("phone", "abc")
    b.fill("city", "上海<市>")
    b.submit()
    # 422: the same form, every value kept, each error beside its field, the summary linking to them.
    summary = b.find(".error-summary")
    assert "请更正以下" in summary.text
    assert b.find("#f-name").get_attribute("value") == "张"
    assert b.find("#f-phone").get_attribute("value") == "abc"
    assert b.find("#f-city").get_attribute("value") == "上海<市>"
    name_field = b.find("#f-name").find_element(By.XPATH, "ancestor::div[contains(@class,'field')][1]")
    assert "has-error" in name_field.get_attribute("class")
    assert name_field.find_element(By.CSS_SELECTOR, ".error").text, "the message next to the field"
    b.check("03-customer-form-422")
    summary.find_element(By.CSS_SELECTOR, "a[href='#f-phone']").click()
    assert b.d.current_url.endswith("#f-phone")
    assert b.d.execute_script("return document.querySelector(':target') && document.querySelector(':target').id") == "f-phone"
    top = b.d.execute_script("return document.getElementById('f-phone').getBoundingClientRect().top")
    assert 0 <= top < 900, "the link brings the field into view"

    b.fill("name", "上海亚凯机械有限公司")
    b.fill("phone", "021-5555 0101")
    b.submit()
    path = b.wait_path(r"/crm/customers/\d+")
    assert "上海亚凯机械有限公司" in b.find("main").text
    assert [li.text for li in b.finds("nav.crumbs li")][-2] == "客户名录", "首页 › 客户开发 › 客户名录 › the customer"
    b.check("04-customer-page")
    b.go(path + "?error=" + "伪造的错误提示")
    assert "伪造" not in b.find("body").text, "a crafted link shows no banner"


def test_a_confirmation_shows_once_after_the_redirect(b):
    """修改密码: a mistake (422), corrected, then the flash — once, from the session, not the URL."""
    b.size(DESKTOP)
    b.login("zhangwei")
    b.find("header a.account").click()
    b.wait_path(r"/account/password")
    b.fill("current_password", PASSWORD)
    b.fill("new_password", "Browser-Passw0rd2")
    b.fill("confirm_password", "Browser-Passw0rd3")
    b.submit()
    assert "两次输入的新密码不一致" in b.find("#f-confirm_password").find_element(
        By.XPATH, "ancestor::div[contains(@class,'field')][1]").text
    assert b.finds(".error-summary a[href='#f-confirm_password']")
    b.check("05-password-422")
    b.fill("current_password", PASSWORD)
    b.fill("new_password", "Browser-Passw0rd2")
    b.fill("confirm_password", "Browser-Passw0rd2")
    b.submit()
    assert b.path() == "/account/password", "nothing of the message in the URL"
    flash = b.find(".flash.ok")
    assert "密码已修改" in flash.text and flash.get_attribute("role") == "status"
    b.check("06-flash")
    b.d.refresh()
    assert not b.finds(".flash"), "shown once: a reload does not show it again"
    b.go("/?flash=伪造&error=伪造")
    assert not b.finds(".flash") and "伪造" not in b.find("body").text


def test_error_pages_keep_the_menu(b):
    b.size(DESKTOP)
    b.login("rep")
    b.go("/admin/users")
    assert "无权访问" in b.find("main").text and "请求编号" in b.find("main").text
    assert b.find("nav.sidebar").is_displayed(), "403 inside the layout, the menu still there"
    b.check("07-error-403")
    b.go("/crm/customers/999999")
    assert "404" in b.find("main").text
    assert b.find("nav.sidebar a[href='/crm/customers']").is_displayed()


def test_the_audit_log_reads_in_chinese_with_filters_from_lists(b):
    b.size(DESKTOP)
    b.login("admin")
    b.find("nav.sidebar a[href='/admin/audit']").click()
    b.wait_path(r"/admin/audit")
    text = b.find("table.list").text
    assert "新建用户" in text and "命令行" in text and "系统管理" in text, text[:300]
    Select(b.find("select[name=module]")).select_by_value("admin")
    Select(b.find("select[name=action]")).select_by_value("create")
    b.submit("main form.filters")
    assert "module=admin" in b.path() and "action=create" in b.path()
    assert "用户 销售甲" in b.find("table.list").text
    b.check("08-audit-log")


def test_the_phone_layout(b):
    """390 px: the menu behind one button, lists as cards, filters folded, nothing wider than the screen."""
    b.size(PHONE)
    b.login("rep")
    assert not b.find("nav.sidebar").is_displayed()
    toggle = b.find("details.menu-toggle > summary")
    assert toggle.is_displayed()
    b.check("01-home")
    toggle.click()
    menu = b.find("details.menu-toggle nav.menu")
    assert menu.is_displayed(), "the menu opens"
    b.shot("01-home-menu-open")
    menu.find_element(By.CSS_SELECTOR, "a[href='/crm/customers']").click()
    b.wait_path(r"/crm/customers")
    rows = b.finds("table.list.cards tbody tr")
    assert rows and b.d.execute_script("return getComputedStyle(arguments[0]).display", rows[0]) == "grid", "rows as cards"
    assert not b.find("form.filters").is_displayed(), "filters folded: the list comes first"
    b.find("label.filters-toggle-label").click()
    assert b.find("form.filters").is_displayed()
    b.check("02-customer-list")
    for name, path in [("03-customer-form", "/crm/customers/new"), ("09-applications", "/crm/applications"),
                       ("10-password", "/account/password"), ("07-error-404", "/no/such/page")]:
        b.go(path)
        b.check(name)
    b.go("/crm/customers")
    if not b.finds("table.list tbody td a"):          # run alone (-k phone): a customer of its own
        b.go("/crm/customers/new")
        b.fill("name", "杭州华东贸易有限公司")
        b.fill("phone", "0571-8888 6666")
        b.submit()
        b.go("/crm/customers")
    b.find("table.list tbody td a").click()
    b.wait_path(r"/crm/customers/\d+")
    b.check("04-customer-page")
    b.login("admin")
    for name, path in [("08-audit-log", "/admin/audit"), ("11-users", "/admin/users")]:
        b.go(path)
        b.check(name)


def test_the_desktop_pages_fit(b):
    """The pages of the walk and the admin lists at 1366 px, for the record."""
    b.size(DESKTOP)
    b.login("admin")
    for name, path in [("11-users", "/admin/users"), ("12-roles", "/admin/roles"), ("10-password", "/account/password"),
                       ("07-error-404", "/no/such/page")]:
        b.go(path)
        b.check(name)


# A4 landscape less the 10 mm margins of print.css's `@page landscape`, in CSS px (96 per inch).
A4_LANDSCAPE_CONTENT_PX = round((297 - 20) / 25.4 * 96)


def test_the_printed_order_fits_a4_landscape(b, stack):
    """Issue #16 point 1: the 订货单 that goes to the customer and the factory prints on A4
    landscape with every one of its 19 columns on the paper, 大写 total included; the PDF is kept
    beside the screenshots."""
    import base64
    import datetime
    import sqlite3

    from selenium.webdriver.common.print_page_options import PrintOptions

    sys_path_client = stack.client()
    assert sys_path_client.login("rep").status == 303
    db = sqlite3.connect(stack.db_path)
    rep_id = db.execute("SELECT id FROM users WHERE username = 'rep'").fetchone()[0]
    cid = db.execute("""INSERT INTO crm_customers (name, code, status, owner_id, rating_class, rated_at, created_by, created_at, updated_at)
                        VALUES ('华东精密机械制造有限公司', 'KH-2026-0077', 'customer', ?, 'A', 0, ?, 0, 0)""", (rep_id, rep_id)).lastrowid
    db.execute("""INSERT INTO order_contracts (customer_id, contract_no, title, approved, state, created_by, created_at)
                  VALUES (?, 'HT-2026-0077', '年度供货合同', 1, 'approved', ?, 0)""", (cid, rep_id))
    db.commit()
    db.close()
    day = datetime.date.today().isoformat()
    sys_path_client.get("/order/orders/new")
    lines = [("不锈钢球阀（法兰连接）", "DN150-PN16", "1200", "1,385.50"), ("铸钢闸阀", "Z41H-25C DN200", "35", "12,800"),
             ("蝶阀", "D341X-16Q DN300", "8", "6,450.00")]
    fields = [("customer_code", "KH-2026-0077"), ("channel", "fax"), ("received_on", day), ("pay_days", "30"),
              ("planned_delivery", day), ("make_no", "ZZ-2026-1088")]
    for i, (p, spec, qty, price) in enumerate(lines):
        fields += [(f"lines.{i}.product", p), (f"lines.{i}.spec", spec), (f"lines.{i}.qty", qty), (f"lines.{i}.price", price),
                   (f"lines.{i}.usage", "管道改造"), (f"lines.{i}.packing", "木箱"), (f"lines.{i}.finish_date", day),
                   (f"lines.{i}.ship_date", day), (f"lines.{i}.color", "灰"), (f"lines.{i}.cartons", "12"),
                   (f"lines.{i}.carton_no", "1-12"), (f"lines.{i}.weight", "860/820kg"), (f"lines.{i}.tail_weight", "45kg")]
    r = sys_path_client.post("/order/orders/new", fields)
    assert r.status == 303, r.text[:500]
    order = r.header("Location")

    b.size(DESKTOP)
    b.login("rep")
    # The customer page is the hub (#16 point 3): the order is on it, with 登记订单 from there.
    b.go(f"/crm/customers/{cid}")
    hub = b.find("main").text
    assert "订单与应收" in hub and "DH-" in hub and "登记订单" in hub, hub[:800]
    b.check("21-customer-hub")
    b.go(order + "/print")
    assert "人民币（大写）" in b.find("main").text
    # Laid out as the printer will: print media, the width of A4 landscape's printable area.
    b.d.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    b.d.set_window_size(A4_LANDSCAPE_CONTENT_PX, 900)
    try:
        fit = b.d.execute_script("""
            const t = document.querySelector('table.order-lines');
            const vw = document.documentElement.clientWidth;
            const r = t.getBoundingClientRect();
            const heads = [...t.querySelectorAll('thead th')].map(th => th.getBoundingClientRect().right);
            return {right: r.right, vw: vw, cols: heads.length, lastHead: Math.max(...heads),
                    docWidth: document.documentElement.scrollWidth};""")
        assert fit["cols"] == 19, fit
        assert fit["right"] <= fit["vw"] + 1 and fit["lastHead"] <= fit["vw"] + 1, f"order lines cut off on A4 landscape: {fit}"
        assert fit["docWidth"] <= fit["vw"] + 1, fit
        b.d.save_screenshot(os.path.join(b.shots_dir, "20-order-print-a4-landscape.png"))
    finally:
        b.d.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
        b.size(DESKTOP)
    options = PrintOptions()
    options.orientation = "landscape"
    pdf = base64.b64decode(b.d.print_page(options))
    assert pdf.startswith(b"%PDF"), pdf[:20]
    with open(os.path.join(b.shots_dir, "20-order-print-a4-landscape.pdf"), "wb") as f:
        f.write(pdf)
