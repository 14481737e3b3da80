import Foundation

/// A whole list page from one declaration: columns (title, SQL, cell), filters with their SQL
/// conditions, sorting, keyset paging, CSV with the same columns, the module's visibility
/// condition, and one shared template (`Web/templates/list/page.mustache`). A new column is one
/// line.
///
/// ```swift
/// static let page = ListPage(
///     title: "客户名录", path: "/crm/customers",
///     select: "c.id, c.code, c.name, COALESCE(u.display_name, '') AS owner_name",
///     from: "crm_customers c LEFT JOIN users u ON u.id = c.owner_id",
///     scope: { ctx in try Visibility.filter(ctx) },
///     columns: [
///         .text("code", "客户代码", sql: "c.code"),
///         .init("name", "企业名称", sql: "c.name") { r, _ in ListCell(r.string("name") ?? "", href: "/crm/customers/\(r.int("id") ?? 0)") },
///         .text("owner", "负责人", sql: "owner_name"),
///     ],
///     filters: [.search("q", "名称或客户代码") { s, _ in "c.name LIKE \("%" + s + "%")" }],
///     defaultSort: "name", tiebreaker: "c.id", empty: "没有符合条件的客户。")
/// r.get("customers", .permission(use)) { req, ctx in try page.respond(req, ctx) }
/// ```
///
/// SQL text (`select`, `from`, column `sql`) is written by the module in code, never taken
/// from the request; filter values reach SQL only as bound parameters.
public struct ListPage: Sendable {
    public struct Column: Sendable {
        public var spec: ListSpec.Column
        /// Writes the column's cell of a row (text, link, class) into the page: straight from
        /// the row's columns where it can (`ListCellWriter.text(_:_:)`), with no value made.
        public var write: @Sendable (ListRow, inout ListCellWriter, Context) -> Void
        /// How the column's cells are set (see `CellStyle`): numbers right-aligned, codes and
        /// phone numbers never broken.
        public var style: CellStyle
        /// Only in the CSV export, not on the page (codes beside the titles people read, for
        /// spreadsheets and scripts): `.text("action_code", "操作代码", sql: "a.action").exportOnly()`.
        public var inExportOnly = false

        /// `style` nil: chosen from the title (`CellStyle.implied(byTitle:)`) — a 客户代码 or 订单号码
        /// never breaks, a 金额（元） or 数量 is right-aligned, a 日期 stays on one line.
        /// `write`: the cell from the row, e.g.
        /// `{ r, cell, _ in cell.text(r, "city"); cell.text(r.bool("in_city") ? "（市内）" : "（市外）") }`.
        public init(_ key: String, _ title: String, sql: String, sortable: Bool = true, rowKey: String? = nil,
                    style: CellStyle? = nil, write: @escaping @Sendable (ListRow, inout ListCellWriter, Context) -> Void) {
            let style = style ?? CellStyle.implied(byTitle: title)
            spec = ListSpec.Column(key, title, sql: sql, sortable: sortable, rowKey: rowKey, cls: style.cls)
            self.write = write
            self.style = style
        }

        /// A cell made as a value from the whole row (any logic; a `Row` is made for it).
        public init(_ key: String, _ title: String, sql: String, sortable: Bool = true, rowKey: String? = nil,
                    style: CellStyle? = nil, cell: @escaping @Sendable (Row, Context) -> ListCell) {
            self.init(key, title, sql: sql, sortable: sortable, rowKey: rowKey, style: style) { r, w, ctx in w.cell(cell(r.row, ctx)) }
        }

        /// The same column, in the CSV export only.
        public func exportOnly() -> Column {
            var c = self
            c.inExportOnly = true
            c.spec.sortable = false
            return c
        }

        /// The same column set in another style: `.text("amount", "金额", sql: "o.amount_text").styled(.number)`.
        public func styled(_ style: CellStyle) -> Column {
            var c = self
            c.style = style
            c.spec.cls = style.cls
            return c
        }

        static func columnName(_ sql: String, _ column: String?) -> String {
            column ?? String(sql.split(separator: ".").last ?? Substring(sql))
        }

        /// A column showing one result column as text (by default the part of `sql` after the dot).
        public static func text(_ key: String, _ title: String, sql: String, sortable: Bool = true, column: String? = nil,
                                style: CellStyle? = nil) -> Column {
            let name = columnName(sql, column)
            return Column(key, title, sql: sql, sortable: sortable, style: style) { r, w, _ in w.text(r, name) }
        }

        /// A column's text as a link: `.link("name", "企业名称", sql: "c.name", to: "/crm/customers/", id: "id")`
        /// links each name to `/crm/customers/<id>`.
        public static func link(_ key: String, _ title: String, sql: String, sortable: Bool = true, column: String? = nil,
                                rowKey: String? = nil, to prefix: String, id: String = "id") -> Column {
            let name = columnName(sql, column)
            return Column(key, title, sql: sql, sortable: sortable, rowKey: rowKey) { r, w, _ in
                w.text(r, name)
                w.href(prefix)
                w.href(r, id)
            }
        }

        /// A stored code shown by its title (`"prospect"` → 潜在客户); an unknown code shows nothing.
        public static func choice(_ key: String, _ title: String, sql: String, sortable: Bool = true, column: String? = nil,
                                  titles: [String: String]) -> Column {
            let name = columnName(sql, column)
            let byValue = titles.map { (value: Array($0.key.utf8), title: $0.value) }
            return Column(key, title, sql: sql, sortable: sortable) { r, w, _ in
                if let t = r.title(name, in: byValue) { w.text(t) }
            }
        }

