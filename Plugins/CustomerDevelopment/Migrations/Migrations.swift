import SalesKit

/// Tables of the 客户开发 module (prefix `crm_`). Times are UTC epoch seconds; money in 分.
///
/// The crm module's schema, one file per version (`V1.swift`, …): a new version is a new
/// file and a line here. Applied in order by the host's migrator, each once.
enum CRMMigrations {
    static let all: [Migration] = [v1, v2, v3, v4, v5, v6, v7, v8, v9, v10, v11, v12]
}
