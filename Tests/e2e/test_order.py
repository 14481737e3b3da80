"""订货 end to end through nginx (issue #4 "Done means"; RULES §2.1–§2.2):
(a) an order within the warning line: register → checks → release → queues → partial delivery → complete
    (002 §3.1–§3.4, §4; 003 §4.1.2, §4.3.2–§4.3.6);
(b) an order over the line is blocked → the GM approves → released (003 §4.2);
(c) a branch at its reorder point is prompted, and its over-limit order waits for the 营销总监 who
    approves (002 订货管理规定 §5–§8);
(d) the money controls of issue #14 (RULES §6): a product master kept by the admin; a 零星客户's
    prepayment booked by finance before the GM approves, settled by the delivery (balance 0, nothing
    overdue 40 days later); a line below the list price approved by the 销售经理; an order registered
    while the contract was pending, for a customer re-rated E, refused (never sent to the GM)."""
import os
import re
import sqlite3

from harness import PASSWORD, Stack

DAY = "2026-03-10"


def setup_stack():
    probe = Stack()
    clock = os.path.join(probe.dir, "now.txt")
    with open(clock, "w") as f:
        f.write(DAY + "T10:00:00+08:00")
    s = Stack(extra_env={"SALES_CLOCK_FILE": clock})
    s.clock = clock
    return probe, s


def at(s, when):
    """Moves the test clock (read by salesd on every request)."""
    with open(s.clock, "w") as f:
        f.write(when)


def add_users(s):
    for name, display, roles in (("boss", "王经理", "sales_manager"), ("gm", "赵总", "general_manager"),
                                 ("fin", "钱会计", "finance"), ("prod", "孙厂长", "production"),
                                 ("dir", "钱总监", "marketing_director"), ("mgr", "周经理", "sales_manager"),
                                 ("tech", "周工", "technical"), ("qual", "吴质检", "quality")):
        s.cli("user", "add", name, "--display-name", display, "--roles", roles, "--password", PASSWORD)


def customer(s, name, code, rating_class):
    """An approved, rated customer of the rep (test setup writes the crm table directly)."""
    db = sqlite3.connect(s.db_path)
    rep_id = db.execute("SELECT id FROM users WHERE username = 'rep'").fetchone()[0]
    cur = db.execute("""INSERT INTO crm_customers (name, code, status, owner_id, rating_class, created_by, created_at, updated_at)
                        VALUES (?, ?, 'customer', ?, ?, ?, 0, 0)""", (name, code, rep_id, rating_class, rep_id))
    db.commit()
    cid = cur.lastrowid
    db.close()
    return cid


def login(s, name):
    c = s.client()
    assert c.login(name).status == 303
    return c


def review(s, contract, dept, user, decision="agree", reason=""):
    """A department's review of a contract (003 §3.3–§3.5), as one of its members."""
    c = login(s, user)
    c.get(f"{contract}/review/{dept}")
    return c.post(f"{contract}/review/{dept}", {"decision": decision, "opinion": f"{dept} 评审意见", "document": "", "reason": reason})


def contract(s, rep, gm, code, no):
    """The rep records the contract; 技术部、品质部、生产部 agree; the GM approves it (002 §3.3, 003 §3.2–§3.7)."""
    rep.get("/order/contracts/new")
    r = rep.post("/order/contracts/new", {"customer_code": code, "contract_no": no, "title": "年度供货合同"})
    assert r.status == 303
    url = r.header("Location")
    # Before the three departments agreed the GM cannot approve (003 §3.7).
    gm.get(url)
    assert gm.post(url + "/approve", {"action": "approve"}).status == 409
    for dept, user in (("technical", "tech"), ("quality", "qual"), ("production", "prod")):
        assert review(s, url, dept, user).status == 303
    gm.get(url)
    assert gm.post(url + "/approve", {"action": "approve", "reason": "价格合理"}).status == 303
    return url