        /// A long text shortened on the page to its first `limit` characters and 「…」, whole in the
        /// CSV (a report's 工作进展 on the list, the full paragraph in the export).
        public static func excerpt(_ key: String, _ title: String, sql: String, limit: Int = 60, column: String? = nil) -> Column {
            let name = columnName(sql, column)
            return Column(key, title, sql: sql, sortable: false) { r, w, _ in
                guard !w.exporting, let s = r.string(name), s.count > limit else { return w.text(r, name) }
                w.text(String(s.prefix(limit)) + "…")
            }
        }

        /// A number or amount (text from the row, e.g. formatted money), right-aligned with even figures.
        public static func number(_ key: String, _ title: String, sql: String, sortable: Bool = true, column: String? = nil) -> Column {
            text(key, title, sql: sql, sortable: sortable, column: column, style: .number)
        }

        /// A code or document number (`KH-2026-0001`, `DH20260105-003`) that never breaks across lines.
        public static func code(_ key: String, _ title: String, sql: String, sortable: Bool = true, column: String? = nil) -> Column {
            text(key, title, sql: sql, sortable: sortable, column: column, style: .code)
        }

        /// A phone number: never broken, a `tel:` link (a tap calls it on a phone).
        public static func phone(_ key: String, _ title: String, sql: String, sortable: Bool = true, column: String? = nil) -> Column {
            let name = columnName(sql, column)
            return Column(key, title, sql: sql, sortable: sortable, style: .phone) { r, w, _ in w.cell(ListCell.phone(r.string(name) ?? "")) }
        }

        /// An epoch-seconds column shown as a time in the company time zone.
        public static func time(_ key: String, _ title: String, sql: String, sortable: Bool = true, column: String? = nil) -> Column {
            let name = columnName(sql, column)
            return Column(key, title, sql: sql, sortable: sortable, style: .nowrap) { r, w, ctx in
                if let t = r.int(name) { w.time(t, ctx) }
            }
        }
    }

    /// How a list column is set, on every screen and on paper.
    public enum CellStyle: String, Sendable {
        /// Text that wraps as needed (names, remarks).
        case text
        /// A number or amount: right-aligned, even-width figures, never broken (class `num`).
        case number
        /// A code or document number: never broken across lines (class `code`).
        case code
        /// A phone number: never broken; `ListCell.phone` makes it a `tel:` link (class `tel`).
        case phone
        /// Anything else that must stay on one line: dates, times, short states (class `nowrap`).
        case nowrap

        /// The style a column's title asks for, when the declaration names none: codes and
        /// document numbers (…号码, …代码, …编号, …单号, …号) never break; amounts, prices, balances
        /// and quantities (…金额…, …（元）, …数量…, …单价…, …余额…) are numbers; dates and times
        /// (…日期, …时间) stay on one line; anything else wraps as text.
        public static func implied(byTitle title: String) -> CellStyle {
            let t = title.replacingOccurrences(of: "（元）", with: "元")
            if title.contains("（元）") || ["金额", "数量", "单价", "余额", "价格", "成本"].contains(where: { t.contains($0) }) { return .number }
            if ["号码", "代码", "编号", "单号", "号"].contains(where: { t.hasSuffix($0) }) { return .code }
            if ["日期", "时间"].contains(where: { t.hasSuffix($0) }) { return .nowrap }
            return .text
        }

        /// The class on the header and every cell of the column.
        public var cls: String? {
            switch self {
            case .text: nil
            case .number: "num"
            case .code: "code"
            case .phone: "tel"
            case .nowrap: "nowrap"
            }
        }
    }

    public struct Filter: Sendable {
        public enum Kind: Sendable {
            case search(placeholder: String)
            case select(all: String, options: @Sendable (Context) throws -> [Choice])
            case checkbox
            /// 自/至 dates (`from`, `to`) on a column: a `YYYY-MM-DD` text column, or epoch seconds
            /// when `epoch` (whole days in the company time zone).
            case dateRange(column: String, epoch: Bool)
        }

        public var key: String
        public var label: String
        public var kind: Kind
        /// The SQL condition for a chosen value (nil: the value means no condition).
        public var condition: @Sendable (String, Context) throws -> SQL?
        /// Whether this user sees (and may use) the filter.
        public var shown: @Sendable (Context) -> Bool

        public init(_ key: String, _ label: String, _ kind: Kind, shown: @escaping @Sendable (Context) -> Bool = { _ in true },
                    condition: @escaping @Sendable (String, Context) throws -> SQL?) {
            self.key = key
            self.label = label
            self.kind = kind
            self.shown = shown
            self.condition = condition
        }

        public static func search(_ key: String, _ placeholder: String,
                                  condition: @escaping @Sendable (String, Context) throws -> SQL?) -> Filter {
            Filter(key, placeholder, .search(placeholder: placeholder), condition: condition)
        }

        /// A fixed list of choices; the condition gets a value that is one of them.
        public static func choice(_ key: String, _ label: String, all: String, _ choices: [Choice],
                                  condition: @escaping @Sendable (String, Context) throws -> SQL?) -> Filter {
            let allowed = Set(choices.map(\.value))
            return Filter(key, label, .select(all: all, options: { _ in choices })) { v, ctx in
                allowed.contains(v) ? try condition(v, ctx) : nil
            }
        }

        public static func checkbox(_ key: String, _ label: String, condition: @escaping @Sendable (Context) throws -> SQL) -> Filter {
            Filter(key, label, .checkbox) { _, ctx in try condition(ctx) }
        }

        /// 自/至 on a date column (`"d.report_date"`) or an epoch-seconds column (`epoch: true`);
        /// the query parameters are `from` and `to`.
        public static func dateRange(_ label: String, column: String, epoch: Bool = false) -> Filter {
            Filter("from", label, .dateRange(column: column, epoch: epoch)) { _, _ in nil }
        }
    }

