import CustomerDevelopmentAPI
import Foundation
import SalesKit

/// 售后服务 — after-sales service (RULES.md §3, §6 "Returns"): quality and service complaints
/// with the 24 h / 48 h deadline from the 受理时间, routing, remedies, penalties (001 篇二 §5.3a/b)
/// and the outcome told to the customer's rep; returns with the rep's arrival deadline, 品质部's
/// verification (准予 / 部分准予 / 拒绝), a receipt bounded by the accepted quantity and the
/// settlement of what was received; patrol visits and reports. Reads customers only through
/// `CustomerDirectory` (module `crm`).
public struct AfterSalesModule: DepartmentModule {
    public init() {}

    public let manifest = ModuleManifest(id: "service", title: "售后服务", version: "0.1.0", dependencies: ["crm"],
                                         optionalDependencies: ["order"], folder: "AfterSales")

    public var permissions: [Permission] { ComplaintPages.permissions + ReturnPages.permissions + PatrolPages.permissions }
    public var menu: [MenuItem] { ComplaintPages.menu + ReturnPages.menu + PatrolPages.menu }
    public var migrations: [Migration] { ServiceMigrations.all }
    public var pages: [any PageModel.Type] {
        [ComplaintPage.self, ComplaintPrintPage.self, ComplaintFormPage.self, ComplaintStepPage.self,
         ReportPage.self, PolicyPage.self,
         ReturnPage.self, ReturnPrintPage.self, ReturnStepPage.self,
         PatrolPlansPage.self, PatrolFormPage.self, PatrolVisitPage.self, PatrolReportPage.self,
         PatrolUrgentPage.self, PatrolGiftPage.self, PatrolMonthlyPage.self, PatrolFeedbackPage.self]
    }
    public var forms: [String: FormSchema] { FormSchema.combine(ComplaintPages.forms, ReturnPages.forms, PatrolPages.forms) }

    public func routes(_ r: inout RouteBuilder) {
        ComplaintPages.routes(&r)
        ReturnPages.routes(&r)
        PatrolPages.routes(&r)
    }

    public func inbox(for user: User, _ ctx: Context) throws -> [InboxItem] {
        try ComplaintPages.inbox(for: user, ctx) + ReturnPages.inbox(for: user, ctx) + PatrolPages.inbox(for: user, ctx)
    }
}