def register(rep, code, lines, extra=(), day=DAY):
    rep.get("/order/orders/new")
    fields = [("customer_code", code), ("channel", "fax"), ("received_on", day), ("pay_days", "30"),
              ("planned_delivery", "2026-04-30"), *extra]
    for i, (product, qty, price) in enumerate(lines):
        fields += [(f"lines.{i}.product", product), (f"lines.{i}.spec", "φ20"), (f"lines.{i}.qty", qty), (f"lines.{i}.price", price)]
    r = rep.post("/order/orders/new", fields)
    assert r.status == 303, r.text[:2000]
    return r.header("Location")


def act(c, order, action, reason=None):
    c.get(order)
    fields = {"action": action}
    if reason:
        fields["reason"] = reason
    return c.post(order + "/act", fields)


def state(s, oid):
    db = sqlite3.connect(s.db_path)
    try:
        return db.execute("SELECT state FROM order_orders WHERE id = ?", (oid,)).fetchone()[0]
    finally:
        db.close()


def test_customer_orders_through_nginx():
    probe, s = setup_stack()
    s.start()
    try:
        add_users(s)
        customer(s, "华东汽车配件有限公司", "KH-2026-0001", "C")   # C: warning line ¥300,000
        customer(s, "华南机械有限公司", "KH-2026-0002", "D")      # D: warning line ¥150,000
        rep, gm, boss, fin, prod = (login(s, n) for n in ("rep", "gm", "boss", "fin", "prod"))

        # (a) Within the line. Without a contract it waits (002 §3.3); once the GM approves the
        # contract it is checked again and passes all three checks.
        order = register(rep, "KH-2026-0001", [("阀门", "10", "100"), ("法兰", "5", "20")])
        oid = int(order.rsplit("/", 1)[1])
        assert state(s, oid) == "contract_pending"
        contract(s, rep, gm, "KH-2026-0001", "HT-2026-01")
        assert state(s, oid) == "accepted"
        page = rep.get(order).text
        assert "审核通过，待下达" in page and "HT-2026-01" in page and "无逾期未结货款" in page and "未超出" in page
        no = re.search(r"DH-2026-\d{4}", page).group(0)

        # Release: only the sales head signs the 销售计划下达表 (003 §4.3.4).
        assert act(rep, order, "release").status == 403
        assert "待签发销售计划下达表" in boss.get("/").text
        assert act(boss, order, "release").status == 303
        assert state(s, oid) == "released"
        plan = boss.get(order + "/plan").text
        assert "销售计划下达表" in plan and "王经理" in plan

        # The three department queues (002 §4) each carry the order.
        assert no in boss.get("/order/queues/sales").text
        assert no in fin.get("/order/queues/finance").text
        assert no in prod.get("/order/queues/production").text
        assert rep.get("/order/queues/production").status == 403
        prod.get(order + "/schedule")
        assert prod.post(order + "/schedule", {"sched_start": "2026-03-12", "sched_end": "2026-03-20"}).status == 303
        assert state(s, oid) == "scheduled"

        # Partial delivery (分批交货), a bad one (over what remains) kept with 422, then the rest.
        db = sqlite3.connect(s.db_path)
        l1, l2 = [r[0] for r in db.execute("SELECT id FROM order_lines WHERE order_id = ? ORDER BY line_no", (oid,))]
        rep.get(order + "/deliveries/new")
        r = rep.post(order + "/deliveries/new", [("delivered_on", DAY), ("arrived_at", DAY + " 09:00"),
                                                 ("lines.0.line_id", l1), ("lines.0.qty", "4"), ("lines.1.line_id", l2), ("lines.1.qty", "")])
        assert r.status == 303
        assert state(s, oid) == "delivering"
        page = rep.get(order + "/deliveries/new")
        r = rep.post(order + "/deliveries/new", [("delivered_on", DAY), ("lines.0.line_id", l1), ("lines.0.qty", "7"),
                                                 ("lines.1.line_id", l2), ("lines.1.qty", "5")])
        assert r.status == 422 and "超过剩余数量 6" in r.text and 'name="lines.1.qty" value="5"' in r.text
        r = rep.post(order + "/deliveries/new", [("delivered_on", DAY), ("arrived_at", DAY + " 09:30"),
                                                 ("lines.0.line_id", l1), ("lines.0.qty", "6"), ("lines.1.line_id", l2), ("lines.1.qty", "5")])
        assert r.status == 303
        assert state(s, oid) == "delivered"
        assert db.execute("SELECT SUM(amount_fen) FROM order_ledger WHERE order_id = ? AND kind = 'shipment'", (oid,)).fetchone()[0] == 110000
        # Delivery/acceptance paperwork within 24 hours of arrival (003 §4.3.6), then complete.
        for (did,) in db.execute("SELECT id FROM order_deliveries WHERE order_id = ? ORDER BY id", (oid,)).fetchall():
            rep.get(order)
            assert rep.post(f"{order}/deliveries/{did}/accept", {}).status == 303
        assert db.execute("SELECT COUNT(*) FROM order_deliveries WHERE order_id = ? AND late = 1", (oid,)).fetchone()[0] == 0
        assert act(rep, order, "complete").status == 303
        assert state(s, oid) == "completed"
        trail = [a for (a,) in db.execute("SELECT action FROM audit_log WHERE entity = 'order.order' AND entity_id = ? ORDER BY id", (str(oid),))]
        assert trail == ["create", "recheck", "release", "schedule", "deliver", "deliver", "complete"]

        # (b) Over the line: D class ¥150,000; ¥200,000 is blocked, not just warned (003 §4.1.2, §4.2).
        contract(s, rep, gm, "KH-2026-0002", "HT-2026-02")
        big = register(rep, "KH-2026-0002", [("阀门", "200", "1000")])
        bid = int(big.rsplit("/", 1)[1])
        assert state(s, bid) == "credit_blocked"
        assert "超出 ¥50,000.00" in rep.get(big).text
        act(boss, big, "release")
        assert state(s, bid) == "credit_blocked"
        assert act(boss, big, "approve", "老客户").status == 403
        assert "超警戒线订单待批准" in gm.get("/").text
        assert act(gm, big, "approve", "年底集中备货，已承诺月底回款").status == 303
        assert state(s, bid) == "accepted"
        assert db.execute("SELECT over_fen, decision FROM order_approvals WHERE order_id = ?", (bid,)).fetchone() == (5000000, "approved")
        assert act(boss, big, "release").status == 303
        assert state(s, bid) == "released"
        printed = rep.get(big + "/print").text
        assert "总经理审批记录" in printed and "赵总" in printed
        assert "贰拾万元整" in printed      # ¥200,000.00 in 人民币大写 beside the total

        # Contract change before production (003 §3.9): written request → re-review → GM → notices
        # in the three queues (003 §3.12).
        rep.get(big + "/changes/new")
        r = rep.post(big + "/changes/new", {"requested_on": DAY, "request_ref": "传真 FX-0310", "kind": "quantity",
                                            "content": "阀门改为 180 件", "reason": "客户计划调整",
                                            "lines.0.line_no": "1", "lines.0.qty": "180"})
        assert r.status == 303
        change = r.header("Location")
        boss.get(change)
        assert boss.post(change + "/act", {"action": "review", "reason": "生产、品质均可满足"}).status == 303
        boss.get(change)
        assert boss.post(change + "/act", {"action": "approve"}).status == 403
        gm.get(change)
        assert gm.post(change + "/act", {"action": "approve"}).status == 303
        notice = "变更通知 BG" + change.rsplit("/", 1)[1].zfill(6)
        assert notice in boss.get("/order/queues/sales").text
        assert notice in fin.get("/order/queues/finance").text
        assert notice in prod.get("/order/queues/production").text
        # Applied to the order in the approving transaction (RULES §6), re-sent to 品质部 too.
        assert db.execute("SELECT total_fen, total_qty FROM order_orders WHERE id = ?", (bid,)).fetchone() == (18000000, 180)
        assert notice in login(s, "qual").get("/order/notices/quality").text
        assert [a for (a,) in db.execute("SELECT action FROM audit_log WHERE entity = 'order.change' ORDER BY id")] == ["create", "review", "approve"]
        db.close()
    finally:
        s.stop()
        probe.stop()


