import Foundation
import Synchronization
import Testing
@testable import SalesKit
import SalesHost
import SalesTesting
import AdminModule
import CustomerDevelopmentModule
import OrderingModule
import AfterSalesModule
import SuggestionsModule

/// Every installed module's declared forms (`DepartmentModule.forms`, what `salesd forms` lists
/// and the form fuzz feeds), in `Sources/salesd/InstalledModules.swift` order.
let allModules: [any DepartmentModule] = [
    AdminModule(), CustomerDevelopmentModule(), OrderingModule(), AfterSalesModule(), SuggestionsModule(),
]

/// Issue #13 item 3: every declared form is well-formed, and its cross-field checks read only
/// the names it declares. (The handlers' reads and errors are checked by every module suite: the
/// test client fails a test whose request records a programming error.)
@Suite("Every declared form")
struct AllFormsTests {
    static let forms: [(module: String, name: String, schema: FormSchema)] = allModules.flatMap { m in
        m.forms.sorted { $0.key < $1.key }.map { (m.manifest.id, $0.key, $0.value) }
    }

    /// Selects whose choices come from the database at request time (customers, staff, open
    /// records): declared with none in `forms`, filled by the handler. Every other select must
    /// declare its choices.
    static func choicesFilledPerRequest(_ module: String, _ form: String, _ field: String) -> Bool {
        dynamicChoices.contains("\(module)/\(form)/\(field)")
    }
    static let dynamicChoices: Set<String> = [
        "crm/developmentReport/customer_id", "crm/visitPlan/customer_id",          // the user's customers
        "service/complaint/customer", "service/return/customer", "service/patrol-gift/customer",
        "service/patrol-urgent/customer", "service/patrol-visit/customer",        // customers the user may see
        "service/patrol-visit/patroller",                                          // staff who patrol
        "ideas/impl-performance/recipient",                                        // the order's implementers
        "admin/user.create/supervisor", "admin/user.edit/supervisor", "admin/user.edit/successor",
        "admin/department.create/head", "admin/department.edit/head",               // active users
    ]

    @Test func everyModuleDeclaresItsForms() {
        #expect(Self.forms.count >= 60, "salesd forms lists 65 forms")
        for m in allModules where m.manifest.id != "admin" {
            #expect(!m.forms.isEmpty, "\(m.manifest.id) declares no forms")
        }
    }

    @Test func everyFormIsWellFormed() {
        for (module, name, schema) in Self.forms {
            let problems = schema.declarationProblems.filter { p in
                // A select filled per request is declared without choices.
                guard p.hasPrefix("choice field '"), p.hasSuffix("' has no choices") else { return true }
                let field = String(p.dropFirst("choice field '".count).dropLast("' has no choices".count))
                return !Self.choicesFilledPerRequest(module, name, field)
            }
            #expect(problems.isEmpty, "\(module)/\(name): \(problems.joined(separator: "; "))")
        }
    }

    @Test func formNamesAreUniqueAcrossModules() {
        var seen: [String: String] = [:]
        for (module, name, _) in Self.forms {
            if let other = seen[name], other != module {
                Issue.record("form \(name) is declared by \(other) and \(module)")
            }
            seen[name] = module
        }
    }

    /// Runs every cross-field check (the form's and its rows') over values that take each branch
    /// a check can look at: all empty, all filled, and each choice of each select in turn. A check
    /// that reads a name its form does not declare, or blames a field it does not declare, fails.
    @Test func everyCheckReadsAndBlamesOnlyDeclaredFields() {
        for (module, name, schema) in Self.forms {
            let errors = Set(Self.checking(schema).map(\.description)).sorted()
            #expect(errors.isEmpty, "\(module)/\(name): \(errors.joined(separator: "\n"))")
        }
    }

    static func checking(_ schema: FormSchema) -> [ProgrammingError] {
        let seen = Seen()
        ProgrammingErrors.$observer.withValue({ e in seen.list.withLock { $0.append(e) } }) {
            for values in variants(schema) {
                for check in schema.checks {
                    for e in check(values) {
                        guard let field = e.field else { continue }
                        if !schema.declares(field) && !isRowCell(field, of: schema) {
                            ProgrammingErrors.record(ProgrammingError(kind: .undeclaredErrorField, name: field,
                                                                      detail: "from a check (message: \(e.message))"))
                        }
                    }
                }
            }
            for f in schema.fields {
                if case .rows(let rowSchema, _, _) = f.kind {
                    seen.list.withLock { $0 += checking(rowSchema) }
                }
            }
        }
        return seen.list.withLock { $0 }
    }

    final class Seen: Sendable { let list = Mutex<[ProgrammingError]>([]) }

    /// `lines.<n>.<column>` with `lines` a rows field of `schema` and `column` one of its columns.
    static func isRowCell(_ key: String, of schema: FormSchema) -> Bool {
        let parts = key.split(separator: ".", maxSplits: 2)
        guard parts.count == 3, Int(parts[1]) != nil, let f = schema.field(String(parts[0])),
              case .rows(let rowSchema, _, _) = f.kind else { return false }
        return rowSchema.declares(String(parts[2])) || isRowCell(String(parts[2]), of: rowSchema)
    }

