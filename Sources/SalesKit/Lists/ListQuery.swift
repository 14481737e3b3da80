import Foundation
import Synchronization

/// The shared list component: filters, sort, keyset-friendly pagination and CSV export from one
/// declaration.
///
/// ```swift
/// let spec = ListSpec(columns: [.init("name", "名称", sql: "c.name"), .init("city", "城市", sql: "c.city")],
///                     defaultSort: "name", filters: ["city"], pageSize: 50)
/// let q = spec.parse(req.query)
/// let rows = try ctx.db.query("SELECT … FROM customers c WHERE \(q.where(...)) ORDER BY \(raw: q.orderBy) LIMIT \(q.limit) OFFSET \(q.offset)")
/// ```
public struct ListSpec: Sendable {
    public struct Column: Sendable {
        public var key: String
        public var title: String
        /// The SQL expression to sort by (chosen by code, never by the user).
        public var sql: String
        public var sortable: Bool
        /// The result column holding this value (for keyset paging): by default the part of
        /// `sql` after the last dot (`c.name` → `name`).
        public var rowKey: String
        /// A class for the column's header cell (`"num"` right-aligns it over right-aligned numbers).
        public var cls: String?
        public init(_ key: String, _ title: String, sql: String, sortable: Bool = true, rowKey: String? = nil, cls: String? = nil) {
            self.key = key
            self.title = title
            self.sql = sql
            self.sortable = sortable
            self.rowKey = rowKey ?? String(sql.split(separator: ".").last ?? Substring(sql))
            self.cls = cls
        }
    }

    public var columns: [Column]
    public var defaultSort: String
    public var defaultDescending: Bool
    /// Query parameters that are filters (kept in sort/page links).
    public var filters: [String]
    public var pageSize: Int
    /// A unique tiebreaker column for stable ordering (e.g. `c.id`).
    public var tiebreaker: String

    public init(columns: [Column], defaultSort: String, defaultDescending: Bool = false, filters: [String] = [],
                pageSize: Int = 50, tiebreaker: String = "id") {
        self.columns = columns
        self.defaultSort = defaultSort
        self.defaultDescending = defaultDescending
        self.filters = filters
        self.pageSize = pageSize
        self.tiebreaker = tiebreaker
    }

    public func parse(_ query: FormData) -> ListQuery {
        let sortKey = query["sort"].flatMap { k in columns.first { $0.key == k && $0.sortable }?.key } ?? defaultSort
        let desc = query["dir"].map { $0 == "desc" } ?? defaultDescending
        let page = max(1, min(Int(query["page"] ?? "") ?? 1, 100_000))
        var filterValues: [String: String] = [:]
        for f in filters { if let v = query[f], !v.isEmpty { filterValues[f] = v } }
        var cursor: ListQuery.Cursor?
        for (param, forward) in [("after", true), ("before", false)] {
            if let v = query[param], let id = query[param + "_id"].flatMap({ Int64($0) }), let value = ListQuery.Cursor.decode(v) {
                cursor = .init(value: value, id: id, forward: forward)
            }
        }
        return ListQuery(spec: self, sortKey: sortKey, descending: desc, page: page, filters: filterValues,
                         export: query["format"] == "csv", cursor: cursor)
    }

    /// The result column of the tiebreaker (`c.id` → `id`).
    var tiebreakerKey: String { String(tiebreaker.split(separator: ".").last ?? Substring(tiebreaker)) }
}

public struct ListQuery: Sendable {
    public let spec: ListSpec
    public let sortKey: String
    public let descending: Bool
    public let page: Int
    public let filters: [String: String]
    /// `?format=csv` was asked: return every row as CSV.
    public let export: Bool
    /// Keyset paging: the page starts after (or ends before) this row of the sort order.
    public let cursor: Cursor?

    public init(spec: ListSpec, sortKey: String, descending: Bool, page: Int, filters: [String: String], export: Bool,
                cursor: Cursor? = nil) {
        self.spec = spec
        self.sortKey = sortKey
        self.descending = descending
        self.page = page
        self.filters = filters
        self.export = export
        self.cursor = export ? nil : cursor
    }

    /// A row position in the sort order: its sort value and tiebreaker id. In links as
    /// `after=<value>&after_id=<id>` (or `before…`); the value is `n` (NULL), `i<integer>` or `t<text>`.
    public struct Cursor: Sendable, Equatable {
        public var value: SQLValue
        public var id: Int64
        public var forward: Bool

        static func decode(_ s: String) -> SQLValue? {
            guard let tag = s.first else { return nil }
            let rest = String(s.dropFirst())
            switch tag {
            case "n": return .null
            case "i": return Int64(rest).map { .integer($0) }
            case "t": return .text(rest)
            default: return nil
            }
        }

        static func encode(_ v: SQLValue) -> String {
            switch v {
            case .null: "n"
            case .integer(let i): "i" + String(i)
            // Int64(d) traps on NaN, infinity or beyond ±9.2e18 (a REAL written by hand).
            case .real(let d): "i" + String(Int64(exactly: d.rounded(.towardZero)) ?? (d.isNaN ? 0 : d < 0 ? .min : .max))
            case .text(let t): "t" + t
            case .blob(let b): "t" + String(decoding: b, as: UTF8.self)
            }
        }
    }