    public struct Action: Sendable {
        public var title: String
        public var href: String
        public var shown: @Sendable (Context) -> Bool
        public init(_ title: String, href: String, shown: @escaping @Sendable (Context) -> Bool = { _ in true }) {
            self.title = title
            self.href = href
            self.shown = shown
        }
    }

    /// A list over a period the request chooses (a week): a date field among the filters (the
    /// period containing that day; none or an invalid one: today's), a line naming the period
    /// with links to the one before and after (the other filters kept), and the period's SQL
    /// joined after `from` (e.g. each customer's visit count in the week). The CSV's name
    /// carries the period's tag.
    public struct Period: Sendable {
        /// The period of a day: its label (「2026-11-30 至 2026-12-06」), a day in the period
        /// before and in the one after, a tag for the CSV's name, and its `JOIN`s.
        public struct Resolved: Sendable {
            public var label: String
            public var previous: LocalDate
            public var next: LocalDate
            public var tag: String
            public var join: SQL
            public init(label: String, previous: LocalDate, next: LocalDate, tag: String, join: SQL) {
                self.label = label
                self.previous = previous
                self.next = next
                self.tag = tag
                self.join = join
            }
        }

        /// The query parameter (`week`) and the field's label (「包含日期」).
        public var key: String
        public var label: String
        /// 「上一周」 / 「下一周」.
        public var previousTitle: String
        public var nextTitle: String
        public var resolve: @Sendable (LocalDate, Context) throws -> Resolved

        public init(_ key: String, _ label: String, previous: String, next: String,
                    resolve: @escaping @Sendable (LocalDate, Context) throws -> Resolved) {
            self.key = key
            self.label = label
            previousTitle = previous
            nextTitle = next
            self.resolve = resolve
        }
    }

    public var title: String
    /// The list's absolute path (sort, page and CSV links, the filter form's action).
    public var path: String
    public var select: String
    public var from: String
    /// The rows this user may see (the module's visibility rule), as a WHERE condition.
    public var scope: @Sendable (Context) throws -> SQL
    public var columns: [Column]
    public var filters: [Filter]
    public var actions: [Action]
    public var empty: String
    public var csvName: String
    /// A line of explanation under the heading (the rule the list serves, how to add to it).
    public var intro: String?
    /// A line of state for the user (e.g. how many items wait). Confirmations of an action are
    /// flash messages kept in the session (`Response.redirect(to:flash:)`), never URL parameters.
    /// Text chosen by code, never taken from the URL.
    public var notice: (@Sendable (Request, Context) -> String?)?
    /// A class for a row (`"urgent"`, `"overdue"`), or nil.
    public var rowClass: (@Sendable (Row, Context) -> String?)?
    /// A card above the list of things to know or confirm (a department queue's change notices,
    /// each with its 确认收到 button), or nil for none.
    public var notes: (@Sendable (Request, Context) throws -> ListNotes?)?
    /// The heading when it is not the fixed `title` (a department's name as the directory has it).
    public var heading: (@Sendable (Context) throws -> String)?
    /// The period the list covers, when the request chooses it (see `Period`).
    public var period: Period?
    /// Small tables above the list (the paper form's top-10 rankings), or none.
    public var summaries: (@Sendable (Request, Context) throws -> [ListSummary])?
    public let spec: ListSpec

    public init(title: String, path: String, select: String, from: String, scope: @escaping @Sendable (Context) throws -> SQL,
                columns: [Column], filters: [Filter] = [], actions: [Action] = [], defaultSort: String,
                defaultDescending: Bool = false, pageSize: Int = 50, tiebreaker: String, empty: String, csvName: String? = nil,
                intro: String? = nil, notice: (@Sendable (Request, Context) -> String?)? = nil,
                rowClass: (@Sendable (Row, Context) -> String?)? = nil,
                notes: (@Sendable (Request, Context) throws -> ListNotes?)? = nil,
                heading: (@Sendable (Context) throws -> String)? = nil, period: Period? = nil,
                summaries: (@Sendable (Request, Context) throws -> [ListSummary])? = nil) {
        self.title = title
        self.path = path
        self.select = select
        self.from = from
        self.scope = scope
        self.columns = columns
        self.filters = filters
        self.actions = actions
        self.empty = empty
        self.csvName = csvName ?? title + ".csv"
        self.intro = intro
        self.notice = notice
        self.rowClass = rowClass
        self.notes = notes
        self.heading = heading
        self.period = period
        self.summaries = summaries
        let keys = filters.flatMap { f -> [String] in
            if case .dateRange = f.kind { return ["from", "to"] }
            return [f.key]
        } + (period.map { [$0.key] } ?? [])
        spec = ListSpec(columns: columns.filter { !$0.inExportOnly }.map(\.spec), defaultSort: defaultSort, defaultDescending: defaultDescending,
                        filters: keys, pageSize: pageSize, tiebreaker: tiebreaker)
    }

