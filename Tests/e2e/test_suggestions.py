"""建议评审 end to end through nginx, walking the calendar with the test clock (002 第4章
§19–§26): submit → the box opens on the 20th → graded 二等 → published → implementation order
due the 15th → the department's plan → effect confirmed with a top-up; another suggestion is
reserved to the next batch; the quarter's team ranking follows adopted ÷ headcount."""
import os
import sqlite3

from harness import PASSWORD, Stack


def clocked_stack():
    """A stack on the test clock; returns (stack, at) where at("2026-11-20T09:00:00") sets the
    company-zone time."""
    probe = Stack()
    clock = os.path.join(probe.dir, "now.txt")

    def at(moment):
        with open(clock, "w") as f:
            f.write((moment if "T" in moment else moment + "T10:00:00") + "+08:00")

    return Stack(extra_env={"SALES_CLOCK_FILE": clock}), at


def add_staff(cli, manager=False):
    """The proposers (finance and sales), the chair and, if asked, the sales manager."""
    cli("user", "add", "staff", "--display-name", "员工甲", "--roles", "finance", "--department", "财务部", "--password", PASSWORD)
    cli("user", "add", "seller", "--display-name", "员工乙", "--roles", "sales_rep", "--department", "销售部", "--password", PASSWORD)
    cli("user", "add", "chair", "--display-name", "营销总监", "--roles", "marketing_director", "--password", PASSWORD)
    if manager:
        cli("user", "add", "mgr", "--display-name", "销售部经理", "--roles", "sales_manager", "--department", "销售部", "--password", PASSWORD)


def test_suggestion_year_through_nginx():
    s, at = clocked_stack()
    at("2026-11-05")
    s.start()
    try:
        cli = s.cli
        add_staff(cli, manager=True)

        # Admin seats the committee (§22) and registers departments with headcounts (§23.4).
        admin = s.client()
        admin.login("admin")
        page = admin.get("/ideas/committee").text
        ids = {name: uid for uid, name in __import__("re").findall(r'name="p:(\d+)" aria-label="([^"]+)的职务"', page)}
        assert admin.post("/ideas/committee", {f"p:{ids['营销总监']}": "chair", f"p:{ids['销售部经理']}": "vice"}).status == 303
        for name, count in (("财务部", "10"), ("销售部", "40")):
            admin.get("/ideas/departments")
            assert admin.post("/ideas/departments", {"name": name, "headcount": count}).status == 303

        def submit(user, title):
            c = s.client()
            c.login(user)
            c.get("/ideas/new")
            r = c.post("/ideas/new", {"topic": "management", "title": title, "content": title + "——详细内容。", "expected_effect": "提升效率"})
            assert r.status == 303
            return c, r.header("Location")

        staff, a = submit("staff", "客户档案周报")
        _, b = submit("staff", "需要再研究的建议")
        seller, c3 = submit("seller", "销售例会改进")

        at("2026-11-22")  # the box was opened on the 20th
        chair = s.client()
        chair.login("chair")
        assert "建议箱已开箱" in chair.get("/").text
        for url, fields in ((a, {"outcome": "grade2", "departments": "sales"}),
                            (b, {"outcome": "reserved", "reason": "需各部门调研", "reserve_to": "2026-12"}),
                            (c3, {"outcome": "grade4", "departments": "sales"})):
            chair.get(url)
            assert chair.post(url + "/grade", fields).status == 303
        chair.get("/ideas/batches/2026-11")
        r = chair.post("/ideas/batches/2026-11/finalize", {})
        assert r.status == 303 and r.header("Location") == "/ideas/bulletin/2026-11"
        bulletin = staff.get("/ideas/bulletin/2026-11")
        if bulletin.status == 303:  # the staff session is a month old by now
            staff.login("staff")
            bulletin = staff.get("/ideas/bulletin/2026-11")
        assert "客户档案周报" in bulletin.text and "二等奖" in bulletin.text and "¥800.00" in bulletin.text
        assert "2026-12-10" in bulletin.text  # praise meeting (§23.2)
        db = sqlite3.connect(s.db_path)
        assert db.execute("SELECT batch FROM ideas_suggestions WHERE title = '需要再研究的建议'").fetchone()[0] == "2026-12"

        # §26: one implementation order per department, due by the 15th of the next month.
        (oid, due) = db.execute("""SELECT o.id, o.due FROM ideas_orders o JOIN ideas_suggestions s ON s.id = o.suggestion_id
                                   WHERE s.title = '客户档案周报'""").fetchone()
        assert due == "2026-12-15"
        at("2026-12-10")
        mgr = s.client()
        mgr.login("mgr")
        assert "建议实施计划待填报" in mgr.get("/").text
        mgr.get(f"/ideas/orders/{oid}/plan")
        bad = mgr.post(f"/ideas/orders/{oid}/plan", {"plan_date": "2026-13-01", "plan_method": "每周五汇总"})
        assert bad.status == 422 and "每周五汇总" in bad.text
        assert mgr.post(f"/ideas/orders/{oid}/plan", {"plan_date": "2026-12-20", "plan_method": "每周五由内勤汇总客户档案变化"}).status == 303

        at("2026-12-28")
        chair.login("chair")
        chair.get(f"/ideas/orders/{oid}/confirm")
        r = chair.post(f"/ideas/orders/{oid}/confirm", {"effect": "客户档案遗漏明显减少，超出预期。", "exceeded": "1",
                                                          "topup": "300", "topup_reason": "效果超过预期"})
        assert r.status == 303
        ledger = db.execute("SELECT kind, amount_fen FROM ideas_ledger WHERE suggestion_id = (SELECT id FROM ideas_suggestions WHERE title = '客户档案周报') ORDER BY id").fetchall()
        assert ledger == [("award", 80000), ("topup", 30000)]

        # Team ranking for Q4 (§23.4): 财务部 1 adopted / 10 people beats 销售部 1 / 40.
        ranking = chair.get("/ideas/team?year=2026&quarter=4").text
        assert ranking.index("财务部") < ranking.index("销售部")
    finally:
        s.stop()


