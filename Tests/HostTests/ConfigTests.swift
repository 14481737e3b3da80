import Foundation
import Testing
import SalesHost

/// `SALES_*` environment overrides keep each setting's type.
@Suite struct ConfigTests {
    @Test func numericOverrideOfOneIsANumberNotABool() throws {
        // Regression: on Linux a JSON 0/1 also matched `is Bool`, so SALES_THREADS=1 failed to decode.
        #expect(try AppConfig.load(path: nil, environment: [:]).threads == 0)
        let one = try AppConfig.load(path: nil, environment: ["SALES_THREADS": "1", "SALES_DEBUG_ROUTES": "1",
                                                              "SALES_SECURE_COOKIES": "false", "SALES_DATA_DIR": "/x"])
        #expect(one.threads == 1)
        #expect(one.debugRoutes == true)
        #expect(one.secureCookies == false)
        #expect(one.dataDir == "/x")
    }

    @Test func badValuesAreRefusedWithTheVariableName() {
        #expect(throws: ConfigError.self) { try AppConfig.load(path: nil, environment: ["SALES_THREADS": "many"]) }
        #expect(throws: ConfigError.self) { try AppConfig.load(path: nil, environment: ["SALES_DEBUG_ROUTES": "yes"]) }
    }
}

/// Issue #17: `database` is a file or a PostgreSQL URL, and `DATABASE_URL` names it as every
/// PostgreSQL tool does.
@Suite struct DatabaseURLConfigTests {
    @Test func databaseURLFromTheEnvironmentWinsAndItsPasswordIsNeverShown() throws {
        let plain = try AppConfig.resolve(path: nil, environment: [:])
        #expect(!plain.config.usesPostgreSQL && plain.config.databaseDisplayName.hasSuffix("/sales.sqlite"))
        let url = "postgresql://sales:geheim@db.example:5432/sales"
        let r = try AppConfig.resolve(path: nil, environment: ["SALES_DATABASE": "other.sqlite", "DATABASE_URL": url])
        #expect(r.config.database == url && r.config.usesPostgreSQL)
        #expect(r.sources["database"] == .environment("DATABASE_URL"))
        #expect(r.config.databaseDisplayName == "postgresql://sales:***@db.example:5432/sales")
        #expect(try AppConfig.resolve(path: nil, environment: ["DATABASE_URL": "postgres:///sales?host=/run/pg"]).config.usesPostgreSQL)
    }
}