    /// GET: the page (or `?format=csv`: every row as CSV, same columns).
    public func respond(_ req: Request, _ ctx: Context) throws -> Response {
        let q = spec.parse(req.query)
        let asked = period.flatMap { q.filters[$0.key] }
        let day = asked.flatMap { LocalDate($0) }
        let resolved = try period?.resolve(day ?? ctx.today, ctx)
        var conditions: SQL = "WHERE (" + (try scope(ctx)) + ")"
        for f in filters where f.shown(ctx) {
            if case .dateRange(let column, let epoch) = f.kind {
                conditions = conditions + q.dateRange(column, epochIn: epoch ? ctx.timeZone : nil)
                continue
            }
            guard let v = q.filters[f.key], let c = try f.condition(v, ctx) else { continue }
            conditions = conditions + " AND (" + c + ")"
        }
        let sql: SQL = """
            SELECT \(raw: select) FROM \(raw: from) \(resolved?.join ?? "")
            \(conditions)\(q.seek) ORDER BY \(raw: q.orderBy) LIMIT \(q.limit) OFFSET \(q.offset)
            """
        // The rows are written straight from the statement (no `Row` per row, no `String` per
        // value): each column's cell writer copies what it shows into the table's bytes.
        let shownColumns = q.export ? columns : columns.filter { !$0.inExportOnly }
        let writers = shownColumns.map(\.write)
        var table = ListRows.Builder(columns: shownColumns.map { (cls: $0.style.cls, label: $0.spec.title) },
                                     rows: min(q.limit, 256))
        table.exporting = q.export
        let keyNames = q.pagingKeys
        var fetched = 0
        var edges: (first: Row, last: Row)?
        var names: [String] = []
        let lazy = ListRow.Lazy()
        try ctx.db.forEachRow(sql) { cursor in
            fetched += 1
            if fetched > q.shownLimit { return }   // the row after the page: only counted
            if fetched == 1 { names = cursor.columnNames }
            let row = ListRow(cursor: cursor, names: names, lazy: lazy)
            lazy.next()
            // The pager needs the first row's keys and, when the page is full (only then is there
            // a page beyond it), the last's: read from those two rows only.
            if !q.export, fetched == 1 || fetched == q.shownLimit {
                let key = Row(columns: keyNames, values: keyNames.map { row.value($0) })
                edges = (edges?.first ?? key, key)
            }
            table.startRow(cls: q.export ? nil : rowClass?(row.row, ctx))
            for k in writers.indices {
                table.beginCell(column: k)
                writers[k](row, &table, ctx)
                table.endCell()
            }
        }
        let rows = table.build(reversed: q.readsBackward)
        if q.export {
            let name = resolved.map { r in csvName.hasSuffix(".csv") ? "\(csvName.dropLast(4))-\(r.tag).csv" : csvName } ?? csvName
            return .csv(filename: name, CSVTable(header: columns.map(\.spec.title), rows: rows.texts))
        }
        var filterViews: [ListPageView.FilterView] = []
        for f in filters where f.shown(ctx) {
            let value = q.filters[f.key] ?? ""
            var v = ListPageView.FilterView(name: f.key, label: f.label, value: value, isSearch: false, isSelect: false,
                                            isCheckbox: false, checked: !value.isEmpty, isDateRange: false, toValue: "",
                                            allTitle: "", options: [])
            switch f.kind {
            case .search: v.isSearch = true
            case .select(let all, let options):
                v.isSelect = true
                v.allTitle = all
                v.options = try options(ctx).map { .init(value: $0.value, title: $0.label, selected: $0.value == value) }
            case .checkbox: v.isCheckbox = true
            case .dateRange:
                v.isDateRange = true
                v.toValue = q.filters["to"] ?? ""
            }
            filterViews.append(v)
        }
        let heading = try self.heading?(ctx) ?? title
        var page = ListPageView(
            heading: heading, path: path, intro: intro, notice: notice?(req, ctx),
            actions: actions.filter { $0.shown(ctx) }.map { .init(title: $0.title, href: $0.href) },
            filters: filterViews, hasFilters: !filterViews.isEmpty,
            list: q.view(fetched: fetched, edges: edges, basePath: path),
            rows: rows,
            colspan: shownColumns.count, empty: empty)
        page.notes = try notes?(req, ctx).flatMap { $0.items.isEmpty ? nil : $0 }
        page.summaries = try summaries?(req, ctx) ?? []
        if let period, let resolved {
            page.period = .init(key: period.key, label: period.label, value: asked ?? "", text: resolved.label,
                                previousTitle: period.previousTitle,
                                previousHref: q.listLink(path, replacing: period.key, with: resolved.previous.description),
                                nextTitle: period.nextTitle,
                                nextHref: q.listLink(path, replacing: period.key, with: resolved.next.description),
                                invalid: asked != nil && day == nil)
            page.hasFilters = true
        }
        // A phone shows the filters folded unless some are in use (the list comes first).
        page.filtersOpen = !q.filters.isEmpty
        return ctx.render(page, title: heading)
    }
}

/// A small table in a card above a list (`ListPage.summaries`): a paper form's 「销售额前10名」
/// with its numbered lines, or `note` in place of the table when there is nothing to rank.
public struct ListSummary: TemplateModel {
    public struct Header: TemplateModel {
        public var title: String
        public var cls: String?
    }

    public struct Row: TemplateModel {
        public var cells: [ListCell]
    }

    public var title: String
    public var headers: [Header]
    public var rows: [Row]
    public var hasRows: Bool
    public var note: String

    /// `columns`: each title with its style (a rank or amount `.number`).
    public init(title: String, columns: [(String, ListPage.CellStyle)], rows: [[ListCell]], note: String = "") {
        self.title = title
        headers = columns.map { Header(title: $0.0, cls: $0.1.cls) }
        self.rows = rows.map { cells in
            Row(cells: zip(cells, columns).map { cell, column in
                var c = cell
                if c.cls == nil { c.cls = column.1.cls }
                return c
            })
        }
        hasRows = !rows.isEmpty
        self.note = note
    }
}

/// A card above a list (`ListPage.notes`): lines to know about or confirm, each with a link to
/// its record and, when it asks for a confirmation, a button that posts to `Confirm.action`.
public struct ListNotes: TemplateModel {
    public struct Field: TemplateModel {
        public var name: String
        public var value: String
        public init(_ name: String, _ value: String) {
            self.name = name
            self.value = value
        }
    }

    /// A button posting the hidden `fields` (and the CSRF token) to `action`.
    public struct Confirm: TemplateModel {
        public var action: String
        public var label: String
        public var fields: [Field]
        public init(action: String, label: String, fields: [Field] = []) {
            self.action = action
            self.label = label
            self.fields = fields
        }
    }

