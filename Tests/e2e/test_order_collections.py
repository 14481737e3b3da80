"""订货 collections end to end through nginx (issue #14; RULES §6 "Collections", "Statements of account"):
plan → order, delivery and payments → a return credited by 售后服务 → collection report and monthly bonus
(003 §5.4.1, §5.5.1, §8.1.4–§8.1.5) → the month's statement of account balancing to 0 (零元整) after the
payments and the return credit, confirmed by the customer and recorded by the rep (003 §5.5.2.4)."""
import csv
import io
import os
import re
import sqlite3

from harness import PASSWORD, Stack


def test_collections_bonus_and_statement_through_nginx():
    probe = Stack()
    clock = os.path.join(probe.dir, "now.txt")

    def at(moment):
        with open(clock, "w") as f:
            f.write(moment)

    at("2026-03-10T10:00:00+08:00")
    s = Stack(extra_env={"SALES_CLOCK_FILE": clock})
    s.start()
    try:
        for name, display, roles in (("boss", "王经理", "sales_manager"), ("fin", "钱会计", "finance"), ("prod", "孙厂长", "production"),
                                     ("quality", "品质员", "quality")):
            s.cli("user", "add", name, "--display-name", display, "--roles", roles, "--password", PASSWORD)
        db = sqlite3.connect(s.db_path)
        rep_id = db.execute("SELECT id FROM users WHERE username = 'rep'").fetchone()[0]
        fin_id = db.execute("SELECT id FROM users WHERE username = 'fin'").fetchone()[0]
        # Setup: a customer of the rep, supplied since last year (so mature, 003 §8.1.4) and still
        # owing 1,000 元 for December; an approved contract for this year's orders.
        cid = db.execute("""INSERT INTO crm_customers (name, code, status, owner_id, rating_class, city, created_by, created_at, updated_at)
                            VALUES ('华东汽车配件有限公司', 'KH-2026-0001', 'customer', ?, 'C', '杭州', ?, 0, 0)""",
                         (rep_id, rep_id)).lastrowid
        db.execute("""INSERT INTO order_ledger (customer_id, kind, amount_fen, entry_date, due_on, note, created_by, created_at)
                      VALUES (?, 'shipment', 100000, '2025-12-01', '2025-12-31', '2025 年 12 月发货', ?, 0)""", (cid, fin_id))
        db.execute("""INSERT INTO order_contracts (customer_id, contract_no, title, approved, state, created_by, created_at)
                      VALUES (?, 'HT-2026-01', '年度供货合同', 1, 'approved', ?, 0)""", (cid, rep_id))
        db.commit()

        def login(name):
            c = s.client()
            assert c.login(name).status == 303
            return c

        rep, boss, fin, prod, quality, admin = (login(n) for n in ("rep", "boss", "fin", "prod", "quality", "admin"))

        # 1. The plan (003 §5.5.1): finance sets the rep's 回款额度; a rep may not; bad input is 422, values kept.
        assert rep.get("/order/collections/plans").status == 403
        form = fin.get("/order/collections/plans?year=2026")
        assert form.status == 200 and f'value="{rep_id}"' in form.text
        r = fin.post("/order/collections/plans?year=2026", {"rep_id": str(rep_id), "year": "2025", "amount": "10000", "note": "华东片区"})
        assert r.status == 422 and "已结算" in r.text and "华东片区" in r.text
        r = fin.post("/order/collections/plans?year=2026", {"rep_id": str(rep_id), "year": "2026", "amount": "10000", "note": "华东片区"})
        assert r.status == 303

        # The year's new product (003 §8.1.5), from the master the admin keeps.
        admin.get("/order/products/new")
        assert admin.post("/order/products/new", {"name": "新型阀门", "spec": "φ20", "unit": "件", "list_price": "100", "std_cost": "60",
                                                 "active": "1"}).status == 303
        pid = db.execute("SELECT id FROM order_products WHERE name = '新型阀门'").fetchone()[0]
        fin.get("/order/collections/new-products?year=2026")
        assert fin.post("/order/collections/new-products?year=2026", {"product_id": str(pid), "year": "2026"}).status == 303

        def pay(amount, note):
            fin.get("/order/payments/new?customer=KH-2026-0001")
            assert fin.post("/order/payments/new", {"customer_code": "KH-2026-0001", "kind": "payment", "amount": amount,
                                                    "paid_on": "2026-03-10", "note": note}).status == 303

        # Finance records last year's overdue 1,000 元 (else the order would wait, 002 §3.4).
        pay("1000", "电汇 0310")

        # 2. An order of 10 new valves, released and delivered (1,000 元 shipped in March).
        rep.get("/order/orders/new")
        r = rep.post("/order/orders/new", [("customer_code", "KH-2026-0001"), ("channel", "fax"), ("received_on", "2026-03-10"),
                                           ("pay_days", "30"), ("planned_delivery", "2026-04-30"), ("lines.0.product", "新型阀门"),
                                           ("lines.0.spec", "φ20"), ("lines.0.qty", "10"), ("lines.0.price", "100")])
        assert r.status == 303, r.text[:1500]
        order = r.header("Location")
        oid = int(order.rsplit("/", 1)[1])
        assert db.execute("SELECT state FROM order_orders WHERE id = ?", (oid,)).fetchone()[0] == "accepted"
        boss.get(order)
        assert boss.post(order + "/act", {"action": "release"}).status == 303
        (line,) = db.execute("SELECT id FROM order_lines WHERE order_id = ?", (oid,)).fetchone()
        rep.get(order + "/deliveries/new")
        assert rep.post(order + "/deliveries/new", [("delivered_on", "2026-03-10"), ("lines.0.line_id", line), ("lines.0.qty", "10")]).status == 303

        # Then 600 元 of March's shipment.
        pay("600", "电汇 0310")

        # 3. A return of 4 valves through 售后服务, credited at the order's price (400 元): not a collection.
        at("2026-03-20T10:00:00+08:00")
        rep, boss, fin, prod, quality = (login(n) for n in ("rep", "boss", "fin", "prod", "quality"))   # sessions expired meanwhile
        rep.get("/service/returns/new")
        r = rep.post("/service/returns/new", {"customer": str(cid), "reason_code": "6.1.2", "reason_form": "oral",
                                              "reason_text": "电话告知：装配时发现渗漏"})
        assert r.status == 303, r.text[:1500]
        rid = int(r.header("Location").split("/")[-1])
        rep.get(f"/service/returns/{rid}/list")
        assert rep.post(f"/service/returns/{rid}/list", [("lines.0.product", "新型阀门"), ("lines.0.spec", "φ20"), ("lines.0.quantity", "4"),
                                                          ("lines.0.price", "100"), ("checked", "1")]).status == 303
        quality.get(f"/service/returns/{rid}/notice")
        assert quality.post(f"/service/returns/{rid}/notice", {"outcome": "approve", "opinion": "核实属实，准予退回"}).status == 303
        rl = db.execute("SELECT MIN(id) FROM service_return_lines WHERE return_id = ?", (rid,)).fetchone()[0]
        prod.get(f"/service/returns/{rid}/receive")
        assert prod.post(f"/service/returns/{rid}/receive", {f"recv_{rl}": "4"}).status == 303
        fin.get(f"/service/returns/{rid}/settle")
        assert fin.post(f"/service/returns/{rid}/settle", {"note": "按入库单结算"}).status == 303
        assert db.execute("SELECT SUM(amount_fen) FROM order_ledger WHERE customer_id = ? AND kind = 'return_credit'", (cid,)).fetchone()[0] == 40000

        # 4. The report against plan (003 §5.4.1): 1,600 ÷ 10,000 = 16.0% — the return credit is not counted.
        page = boss.get("/order/collections?year=2026").text
        assert "16.0%" in page and "10,000.00" in page and "1,600.00" in page and "华东汽车配件有限公司" in page
        assert "16.0%（本年回款 ¥1,600.00 / 回款额度 ¥10,000.00" in boss.get("/order/stats?year=2026").text
        # The monthly bonus (003 §8.1.4–§8.1.5): 3‰ of 1,600 = 4.80 (a mature customer) + 3‰ of the
        # new product's 1,000 shipped = 3.00; finance exports it.
        r = fin.get("/order/collections/bonus?month=2026-03&format=csv")
        assert r.status == 200
        rows = list(csv.reader(io.StringIO(r.text.lstrip("\ufeff"))))
        mine = next(row for row in rows if row and row[0] == "销售甲")
        assert mine[1:] == ["1,600.00", "0.00", "4.80", "1,000.00", "3.00", "7.80"], mine
        assert rep.get("/order/collections/bonus?month=2026-03").status == 200

        # 5. The statement of March (003 §5.5.2.4): opening 1,000, shipment +1,000, payments −1,600,
        # return credit −400 → 0, in words 零元整; printable; recorded once the month has ended.
        stmt = f"/order/statements/{cid}?month=2026-03"
        page = rep.get(stmt).text
        assert 'class="paper"' in page and "期初余额" in page and "退货冲减" in page and "零元整" in page
        assert rep.get(f"/order/statements/{cid}/confirm?month=2026-03").status == 409     # March not over yet
        at("2026-04-02T10:00:00+08:00")
        rep, fin, boss = login("rep"), login("fin"), login("boss")
        rep.get(f"/order/statements/{cid}/confirm?month=2026-03")
        r = rep.post(f"/order/statements/{cid}/confirm?month=2026-03", {"result": "disputed", "confirmed_on": "2026-04-02",
                                                                         "signer": "王会计", "note": ""})
        assert r.status == 422 and "王会计" in r.text
        r = rep.post(f"/order/statements/{cid}/confirm?month=2026-03", {"result": "confirmed", "confirmed_on": "2026-04-02",
                                                                         "signer": "王会计", "note": ""})
        assert r.status == 303
        assert db.execute("SELECT result, closing_fen, signer FROM order_statements WHERE customer_id = ?", (cid,)).fetchone() == \
            ("confirmed", 0, "王会计")
        assert db.execute("SELECT COUNT(*) FROM audit_log WHERE entity = 'order.statement'").fetchone()[0] == 1
        assert "确认无误" in rep.get(stmt).text and "华东汽车配件有限公司" in fin.get("/order/statements").text
        # The sales reports read the same data.
        assert "1,000.00" in boss.get("/order/reports/monthly?month=2026-03").text
        assert "杭州" in boss.get("/order/reports/regions?year=2026").text
        db.close()
    finally:
        s.stop()
        probe.stop()
