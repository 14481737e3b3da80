import Testing
@testable import SalesKit

@Suite("CSVTable")
struct CSVTableTests {
    @Test func encodedStartsWithUTF8BOMAndUsesCRLF() {
        let bytes = CSVTable(header: ["名称", "金额"], rows: [["甲公司", "1,234.50"]]).encoded()
        #expect(Array(bytes.prefix(3)) == [0xEF, 0xBB, 0xBF])
        let text = String(decoding: bytes.dropFirst(3), as: UTF8.self)
        #expect(text == "名称,金额\r\n甲公司,\"1,234.50\"\r\n")
    }

    @Test func headerOnlyTable() {
        let bytes = CSVTable(header: ["a"]).encoded()
        #expect(bytes == [0xEF, 0xBB, 0xBF, UInt8(ascii: "a"), 13, 10])
    }

    @Test func quotingFollowsRFC4180() {
        #expect(CSVTable.cell("plain") == "plain")
        #expect(CSVTable.cell("") == "")
        #expect(CSVTable.cell("a,b") == "\"a,b\"")
        #expect(CSVTable.cell("say \"hi\"") == "\"say \"\"hi\"\"\"")
        #expect(CSVTable.cell("line1\nline2") == "\"line1\nline2\"")
        #expect(CSVTable.cell("a\rb") == "\"a\rb\"")
        #expect(CSVTable.cell("中文 空格") == "中文 空格")
    }

    @Test(arguments: ["=SUM(A1:A9)", "+1", "-1", "@cmd", "\tx", "=HYPERLINK(\"http://x\")"])
    func formulaInjectionPrefixesAQuote(_ value: String) {
        let cell = CSVTable.cell(value)
        let unquoted = cell.hasPrefix("\"") ? String(cell.dropFirst()) : cell
        #expect(unquoted.hasPrefix("'"))
        #expect(unquoted.dropFirst().hasPrefix(value.prefix(1)))
    }

    @Test func formulaPrefixAndQuotingCombine() {
        #expect(CSVTable.cell("=1,2") == "\"'=1,2\"")
        #expect(CSVTable.cell("\rcmd") == "\"'\rcmd\"")
        #expect(CSVTable.cell("=\"x\"") == "\"'=\"\"x\"\"\"")
    }

    @Test func valuesMerelyContainingFormulaCharactersAreUntouched() {
        #expect(CSVTable.cell("a=b") == "a=b")
        #expect(CSVTable.cell("1+1") == "1+1")
        #expect(CSVTable.cell("user@example.com") == "user@example.com")
    }

    @Test func csvResponseHasHeadersAndTheEncodedBody() throws {
        let table = CSVTable(header: ["a"], rows: [["=1"]])
        let response = Response.csv(filename: "客户 列表.csv", table)
        #expect(response.status == 200)
        #expect(response.header("content-type") == "text/csv; charset=utf-8")
        let disposition = try #require(response.header("Content-Disposition"))
        #expect(disposition.hasPrefix("attachment;"))
        #expect(disposition.contains("filename*=UTF-8''%E5%AE%A2%E6%88%B7%20%E5%88%97%E8%A1%A8.csv"))
        #expect(response.body == table.encoded())
        #expect(response.bodyText.hasSuffix("'=1\r\n"))
    }
}

@Suite("ListSpec and ListQuery")
struct ListQueryTests {
    static let spec = ListSpec(columns: [
        .init("name", "名称", sql: "c.name"),
        .init("city", "城市", sql: "c.city"),
        .init("notes", "备注", sql: "c.notes", sortable: false),
    ], defaultSort: "name", filters: ["city", "q"], pageSize: 20, tiebreaker: "c.id")

    private func parse(_ pairs: (String, String)...) -> ListQuery {
        Self.spec.parse(FormData(pairs.map { (name: $0.0, value: $0.1) }))
    }

    /// The header of a list with no filter is kept per path, sort and direction: each request
    /// still gets its own page and pager, and a filtered request its own links.
    @Test func keptHeadersFollowSortDirectionPageAndFilters() {
        let path = "/test/kept-heads-\(Int.random(in: 0 ..< Int.max))"   // the kept heads are per process
        let a = parse(("sort", "name"), ("dir", "asc")).view(rowsFetched: 21, basePath: path)
        let again = parse(("sort", "name"), ("dir", "asc"), ("page", "2")).view(rowsFetched: 3, basePath: path)
        #expect(a.headers[0].arrow == "▲" && a.headers[0].href.contains("dir=desc") && a.page == 1 && a.hasNext && !a.hasPrev)
        #expect(again.page == 2 && !again.hasNext && again.hasPrev && again.headers.map(\.href) == a.headers.map(\.href))
        #expect(again.nextHref == nil && again.prevHref?.contains("page=1") == true)
        let down = parse(("sort", "name"), ("dir", "desc")).view(rowsFetched: 0, basePath: path)
        #expect(down.headers[0].arrow == "▼" && down.headers[0].href.contains("dir=asc") && down.csvHref.contains("dir=desc"))
        let city = parse(("sort", "city")).view(rowsFetched: 0, basePath: path)
        #expect(city.headers[1].active && !city.headers[0].active)
        let filtered = parse(("sort", "name"), ("dir", "asc"), ("city", "上海")).view(rowsFetched: 0, basePath: path)
        #expect(filtered.headers[1].href.contains("city=") && !a.headers[1].href.contains("city="))
        #expect(parse(("sort", "name"), ("dir", "asc")).view(rowsFetched: 0, basePath: path).csvHref == a.csvHref)
    }

