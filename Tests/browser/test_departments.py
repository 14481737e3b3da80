"""Each department's main flow in a real browser on the demo company (issue 16, "Tested in a real browser").

One stack of its own, filled by `salesd demo` (上海华源汽车零部件有限公司, Sources/salesd/DemoData.swift:
every login's password is demo-1234), and one Chromium window at 1366 px. Each flow is done by the
person whose job it is, through the links a person clicks (the menu, the inbox, the customer page as
the hub), with a form sent once with a mistake (422: the error beside its field, every typed value
kept) and then corrected. Every page is checked for layout (nothing wider than the window outside a
scrolling box, no code or number broken across lines) and saved to build/screenshots/ as
`3x-…` (订货), `4x-…` (审批), `5x-…` (售后服务), `6x-…` (建议评审).
"""
import re
import subprocess

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from harness import PASSWORD, SALESD, Stack
from test_browser import DESKTOP, Browser, wait_for_next_page

DEMO_PASSWORD = "demo-1234"
# What one flow left for the next check (the order 张伟 registered).
SEEN = {}

# The lines of text an element's own text is drawn on (its text nodes' line boxes).
TEXT_LINES_JS = r"""
const tops = new Set();
const walker = document.createTreeWalker(arguments[0], NodeFilter.SHOW_TEXT);
for (let n = walker.nextNode(); n; n = walker.nextNode()) {
  if (!n.textContent.trim()) continue;
  const range = document.createRange();
  range.selectNodeContents(n);
  for (const r of range.getClientRects()) if (r.width > 0) tops.add(Math.round(r.top));
}
return tops.size;
"""