    public struct Item: TemplateModel {
        public var text: String
        public var href: String
        public var confirm: Confirm?
        public init(_ text: String, href: String, confirm: Confirm? = nil) {
            self.text = text
            self.href = href
            self.confirm = confirm
        }
    }

    public var title: String
    public var items: [Item]
    public init(title: String, items: [Item]) {
        self.title = title
        self.items = items
    }
}

extension ListPage {
    /// A cell's classes: the column's (its style) and the cell's own, the column's first.
    static func cellClass(column: String?, cell: String?) -> String? {
        guard let column else { return cell }
        guard let cell, !cell.isEmpty else { return column }
        if cell == column || cell.split(separator: " ").contains(Substring(column)) { return cell }
        return column + " " + cell
    }
}

/// The row a list column's cell is written from (`ListPage.Column.write`): its columns by name,
/// read in place from the running statement.
public struct ListRow {
    /// The row as a `Row`, made at most once per row and only when a cell asks for it.
    final class Lazy {
        // Used by one request's thread only; unchecked: a list looks these up several times a cell.
        @exclusivity(unchecked) var row: Row?
        /// The names looked up in the current row so far, and the previous rows' lookups.
        @exclusivity(unchecked) var position = 0
        @exclusivity(unchecked) var memo: [(name: String, index: Int?)] = []
        /// A column's bytes, to compare (`ListRow.title(_:in:)`).
        @exclusivity(unchecked) var scratch: [UInt8] = []
        func next() {
            row = nil
            position = 0
        }
    }

    let cursor: any RowCursor
    let names: [String]
    let lazy: Lazy

    /// The column named `name`. Every row asks for the same names in the same order (the
    /// columns' writers run in order), so the k-th lookup of a row is first checked against the
    /// k-th of the row before: the same string, compared in a few instructions.
    func index(_ name: String) -> Int? {
        let k = lazy.position
        lazy.position += 1
        if k < lazy.memo.count, lazy.memo[k].name == name { return lazy.memo[k].index }
        let found = names.firstIndex(of: name)
        if k < lazy.memo.count { lazy.memo[k] = (name, found) } else if k == lazy.memo.count { lazy.memo.append((name, found)) }
        return found
    }

    public func int(_ name: String) -> Int64? { index(name).flatMap { cursor.int($0) } }
    public func bool(_ name: String) -> Bool { (int(name) ?? 0) != 0 }
    public func isNull(_ name: String) -> Bool { index(name).map { cursor.isNull($0) } ?? true }
    public func string(_ name: String) -> String? {
        guard let i = index(name), !cursor.isNull(i) else { return nil }
        var bytes: [UInt8] = []
        cursor.appendText(i, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }
    public func value(_ name: String) -> SQLValue { index(name).map { cursor.value($0) } ?? .null }

    /// The title of the column's value among `titles` (value bytes, title), compared as bytes:
    /// no `String` made per cell. nil for NULL or a value not among them.
    func title(_ name: String, in titles: [(value: [UInt8], title: String)]) -> String? {
        guard let i = index(name), !cursor.isNull(i) else { return nil }
        lazy.scratch.removeAll(keepingCapacity: true)
        cursor.appendText(i, to: &lazy.scratch)
        for t in titles where t.value == lazy.scratch { return t.title }
        return nil
    }

    /// The whole row (for cells written against `Row`).
    public var row: Row {
        if let r = lazy.row { return r }
        let r = cursor.row()
        lazy.row = r
        return r
    }
}

/// Writes the cells of a list page's rows (`ListPage.Column.write`): the cell's text, its link,
/// its own class — appended in place to the table's bytes.
public typealias ListCellWriter = ListRows.Builder

/// The rows of a list page (`ListPageView.rows`): the cells' text and links as bytes in two
/// buffers, classes and captions interned once per page, so a page is written and rendered with
/// no value (and no `String`) per row or cell (`TemplateTable`). Encoded (and decoded, for its
/// shape) as `[ListPageView.RowView]`.
public struct ListRows: Codable, Sendable {
    /// One cell: ranges in the text and link buffers, indexes into the interned strings.
    struct Cell: Sendable {
        var textStart = 0, textEnd = 0
        /// Negative: no link.
        var hrefStart = -1, hrefEnd = -1
        /// Negative: none.
        var cls = -1, label = -1
    }

    /// The cells' fields, in `ListCell`'s order: text, href, cls, label.
    final class Cells: TemplateTable {
        let cells: [Cell]
        let text: [UInt8]
        let hrefs: [UInt8]
        let strings: [[UInt8]]
        init(cells: [Cell], text: [UInt8], hrefs: [UInt8], strings: [[UInt8]]) {
            self.cells = cells
            self.text = text
            self.hrefs = hrefs
            self.strings = strings
        }
        var fieldCount: Int { 4 }

        private func bytes(_ position: Int, of c: Cell, _ body: (UnsafeBufferPointer<UInt8>) -> Void) {
            switch position {
            case 0: text.withUnsafeBufferPointer { body(UnsafeBufferPointer(rebasing: $0[c.textStart..<c.textEnd])) }
            case 1: if c.hrefStart >= 0 { hrefs.withUnsafeBufferPointer { body(UnsafeBufferPointer(rebasing: $0[c.hrefStart..<c.hrefEnd])) } }
            case 2: if c.cls >= 0 { strings[c.cls].withUnsafeBufferPointer(body) }
            case 3: if c.label >= 0 { strings[c.label].withUnsafeBufferPointer(body) }
            default: break
            }
        }

