import Foundation
import SalesKit

// The page models of the patrol pages (巡访, 日报, 紧急报告, 礼品, 服务计划, 质量信息反馈表).

/// The customer card (002 §9), from CustomerDirectory: `patrol-card`.
struct CustomerCard: TemplateModel {
    var code: String
    var name: String
    var ratingClass: String
    var owner: String
    var city: String
    /// 市内 / 市外.
    var inCity: String
    var address: String
    var phone: String
}

/// The service plan of one customer class (002 §7).
struct PlanView: TemplateModel {
    var ratingClass: String
    var keyProducts: String
    var keySurveys: String
    var specialSurveys: String
    var visitsPerMonth: Int64
    var afterSales: String
    var updated: String

    init(_ r: Row, _ ctx: Context) {
        ratingClass = r.string("rating_class") ?? ""
        keyProducts = r.string("key_products") ?? ""
        keySurveys = r.string("key_surveys") ?? ""
        specialSurveys = r.string("special_surveys") ?? ""
        visitsPerMonth = r.int("visits_per_month") ?? 0
        afterSales = r.string("after_sales") ?? ""
        updated = ctx.displayEpoch(r.int("updated_at"))
    }
}

/// A 赠送礼品预算申请表 (002 §8).
struct GiftView: TemplateModel {
    var id: Int64
    /// 申请编号 (`DocNo.gift`).
    var number: String
    var customerName: String
    var gift: String
    var budget: String
    /// 人民币大写 of the budget and of the amount given.
    var budgetUpper: String
    var reason: String
    var applicant: String
    var appliedAt: String
    var stateText: String
    var decider: String
    var decidedAt: String
    var decisionNote: String
    var givenDate: String
    var actual: String
    var actualUpper: String
    var givenNote: String
}

/// 客户服务计划: the four plans and the form editing one.
struct PatrolPlansPage: PageModel {
    static let template = "patrol-plans"
    var plans: [PlanView]
    var form: FormView
}

/// The patrol forms: assigning a visit, the daily report, the urgent report, the gift application
/// and its decision and record.
struct PatrolFormPage: PageModel {
    static let template = "patrol-form"
    var heading: String
    var intro: String?
    /// The customer card section (empty when the customer is no longer in the directory).
    var hasCard = false
    var card: CustomerCard?
    /// The application decided or recorded.
    var g: GiftView?
    var showPlans = false
    var plans: [PlanView] = []
    var cancel: String?
    var form: FormView
}

/// 巡访 XF000001.
struct PatrolVisitPage: PageModel {
    static let template = "patrol-visit"
    struct Visit: TemplateModel {
        var id: Int64
        /// `DocNo.patrolVisit`.
        var number: String
        var customerName: String
        var patroller: String
        var plannedDate: String
        var stateText: String
        var purpose: String
        var assignedAt: String
    }

    var v: Visit
    var card: CustomerCard?
    var plan: PlanView?
    var canReport: Bool
    var hasReport: Bool
    var reportID: Int64
    var history: History
}

/// 巡访日报 RB000001.
struct PatrolReportPage: PageModel {
    static let template = "patrol-report"
    struct Report: TemplateModel {
        var id: Int64
        /// `DocNo.patrolReport`.
        var number: String
        var customerName: String
        var visitDate: String
        var visitTime: String
        var opinions: String
        var market: String
        var effect: String
        var handling: String
        var other: String
        var reporter: String
        var unit: String
        var created: String
        var ackBy: String
        /// When the superior read it; nil while unread.
        var ackAt: String?
    }

    var r: Report
    var card: CustomerCard?
    var canAck: Bool
    /// 编制 the reporter, 审核 the superior who read it — names and dates.
    var signatures: SignatureBlock
    var history: History
}

/// 巡访紧急报告 #n.
struct PatrolUrgentPage: PageModel {
    static let template = "patrol-urgent"
    struct Urgent: TemplateModel {
        var id: Int64
        /// `DocNo.patrolUrgent`.
        var number: String
        var triggerText: String
        var customerName: String
        var content: String
        var reporter: String
        var unit: String
        var created: String
        var ackBy: String
        /// When the superior read it; nil while unread.
        var ackAt: String?
    }

    var u: Urgent
    var canAck: Bool
    var history: History
}

/// 赠送礼品预算申请表 #n.
struct PatrolGiftPage: PageModel {
    static let template = "patrol-gift"
    var g: GiftView
    var canDecide: Bool
    var canRecord: Bool
    /// 编制 the applicant, 批准 the approver once approved — names and dates.
    var signatures: SignatureBlock
    var history: History
}

/// 每月巡访情况报告书: the month's daily reports, the form, the reports submitted.
struct PatrolMonthlyPage: PageModel {
    static let template = "patrol-monthly"
    struct Daily: TemplateModel {
        var visitDate: String
        var visitTime: String
        var customerName: String
        var effect: String
        var url: String
    }

    var month: String
    var unit: String
    var existing: Bool
    var existingAt: String
    var daily: [Daily]
    var hasDaily: Bool
    var form: FormView
}

/// 客户质量信息反馈表 of one week (003 §7.9).
struct PatrolFeedbackPage: PageModel {
    static let template = "patrol-feedback"
    struct Item: TemplateModel {
        var cells: [String]
    }

    var monday: String
    var sunday: String
    var count: Int
    var prev: String
    var next: String
    var headers: [String]
    var rows: [Item]
}
