"""客户开发 end to end through nginx: prospect → application → investigation → rating →
approval → customer code (RULES §1.1–§1.2; 002 §5–§12, 003 §2.2–§2.4); the rating review
(RULES §6): an upgrade counts for 订货's warning-line check only once the 销售主管 and the
销售经理 approved it."""
import os
import re
import sqlite3
import time

from harness import PASSWORD, Stack


def test_prospect_to_customer_code_through_nginx():
    s = Stack()
    s.start()
    try:
        s.cli("user", "add", "boss", "--display-name", "主管乙", "--roles", "sales_supervisor", "--password", PASSWORD)
        rep = s.client()
        assert rep.login("rep").status == 303
        rep.get("/crm/customers/new")
        r = rep.post("/crm/customers/new", {"name": "华东汽车配件有限公司", "city": "上海", "in_city": "1", "phone": "021-5555 0000"})
        assert r.status == 303
        customer = r.header("Location")
        cid = customer.rsplit("/", 1)[1]
        assert "华东汽车配件有限公司" in rep.get(customer).text

        # 新客户认定申请表 with shareholders and yearly results as repeated rows.
        rep.get(customer + "/apply")
        bad = rep.post(customer + "/apply", [("company_name", "华东汽车配件有限公司"), ("postcode", "20A"),
                                              ("shareholders.0.name", "王五"), ("shareholders.0.title", "董事长"),
                                              ("pay_cash_pct", "30"), ("pay_check_pct", "60")])
        assert bad.status == 422
        assert "邮编为 6 位数字" in bad.text
        assert 'name="shareholders.0.name" value="王五"' in bad.text
        # Cross-field checks run once every field is valid on its own.
        bad = rep.post(customer + "/apply", [("company_name", "华东汽车配件有限公司"), ("pay_cash_pct", "30"), ("pay_check_pct", "60")])
        assert bad.status == 422 and "合计应为 100%" in bad.text and 'value="30"' in bad.text
        r = rep.post(customer + "/apply", [("company_name", "华东汽车配件有限公司"), ("postcode", "200000"),
                                            ("shareholders.0.name", "王五"), ("shareholders.0.title", "董事长"),
                                            ("results.0.year", "2025"), ("results.0.sales", "12,000,000"),
                                            ("pay_cash_pct", "40"), ("pay_check_pct", "60"), ("pay_days", "30"),
                                            ("principles", "credit"), ("principles", "confidential")])
        assert r.status == 303
        app = r.header("Location")
        page = rep.get(app)
        assert "王五" in page.text and "12,000,000.00" in page.text
        assert rep.post(app + "/act", {"action": "submit"}).status == 303
        assert "信用调查中" in rep.get(app).text

        # 002 §9: the 新客户信用调查表 must be completed before the 评定报告 is submitted.
        survey_page = rep.get(app + "/survey").text
        survey_date = re.search(r'name="survey_date" value="([0-9-]+)"', survey_page).group(1)
        assert rep.post(app + "/survey", {"survey_date": survey_date, "methods": "实地走访", "conclusion": "good"}).status == 303
        assert "信用良好，可以开发" in rep.get(app).text

        # 客户评定报告: 5+5+4+4+4+5+5+4+4 = 40 → A.
        aid = app.rsplit("/", 1)[1]
        rep.get(f"{customer}/rate?application={aid}")
        r = rep.post(f"{customer}/rate", [("application", aid), ("capacity", "120000"), ("ranking", "15"), ("brand", "1"),
                                          ("nature", "1"), ("capital", "5000"), ("assets", "0"), ("years", "6"),
                                          ("credit", "1"), ("payment", "80")])
        assert r.status == 303
        report = rep.get(r.header("Location"))
        assert "40" in report.text and "优秀客户" in report.text
        rep.get(app)
        assert rep.post(app + "/act", {"action": "evaluate"}).status == 303
        # A rep may not approve.
        rep.get(app)
        assert rep.post(app + "/act", {"action": "approve"}).status in (303, 403)
        assert "已评定，待审核" in rep.get(app).text

        boss = s.client()
        boss.login("boss")
        assert "待审核认定申请：华东汽车配件有限公司" in boss.get("/").text
        boss.get(app)
        assert boss.post(app + "/act", {"action": "approve"}).status == 303
        done = boss.get(app).text
        year = time.gmtime().tm_year
        assert re.search(rf"KH-{year}-0001", done) or re.search(rf"KH-{year + 1}-0001", done)
        assert "已批准" in done

        db = sqlite3.connect(s.db_path)
        trail = db.execute("SELECT action, from_state, to_state FROM audit_log WHERE entity = 'crm.application' AND entity_id = ? ORDER BY id",
                           (aid,)).fetchall()
        assert trail == [("create", None, "draft"), ("submit", "draft", "investigating"),
                         ("evaluate", "investigating", "evaluated"), ("approve", "evaluated", "approved")]
        assert db.execute("SELECT status FROM crm_customers WHERE id = ?", (cid,)).fetchone()[0] == "customer"
        # Print view, laid out like the paper form with the signature block.
        printed = boss.get(app + "/print").text
        assert "新客户认定申请表" in printed and "编制" in printed and "批准" in printed

        # Visits are logged against the customer (004 第六章 5(2)); the 访问计划完成表 counts
        # them as the month's actual visits against the class plan (002 访问计划完成表).
        import datetime
        today = (datetime.datetime.utcnow() + datetime.timedelta(hours=8)).date()
        for person in ("李经理", "王总"):
            rep.get(customer)
            r = rep.post(customer + "/contacts", {"kind": "visit", "contact_date": today.isoformat(), "person": person,
                                                  "summary": "介绍新产品"})
            assert r.status == 303
        rep.get(customer)
        bad = rep.post(customer + "/contacts", {"kind": "visit", "contact_date": "2999-01-01", "summary": "未来的拜访"})
        assert bad.status == 422 and "未来的拜访" in bad.text and "日期不能晚于今天" in bad.text
        table = rep.get(f"/crm/reports/visit-completion?year={today.year}")
        assert table.status == 200 and "华东汽车配件有限公司" in table.text
        assert db.execute("SELECT COUNT(*) FROM crm_contacts WHERE customer_id = ? AND kind = 'visit'", (cid,)).fetchone()[0] == 2
        csv = rep.request("GET", f"/crm/reports/visit-completion?year={today.year}&format=csv")
        assert csv.status == 200 and csv.body.startswith(b"\xef\xbb\xbf")
        lines = csv.body.decode("utf-8-sig").splitlines()
        header = lines[0].split(",")
        row = [l for l in lines if "华东汽车配件有限公司" in l][0].split(",")
        # Actual = the 2 visits logged; planned = the class A policy's visits per month for the handler.
        assert row[header.index(f"{today.month}月实际")] == "2"
        assert row[header.index(f"{today.month}月计划")] == "8"
    finally:
        s.stop()