    var sortColumn: ListSpec.Column? { spec.columns.first { $0.key == sortKey } }

    /// Paging backwards reads the sort order reversed (then `pageRows` restores it).
    var scanDescending: Bool { cursor?.forward == false ? !descending : descending }

    /// `ORDER BY` text built only from the spec's own SQL expressions.
    public var orderBy: String {
        let col = sortColumn?.sql ?? spec.tiebreaker
        // NULL first ascending, last descending — SQLite's default, spelled out so PostgreSQL
        // (the other way round by default) sorts, and `seek` pages, the same.
        let dir = scanDescending ? "DESC NULLS LAST" : "ASC NULLS FIRST"
        return "\(col) \(dir), \(spec.tiebreaker) \(dir)"
    }

    /// ` AND <rows past the cursor>` for keyset paging, or nothing: append it to the WHERE clause.
    /// With an index on (sort column, id) a page costs the same at any depth of any size of table
    /// (OFFSET paging reads and discards every row before the page).
    /// SQLite sorts NULL first ascending, last descending; the conditions keep that order.
    public var seek: SQL {
        guard let c = cursor else { return "" }
        let col = sortColumn?.sql ?? spec.tiebreaker
        let id = spec.tiebreaker
        let greater = !scanDescending
        let cmp = greater ? ">" : "<"
        if c.value == .null {
            // Among NULLs by id; ascending, every non-NULL value still follows.
            return greater ? " AND ((\(raw: col) IS NULL AND \(raw: id) > \(c.id)) OR \(raw: col) IS NOT NULL)"
                           : " AND (\(raw: col) IS NULL AND \(raw: id) < \(c.id))"
        }
        let past: SQL = "(\(raw: col), \(raw: id)) \(raw: cmp) (\(c.value), \(c.id))"
        return greater ? " AND " + past : " AND (" + past + " OR \(raw: col) IS NULL)"
    }

    /// ` AND` conditions for the date-range filters `from` / `to` (`YYYY-MM-DD`, either may be
    /// empty; an invalid date is ignored), on a column the code names:
    /// - a `YYYY-MM-DD` text column: `q.dateRange("d.report_date")`;
    /// - an epoch-seconds column: `q.dateRange("c.registered_at", epochIn: ctx.timeZone)` (whole
    ///   days in the company time zone, the `to` day included).
    public func dateRange(_ column: String, epochIn zone: TimeZone? = nil, from: String = "from", to: String = "to") -> SQL {
        var sql: SQL = ""
        if let f = filters[from].flatMap(LocalDate.init) {
            if let zone {
                sql = sql + " AND \(raw: column) >= \(Int64(f.start(in: zone).timeIntervalSince1970))"
            } else {
                sql = sql + " AND \(raw: column) >= \(f.description)"
            }
        }
        if let t = filters[to].flatMap(LocalDate.init) {
            if let zone {
                sql = sql + " AND \(raw: column) < \(Int64(t.adding(days: 1).start(in: zone).timeIntervalSince1970))"
            } else {
                sql = sql + " AND \(raw: column) <= \(t.description)"
            }
        }
        return sql
    }

    /// Rows per page; one more is fetched to know whether a next page exists.
    public var limit: Int { export ? 1_000_000 : spec.pageSize + 1 }
    public var offset: Int { export || cursor != nil ? 0 : (page - 1) * spec.pageSize }

    /// The rows to show, in display order (a backward page was read reversed, with one extra row).
    public func pageRows(_ rows: [Row]) -> [Row] {
        guard !export else { return rows }
        let shown = Array(rows.prefix(spec.pageSize))
        return cursor?.forward == false ? shown.reversed() : shown
    }

    /// The list's header and pager from the fetched rows (keyset links).
    public func view(rows: [Row], basePath: String) -> ListView {
        let shown = rows.prefix(export ? rows.count : spec.pageSize)
        return view(fetched: rows.count, edges: shown.first.flatMap { f in shown.last.map { (f, $0) } }, basePath: basePath)
    }

    /// The columns the pager's links carry from a row (the sort column's key and the tiebreaker).
    public var pagingKeys: [String] { [sortColumn?.rowKey ?? spec.tiebreakerKey, spec.tiebreakerKey] }
    /// Rows to show of those fetched, in the order read (the one after them only tells that more exist).
    public var shownLimit: Int { export ? limit : spec.pageSize }
    /// A backward page is read in reverse sort order; its rows are shown reversed.
    public var readsBackward: Bool { !export && cursor?.forward == false }