        func field(_ position: Int, of i: Int) -> TemplateValue {
            guard i >= 0, i < cells.count, isTruthy(position, of: i) else { return .null }
            var value = TemplateValue.null
            bytes(position, of: cells[i]) { value = .text(String(decoding: $0, as: UTF8.self)) }
            return value
        }
        /// The text and the link (the slots, printed per cell) straight from their buffers.
        func print(_ position: Int, of i: Int, escaped: Bool, into out: inout [UInt8]) {
            guard i >= 0, i < cells.count else { return }
            let c = cells[i]
            switch position {
            case 0:
                text.withUnsafeBufferPointer { HTMLText.append(UnsafeBufferPointer(rebasing: $0[c.textStart..<c.textEnd]), escaped: escaped, into: &out) }
            case 1 where c.hrefStart >= 0:
                hrefs.withUnsafeBufferPointer { HTMLText.append(UnsafeBufferPointer(rebasing: $0[c.hrefStart..<c.hrefEnd]), escaped: escaped, into: &out) }
            default:
                bytes(position, of: c) { HTMLText.append($0, escaped: escaped, into: &out) }
            }
        }
        func isTruthy(_ position: Int, of i: Int) -> Bool {
            guard i >= 0, i < cells.count else { return false }
            switch position {
            case 0: return true
            case 1: return cells[i].hrefStart >= 0
            case 2: return cells[i].cls >= 0
            case 3: return cells[i].label >= 0
            default: return false
            }
        }
        /// The caption, the class and whether there is a link: the same markup around the text
        /// and the link (the slots).
        func variant(of i: Int) -> Int? {
            guard i >= 0, i < cells.count else { return nil }
            let c = cells[i], n = strings.count + 1
            return ((c.label + 1) * n + c.cls + 1) * 2 + (c.hrefStart >= 0 ? 1 : 0)
        }
        func isSlot(_ position: Int) -> Bool { position <= 1 }
        /// `variant(of:)` is ((label + 1) · n + cls + 1) · 2 + link, with label and cls below
        /// `strings.count` and n = `strings.count` + 1.
        var variantBound: Int { let n = strings.count + 1; return n.multipliedReportingOverflow(by: n).partialValue &* 2 &+ 2 }
        /// The caption and the class (each marked present or not, 0xFF never being UTF-8) and
        /// whether there is a link: what `variant(of:)` numbers within one page.
        func variantSignature(of i: Int) -> [UInt8]? {
            guard i >= 0, i < cells.count else { return nil }
            let c = cells[i]
            var s: [UInt8] = []
            s.reserveCapacity(48)
            for k in [c.label, c.cls] {
                if k >= 0, k < strings.count {
                    s.append(1)
                    s += strings[k]
                } else {
                    s.append(0)
                }
                s.append(0xFF)
            }
            s.append(c.hrefStart >= 0 ? 1 : 0)
            return s
        }

        func string(_ position: Int, of i: Int) -> String? {
            if case .text(let s) = field(position, of: i) { return s }
            return nil
        }
        func cell(_ i: Int) -> ListCell {
            var c = ListCell(string(0, of: i) ?? "", href: string(1, of: i), cls: string(2, of: i))
            c.label = string(3, of: i)
            return c
        }
    }

    /// The rows' fields, in `ListPageView.RowView`'s order: cls, cells.
    final class Rows: TemplateTable {
        let classes: [String?]
        /// Row i's cells are `starts[i] ..< starts[i + 1]`.
        let starts: [Int]
        let cells: Cells
        init(classes: [String?], starts: [Int], cells: Cells) {
            self.classes = classes
            self.starts = starts
            self.cells = cells
        }
        var fieldCount: Int { 2 }
        func field(_ position: Int, of i: Int) -> TemplateValue {
            guard i >= 0, i < classes.count else { return .null }
            switch position {
            case 0: if let c = classes[i] { return .text(c) }
            case 1: return .elements(cells, start: starts[i], count: starts[i + 1] - starts[i])
            default: break
            }
            return .null
        }
    }

    /// Rows written one at a time: `startRow`, then per cell `beginCell`, its parts, `endCell`
    /// (or `addCell` with the whole cell).
    public struct Builder {
        var rowClasses: [String?] = []
        var starts: [Int] = [0]
        var cells: [Cell] = []
        var text: [UInt8] = []
        var hrefs: [UInt8] = []
        var strings: [[UInt8]] = []
        var interned: [String: Int] = [:]
        /// Per column: a cell with its class and caption (interned, or -1), and the class's text.
        var columnCells: [Cell] = []
        var columnClasses: [String?] = []
        var current = Cell()
        /// Writing the CSV export, not the page: a cell may write more (`Column.excerpt`).
        public internal(set) var exporting = false
        /// The column of the cell being written (-1: a cell given whole, `addCell`).
        var currentColumn = -1

        /// `columns`: each column's class and caption (the phone card's label), the same on every row.
        public init(columns: [(cls: String?, label: String?)] = [], rows: Int = 0) {
            rowClasses.reserveCapacity(rows)
            starts.reserveCapacity(rows + 1)
            let n = rows * columns.count
            cells.reserveCapacity(n)
            text.reserveCapacity(n * 16)
            for c in columns {
                columnCells.append(Cell(cls: c.cls.map { intern($0) } ?? -1, label: c.label.map { intern($0) } ?? -1))
                columnClasses.append(c.cls)
            }
        }

        /// A class or caption's index in `strings`. A page has a few dozen: they are compared as
        /// bytes, in order (hashing a `String` of Chinese text normalizes it first — about a
        /// thousand instructions a lookup); from 64 on a dictionary takes over.
        mutating func intern(_ s: String) -> Int {
            if !interned.isEmpty || strings.count >= 64 {
                if interned.isEmpty {
                    for (i, b) in strings.enumerated() { interned[String(decoding: b, as: UTF8.self)] = i }
                }
                if let i = interned[s] { return i }
                strings.append(Array(s.utf8))
                interned[s] = strings.count - 1
                return strings.count - 1
            }
            var text = s
            if let i = text.withUTF8({ b in strings.firstIndex { $0.elementsEqual(b) } }) { return i }
            strings.append(Array(s.utf8))
            return strings.count - 1
        }