    /// Values as a cleaned form holds them (every declared field present), in several variants.
    static func variants(_ schema: FormSchema) -> [FormValues] {
        var out = [values(schema, pick: { _ in nil }), values(schema, pick: { $0.first }), values(schema, pick: { $0.last })]
        for f in schema.fields {
            guard case .select(let choices) = f.kind else { continue }
            for c in choices {
                out.append(values(schema, pick: { _ in nil }, override: (f.name, c.value)))
                out.append(values(schema, pick: { $0.first }, override: (f.name, c.value)))
            }
        }
        return out
    }

    /// `pick` chooses a select's value (nil: every field empty, checkboxes off, no rows).
    static func values(_ schema: FormSchema, pick: ([Choice]) -> Choice?, override: (String, String)? = nil) -> FormValues {
        var v = FormValues(declared: schema.declared)
        let filled = pick([Choice("x", "x")]) != nil
        for f in schema.fields {
            var value: FieldValue = .empty
            switch f.kind {
            case .text, .textarea, .password: if filled { value = .text("测试 1") }
            case .integer: if filled { value = .integer(10) }
            case .money: if filled { value = .money(1_000) }
            case .date: if filled { value = .date(LocalDate(year: 2026, month: 3, day: 15)) }
            case .select(let choices): if let c = pick(choices) { value = .text(c.value) }
            case .multiSelect(let choices): if filled, !choices.isEmpty { value = .list(choices.map(\.value)) }
            case .checkbox: value = .bool(filled)
            case .file:
                if filled { value = .file(UploadedFile(fieldName: f.name, filename: "a.pdf", contentType: "application/pdf", data: [1])) }
            case .rows(let rowSchema, _, _):
                if filled {
                    var row = values(rowSchema, pick: pick)
                    row.values["_index"] = .integer(0)
                    value = .rows([row])
                } else {
                    value = .rows([])
                }
            }
            if let (name, text) = override, name == f.name { value = .text(text) }
            v.values[f.name] = value
        }
        return v
    }
}

/// Issue #13 item 4: the installed modules made of parts (`ModuleFeature`).
@Suite struct InstalledModuleFeatureTests {
    @Test("the installed modules' parts declare nothing twice, and no module's own member leaves a part's out")
    func installedModulesPassTheCheck() {
        for m in allModules {
            #expect(ModuleFeatureCheck.problems(of: m).isEmpty, "\(m.manifest.id): \(ModuleFeatureCheck.problems(of: m))")
        }
        let withParts = allModules.filter { !$0.features.isEmpty }.map(\.manifest.id)
        #expect(Set(withParts).isSuperset(of: ["crm", "order", "service"]), "\(withParts)")
    }

    @Test("every page model of a module made of parts is declared by exactly one part")
    func pagesSplitAcrossParts() {
        for m in allModules where !m.features.isEmpty {
            let names = m.pages.map { String(reflecting: $0) }
            #expect(names.count == Set(names).count, "\(m.manifest.id)")
        }
    }
}

/// A list sorted by a column that is an expression (a joined name, a count) pages by keyset: the
/// next page's condition compares that expression in WHERE. Written as a result column's alias it
/// works on SQLite and fails on PostgreSQL (`make unit-pg` runs this there), so such columns sort
/// by the expression and read the row by the alias (`rowKey`).
@Suite struct ListCursorOnExpressionTests {
    @Test("every list sorted by a joined name or a count opens its next page (keyset past a cursor) on either database")
    func expressionSortsPagePastACursor() throws {
        let t = try TestApp(modules: allModules)
        try t.addUser("all", roles: Role.all, displayName: "全权")
        let c = t.client()
        #expect(c.login("all").status == 303)
        let cases: [(path: String, sort: String, cursor: String)] = [
            ("/crm/reports/shortfall", "owner", "t某"), ("/crm/reports/shortfall", "visits", "i0"),
            ("/crm/reports/shortfall", "last", "t2026-01-01"),
            ("/crm/key-customers", "owner", "t某"),
            ("/service/patrol/monthly/submitted", "submitter", "t某"),
            ("/service/patrol/urgent", "reporter", "t某"),
            ("/admin/departments", "head", "t某"), ("/admin/departments", "members", "i0"),
            ("/admin/users", "supervisor", "t某"),
            ("/ideas/ledger", "person", "t某"), ("/ideas/ledger", "username", "ta"), ("/ideas/ledger", "suggestion", "t某"),
        ]
        for k in cases {
            for dir in ["asc", "desc"] {
                let r = c.get("\(k.path)?sort=\(k.sort)&dir=\(dir)&after=\(URLEncoding.percentEncode(k.cursor))&after_id=1&page=2")
                #expect(r.status == 200, "\(k.path) sort=\(k.sort) dir=\(dir): \(r.status)")
            }
        }
    }
}
