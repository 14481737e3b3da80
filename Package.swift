// swift-tools-version:6.0
// Layers, bottom-up (no target may import one above it):
//   CFastCGI / CSQLite / CArgon2  – system-library shims (the only C imports)
//   FastCGI                        – libfcgi worker threads, raw requests/responses
//   SalesKit                       – the module contract: what a module author imports
//   SQLiteStore                    – the SQLite driver behind SalesKit's storage API
//   SalesHost                      – registry, router, sessions/CSRF/auth, rendering, audit, inbox
//   Plugins/<Department>           – departmental modules (import SalesKit only)
//   salesd                         – the executable: installed-module list and admin CLI
import PackageDescription

let swiftSettings: [SwiftSetting] = [.swiftLanguageMode(.v6)]

/// Department modules: (target name, folder under Plugins/, other modules' APIs it uses).
/// Each is a plain Swift target that imports SalesKit (and the APIs it names) only; the
/// executable links all of them. Add one line to install a module (then list it in
/// Sources/salesd/InstalledModules.swift).
let departmentModules: [(target: String, folder: String, uses: [String])] = [
    ("AdminModule", "Admin", []),
    ("CustomerDevelopmentModule", "CustomerDevelopment", ["CustomerDevelopmentAPI"]),
    ("SuggestionsModule", "Suggestions", []),
    ("OrderingModule", "Ordering", ["CustomerDevelopmentAPI", "OrderingAPI"]),
    ("AfterSalesModule", "AfterSales", ["CustomerDevelopmentAPI", "OrderingAPI"]),
]

/// Typed service interfaces a module offers to its dependants live in its `API/` folder, a
/// target of their own (SalesKit only), so a dependant never links the provider's code.
let moduleAPIs: [(target: String, folder: String)] = [
    ("CustomerDevelopmentAPI", "CustomerDevelopment"),
    ("OrderingAPI", "Ordering"),
]

let package = Package(
    name: "sales",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "salesd", targets: ["salesd"]),
        .library(name: "SalesKit", targets: ["SalesKit"]),
        .library(name: "SalesTesting", targets: ["SalesTesting"]),
    ],
    dependencies: [
        // Test-only: the reference our own template parser and renderer are checked against,
        // pinned so the reference cannot move under the tests (RendererTests).
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", exact: "2.1.1"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
    ],
    targets: [
        // MARK: C shims
        .systemLibrary(name: "CFastCGI", path: "Sources/CFastCGI", pkgConfig: "fcgi",
                       providers: [.apt(["libfcgi-dev"])]),
        .systemLibrary(name: "CSQLite", path: "Sources/CSQLite", pkgConfig: "sqlite3",
                       providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CPostgres", path: "Sources/CPostgres", pkgConfig: "libpq",
                       providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "CArgon2", path: "Sources/CArgon2", pkgConfig: "libargon2",
                       providers: [.apt(["libargon2-dev"])]),

        // MARK: Swift layers
        .target(name: "FastCGI", dependencies: ["CFastCGI"], swiftSettings: swiftSettings),
        .target(name: "SalesKit", swiftSettings: swiftSettings),
        .target(name: "SQLiteStore", dependencies: ["CSQLite", "SalesKit"], swiftSettings: swiftSettings),
        .target(name: "PostgresStore", dependencies: ["CPostgres", "SalesKit"], swiftSettings: swiftSettings),
        .target(name: "SalesHost", dependencies: [
            "SalesKit", "SQLiteStore", "PostgresStore", "CArgon2",
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: swiftSettings),
        .target(name: "SalesTesting", dependencies: ["SalesHost", "SalesKit"], swiftSettings: swiftSettings),

        // MARK: Executable
        .executableTarget(name: "salesd", dependencies: [
            "FastCGI", "SalesHost", "SalesKit",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ] + departmentModules.map { .target(name: $0.target) }, swiftSettings: swiftSettings),

        // MARK: Tests
        .testTarget(name: "SalesKitTests", dependencies: ["SalesKit"], swiftSettings: swiftSettings),
        .testTarget(name: "FastCGITests", dependencies: ["FastCGI"], swiftSettings: swiftSettings),
        .testTarget(name: "StorageTests", dependencies: ["SQLiteStore", "PostgresStore", "SalesKit", "SalesTesting"],
                    swiftSettings: swiftSettings),
        .testTarget(name: "HostTests", dependencies: ["SalesHost", "SalesTesting", "SalesKit", "AdminModule", "PostgresStore",
                                                   .product(name: "Mustache", package: "swift-mustache")],
                    swiftSettings: swiftSettings),
        .testTarget(name: "OrderingTests", dependencies: [
            "SalesHost", "SalesTesting", "SalesKit", "AdminModule", "CustomerDevelopmentModule", "CustomerDevelopmentAPI", "OrderingModule",
            "OrderingAPI",
        ], swiftSettings: swiftSettings),
        // Links every department module: AllFormsTests checks every installed module's forms.
        .testTarget(name: "AfterSalesTests", dependencies: [
            "SalesHost", "SalesTesting", "SalesKit", "AdminModule", "CustomerDevelopmentModule", "CustomerDevelopmentAPI", "AfterSalesModule",
            "OrderingModule", "OrderingAPI", "SuggestionsModule",
        ], swiftSettings: swiftSettings),
        .testTarget(name: "SuggestionsTests", dependencies: ["SalesHost", "SalesTesting", "SalesKit", "SuggestionsModule"],
                    swiftSettings: swiftSettings),
        .testTarget(name: "CustomerDevelopmentTests", dependencies: [
            "SalesHost", "SalesTesting", "SalesKit", "AdminModule", "CustomerDevelopmentModule", "CustomerDevelopmentAPI",
        ], swiftSettings: swiftSettings),
    ] + departmentModules.map { m in
        // MARK: Department modules (one folder each under Plugins/, importing SalesKit only)
        .target(name: m.target, dependencies: ["SalesKit"] + m.uses.map { .target(name: $0) },
                path: "Plugins/\(m.folder)",
                exclude: ["templates"] + (moduleAPIs.contains { $0.folder == m.folder } ? ["API"] : []),
                swiftSettings: swiftSettings)
    } + moduleAPIs.map {
        .target(name: $0.target, dependencies: ["SalesKit"], path: "Plugins/\($0.folder)/API", swiftSettings: swiftSettings)
    }
)