        public mutating func startRow(cls: String?) {
            if !rowClasses.isEmpty { starts.append(cells.count) }
            rowClasses.append(cls)
        }

        /// A whole cell at once (its class as given, not its column's).
        public mutating func addCell(text: String, href: String?, cls: String?, label: String?) {
            current = Cell(cls: cls.map { intern($0) } ?? -1, label: label.map { intern($0) } ?? -1)
            currentColumn = -1
            current.textStart = self.text.count
            HTMLText.append(text, escaped: false, into: &self.text)
            if let href { self.href(href) }
            endCell()
        }

        /// Starts the cell of column `column` (its class and caption).
        mutating func beginCell(column: Int) {
            current = column >= 0 && column < columnCells.count ? columnCells[column] : Cell()
            current.textStart = text.count
            current.textEnd = text.count
            currentColumn = column
        }

        mutating func endCell() {
            current.textEnd = text.count
            if current.hrefStart >= 0 { current.hrefEnd = hrefs.count }
            cells.append(current)
        }

        /// Appends text to the cell.
        public mutating func text(_ s: String) { HTMLText.append(s, escaped: false, into: &text) }
        /// Appends the row's column `name` (as text; nothing for NULL) to the cell, copied from the row.
        public mutating func text(_ row: ListRow, _ name: String) {
            if let i = row.index(name) { row.cursor.appendText(i, to: &text) }
        }
        /// Appends an epoch-seconds instant as the company's local time (`Context.display`).
        public mutating func time(_ epoch: Int64, _ ctx: Context, pattern: String = "yyyy-MM-dd HH:mm") {
            ctx.appendDisplay(epoch: epoch, pattern: pattern, into: &text)
        }
        /// Makes the cell a link and appends to its address: `href("/crm/customers/"); href(row, "id")`.
        public mutating func href(_ s: String) {
            if current.hrefStart < 0 { current.hrefStart = hrefs.count }
            HTMLText.append(s, escaped: false, into: &hrefs)
        }
        /// Appends the row's column `name` to the cell's address.
        public mutating func href(_ row: ListRow, _ name: String) {
            if current.hrefStart < 0 { current.hrefStart = hrefs.count }
            if let i = row.index(name) { row.cursor.appendText(i, to: &hrefs) }
        }
        /// The cell's own class (`"tag danger"`), besides its column's.
        public mutating func cls(_ s: String) {
            let columnClass = currentColumn >= 0 && currentColumn < columnClasses.count ? columnClasses[currentColumn] : nil
            guard let combined = ListPage.cellClass(column: columnClass, cell: s) else { return }
            current.cls = intern(combined)
        }
        /// The cell as a value (`ListCell`): its text, link and class.
        public mutating func cell(_ c: ListCell) {
            text(c.text)
            if let h = c.href { href(h) }
            if let k = c.cls { cls(k) }
        }

        /// The rows; `reversed`: in the opposite order (a backward page, read in reverse sort order).
        public func build(reversed: Bool = false) -> ListRows {
            var starts = starts
            if !rowClasses.isEmpty { starts.append(cells.count) }
            var classes = rowClasses
            var cells = cells
            if reversed, rowClasses.count > 1 {
                classes.reverse()
                var flipped: [Cell] = []
                flipped.reserveCapacity(cells.count)
                var newStarts = [0]
                for r in stride(from: rowClasses.count - 1, through: 0, by: -1) {
                    flipped += cells[starts[r]..<starts[r + 1]]
                    newStarts.append(flipped.count)
                }
                cells = flipped
                starts = newStarts
            }
            return ListRows(rows: Rows(classes: classes, starts: starts,
                                       cells: Cells(cells: cells, text: text, hrefs: hrefs, strings: strings)))
        }
    }

    let rows: Rows

    init(rows: Rows) { self.rows = rows }

    public init(_ views: [ListPageView.RowView]) {
        var b = Builder()
        for v in views {
            b.startRow(cls: v.cls)
            for c in v.cells { b.addCell(text: c.text, href: c.href, cls: c.cls, label: c.label) }
        }
        self = b.build()
    }

    public var count: Int { rows.classes.count }
    public var isEmpty: Bool { rows.classes.isEmpty }

    /// The rows as values (tests, the `Encodable` path).
    public var views: [ListPageView.RowView] {
        rows.classes.indices.map { i in
            ListPageView.RowView(cls: rows.classes[i], cells: (rows.starts[i]..<rows.starts[i + 1]).map(rows.cells.cell))
        }
    }

    /// Each row's cell texts (the CSV export).
    var texts: [[String]] {
        rows.classes.indices.map { i in (rows.starts[i]..<rows.starts[i + 1]).map { rows.cells.string(0, of: $0) ?? "" } }
    }

    /// The rows as the renderer reads them: no value per row or cell.
    public var templateValue: TemplateValue { .elements(rows, start: 0, count: count) }

    public init(from decoder: any Decoder) throws { self.init(try [ListPageView.RowView](from: decoder)) }
    public func encode(to encoder: any Encoder) throws { try views.encode(to: encoder) }
}

/// One cell of a list row: text (escaped), a link when `href` is set.
public struct ListCell: TemplateModel {
    public var text: String
    public var href: String?
    /// A class for the cell (`"num"`, `"tag danger"`), or nil.
    public var cls: String?
    /// The column's title, shown beside the value when a phone lays the row out as a card (set by
    /// `ListPage`).
    public var label: String?
    public init(_ text: String, href: String? = nil, cls: String? = nil) {
        self.text = text
        self.href = href
        self.cls = cls
    }

