"""售后服务 end to end through nginx (issue #5 "Done means", RULES §3.1–§3.2), with the test clock:
(a) a quality complaint with a photo (multipart through nginx), routed, handled inside 24 hours
and closed (001 篇二 §4–§5, 003 §7.8); (b) an out-of-city complaint going overdue after 48 hours,
flagged in the inbox (003 §7.8); (c) a return through all five steps with a short receipt, settled
on the received quantity, which — 订货 being installed in the real binary — reduces the customer's
outstanding receivables by that amount (003 第六章); (d) a return partly accepted by 品质部, receiving
more than accepted refused next to the line (422), settled for the accepted quantity — the credit
reduces the receivables by that amount only (003 §6.3.1–§6.3.3, RULES §6 "Returns"), with the rep's
arrival recorded against the 003 §6.2 deadline."""
import os
import re
import sqlite3

from harness import PASSWORD, Stack

BOUNDARY = "----e2eSvcBoundary7MA4YWxk"
PNG = bytes([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) + b"\x00\x00\x00\x0dIHDR" + b"\x00" * 32


def multipart(fields, files):
    """A multipart/form-data body built by hand: fields [(name, value)], files [(name, filename, type, bytes)]."""
    out = b""
    for name, value in fields:
        out += (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n").encode() + value.encode() + b"\r\n"
    for name, filename, ctype, data in files:
        out += (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\n"
                f"Content-Type: {ctype}\r\n\r\n").encode() + data + b"\r\n"
    return out + f"--{BOUNDARY}--\r\n".encode()


def quality_fields(customer):
    return [("kind", "quality"), ("customer", str(customer)), ("summary", "地板开裂"), ("invoice_no", "FP-001"),
            ("product", "实木地板"), ("spec", "900×90"), ("quantity", "30"), ("grade", "A"), ("color", "C12"),
            ("purchase_date", "2026-05-01")]


def test_service_flows_through_nginx():
    probe = Stack()
    clock = os.path.join(probe.dir, "now.txt")
    s = Stack(extra_env={"SALES_CLOCK_FILE": clock})

    def at(moment):
        with open(clock, "w") as f:
            f.write(moment)

    at("2026-05-28T09:00:00+08:00")
    s.start()
    try:
        for user, roles in (("manager", "sales_manager"), ("quality", "quality"), ("tech", "technical"),
                            ("prod", "production"), ("fin", "finance")):
            s.cli("user", "add", user, "--display-name", user, "--roles", roles, "--password", PASSWORD)
        db = sqlite3.connect(s.db_path)
        rep_id = db.execute("SELECT id FROM users WHERE username = 'rep'").fetchone()[0]
        for name, code, in_city in (("本市建材公司", "KH-2026-0001", 1), ("外省装饰公司", "KH-2026-0002", 0)):
            db.execute("""INSERT INTO crm_customers (name, code, status, owner_id, rating_class, in_city, created_by, created_at, updated_at)
                          VALUES (?, ?, 'customer', ?, 'B', ?, ?, 0, 0)""", (name, code, rep_id, in_city, rep_id))
        db.commit()
        in_city = db.execute("SELECT id FROM crm_customers WHERE code = 'KH-2026-0001'").fetchone()[0]
        out_city = db.execute("SELECT id FROM crm_customers WHERE code = 'KH-2026-0002'").fetchone()[0]

        def login(user):
            c = s.client()
            assert c.login(user).status == 303
            return c

        def register(c, fields, files=()):
            c.get("/service/complaints/new")
            body = multipart([("_csrf", c.csrf or "")] + fields, files)
            r = c.request("POST", "/service/complaints/new", body,
                          {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"})
            assert r.status == 303, r.text[:800]
            return int(r.header("Location").rstrip("/").split("/")[-1])

        # (a) A quality complaint with a photo, routed, handled inside 24 hours, closed.
        rep = login("rep")
        a = register(rep, quality_fields(in_city), [("photo", "crack.png", "image/png", PNG)])
        page = rep.get(f"/service/complaints/{a}").text
        assert "剩余 24 小时" in page
        fid = db.execute("SELECT id FROM service_complaint_files WHERE complaint_id = ?", (a,)).fetchone()[0]
        photo = rep.get(f"/service/complaints/{a}/files/{fid}")
        assert photo.status == 200 and photo.body == PNG and photo.header("Content-Type") == "image/png"
        manager = login("manager")
        manager.get(f"/service/complaints/{a}/route")
        assert manager.post(f"/service/complaints/{a}/route", [("departments", "quality")]).status == 303
        at("2026-05-28T12:00:00+08:00")
        quality = login("quality")
        assert "本市建材公司" in quality.get("/service/queue").text
        quality.get(f"/service/complaints/{a}/departments/quality")
        assert quality.post(f"/service/complaints/{a}/departments/quality", {"finding": "批次含水率超标"}).status == 303
        tech = login("tech")
        tech.get(f"/service/complaints/{a}/remedy")
        assert tech.post(f"/service/complaints/{a}/remedy", {"remedy": "更换同批次地板 30 片"}).status == 303
        rep.get(f"/service/complaints/{a}")
        assert rep.post(f"/service/complaints/{a}/remedy", {"remedy": "退换"}).status == 403  # informed, cannot decide
        at("2026-05-28T20:00:00+08:00")  # 11 hours after registration
        manager = login("manager")
        manager.get(f"/service/complaints/{a}/close")
        assert manager.post(f"/service/complaints/{a}/close", {"result": "已更换"}).status == 422  # feedback required
        assert manager.post(f"/service/complaints/{a}/close", {"result": "已更换", "feedback": "客户满意"}).status == 303
        state, handled, due = db.execute("SELECT state, handled_at, due_at FROM service_complaints WHERE id = ?", (a,)).fetchone()
        assert state == "closed" and handled <= due
        rep = login("rep")  # a new session: the old one expired while the clock moved
        assert "更换同批次地板 30 片" in rep.get(f"/service/complaints/{a}").text
        assert "100.0%" in manager.get("/service/complaints/report").text

        # (b) An out-of-city complaint: 48 hours, then overdue in the inbox.
        b = register(rep, quality_fields(out_city))
        assert "剩余 48 小时" in rep.get(f"/service/complaints/{b}").text
        manager.get(f"/service/complaints/{b}/route")
        assert manager.post(f"/service/complaints/{b}/route", [("departments", "quality")]).status == 303
        assert "【超时】" not in manager.get("/").text
        at("2026-05-30T21:00:00+08:00")  # 49 hours after registration at 20:00
        manager = login("manager")
        assert "【超时】" in manager.get("/").text
        assert "【超时】" in login("quality").get("/").text
        assert "外省装饰公司" in manager.get("/service/complaints?overdue=1").text
        assert "已超时 1 小时" in manager.get(f"/service/complaints/{b}").text

        # (c) A return through the five steps with a short receipt, settled on the received quantity.
        db.execute("""INSERT INTO order_ledger (customer_id, kind, amount_fen, entry_date, due_on, note, created_by, created_at)
                      VALUES (?, 'shipment', 500000, '2026-05-01', '2026-06-30', '发货', ?, 0)""", (out_city, rep_id))
        # What 订货 shipped to the customer (RULES §6: a return is credited at the order's price,
        # never beyond what was shipped): 30 floorboards at 100 元, 20 skirtings at 20 元.
        order = db.execute("""INSERT INTO order_orders (order_no, customer_id, channel, filled_on, received_on, state,
                              created_by, created_at, updated_at)
                              VALUES ('DH-2026-0001', ?, 'fax', '2026-04-20', '2026-04-20', 'delivered', ?, 0, 0)""",
                           (out_city, rep_id)).lastrowid
        delivery = db.execute("""INSERT INTO order_deliveries (order_id, delivered_on, value_fen, created_by, created_at)
                                 VALUES (?, '2026-05-01', 340000, ?, 0)""", (order, rep_id)).lastrowid
        for no, product, spec, qty, price in ((1, "实木地板", "900×90", 30, 10000), (2, "踢脚线", "2400", 20, 2000)):
            line_id = db.execute("""INSERT INTO order_lines (order_id, line_no, product, spec, qty, unit_price_fen, amount_fen, delivered_qty)
                                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)""", (order, no, product, spec, qty, price, qty * price, qty)).lastrowid
            db.execute("INSERT INTO order_delivery_lines (delivery_id, line_id, qty) VALUES (?, ?, ?)", (delivery, line_id, qty))
        db.commit()
        fin = login("fin")
        assert "¥5,000.00" in fin.get(f"/order/receivables/{out_city}").text
        rep = login("rep")
        rep.get("/service/returns/new")
        r = rep.post("/service/returns/new", {"customer": str(out_city), "reason_code": "6.1.2", "reason_form": "oral",
                                              "reason_text": "电话告知：组装时发现开裂"})
        assert r.status == 303
        rid = int(r.header("Location").split("/")[-1])
        fin.get(f"/service/returns/{rid}")
        assert fin.get(f"/service/returns/{rid}/settle").status == 409  # not received yet
        rep.get(f"/service/returns/{rid}/list")
        assert rep.post(f"/service/returns/{rid}/list", [
            ("lines.0.product", "实木地板"), ("lines.0.spec", "900×90"), ("lines.0.quantity", "10"), ("lines.0.price", "100"),
            ("lines.1.product", "踢脚线"), ("lines.1.spec", "2400"), ("lines.1.quantity", "5"), ("lines.1.price", "20"),
            ("checked", "1")]).status == 303
        prod = login("prod")
        assert prod.get(f"/service/returns/{rid}/receive").status == 409  # no quality notice yet
        quality = login("quality")
        quality.get(f"/service/returns/{rid}/notice")
        assert quality.post(f"/service/returns/{rid}/notice", {"outcome": "approve", "opinion": "核实属实，准予退回"}).status == 303
        line = db.execute("SELECT MIN(id) FROM service_return_lines WHERE return_id = ?", (rid,)).fetchone()[0]
        prod.get(f"/service/returns/{rid}/receive")
        assert prod.post(f"/service/returns/{rid}/receive", {f"recv_{line}": "8", f"recv_{line + 1}": "5"}).status == 303
        assert "实收数量与准予退回数量不符" in prod.get(f"/service/returns/{rid}").text
        settle = fin.get(f"/service/returns/{rid}/settle")
        assert settle.status == 200 and "¥900.00" in settle.text
        assert fin.post(f"/service/returns/{rid}/settle", {"note": "按入库单结算"}).status == 303
        # 8 × 100 元 + 5 × 20 元 = 900 元, not the 1,100 元 listed; receivables 5,000 → 4,100 元.
        assert db.execute("SELECT settled_fen FROM service_returns WHERE id = ?", (rid,)).fetchone()[0] == 90000
        shown = fin.get(f"/service/returns/{rid}").text
        assert "已冲减应收" in shown and re.search(r"订货应收分录 #\d+", shown)
        ledger = fin.get(f"/order/receivables/{out_city}").text
        assert "¥4,100.00" in ledger and f"售后退货 #{rid}" in ledger
        assert "¥900.00" in fin.get(f"/service/returns/{rid}/print").text or "900.00" in fin.get(f"/service/returns/{rid}/print").text

        # (d) 品质部 accepts part of a return; the warehouse cannot receive more than accepted; finance
        # settles the accepted quantity (6 × 100 元 + 5 × 20 元 = 700 元 of the 1,100 元 listed).
        rep = login("rep")
        rep.get("/service/returns/new")
        r = rep.post("/service/returns/new", {"customer": str(out_city), "reason_code": "6.1.1", "reason_form": "written",
                                              "reason_text": "交货验收时发现规格不符"})
        assert r.status == 303
        rid2 = int(r.header("Location").split("/")[-1])
        assert f"退货待到达客户处：外省装饰公司 TH{int(rid2):06d}" in rep.get("/").text      # 003 §6.2: 48 h from registration
        at("2026-05-30T23:00:00+08:00")
        rep = login("rep")
        rep.get(f"/service/returns/{rid2}/arrival")
        assert rep.post(f"/service/returns/{rid2}/arrival", {"arrived_date": "2026-05-30", "arrived_hour": "23", "arrived_minute": "30"}).status == 422  # future
        assert rep.post(f"/service/returns/{rid2}/arrival", {"arrived_date": "2026-05-30", "arrived_hour": "22", "arrived_minute": "30",
                                                             "note": "与客户仓库核对"}).status == 303
        assert "按时到达" in rep.get(f"/service/returns/{rid2}").text
        assert f"退货待到达客户处：外省装饰公司 TH{int(rid2):06d}" not in rep.get("/").text
        rep.get(f"/service/returns/{rid2}/list")
        assert rep.post(f"/service/returns/{rid2}/list", [
            ("lines.0.product", "实木地板"), ("lines.0.spec", "900×90"), ("lines.0.quantity", "10"), ("lines.0.price", "100"),
            ("lines.1.product", "踢脚线"), ("lines.1.spec", "2400"), ("lines.1.quantity", "5"), ("lines.1.price", "20"),
            ("checked", "1")]).status == 303
        line = db.execute("SELECT MIN(id) FROM service_return_lines WHERE return_id = ?", (rid2,)).fetchone()[0]
        quality = login("quality")
        quality.get(f"/service/returns/{rid2}/notice")
        too_many = quality.post(f"/service/returns/{rid2}/notice", {"outcome": "partial", f"acc_{line}": "11", f"acc_{line + 1}": "5",
                                                                    "opinion": "4 片为安装损坏"})
        assert too_many.status == 422 and f'id="f-acc_{line}-error">准予数量不能多于退货清单数量（10）' in too_many.text
        assert quality.post(f"/service/returns/{rid2}/notice", {"outcome": "partial", f"acc_{line}": "6", f"acc_{line + 1}": "5",
                                                                "opinion": "4 片为安装损坏，不予退回"}).status == 303
        assert db.execute("SELECT state, notice_outcome FROM service_returns WHERE id = ?", (rid2,)).fetchone() == ("approved", "partial")
        assert "部分准予" in rep.get(f"/service/returns/{rid2}").text
        prod = login("prod")
        receipt = prod.get(f"/service/returns/{rid2}/receive")
        assert "（清单 10，准予 6）实收" in receipt.text
        more = prod.post(f"/service/returns/{rid2}/receive", {f"recv_{line}": "8", f"recv_{line + 1}": "5"})
        assert more.status == 422
        assert f'id="f-recv_{line}-error">实收数量不能多于品质部准予退回的数量（6）' in more.text
        assert 'value="8"' in more.text                                              # the typed value kept
        assert db.execute("SELECT COUNT(*) FROM service_return_lines WHERE return_id = ? AND received IS NOT NULL",
                          (rid2,)).fetchone()[0] == 0
        assert prod.post(f"/service/returns/{rid2}/receive", {f"recv_{line}": "6", f"recv_{line + 1}": "5"}).status == 303
        fin = login("fin")
        settle = fin.get(f"/service/returns/{rid2}/settle")
        assert settle.status == 200 and "¥700.00" in settle.text
        assert fin.post(f"/service/returns/{rid2}/settle", {"note": "按准予数量结算"}).status == 303
        assert db.execute("SELECT settled_fen FROM service_returns WHERE id = ?", (rid2,)).fetchone()[0] == 70000
        ledger = fin.get(f"/order/receivables/{out_city}").text
        assert "¥3,400.00" in ledger and f"售后退货 #{rid2}" in ledger                  # 4,100 − 700 元
        actions = [a for (a,) in db.execute("SELECT action FROM audit_log WHERE entity = 'service.return' AND entity_id = ? ORDER BY id",
                                           (str(rid2),))]
        assert actions == ["create", "arrive", "list", "notice", "receive", "settle", "receivables_credit"], actions
    finally:
        s.stop()
        probe.stop()