    @Test func defaultsWithAnEmptyQuery() {
        let q = parse()
        #expect(q.sortKey == "name")
        #expect(!q.descending)
        #expect(q.page == 1)
        #expect(q.filters.isEmpty)
        #expect(!q.export)
        #expect(q.orderBy == "c.name ASC NULLS FIRST, c.id ASC NULLS FIRST")
        #expect(q.limit == 21, "one extra row tells whether a next page exists")
        #expect(q.offset == 0)
    }

    @Test func knownSortKeyAndDescending() {
        let q = parse(("sort", "city"), ("dir", "desc"))
        #expect(q.sortKey == "city")
        #expect(q.descending)
        #expect(q.orderBy == "c.city DESC NULLS LAST, c.id DESC NULLS LAST")
    }

    @Test(arguments: ["c.name; DROP TABLE customers", "evil", "", "notes", "NAME", "c.city"])
    func unknownOrUnsortableSortKeyFallsBackToDefault(_ key: String) {
        let q = parse(("sort", key), ("dir", "asc"))
        #expect(q.sortKey == "name")
        #expect(q.orderBy == "c.name ASC NULLS FIRST, c.id ASC NULLS FIRST", "only the spec's own SQL reaches ORDER BY")
    }

    @Test func anyDirOtherThanDescIsAscending() {
        #expect(!parse(("dir", "DESC; --")).descending)
        #expect(!parse(("dir", "asc")).descending)
        let defaultDesc = ListSpec(columns: Self.spec.columns, defaultSort: "name", defaultDescending: true)
        #expect(defaultDesc.parse(FormData()).descending)
        #expect(!defaultDesc.parse(FormData([("dir", "asc")])).descending)
    }

    @Test func orderByFallsBackToTiebreakerWhenDefaultSortIsNotAColumn() {
        let spec = ListSpec(columns: [.init("name", "名称", sql: "c.name")], defaultSort: "created", tiebreaker: "c.id")
        #expect(spec.parse(FormData()).orderBy == "c.id ASC NULLS FIRST, c.id ASC NULLS FIRST")
    }

    @Test(arguments: [("3", 3), ("0", 1), ("-5", 1), ("abc", 1), ("", 1), ("1.5", 1),
                      ("100000", 100_000), ("100001", 100_000), ("99999999999999999999999", 1)])
    func pageIsClamped(_ raw: String, _ expected: Int) {
        #expect(parse(("page", raw)).page == expected)
    }

    @Test func pageSetsLimitAndOffset() {
        let q = parse(("page", "4"))
        #expect(q.offset == 60)
        #expect(q.limit == 21)
    }

    @Test func csvExportReturnsEverythingFromTheStart() {
        let q = parse(("format", "csv"), ("page", "3"))
        #expect(q.export)
        #expect(q.offset == 0)
        #expect(q.limit >= 1_000_000)
        #expect(!parse(("format", "html")).export)
    }

    @Test func onlyDeclaredNonEmptyFiltersAreKept() {
        let q = parse(("city", "上海"), ("q", ""), ("owner", "7"), ("sort", "city"))
        #expect(q.filters == ["city": "上海"])
    }

    @Test func viewLinksKeepFiltersAndSort() throws {
        let q = parse(("q", "a&b"), ("city", "上海"), ("sort", "city"), ("dir", "desc"), ("page", "2"))
        let vm = q.view(rowsFetched: 21, basePath: "/crm/customers")
        #expect(vm.page == 2)
        #expect(vm.hasNext)
        #expect(vm.hasPrev)
        let filters = "city=%E4%B8%8A%E6%B5%B7&q=a%26b"
        #expect(vm.nextHref == "/crm/customers?\(filters)&sort=city&dir=desc&page=3")
        #expect(vm.prevHref == "/crm/customers?\(filters)&sort=city&dir=desc&page=1")
        #expect(vm.csvHref == "/crm/customers?\(filters)&sort=city&dir=desc&format=csv")
        #expect(q.filters == ["city": "上海", "q": "a&b"])

        let headers = vm.headers
        #expect(headers.map(\.title) == ["名称", "城市", "备注"])
        #expect(headers.map(\.active) == [false, true, false])
        #expect(headers.map(\.sortable) == [true, true, false])
        #expect(headers[1].arrow == "▼")
        #expect(headers[0].arrow == "")
        // Clicking the active descending column sorts ascending; other columns start ascending.
        #expect(headers[1].href == "/crm/customers?\(filters)&sort=city&dir=asc")
        #expect(headers[0].href == "/crm/customers?\(filters)&sort=name&dir=asc")
    }

    @Test func activeAscendingColumnLinksToDescending() throws {
        let headers = parse(("sort", "name")).view(rowsFetched: 0, basePath: "/l").headers
        #expect(headers[0].arrow == "▲")
        #expect(headers[0].href == "/l?sort=name&dir=desc")
    }

    @Test func firstAndLastPageHaveNoPrevOrNext() {
        let vm = parse().view(rowsFetched: 20, basePath: "/l")
        #expect(!vm.hasNext)
        #expect(!vm.hasPrev)
        #expect(vm.nextHref == nil)
        #expect(vm.prevHref == nil)
        #expect(vm.csvHref == "/l?sort=name&dir=asc&format=csv")
    }
}
