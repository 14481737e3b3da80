import Foundation
import Testing
import SalesHost
import SalesKit
import SalesTesting
@testable import OrderingModule

/// Issue #4 "Concurrent orders": the credit check and the insert are one transaction.
@Suite struct OrderConcurrencyTests {
    let f: OrderFixture
    init() throws { f = try OrderFixture() }

    final class Workers: @unchecked Sendable {
        let workers: [Worker]
        let blocker: Worker
        var responses: [Response?] = [nil, nil]
        let lock = NSLock()
        init(_ workers: [Worker], blocker: Worker) {
            self.workers = workers
            self.blocker = blocker
        }
    }

    @Test("003 §4.1.2: two orders for the same customer submitted at the same moment (two workers, two threads) cannot both pass a line only one fits")
    func concurrentOrders() throws {
        let cid = try f.customer(ratingClass: "C")   // 30万
        try f.contract(cid)
        let rep = f.client("rep1")
        rep.get("/order/orders/new")
        let cookie = rep.cookies.map { "\($0.key)=\($0.value)" }.joined(separator: "; ")
        let csrf = try #require(rep.csrf)
        let w = Workers([f.t.worker, try f.t.app.makeWorker()], blocker: try f.t.app.makeWorker())
        let locked = DispatchSemaphore(value: 0)
        let group = DispatchGroup()
        group.enter()
        Thread {
            // Hold the write gate so both requests are in flight before either may write.
            try? w.blocker.db.transaction {
                locked.signal()
                Thread.sleep(forTimeInterval: 1)
            }
            group.leave()
        }.start()
        locked.wait()
        for i in 0..<2 {
            group.enter()
            Thread {
                var form = FormData([("_csrf", csrf)])
                for (k, v) in OrderFixture.orderFields(lines: [("阀门", "200", "1000")]) { form.append(k, v) }   // ¥200,000 each
                let body = Array(URLEncoding.encode(form).utf8)
                let raw = RawRequest(params: [
                    "REQUEST_METHOD": "POST", "REQUEST_URI": "/order/orders/new", "REMOTE_ADDR": "127.0.0.1",
                    "HTTP_HOST": "localhost", "HTTP_COOKIE": cookie, "CONTENT_TYPE": "application/x-www-form-urlencoded",
                    "CONTENT_LENGTH": String(body.count),
                ], body: body)
                let r = w.workers[i].handle(raw)
                w.lock.lock()
                w.responses[i] = r
                w.lock.unlock()
                group.leave()
            }.start()
        }
        group.wait()
        #expect(w.responses.map { $0?.status } == [303, 303])
        let states = try f.db.query("SELECT state FROM order_orders ORDER BY id").compactMap { $0.string("state") }
        #expect(states.sorted() == ["accepted", "credit_blocked"])
        let blocked = try #require(try f.db.first("SELECT * FROM order_orders WHERE state = 'credit_blocked'"))
        #expect(blocked.int("over_fen") == 10_000_000)   // 400,000 − 300,000
        #expect(try f.db.scalar("SELECT COUNT(DISTINCT order_no) FROM order_orders") == 2)
    }
}