def test_late_20th_suggestion_joins_next_batch_through_nginx():
    """RULES §6 "Suggestions" (002 §19, §24): on the 20th the chair publishes the month's batch;
    a suggestion submitted later that day would belong to it by the calendar, but it never joins a
    published batch — it goes to the next open one, the proposer is told which and why on the form
    and the record page, and it is graded and published there."""
    s, at = clocked_stack()
    at("2026-11-20T09:00:00")
    s.start()
    try:
        cli = s.cli
        add_staff(cli)
        admin = s.client()
        admin.login("admin")
        page = admin.get("/ideas/committee").text
        ids = {name: uid for uid, name in __import__("re").findall(r'name="p:(\d+)" aria-label="([^"]+)的职务"', page)}
        assert admin.post("/ideas/committee", {f"p:{ids['营销总监']}": "chair"}).status == 303

        def submit(user, title):
            c = s.client()
            c.login(user)
            form = c.get("/ideas/new").text
            r = c.post("/ideas/new", {"topic": "management", "title": title, "content": title + "——详细内容。"})
            assert r.status == 303
            return c, form, r.header("Location")

        # Morning of the 20th: November's box is opened, graded and published the same day.
        _, _, early = submit("staff", "二十日上午的建议")
        chair = s.client()
        chair.login("chair")
        chair.get(early)
        assert chair.post(early + "/grade", {"outcome": "grade3", "departments": "sales"}).status == 303
        chair.get("/ideas/batches/2026-11")
        assert chair.post("/ideas/batches/2026-11/finalize", {}).status == 303

        # Afternoon of the 20th: by the calendar still November's, but November is published.
        at("2026-11-20T16:00:00")
        seller, form, late = submit("seller", "二十日下午的建议")
        assert "本月评审批次已公布，本建议将转入 2026-12 批次" in form
        record = seller.get(late)
        assert record.status == 200
        assert "本月评审批次已公布，本建议转入 2026-12 批次" in record.text and "12 月 20 日开箱评审" in record.text
        db = sqlite3.connect(s.db_path)
        assert db.execute("SELECT batch FROM ideas_suggestions WHERE title = '二十日下午的建议'").fetchone()[0] == "2026-12"

        # December: graded and published in its new batch.
        at("2026-12-22T10:00:00")
        chair.login("chair")
        assert "2026 年 12 月建议箱已开箱：1 条待评审" in chair.get("/").text
        chair.get(late)
        assert chair.post(late + "/grade", {"outcome": "grade2", "departments": "sales"}).status == 303
        chair.get("/ideas/batches/2026-12")
        r = chair.post("/ideas/batches/2026-12/finalize", {})
        assert r.status == 303 and r.header("Location") == "/ideas/bulletin/2026-12"
        seller.login("seller")
        assert "已公布：二等奖" in seller.get(late).text
        assert "二十日下午的建议" in seller.get("/ideas/bulletin/2026-12").text
        assert db.execute("""SELECT COUNT(*) FROM ideas_suggestions s JOIN ideas_batches b ON b.batch = s.batch
                             WHERE b.finalized_at IS NOT NULL AND s.published = 0""").fetchone()[0] == 0
    finally:
        s.stop()