ALL_A = [("capacity", "120000"), ("ranking", "15"), ("brand", "0"), ("nature", "0"), ("capital", "9000"), ("assets", "0"),
         ("years", "6"), ("credit", "0"), ("payment", "90")]


def test_rating_upgrade_counts_for_orders_once_reviewed_through_nginx():
    """RULES §6 + 003 §2.4 / §4.1.2: the rep proposes D → A; 订货's warning-line check (and the
    customer page) still use D; the 销售主管 approves — still D (the line rises, so the 销售经理
    approves too); the 销售经理 approves — the next order is checked against A's line."""
    day = "2026-03-10"
    probe = Stack()
    clock = os.path.join(probe.dir, "now.txt")
    with open(clock, "w") as f:
        f.write(day + "T10:00:00+08:00")
    s = Stack(extra_env={"SALES_CLOCK_FILE": clock})
    s.start()
    try:
        for name, display, roles in (("boss", "王主管", "sales_supervisor"), ("mgr", "周经理", "sales_manager"),
                                     ("gm", "赵总", "general_manager")):
            s.cli("user", "add", name, "--display-name", display, "--roles", roles, "--password", PASSWORD)
        db = sqlite3.connect(s.db_path)
        rep_id = db.execute("SELECT id FROM users WHERE username = 'rep'").fetchone()[0]
        # A customer of the rep in force as D (warning line ¥150,000), as test_order sets one up.
        cid = db.execute("""INSERT INTO crm_customers (name, code, status, owner_id, rating_class, rated_at, created_by, created_at, updated_at)
                            VALUES ('华北重工有限公司', 'KH-2026-0009', 'customer', ?, 'D', 0, ?, 0, 0)""", (rep_id, rep_id)).lastrowid
        db.commit()
        rep, boss, mgr, gm = (s.client() for _ in range(4))
        for c, name in ((rep, "rep"), (boss, "boss"), (mgr, "mgr"), (gm, "gm")):
            assert c.login(name).status == 303
        customer = f"/crm/customers/{cid}"

        # The contract (002 §3.3) so that the order is checked in full.
        rep.get("/order/contracts/new")
        assert rep.post("/order/contracts/new", {"customer_code": "KH-2026-0009", "contract_no": "HT-2026-09", "title": "年度供货合同"}).status == 303
        # Its review by 技术部、品质部、生产部 and the GM (003 §3.2–§3.7) is test_order's business:
        # here the contract is taken as approved.
        db = sqlite3.connect(s.db_path)
        db.execute("UPDATE order_contracts SET approved = 1, state = 'approved' WHERE contract_no = 'HT-2026-09'")
        db.commit()

        def order_check():
            """Registers a ¥200,000 order and returns its page (with 订货's warning-line check)."""
            rep.get("/order/orders/new")
            r = rep.post("/order/orders/new", [("customer_code", "KH-2026-0009"), ("channel", "fax"), ("received_on", day),
                                               ("pay_days", "30"), ("planned_delivery", "2026-04-30"), ("lines.0.product", "阀门"),
                                               ("lines.0.spec", "φ20"), ("lines.0.qty", "2000"), ("lines.0.price", "100")])
            assert r.status == 303, r.text[:2000]
            return rep.get(r.header("Location")).text

        # 1. The rep proposes an upgrade to A (45 points).
        rep.get(customer + "/rate")
        r = rep.post(customer + "/rate", [("application", "")] + ALL_A)
        assert r.status == 303
        rating = r.header("Location")
        rid = rating.rsplit("/", 1)[1]
        assert "待销售主管审核" in rep.get(rating).text
        page = rep.get(customer).text
        assert "D 类" in page or "谨慎发展客户" in page
        assert "A 类（待销售主管审核）" in page
        first = order_check()
        assert "D 类警戒线" in first and "150,000.00" in first and "A 类警戒线" not in first

        # 2. The 销售主管 approves with an opinion: the line rises, so it waits for the manager.
        assert "待审核评级：华北重工有限公司" in boss.get("/").text
        boss.get(rating)
        assert boss.post(rating + "/review", {"decision": "approve", "opinion": "产能扩大属实"}).status == 303
        assert "待销售经理批准" in rep.get(rating).text
        second = order_check()
        assert "D 类警戒线" in second and "A 类警戒线" not in second

        # 3. The 销售经理 approves: A is in force and the next order is checked against ¥700,000.
        assert "待批准评级升级：华北重工有限公司" in mgr.get("/").text
        mgr.get(rating)
        bad = mgr.post(rating + "/review", {"decision": "reject", "opinion": ""})
        assert bad.status == 422 and "驳回须填写审批意见" in bad.text
        assert mgr.post(rating + "/review", {"decision": "approve", "opinion": "同意"}).status == 303
        assert "已批准（生效）" in rep.get(rating).text
        third = order_check()
        assert "A 类警戒线" in third and "700,000.00" in third

        assert db.execute("SELECT rating_class FROM crm_customers WHERE id = ?", (cid,)).fetchone()[0] == "A"
        trail = db.execute("SELECT action, username, from_state, to_state FROM audit_log WHERE entity = 'crm.rating' AND entity_id = ? ORDER BY id",
                           (rid,)).fetchall()
        assert trail == [("propose", "rep", None, "proposed"), ("forward", "boss", "proposed", "reviewed"),
                         ("confirm", "mgr", "reviewed", "approved")]
        assert db.execute("""SELECT from_state, to_state FROM audit_log WHERE entity = 'crm.customer' AND entity_id = ? AND action = 'rate'""",
                          (str(cid),)).fetchall() == [("D", "A")]
    finally:
        s.stop()
