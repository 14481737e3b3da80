import SalesKit

/// The numbers people cite for the module's documents other than orders and contracts (which
/// have counted numbers): 合同变更 `BG000012`, 坏账核销 `HX000003`, 分支机构订货单 `FD000007`,
/// 试制样品 `SZ000002`, 分批交货 `JH000015` — derived from the record's id (stable, never reused),
/// shown wherever the document is named instead of a bare 「#12」 (issue #16 point 10).
enum OrderDocNo {
    static func change(_ id: Int64) -> String { DocumentNumber.make("BG", id) }
    static func writeoff(_ id: Int64) -> String { DocumentNumber.make("HX", id) }
    static func branchOrder(_ id: Int64) -> String { DocumentNumber.make("FD", id) }
    static func trial(_ id: Int64) -> String { DocumentNumber.make("SZ", id) }
    static func delivery(_ id: Int64) -> String { DocumentNumber.make("JH", id) }
}
