#!/usr/bin/env python3
"""Seeded benchmark database for `make bench` (issue #7).

The schema comes from the real migrations (`salesd migrate`), the users from `salesd user add`
(real argon2 hashes, real role → permission matrix); only the bulk business rows are inserted
directly, in one transaction, from a seeded PRNG (same parameters → same data).

    bench/generate.py --customers 10000 --order-lines 1000000 --db /tmp/x/sales.sqlite
    bench/generate.py --cached          # prints the path of the cached DB under .build-bench/

Users (password BENCH_PASSWORD):
  bench_rep    销售专员 (sales_rep): owns every customer except the stats customer, so the
               customer list (c.owner_id = rep) pages through all of them.
  bench_stats  销售专员 (sales_rep): owns only the stats customer (id 1), so
               /order/stats?year=… as this user is the annual statistics of that one customer.
  bench_mgr    销售经理 (sales_manager): sees all customers (crm.view_all); not used by the
               default endpoints, available for manual runs.

Data: customers with Chinese names (some with & and quotes, to exercise escaping; their 拼音 sort
keys, name_sort, computed by salesd itself: `salesd migrate` fills every key missing), code
KH-YYYY-NNNN for approved customers, status/class/stage/city/in_city/rated_at filled;
orders of 1–9 lines (avg 5) spread over the 730 days before today, 2.5 % of all lines on the
stats customer (≥ 10 000 lines in the stats year at the default 1M lines) and 1 % on each of
9 other heavy customers; shipment/payment ledger rows for finished orders; contact logs.
"""
import argparse
import datetime
import hashlib
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
CACHE = os.path.join(ROOT, ".build-bench", "data")
GEN_VERSION = "4"   # 4: crm_customers.name_sort (the 拼音 sort key) filled by `salesd migrate`
BENCH_PASSWORD = "bench-Passw0rd!"
STATS_CUSTOMER = 1
USERS = [  # username, display name, roles, department
    ("bench_rep", "王建国", "sales_rep", "营销部"),
    ("bench_stats", "李明", "sales_rep", "营销部"),
    ("bench_mgr", "张伟", "sales_manager", "营销部"),
]

CITIES = [("苏州", 1), ("无锡", 0), ("常州", 0), ("南京", 0), ("杭州", 0), ("宁波", 0), ("上海", 0), ("合肥", 0),
          ("昆山", 1), ("张家港", 1), ("吴江", 1), ("太仓", 1), ("常熟", 1), ("嘉兴", 0), ("湖州", 0), ("南通", 0)]
BRAND = "华信达恒泰瑞丰盛鑫源隆昌永安宏远明新诚立德宝金利通凯胜嘉兴天海中亚东方广博创联合众科美佳"
TRADE = ["机械", "电子", "化工", "纺织", "建材", "五金", "塑胶", "包装", "精密", "自动化", "环保", "新材料", "汽车配件",
         "电气", "模具", "食品", "医疗器械", "物流", "印染", "钢结构"]
