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
        public init(_ key: String, _ title: String, sql: String, sortable: Bool = true) {
            self.key = key
            self.title = title
            self.sql = sql
            self.sortable = sortable
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
        return ListQuery(spec: self, sortKey: sortKey, descending: desc, page: page, filters: filterValues,
                         export: query["format"] == "csv")
    }
}

public struct ListQuery: Sendable {
    public let spec: ListSpec
    public let sortKey: String
    public let descending: Bool
    public let page: Int
    public let filters: [String: String]
    /// `?format=csv` was asked: return every row as CSV.
    public let export: Bool

    /// `ORDER BY` text built only from the spec's own SQL expressions.
    public var orderBy: String {
        let col = spec.columns.first { $0.key == sortKey }?.sql ?? spec.tiebreaker
        let dir = descending ? "DESC" : "ASC"
        return "\(col) \(dir), \(spec.tiebreaker) \(dir)"
    }

    /// Rows per page; one more is fetched to know whether a next page exists.
    public var limit: Int { export ? 1_000_000 : spec.pageSize + 1 }
    public var offset: Int { export ? 0 : (page - 1) * spec.pageSize }

    /// Template data for the list's header and pager (sort links keep the filters).
    public func viewModel(rowsFetched: Int, basePath: String) -> [String: Any] {
        func link(_ extra: [(String, String)]) -> String {
            var q = FormData()
            for (k, v) in filters.sorted(by: { $0.key < $1.key }) { q.append(k, v) }
            for (k, v) in extra { q.append(k, v) }
            return basePath + (q.isEmpty ? "" : "?" + URLEncoding.encode(q))
        }
        let sortParams: [(String, String)] = [("sort", sortKey), ("dir", descending ? "desc" : "asc")]
        let headers: [[String: Any]] = spec.columns.map { c in
            let active = c.key == sortKey
            let nextDir = active && !descending ? "desc" : "asc"
            return ["title": c.title, "sortable": c.sortable, "active": active,
                    "arrow": active ? (descending ? "▼" : "▲") : "",
                    "href": link([("sort", c.key), ("dir", nextDir)])]
        }
        let hasNext = rowsFetched > spec.pageSize
        var m: [String: Any] = [
            "headers": headers, "page": page, "hasNext": hasNext, "hasPrev": page > 1,
            "csvHref": link(sortParams + [("format", "csv")]),
            "filters": filters,
        ]
        if hasNext { m["nextHref"] = link(sortParams + [("page", String(page + 1))]) }
        if page > 1 { m["prevHref"] = link(sortParams + [("page", String(page - 1))]) }
        return m
    }
}