@pytest.fixture(scope="module")
def demo():
    """A new database with its first admin (as `make demo` makes it), then `salesd demo`."""
    s = Stack()
    s.cli("migrate")
    s.cli("user", "add", "admin", "--display-name", "管理员", "--roles", "admin", "--password", PASSWORD)
    p = subprocess.run([SALESD, "demo"], env=s.env, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0 and "演示数据已生成" in p.stdout, p.stdout + p.stderr
    s.start_app()
    s.start_nginx()
    yield s
    # nginx's graceful stop (SIGQUIT) waits ten seconds for the connection Chromium keeps open;
    # this stack has nothing left to finish: a fast stop.
    s.nginx.terminate()
    s.nginx.wait(10)
    s.stop()


@pytest.fixture(scope="module")
def b(demo, browser, shots):
    b = Browser(browser, f"http://127.0.0.1:{demo.port}", shots)
    b.size(DESKTOP)
    return b


def field_of(b, css):
    """The .field box (or the rows table's cell) around an input: where its error must be."""
    return b.find(css).find_element(By.XPATH, "ancestor::*[contains(@class,'field') or self::td][1]")


def value(b, css):
    return b.find(css).get_attribute("value")


def press(b, button):
    """Clicks a button outside Browser.submit's form (the approval panel's) and waits for the answer."""
    old = b.find("html")
    button.click()
    wait_for_next_page(b.d, old)


def click_link(scope, text):
    """The link a person would click, by the words on it."""
    links = [a for a in scope.find_elements(By.CSS_SELECTOR, "a") if text in a.text and a.is_displayed()]
    assert links, f"no link 「{text}」 in: {scope.text[:600]}"
    links[0].click()


def test_a_sales_rep_registers_an_order_from_the_customer_page(b):
    """订货: 张伟 opens his customer 上海申达 from 客户名录; the customer page is the hub: 登记订单 from
    there brings the order form with the customer filled in. A quantity typed with a letter comes
    back 422 beside its cell with everything kept; corrected, the order's page shows it."""
    b.login("zhangwei", DEMO_PASSWORD)
    b.find("nav.sidebar a[href='/crm/customers']").click()
    b.wait_path(r"/crm/customers")
    click_link(b.find("main table.list"), "上海申达汽车制造有限公司")
    b.wait_path(r"/crm/customers/\d+")
    hub = b.find("main").text
    # Codes carry the year the demo clock gave them: read, not assumed.
    code = re.search(r"KH-\d{4}-\d{4}", b.find("main h1").text).group(0)
    assert "订单与应收" in hub and re.search(r"DH-\d{4}-\d{4}", hub), hub[:800]
    b.check("30-order-customer-hub")

    b.find("main a[href^='/order/orders/new?customer=']").click()
    b.wait_path(r"/order/orders/new\?customer=" + code)
    assert value(b, "#f-customer_code") == code, "the customer chosen on its page"
    Select(b.find("#f-channel")).select_by_visible_text("传真")
    b.fill("lines.0.product", "制动盘")
    b.fill("lines.0.spec", "ZP-320")
    b.fill("lines.0.qty", "1O0")          # a letter O for a zero
    b.fill("lines.0.price", "180")
    b.fill("remarks", "十二月补货，分两批送安亭总装厂")
    b.submit()
    assert b.path().startswith("/order/orders/new"), "the form again, not a new order"
    summary = b.find("#error-summary")
    assert "请更正以下 1 处错误" in summary.text, summary.text
    # The order lines are drawn below the head fields: the top of the form links to the cell.
    link = b.find("#line-errors a[href='#f-lines-0-qty']")
    assert "第 1 行" in link.text, link.text
    cell = field_of(b, "#f-lines-0-qty")
    assert "has-error" in cell.get_attribute("class") and cell.find_element(By.CSS_SELECTOR, ".error").text, cell.text
    assert value(b, "#f-customer_code") == code
    assert Select(b.find("#f-channel")).first_selected_option.text == "传真"
    assert [value(b, f"#f-lines-0-{n}") for n in ("product", "spec", "qty", "price")] == ["制动盘", "ZP-320", "1O0", "180"]
    assert value(b, "#f-remarks") == "十二月补货，分两批送安亭总装厂"
    b.check("31-order-form-422")

    b.fill("lines.0.qty", "100")
    b.submit()
    b.wait_path(r"/order/orders/\d+")
    main = b.find("main").text
    assert "上海申达汽车制造有限公司" in b.find("main h1").text and re.search(r"DH-\d{4}-\d{4}", b.find("main h1").text)
    # (No confirmation banner after 登记并核查: the handler redirects without a flash — reported.)
    lines = b.find("table.order-lines").text
    assert "制动盘" in lines and "ZP-320" in lines and "18,000.00" in lines, lines
    assert "十二月补货" in main, "the remark on the 订货登记表"
    history = b.find(".history-card").text
    assert "张伟" in history and "登记订单" in history, history
    b.check("32-order-registered")
    SEEN["order"] = b.path()


def test_the_order_page_keeps_product_names_and_specs_on_one_line(b):
    """Issue 16 points 1 and 7: on the order's page the 订货单明细 values (制动盘, ZP-320) are never
    broken mid-word; the 19-column grid scrolls inside its frame instead."""
    b.go(SEEN["order"])     # the page test_a_sales_rep_registers_… ended on
    first = b.finds("table.order-lines tbody tr:first-child td")
    assert [c.text for c in first[1:3]] == ["制动盘", "ZP-320"], [c.text for c in first[:4]]
    drawn = {c.text: b.d.execute_script(TEXT_LINES_JS, c) for c in first[1:3]}
    assert drawn == {"制动盘": 1, "ZP-320": 1}, f"lines each is drawn on: {drawn}"


def test_the_general_manager_approves_an_order_over_the_warning_line_from_his_inbox(b):
    """审批: 陈建国 (总经理) finds the order over the 销售警戒线 in his 待办, presses 批准 without an
    opinion (422 beside the 审批意见 box), writes it and approves; 办理记录 shows his decision
    in Chinese with his name."""
    b.login("chenjianguo", DEMO_PASSWORD)
    assert b.find("main h1").text == "待办事项"
    b.check("40-approval-inbox")
    click_link(b.find("main"), "超警戒线订单待批准")
    order = b.wait_path(r"/order/orders/\d+")
    assert "嘉兴恒运物流车队" in b.find("main h1").text
    assert "待总经理批准" in b.find("#state").text
    panel = b.find("#approval")
    buttons = [x.text for x in panel.find_elements(By.CSS_SELECTOR, "button")]
    assert buttons == ["总经理批准", "总经理驳回"], buttons
    b.check("41-approval-panel")

    press(b, panel.find_element(By.CSS_SELECTOR, "button[value=approve]"))
    b.wait_path(re.escape(order) + r"(/act)?")
    box = field_of(b, "#approval-opinion")
    assert "has-error" in box.get_attribute("class") and box.find_element(By.CSS_SELECTOR, ".error").text, box.text
    assert "待总经理批准" in b.find("#state").text, "nothing decided"
    b.check("42-approval-opinion-422")

    opinion = "车队回款一贯及时，同意本次超线供货；下月起按月结清"
    b.find("#approval-opinion").send_keys(opinion)
    press(b, b.find("#approval button[value=approve]"))
    b.wait_path(re.escape(order))
    # (No confirmation banner after the decision either — reported; the page itself shows it.)
    assert "待总经理批准" not in b.find("#state").text, b.find("#state").text
    rows = [r.text for r in b.finds(".history-card tbody tr")]
    decision = [r for r in rows if "陈建国" in r]
    assert decision and opinion in decision[-1] and "批准" in decision[-1], rows
    assert "approve" not in b.find(".history-card").text and "chenjianguo" not in b.find(".history-card").text
    assert b.finds(".approval-panel button[value=approve]") == [], "nothing left for him to approve"
    b.check("43-approval-decided")


def test_a_service_rep_can_pick_the_customer_of_a_complaint(b):
    """Issue 16 point 4: the 客户服务专员 who takes a customer's call picks that customer on 登记投诉
    (every customer: service.complaint_register_any), not only those the CRM shows him."""
    b.login("xuliang", DEMO_PASSWORD)
    b.find("nav.sidebar a[href='/service/complaints/new']").click()
    b.wait_path(r"/service/complaints/new")
    b.check("50-complaint-form-service-rep")
    names = [o.text for o in Select(b.find("#f-customer")).options]
    assert any("上海浦江客车有限公司" in n for n in names), names


def test_customer_service_registers_a_complaint(b):
    """售后服务: the 客户服务主管 (高峰) registers a service complaint from the menu's 登记投诉;
    a one-character summary comes back 422 beside it with everything kept; corrected, the
    complaint's page shows its 投诉编号 (TS…)."""
    b.login("gaofeng", DEMO_PASSWORD)
    b.find("nav.sidebar a[href='/service/complaints/new']").click()
    b.wait_path(r"/service/complaints/new")
    Select(b.find("#f-kind")).select_by_visible_text("服务投诉")
    customer = Select(b.find("#f-customer"))
    customer.select_by_visible_text(next(o.text for o in customer.options if "上海浦江客车有限公司" in o.text))
    b.fill("summary", "慢")
    b.fill("concerned", "物流部送货司机")
    b.submit()
    assert b.path().startswith("/service/complaints/new")
    summary_field = field_of(b, "#f-summary")
    assert "has-error" in summary_field.get_attribute("class") and summary_field.find_element(By.CSS_SELECTOR, ".error").text
    assert b.finds(".error-summary a[href='#f-summary']")
    assert Select(b.find("#f-kind")).first_selected_option.text == "服务投诉"
    assert "上海浦江客车有限公司" in Select(b.find("#f-customer")).first_selected_option.text
    assert value(b, "#f-summary") == "慢" and value(b, "#f-concerned") == "物流部送货司机"
    b.check("51-complaint-form-422")

    b.fill("summary", "送货车辆比约定时间晚到三小时，耽误客户装配线")
    b.submit()
    b.wait_path(r"/service/complaints/\d+")
    flash = b.find(".flash.ok").text
    main = b.find("main").text
    number = [w for w in flash.replace("，", " ").replace("。", " ").split() if w.startswith("TS")]
    assert number and number[0] in main, (flash, main[:600])
    assert "上海浦江客车有限公司" in main and "送货车辆比约定时间晚到三小时" in main and "物流部送货司机" in main
    b.check("52-complaint-registered")


def test_an_employee_submits_a_suggestion_and_finds_it_under_my_suggestions(b):
    """建议评审: 何静 (品质部) submits a suggestion from the menu; a content too short comes back
    422 beside it with everything kept; corrected, 我的建议 lists it."""
    b.login("hejing", DEMO_PASSWORD)
    b.find("nav.sidebar a[href='/ideas/new']").click()
    b.wait_path(r"/ideas/new")
    Select(b.find("#f-topic")).select_by_visible_text("其他")
    b.fill("title", "来料检验增加密封圈硬度抽检")
    b.fill("content", "加检")
    b.fill("expected_effect", "减少渗油投诉")
    b.submit()
    assert b.path().startswith("/ideas/new")
    content = field_of(b, "#f-content")
    assert "has-error" in content.get_attribute("class") and content.find_element(By.CSS_SELECTOR, ".error").text
    assert b.finds(".error-summary a[href='#f-content']")
    assert Select(b.find("#f-topic")).first_selected_option.text == "其他"
    assert value(b, "#f-title") == "来料检验增加密封圈硬度抽检" and value(b, "#f-content") == "加检"
    assert value(b, "#f-expected_effect") == "减少渗油投诉"
    b.check("60-suggestion-form-422")

    b.fill("content", "每批密封圈来料按 5% 抽检邵氏硬度，低于 70 HA 的批次退回供应商。")
    b.submit()
    b.wait_path(r"/ideas/\d+")
    assert "建议已提交" in b.find(".flash.ok").text
    b.find("nav.sidebar a[href='/ideas/mine']").click()
    b.wait_path(r"/ideas/mine")
    mine = b.find("main table.list").text
    assert "来料检验增加密封圈硬度抽检" in mine, mine
    b.check("61-my-suggestions")