SUFFIX = ["有限公司", "有限责任公司", "股份有限公司", "制造有限公司", "实业有限公司", "科技有限公司", "集团有限公司",
          "贸易有限公司", "工贸有限公司"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚桂英华玉兰萍红娟建国志文斌海燕鹏飞晓东春梅"
TITLES = ["采购经理", "总经理", "采购主管", "副总经理", "设备部长", "技术总监", "厂长", "采购员", "供应链经理"]
DEPTS = ["采购部", "设备部", "总经办", "技术部", "生产部", "供应部"]
SOURCES = ["展会", "老客户介绍", "网络查询", "电话开发", "行业协会", "招标信息", "上门拜访"]
STREETS = ["人民路", "工业园区星湖街", "高新区长江路", "经济开发区金鸡湖大道", "解放东路", "中山北路", "滨江大道", "建设路"]
PRODUCTS = [("滤清器", ["LX-100", "LX-200", "LX-350", "LF-60"]), ("液压阀", ["DN15", "DN25", "DN40"]),
            ("齿轮泵", ["CB-10", "CB-25", "CB-40"]), ("不锈钢管", ["φ20", "φ32", "φ48", "φ76"]),
            ("密封圈", ["O-20", "O-35", "V-50"]), ("轴承座", ["UCP205", "UCP208", "UCF210"]),
            ("电机", ["Y2-90L", "Y2-112M", "Y2-132S"]), ("减速机", ["RV40", "RV63", "RV90"]),
            ("法兰", ["DN50 PN16", "DN80 PN16", "DN100 PN25"]), ("链条", ["08B", "10A", "12A"])]
KIND_SUMMARY = {"call": ["电话沟通下季度需求", "确认交货期", "询问报价反馈", "回访使用情况"],
                "visit": ["上门拜访采购经理，介绍新产品", "拜访技术部，了解工艺要求", "陪同参观工厂", "走访项目现场"],
                "event": ["参加行业展会洽谈", "邀请参加新品发布会", "技术交流会"],
                "other": ["寄送样品", "发送产品目录和报价单", "微信沟通需求"]}
ORDER_STATES = ["completed"] * 50 + ["delivered"] * 15 + ["delivering"] * 8 + ["scheduled"] * 6 + ["released"] * 5 + \
               ["accepted"] * 6 + ["credit_blocked"] * 2 + ["contract_pending"] * 2 + ["cancelled"] * 4 + ["rejected"] * 2


def migration_hash():
    """Changes when any migration text changes (the cached DB is then regenerated): the core's
    schema files and every module's Migrations/ folder. The 拼音 sort key's code counts too (it
    fills crm_customers.name_sort)."""
    h = hashlib.sha256()
    for base in ("Sources", "Plugins"):
        for dirpath, _, files in sorted(os.walk(os.path.join(ROOT, base))):
            for f in sorted(files):
                if f.endswith(".swift") and ("Schema" in f or os.path.basename(dirpath) == "Migrations"
                                             or f in ("PinyinSortKey.swift", "NameSort.swift")):
                    with open(os.path.join(dirpath, f), "rb") as fh:
                        h.update(f.encode() + fh.read())
    return h.hexdigest()[:12]


def salesd_env(data_dir):
    env = dict(os.environ)
    env.update({"SALES_DATA_DIR": data_dir, "SALES_DATABASE": "sales.sqlite",
                "SALES_WEB_DIR": os.path.join(ROOT, "Web"), "SALES_PLUGINS_DIR": os.path.join(ROOT, "Plugins")})
    return env


def run_salesd(salesd, data_dir, *args):
    subprocess.run([salesd, *args], env=salesd_env(data_dir), check=True, stdout=subprocess.DEVNULL)


def generate(db_dir, customers, order_lines, salesd, seed=7, contacts=None, log=print):
    """Creates db_dir/sales.sqlite."""
    t0 = time.time()
    os.makedirs(db_dir, exist_ok=True)
    run_salesd(salesd, db_dir, "migrate")
    for name, display, roles, _ in USERS:
        run_salesd(salesd, db_dir, "user", "add", name, "--display-name", display, "--roles", roles, "--password", BENCH_PASSWORD)
    db = sqlite3.connect(os.path.join(db_dir, "sales.sqlite"), isolation_level=None)
    db.execute("PRAGMA synchronous=OFF")
    db.execute("PRAGMA cache_size=-262144")
    users = {r[0]: (r[1], r[2]) for r in db.execute("SELECT username, id, display_name FROM users")}
    for name, _, _, dept in USERS:
        db.execute("UPDATE users SET department = ? WHERE username = ?", (dept, name))
    rep_id, rep_name = users["bench_rep"]
    stats_id, _ = users["bench_stats"]
    rnd = random.Random(seed)
    today = datetime.date.today()
    now = int(time.time())
    start_day = today - datetime.timedelta(days=730)
    db.execute("BEGIN")

    # Customers.
    code_seq = {}
    cust_info = {}  # id -> (code, name, address, class) for customers that may order
    ordering = []
    def crow(i):
        city, in_city = CITIES[rnd.randrange(len(CITIES))]
        brand = BRAND[rnd.randrange(len(BRAND))] + BRAND[rnd.randrange(len(BRAND))]
        trade = TRADE[rnd.randrange(len(TRADE))]
        r = rnd.random()
        if r < 0.03:
            name = f"{city}{brand}&{trade}{SUFFIX[rnd.randrange(len(SUFFIX))]}"
        elif r < 0.05:
            name = f"{city}\"{brand}\"{trade}{SUFFIX[rnd.randrange(len(SUFFIX))]}"
        else:
            name = f"{city}{brand}{trade}{SUFFIX[rnd.randrange(len(SUFFIX))]}"
        name += "" if i % 997 else "（分公司）"
        created = now - rnd.randrange(3 * 365 * 86400)
        s = rnd.random()
        status = "customer" if (i <= 10 or s < 0.6) else ("prospect" if s < 0.95 else "closed")
        code = None
        approved = None
        rating = None
        rated = None
        if status != "prospect":
            year = datetime.datetime.fromtimestamp(created).year
            code_seq[year] = code_seq.get(year, 0) + 1
            code = f"KH-{year}-{code_seq[year]:04d}" if code_seq[year] < 10000 else f"KH-{year}-{code_seq[year]}"
            approved = created + 86400 * rnd.randrange(5, 60)
            rating = "ABCCDDE"[rnd.randrange(7)] if i > 10 else "A"
            rated = approved + 86400 * rnd.randrange(0, 400)
        elif rnd.random() < 0.3:
            rating = "CDDE"[rnd.randrange(4)]
            rated = created + 86400 * rnd.randrange(1, 90)
        stage = "ABCD"[rnd.randrange(4)] if rnd.random() < 0.7 else None
        process = ["info", "project", "tender", "negotiation", "closed"][rnd.randrange(5)] if stage else None
        owner = stats_id if i == STATS_CUSTOMER else rep_id
        address = f"{city}市{STREETS[rnd.randrange(len(STREETS))]}{rnd.randrange(1, 999)}号"
        person = SURNAMES[rnd.randrange(len(SURNAMES))] + GIVEN[rnd.randrange(len(GIVEN))] + (GIVEN[rnd.randrange(len(GIVEN))] if rnd.random() < 0.5 else "")
        if status == "customer":
            cust_info[i] = (code, name, address, rating or "C")
            ordering.append(i)
        return (i, name, code, status, owner, city, in_city, address, f"0512-6{rnd.randrange(1000000, 9999999)}", person,
                TITLES[rnd.randrange(len(TITLES))], DEPTS[rnd.randrange(len(DEPTS))], SOURCES[rnd.randrange(len(SOURCES))], "",
                rating, rated, stage, process, approved, rep_id, created, created)
    batch = []
    for i in range(1, customers + 1):
        batch.append(crow(i))
        if len(batch) >= 50000:
            db.executemany("INSERT INTO crm_customers (id, name, code, status, owner_id, city, in_city, address, phone, contact_person,"
                           " contact_title, department, source, notes, rating_class, rated_at, stage, process_stage, approved_at,"
                           " created_by, created_at, updated_at) VALUES (" + ",".join("?" * 22) + ")", batch)
            batch = []
    if batch:
        db.executemany("INSERT INTO crm_customers (id, name, code, status, owner_id, city, in_city, address, phone, contact_person,"
                       " contact_title, department, source, notes, rating_class, rated_at, stage, process_stage, approved_at,"
                       " created_by, created_at, updated_at) VALUES (" + ",".join("?" * 22) + ")", batch)
    for year, last in code_seq.items():
        db.execute("INSERT INTO crm_code_counters (year, last) VALUES (?, ?)", (year, last))
    log(f"  {customers} customers ({time.time() - t0:.1f}s)")

    # Orders and lines: 2.5 % of lines on the stats customer, 1 % on each of customers 2..10.
    prices = {(p, s): rnd.randrange(500, 200000) for p, specs in PRODUCTS for s in specs}
    db.executemany("INSERT INTO order_prices (product, spec, unit_price_fen, updated_at) VALUES (?, ?, ?, ?)",
                   [(p, s, f, now) for (p, s), f in prices.items()])
    heavy = [(STATS_CUSTOMER, 0.025)] + [(i, 0.01) for i in range(2, 11)]
    heavy = [(c, w) for c, w in heavy if c in cust_info]
    heavy_w = sum(w for _, w in heavy)
    others = [c for c in ordering if c > 10] or ordering
    orders, lines, ledger = [], [], []
    line_id = 0
    order_id = 0
    order_seq = {}
    prod_keys = list(prices.keys())
    while line_id < order_lines and ordering:
        order_id += 1
        r = rnd.random()
        cid = None
        if r < heavy_w:
            acc = 0.0
            for c, w in heavy:
                acc += w
                if r < acc:
                    cid = c
                    break
        if cid is None:
            cid = others[min(int(rnd.paretovariate(1.2)) - 1, len(others) - 1)] if rnd.random() < 0.3 else others[rnd.randrange(len(others))]
        code, cname, caddr, ccls = cust_info[cid]
        day = start_day + datetime.timedelta(days=rnd.randrange(731))
        recv = day.isoformat()
        k = min(rnd.randrange(1, 10), order_lines - line_id)
        qty_total = 0
        fen_total = 0
        for n in range(1, k + 1):
            line_id += 1
            p, s = prod_keys[rnd.randrange(len(prod_keys))]
            q = rnd.randrange(1, 500)
            price = prices[(p, s)]
            qty_total += q
            fen_total += q * price
            lines.append((line_id, order_id, n, p, s, q, price, q * price))
        age = (today - day).days
        state = ORDER_STATES[rnd.randrange(len(ORDER_STATES))] if age > 60 else \
            ["accepted", "released", "scheduled", "delivering", "contract_pending", "credit_blocked"][rnd.randrange(6)]
        order_seq[day.year] = order_seq.get(day.year, 0) + 1
        created = int(datetime.datetime(day.year, day.month, day.day, 9).timestamp()) + rnd.randrange(8 * 3600)
        planned = (day + datetime.timedelta(days=rnd.randrange(10, 45))).isoformat()
        orders.append((order_id, f"DH-{day.year}-{order_seq[day.year]:05d}", cid, code, cname, caddr, ccls,
                       ["phone", "fax", "courier"][rnd.randrange(3)], recv, recv, planned, qty_total, fen_total,
                       fen_total if state in ("delivered", "completed") else 0, state,
                       1 if state not in ("contract_pending",) else 0, 1, 1 if state != "credit_blocked" else 0,
                       rep_id, rep_name, created, created))
        if state in ("delivered", "completed"):
            ledger.append((cid, "shipment", order_id, fen_total, planned, (day + datetime.timedelta(days=75)).isoformat(), rep_id, created))
            if state == "completed":
                ledger.append((cid, "payment", None, fen_total, (day + datetime.timedelta(days=70)).isoformat(), None, rep_id, created))
        if len(lines) >= 100000:
            flush_orders(db, orders, lines, ledger)
    flush_orders(db, orders, lines, ledger)
    log(f"  {order_id} orders, {line_id} order lines ({time.time() - t0:.1f}s)")

    # Contact logs: on average 3 per customer, capped at 60 000.
    n_contacts = contacts if contacts is not None else min(customers * 3, 60000)
    rows = []
    kinds = list(KIND_SUMMARY)
    for _ in range(n_contacts):
        cid = rnd.randrange(1, customers + 1)
        kind = kinds[rnd.randrange(len(kinds))]
        day = start_day + datetime.timedelta(days=rnd.randrange(731))
        rows.append((cid, kind, day.isoformat(), SURNAMES[rnd.randrange(len(SURNAMES))] + "经理",
                     KIND_SUMMARY[kind][rnd.randrange(len(KIND_SUMMARY[kind]))],
                     stats_id if cid == STATS_CUSTOMER else rep_id, int(datetime.datetime(day.year, day.month, day.day, 10).timestamp())))
    db.executemany("INSERT INTO crm_contacts (customer_id, kind, contact_date, person, summary, created_by, created_at)"
                   " VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
    db.execute("COMMIT")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    log(f"  {n_contacts} contact logs ({time.time() - t0:.1f}s)")
    # The customers' 拼音 sort keys (crm_customers.name_sort, left NULL above): salesd computes
    # them (PinyinSortKey: ICU's readings, which Python has not) for every row without one after
    # each migrate, so the keys are exactly those salesd writes with a name.
    run_salesd(salesd, db_dir, "migrate")
    db = sqlite3.connect(os.path.join(db_dir, "sales.sqlite"), isolation_level=None)
    missing = db.execute("SELECT COUNT(*) FROM crm_customers WHERE name_sort IS NULL").fetchone()[0]
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    if missing:
        raise RuntimeError(f"salesd migrate left {missing} customers without name_sort")
    log(f"  拼音 sort keys filled by salesd; done in {time.time() - t0:.1f}s")


def flush_orders(db, orders, lines, ledger):
    db.executemany("INSERT INTO order_orders (id, order_no, customer_id, customer_code, customer_name, customer_address, customer_class,"
                   " channel, filled_on, received_on, planned_delivery, total_qty, total_fen, delivered_fen, state, contract_ok,"
                   " settlement_ok, credit_ok, created_by, created_name, created_at, updated_at) VALUES (" + ",".join("?" * 22) + ")", orders)
    db.executemany("INSERT INTO order_lines (id, order_id, line_no, product, spec, qty, unit_price_fen, amount_fen)"
                   " VALUES (?, ?, ?, ?, ?, ?, ?, ?)", lines)
    db.executemany("INSERT INTO order_ledger (customer_id, kind, order_id, amount_fen, entry_date, due_on, created_by, created_at)"
                   " VALUES (?, ?, ?, ?, ?, ?, ?, ?)", ledger)
    orders.clear()
    lines.clear()
    ledger.clear()


def cached(customers, order_lines, salesd, seed=7, log=print):
    """Path of a generated DB directory for these parameters, generating it on first use."""
    key = f"c{customers}-l{order_lines}-s{seed}-g{GEN_VERSION}-m{migration_hash()}-{datetime.date.today().year}"
    path = os.path.join(CACHE, key)
    if os.path.exists(os.path.join(path, "DONE")):
        return path
    log(f"generating {key} …")
    tmp = tempfile.mkdtemp(prefix=key + ".", dir=os.path.dirname(path) if os.path.isdir(os.path.dirname(path)) else None)
    os.makedirs(CACHE, exist_ok=True)
    generate(tmp, customers, order_lines, salesd, seed=seed, log=log)
    open(os.path.join(tmp, "DONE"), "w").write(datetime.datetime.now().isoformat())
    shutil.rmtree(path, ignore_errors=True)
    os.rename(tmp, path)
    # Older versions of the same parameters (another schema, generator or year) are stale.
    prefix = f"c{customers}-l{order_lines}-s{seed}-"
    for old in os.listdir(CACHE):
        if old.startswith(prefix) and old != key:
            shutil.rmtree(os.path.join(CACHE, old), ignore_errors=True)
    return path


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--customers", type=int, default=10000)
    ap.add_argument("--order-lines", type=int, default=1000000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--salesd", default=os.path.join(ROOT, ".build", "release", "salesd"))
    g = ap.add_mutually_exclusive_group(required=True)
    g.add_argument("--db", help="database file to create (its directory gets the salesd data dir files)")
    g.add_argument("--cached", action="store_true", help="generate into .build-bench/data (keyed by parameters) and print the path")
    a = ap.parse_args()
    if a.cached:
        print(os.path.join(cached(a.customers, a.order_lines, a.salesd, a.seed, log=lambda m: print(m, file=sys.stderr)), "sales.sqlite"))
        return
    if os.path.exists(a.db):
        sys.exit(f"{a.db} exists")
    d = tempfile.mkdtemp(prefix="gen.", dir=os.path.dirname(os.path.abspath(a.db)))
    generate(d, a.customers, a.order_lines, a.salesd, seed=a.seed)
    os.rename(os.path.join(d, "sales.sqlite"), a.db)
    shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    main()