    /// A phone number as a `tel:` link (a tap calls it), never broken across lines; plain text
    /// when it holds no digits.
    public static func phone(_ number: String) -> ListCell {
        ListCell(number, href: Tel.href(number), cls: "tel")
    }
}

/// `tel:` links for phone numbers in templates: `<a class="tel" href="{{telHref}}">{{phone}}</a>`
/// with `telHref: Tel.href(phone)` in the page model.
public enum Tel {
    /// `tel:+8657188886666` from 「+86 571-8888 6666」, 「0571-88886666 转 8」 → `tel:057188886666,8`;
    /// nil when the text has no digits.
    public static func href(_ number: String) -> String? {
        // By Unicode scalar, not Character: a list page makes one per phone cell.
        var out = "tel:"
        var digits = 0
        var extensionStarted = false
        for s in number.unicodeScalars {
            if s.value >= 0x30 && s.value <= 0x39 {
                out.unicodeScalars.append(s)
                digits += 1
            } else if s == "+" && out.utf8.count == 4 {
                out.unicodeScalars.append(s)
            } else if !extensionStarted, out.utf8.count > 4, s == "转" || s == "x" || s == "X" || s == "#" || s == "," {
                extensionStarted = true
                out.append(",")
            }
        }
        while out.hasSuffix(",") { out.removeLast() }
        return digits > 0 ? out : nil
    }
}

/// The page model of every `ListPage` (`Web/templates/list/page.mustache`).
public struct ListPageView: PageModel {
    public static let template = "/list/page"

    public struct Link: TemplateModel {
        public var title: String
        public var href: String
    }

    public struct Option: TemplateModel {
        public var value: String
        public var title: String
        public var selected: Bool
    }

    public struct FilterView: TemplateModel {
        public var name: String
        public var label: String
        public var value: String
        public var isSearch: Bool
        public var isSelect: Bool
        public var isCheckbox: Bool
        public var checked: Bool
        public var isDateRange: Bool
        public var toValue: String
        public var allTitle: String
        public var options: [Option]
    }

    public struct RowView: TemplateModel {
        public var cls: String?
        public var cells: [ListCell]
    }

    public var heading: String
    public var path: String
    public var intro: String?
    public var notice: String?
    public var actions: [Link]
    public var filters: [FilterView]
    public var hasFilters: Bool
    public var list: ListView
    public var rows: ListRows
    public var colspan: Int
    public var empty: String
    /// Some filter is in use: the phone layout shows the filters unfolded.
    public var filtersOpen = false
    public var notes: ListNotes?
    public var period: PeriodView?
    public var summaries: [ListSummary] = []

    /// The period's field, its line and the links to the periods before and after (`ListPage.Period`).
    public struct PeriodView: TemplateModel {
        public var key: String
        public var label: String
        public var value: String
        public var text: String
        public var previousTitle: String
        public var previousHref: String
        public var nextTitle: String
        public var nextHref: String
        /// The asked day was not a date: today's period is shown, and the page says so.
        public var invalid: Bool
    }
}

extension Context {
    /// This request's "now" as epoch seconds (UTC), as instants are stored.
    public var epoch: Int64 { Int64(now.timeIntervalSince1970) }

    /// An epoch-seconds value from the database as a time in the company time zone ("" for NULL).
    public func displayEpoch(_ epoch: Int64?) -> String {
        guard let epoch else { return "" }
        return display(Date(timeIntervalSince1970: Double(epoch)))
    }
}

extension ListPageView: TemplateValueRepresentable {
    /// Built by hand: a list page holds hundreds of cells (see `TemplateValueRepresentable`).
    public var templateValue: TemplateValue {
        func opt(_ s: String?) -> TemplateValue { s.map { .text($0) } ?? .null }
        return .object([
            .text(heading), .text(path), opt(intro), opt(notice),
            .list(actions.map { .object([.text($0.title), .text($0.href)]) }),
            .list(filters.map { f in
                .object([.text(f.name), .text(f.label), .text(f.value), .bool(f.isSearch), .bool(f.isSelect), .bool(f.isCheckbox),
                         .bool(f.checked), .bool(f.isDateRange), .text(f.toValue), .text(f.allTitle),
                         .list(f.options.map { .object([.text($0.value), .text($0.title), .bool($0.selected)]) })])
            }),
            .bool(hasFilters),
            list.templateValue,
            rows.templateValue,
            .int(Int64(colspan)), .text(empty), .bool(filtersOpen),
            notes.map { n in
                .object([.text(n.title), .list(n.items.map { i in
                    .object([.text(i.text), .text(i.href), i.confirm.map { c in
                        .object([.text(c.action), .text(c.label), .list(c.fields.map { .object([.text($0.name), .text($0.value)]) })])
                    } ?? .null])
                })])
            } ?? .null,
            period.map { p in
                .object([.text(p.key), .text(p.label), .text(p.value), .text(p.text), .text(p.previousTitle), .text(p.previousHref),
                         .text(p.nextTitle), .text(p.nextHref), .bool(p.invalid)])
            } ?? .null,
            .list(summaries.map { m in
                .object([.text(m.title), .list(m.headers.map { .object([.text($0.title), opt($0.cls)]) }),
                         .list(m.rows.map { r in .object([.list(r.cells.map { c in .object([.text(c.text), opt(c.href), opt(c.cls), opt(c.label)]) })]) }),
                         .bool(m.hasRows), .text(m.note)])
            }),
        ])
    }
}

extension ListView: TemplateValueRepresentable {
    public var templateValue: TemplateValue {
        .object([
            .list(headers.map {
                .object([.text($0.title), .bool($0.sortable), .bool($0.active), .text($0.arrow), .text($0.href), $0.cls.map { .text($0) } ?? .null])
            }),
            .int(Int64(page)), .bool(hasNext), .bool(hasPrev), nextHref.map { .text($0) } ?? .null, prevHref.map { .text($0) } ?? .null,
            .text(csvHref),
        ])
    }
}
