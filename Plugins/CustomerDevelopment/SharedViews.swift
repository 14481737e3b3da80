import Foundation
import SalesKit

/// A customer as the pages show it (`{{c.name}}`, `{{c.id}}` …): the columns of `crm_customers`
/// that some template prints, NULL as "".
struct CustomerView: TemplateModel {
    var id: Int64
    var name: String
    var code: String
    var city: String
    var address: String
    var phone: String
    var contact_person: String
    var contact_title: String
    var department: String
    var source: String
    var notes: String
    var stage: String
    var rating_class: String

    init(_ r: Row) {
        id = r.int("id") ?? 0
        name = r.string("name") ?? ""
        code = r.string("code") ?? ""
        city = r.string("city") ?? ""
        address = r.string("address") ?? ""
        phone = r.string("phone") ?? ""
        contact_person = r.string("contact_person") ?? ""
        contact_title = r.string("contact_title") ?? ""
        department = r.string("department") ?? ""
        source = r.string("source") ?? ""
        notes = r.string("notes") ?? ""
        stage = r.string("stage") ?? ""
        rating_class = r.string("rating_class") ?? ""
    }
}

/// One option of a filter's `<select>`.
struct SelectOption: TemplateModel {
    var value: String
    var title: String
    var selected: Bool
}

/// A person in a filter's `<select>` (负责人, 销售专员).
struct PersonOption: TemplateModel {
    var id: String
    var name: String
    var selected: Bool
}

/// Document numbers of the module's paper forms, shown wherever a document is named instead of a
/// bare id (#16): `<prefix>-<year it was made, company time zone>-<id, at least 4 digits>` —
/// 认定申请 `XKSQ-2026-0007`, 新客户开发计划及实施表 `KFJH-…`, 客户开发报告表 `KFBG-…`. Unique through the
/// id (never reused), readable, and needing no stored counter.
enum DocumentNo {
    static func make(_ prefix: String, id: Int64, createdAt: Int64?, _ ctx: Context) -> String {
        let year = createdAt.map { LocalDate(date: Date(timeIntervalSince1970: Double($0)), timeZone: ctx.timeZone).year } ?? ctx.today.year
        let digits = String(id)
        return "\(prefix)-\(year)-" + String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}
