import SalesKit

/// Tables of the 建议评审 module (prefix `ideas_`). Times UTC epoch seconds, money 分,
/// batches as `YYYY-MM`.
///
/// The ideas module's schema, one file per version (`V1.swift`, …): a new version is a new
/// file and a line here. Applied in order by the host's migrator, each once.
enum IdeasMigrations {
    static let all: [Migration] = [v1, v2, v3, v4]
}