def test_branch_reorder_prompt_and_director_approval_through_nginx():
    probe, s = setup_stack()
    s.start()
    try:
        add_users(s)
        db = sqlite3.connect(s.db_path)
        mgr_id = db.execute("SELECT id FROM users WHERE username = 'mgr'").fetchone()[0]
        admin = login(s, "admin")
        admin.get("/order/branches/new")
        r = admin.post("/order/branches/new", {"name": "华东分公司", "manager_id": str(mgr_id), "capital_limit": "10000"})
        assert r.status == 303
        branch = r.header("Location")
        mgr = login(s, "mgr")
        # February 2026: 280 sold → 10 a day; transit 3 days → reorder point 30 (002 §5–§6).
        mgr.get(branch + "/sales")
        assert mgr.post(branch + "/sales", {"product": "滤清器 LX-100", "month": "2026-02", "quantity": "280"}).status == 303
        mgr.get(branch + "/stock")
        assert mgr.post(branch + "/stock", {"product": "滤清器 LX-100", "on_hand": "30", "transit_days": "3"}).status == 303
        page = mgr.get(branch).text
        assert "请及时订货" in page and "库存 30 ≤ 订货点 30" in page
        assert "请订货：华东分公司 · 滤清器 LX-100" in mgr.get("/").text

        # Its order over the capital occupancy limit waits for the 营销总监 (002 §8).
        mgr.get(branch + "/orders/new")
        r = mgr.post(branch + "/orders/new", {"order_date": DAY, "lines.0.product": "滤清器 LX-100",
                                              "lines.0.quantity": "30", "lines.0.unit_price": "400"})
        assert r.status == 303
        order = r.header("Location")
        oid = int(order.rsplit("/", 1)[1])
        assert db.execute("SELECT state FROM order_branch_orders WHERE id = ?", (oid,)).fetchone()[0] == "pending"
        assert "超出限额 ¥2,000.00" in mgr.get(order).text
        mgr.get(order)
        assert mgr.post(order + "/act", {"action": "approve"}).status == 403
        director = login(s, "dir")
        assert f"超资金占用限额订单待审批：华东分公司 FD{oid:06d}" in director.get("/").text
        director.get(order)
        assert director.post(order + "/act", {"action": "approve"}).status == 303
        row = db.execute("SELECT state, decided_by FROM order_branch_orders WHERE id = ?", (oid,)).fetchone()
        assert row[0] == "released"
        assert row[1] == db.execute("SELECT id FROM users WHERE username = 'dir'").fetchone()[0]
        last = db.execute("SELECT username, from_state, to_state FROM audit_log WHERE entity = 'order.branch_order' AND entity_id = ? ORDER BY id DESC",
                          (str(oid),)).fetchone()
        assert last == ("dir", "pending", "released")
        db.close()
    finally:
        s.stop()
        probe.stop()


