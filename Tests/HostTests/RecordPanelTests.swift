import Foundation
import Testing
import SalesHost
import SalesKit
import SalesTesting

/// The customer hub (issue #16 point 3): a record's page gathers the other modules' panels,
/// each computed as the viewing user, a failing module shown as one line.
@Suite struct RecordPanelTests {
    struct Hub: DepartmentModule {
        let manifest = ModuleManifest(id: "hub", title: "客户", version: "1")
        static let view = Permission("hub", "view", title: "查看", defaultRoles: [.salesRep, .finance])
        var permissions: [Permission] { [Self.view] }
        func routes(_ r: inout RouteBuilder) {
            r.get("c/:id", .permission(Self.view)) { req, ctx in
                let id = try req.id()
                let panels = ctx.panels(for: PanelSubject(entity: PanelSubject.customerEntity, id: id, code: "KH-\(id)", name: "甲"))
                return .text(panels.map { p in
                    ([p.title] + p.facts.map { "\($0.label)=\($0.value)" } + p.actions.map { "\($0.title)→\($0.url)" }
                     + p.rows.map { $0.cells.map(\.text).joined(separator: ",") } + (p.hasRows ? [] : [p.emptyText])).joined(separator: "|")
                }.joined(separator: "\n"))
            }
        }
        func panels(for subject: PanelSubject, _ ctx: Context) throws -> [RecordPanel] {
            [RecordPanel(title: "不应出现：自己的页面")]
        }
    }

    struct Orders: DepartmentModule {
        let manifest = ModuleManifest(id: "orders", title: "订货", version: "1")
        static let place = Permission("orders", "place", title: "下单", defaultRoles: [.salesRep])
        var permissions: [Permission] { [Self.place] }
        func panels(for subject: PanelSubject, _ ctx: Context) throws -> [RecordPanel] {
            guard subject.entity == PanelSubject.customerEntity else { return [] }
            let canPlace = ctx.user?.permissions.contains(Self.place.id) ?? false
            return [RecordPanel(title: "订单", facts: [.init("应收余额", "¥1,200.00", alert: true)], columns: [.init("订单号")],
                                rows: [.init([.init("DD-\(subject.id)", url: "/orders/1")])],
                                actions: canPlace ? [.init("登记订单", url: "/orders/new?customer=\(subject.code)")] : [])]
        }
    }

    struct Broken: DepartmentModule {
        let manifest = ModuleManifest(id: "broken", title: "售后服务", version: "1")
        func panels(for subject: PanelSubject, _ ctx: Context) throws -> [RecordPanel] {
            throw StorageError(.other, "no such table")
        }
    }

    @Test func theHubGathersOtherModulesPanelsAsTheViewerSeesThem() throws {
        let t = try TestApp(modules: [Hub(), Orders(), Broken()])
        _ = try t.addUser("rep", roles: [.salesRep])
        _ = try t.addUser("fin", roles: [.finance])
        let rep = t.client()
        _ = rep.login("rep")
        let body = rep.get("/hub/c/7").body
        #expect(body.contains("订单|应收余额=¥1,200.00|登记订单→/orders/new?customer=KH-7|DD-7"))
        #expect(!body.contains("不应出现"))
        #expect(body.contains("售后服务|暂时无法加载（错误编号"))
        // Finance sees the same card without the action it may not take.
        let fin = t.client()
        _ = fin.login("fin")
        let finBody = fin.get("/hub/c/7").body
        #expect(finBody.contains("订单|应收余额=¥1,200.00|DD-7"))
        #expect(!finBody.contains("登记订单"))
    }
}
