import SalesKit

/// The service module's schema, one file per version (`V1.swift`, …): a new version is a new
/// file and a line here. Applied in order by the host's migrator, each once.
enum ServiceMigrations {
    static let all: [Migration] = [v1, v2, v3, v4, v5, v6, v7, v8, v9, v10]
}
