"""客户开发 end to end through nginx: prospect → application → investigation → rating →
approval → customer code (RULES §1.1–§1.2; 002 §5–§12, 003 §2.2–§2.4)."""
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