    /// The list's header and pager from what was fetched: how many rows, and the first and last
    /// shown rows as read (`edges`, needing only the `pagingKeys` columns).
    public func view(fetched: Int, edges: (first: Row, last: Row)?, basePath: String) -> ListView {
        let more = fetched > spec.pageSize
        let backward = cursor?.forward == false
        let hasNext = backward ? true : more
        let hasPrev = backward ? more : (cursor != nil || page > 1)
        var m = view(hasNext: false, hasPrev: false, basePath: basePath)
        let key = sortColumn?.rowKey ?? spec.tiebreakerKey
        func link(_ row: Row, _ dir: String, _ page: Int) -> String {
            listLink(basePath, [("sort", sortKey), ("dir", descending ? "desc" : "asc"),
                                (dir, Cursor.encode(row[key])), (dir + "_id", String(row.int(spec.tiebreakerKey) ?? 0)),
                                ("page", String(page))])
        }
        // In display order (a backward page is shown reversed).
        let first = backward ? edges?.last : edges?.first
        let last = backward ? edges?.first : edges?.last
        m.hasNext = hasNext && edges != nil
        m.hasPrev = hasPrev && edges != nil
        if hasNext, let last { m.nextHref = link(last, "after", page + 1) }
        if hasPrev, let first { m.prevHref = link(first, "before", max(1, page - 1)) }
        return m
    }

    /// The list's header and pager, OFFSET paging.
    public func view(rowsFetched: Int, basePath: String) -> ListView {
        let hasNext = rowsFetched > spec.pageSize
        var m = view(hasNext: hasNext, hasPrev: page > 1, basePath: basePath)
        let sortParams: [(String, String)] = [("sort", sortKey), ("dir", descending ? "desc" : "asc")]
        if hasNext { m.nextHref = listLink(basePath, sortParams + [("page", String(page + 1))]) }
        if page > 1 { m.prevHref = listLink(basePath, sortParams + [("page", String(page - 1))]) }
        return m
    }

    /// A link to this list with the filters kept and `extra` added.
    func listLink(_ basePath: String, _ extra: [(String, String)]) -> String {
        let pairs = filters.sorted(by: { $0.key < $1.key }).map { (name: $0.key, value: $0.value) }
            + extra.map { (name: $0.0, value: $0.1) }
        guard !pairs.isEmpty else { return basePath }
        var out = Array(basePath.utf8)
        out.reserveCapacity(out.count + 64)
        out.append(UInt8(ascii: "?"))
        URLEncoding.appendEncoded(pairs, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// A link to this list with the filters kept but `key`'s, which becomes `value` (the sort and
    /// page start again: another period is another list).
    func listLink(_ basePath: String, replacing key: String, with value: String) -> String {
        var pairs = filters.filter { $0.key != key }.sorted(by: { $0.key < $1.key }).map { (name: $0.key, value: $0.value) }
        pairs.append((name: key, value: value))
        var out = Array(basePath.utf8)
        out.append(UInt8(ascii: "?"))
        URLEncoding.appendEncoded(pairs, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// The header and CSV link of a list with no filter in use, by path, sort and direction:
    /// they are the same on every such request (most list pages, e.g. a rep's customer list
    /// opened from the menu), and building them is a link per column. Bounded: a list has a
    /// few sortable columns and two directions; past the limit nothing more is kept.
    private static let plainHeads = Mutex<[String: ListView]>([:])
    static let plainHeadsLimit = 2_048

    private func view(hasNext: Bool, hasPrev: Bool, basePath: String) -> ListView {
        guard filters.isEmpty else { return makeView(hasNext: hasNext, hasPrev: hasPrev, basePath: basePath) }
        let key = basePath + "\u{0}" + sortKey + (descending ? "\u{0}d" : "\u{0}a")
        if var kept = Self.plainHeads.withLock({ $0[key] }) {
            kept.page = page
            kept.hasNext = hasNext
            kept.hasPrev = hasPrev
            return kept
        }
        let made = makeView(hasNext: hasNext, hasPrev: hasPrev, basePath: basePath)
        Self.plainHeads.withLock { heads in
            if heads.count < Self.plainHeadsLimit { heads[key] = made }
        }
        return made
    }

    private func makeView(hasNext: Bool, hasPrev: Bool, basePath: String) -> ListView {
        func link(_ extra: [(String, String)]) -> String { listLink(basePath, extra) }
        let sortParams: [(String, String)] = [("sort", sortKey), ("dir", descending ? "desc" : "asc")]
        let headers = spec.columns.map { c in
            let active = c.key == sortKey
            let nextDir = active && !descending ? "desc" : "asc"
            return ListView.Header(title: c.title, sortable: c.sortable, active: active,
                                   arrow: active ? (descending ? "▼" : "▲") : "", href: link([("sort", c.key), ("dir", nextDir)]),
                                   cls: c.cls)
        }
        return ListView(headers: headers, page: page, hasNext: hasNext, hasPrev: hasPrev, nextHref: nil, prevHref: nil,
                        csvHref: link(sortParams + [("format", "csv")]))
    }
}

/// A list's sortable header and pager (the `list/head` and `list/pager` partials).
public struct ListView: TemplateModel {
    public struct Header: TemplateModel {
        public var title: String
        public var sortable: Bool
        public var active: Bool
        public var arrow: String
        public var href: String
        /// The column's class (`num`, `code`, `tel`), for the header cell.
        public var cls: String? = nil
    }

    public var headers: [Header]
    public var page: Int
    public var hasNext: Bool
    public var hasPrev: Bool
    public var nextHref: String?
    public var prevHref: String?
    public var csvHref: String
}