def ledger(s, cid):
    db = sqlite3.connect(s.db_path)
    try:
        return db.execute("SELECT kind, amount_fen FROM order_ledger WHERE customer_id = ? ORDER BY id", (cid,)).fetchall()
    finally:
        db.close()


def test_money_controls_through_nginx():
    probe, s = setup_stack()
    s.start()
    try:
        add_users(s)
        small = customer(s, "零星五金店", "KH-2026-0011", "C")
        customer(s, "华东汽车配件有限公司", "KH-2026-0012", "C")
        later_e = customer(s, "即将降级公司", "KH-2026-0013", "C")
        rep, gm, boss, fin, admin = (login(s, n) for n in ("rep", "gm", "boss", "fin", "admin"))

        # The product master: the admin keeps it (a rep may not), everyone ordering reads it.
        assert rep.get("/order/products/new").status == 403
        admin.get("/order/products/new")
        assert admin.post("/order/products/new", {"name": "阀门", "spec": "φ20", "unit": "件", "list_price": "120", "std_cost": "80",
                                                 "active": "1"}).status == 303
        form = rep.get("/order/orders/new").text
        assert 'list="order-products"' in form and '<option value="阀门">' in form

        # (d1) A 零星客户 prepays in full: declared is not received — the GM cannot approve until
        # finance books the prepayment (003 §4.1.3, RULES §6).
        order = register(rep, "KH-2026-0011", [("阀门", "2", "120")], extra=[("sporadic", "1"), ("prepaid", "240")])
        oid = int(order.rsplit("/", 1)[1])
        assert state(s, oid) == "sporadic_pending"
        r = act(gm, order, "approve", "零星采购")
        assert r.status == 303 and r.header("Location") == order and state(s, oid) == "sporadic_pending"
        assert "财务部尚未确认收到全额预付款" in gm.get(order).text      # the refusal, once, from the session
        assert "财务部尚未确认收到全额预付款" not in gm.get(order).text
        assert "零星客户订单待确认预付款" in fin.get("/").text
        no = re.search(r"DH-2026-\d{4}", rep.get(order).text).group(0)
        fin.get(f"/order/payments/new?kind=prepayment&order={no}")
        r = fin.post("/order/payments/new", {"customer_code": "KH-2026-0011", "kind": "prepayment", "order_no": no, "amount": "240",
                                             "paid_on": DAY, "note": "电汇 0310"})
        assert r.status == 303 and r.header("Location") == order
        assert act(gm, order, "approve", "零星采购，款已到").status == 303
        assert state(s, oid) == "accepted"
        assert act(boss, order, "release").status == 303
        db = sqlite3.connect(s.db_path)
        (line,) = db.execute("SELECT id FROM order_lines WHERE order_id = ?", (oid,)).fetchone()
        db.close()
        rep.get(order + "/deliveries/new")
        assert rep.post(order + "/deliveries/new", [("delivered_on", DAY), ("lines.0.line_id", line), ("lines.0.qty", "2")]).status == 303
        # The delivery settles the prepayment: the balance is 0.
        assert ledger(s, small) == [("prepayment", 24000), ("shipment", 24000), ("prepayment_applied", 24000)]
        page = fin.get(f"/order/receivables/{small}").text
        assert "应收余额 <strong>¥0.00</strong>" in page and "预收款冲抵发货" in page

        # 40 days later nothing is overdue: the customer's next order is not held (002 §3.4).
        at(s, "2026-04-19T10:00:00+08:00")
        rep, gm, boss, fin = (login(s, n) for n in ("rep", "gm", "boss", "fin"))   # the sessions have expired meanwhile
        contract(s, rep, gm, "KH-2026-0011", "HT-2026-11")
        nxt = register(rep, "KH-2026-0011", [("阀门", "1", "120")], day="2026-04-19")
        assert state(s, int(nxt.rsplit("/", 1)[1])) == "accepted"

        # (d2) Below the list price: the 销售经理 consents with a reason (001 篇一 1.6, 第十三条).
        contract(s, rep, gm, "KH-2026-0012", "HT-2026-12")
        low = register(rep, "KH-2026-0012", [("阀门", "10", "100")], day="2026-04-19")
        lid = int(low.rsplit("/", 1)[1])
        assert state(s, lid) == "price_pending"
        assert "低于价格表 ¥120.00" in rep.get(low).text
        assert act(rep, low, "price_approve", "老客户").status == 403
        assert "低价订单待销售经理批准" in boss.get("/").text
        assert act(boss, low, "price_approve", "年度框架内批量让价").status == 303
        assert state(s, lid) == "accepted"
        assert "销售经理：低于合同价/价格表审批" in rep.get(low + "/print").text

        # (d3) Registered while the contract was pending; the customer is re-rated E before the
        # contract is approved: the order is refused, never sent to the GM as 超出 ¥0.00 (RULES §6).
        pending = register(rep, "KH-2026-0013", [("阀门", "1", "120")], day="2026-04-19")
        pid = int(pending.rsplit("/", 1)[1])
        assert state(s, pid) == "contract_pending"
        db = sqlite3.connect(s.db_path)
        db.execute("UPDATE crm_customers SET rating_class = 'E' WHERE id = ?", (later_e,))
        db.commit()
        db.close()
        contract(s, rep, gm, "KH-2026-0013", "HT-2026-13")
        assert state(s, pid) == "rejected"
        home = gm.get("/").text
        assert "超警戒线订单待批准" not in home and "¥0.00" not in home
        assert "不予供货" in rep.get(pending).text
    finally:
        s.stop()
        probe.stop()
