import Foundation
import SalesHost
import SalesTesting
import Testing

/// A strict configuration (issue 18): an unknown key is an error naming it, types are checked
/// with the key named, and the precedence is default < file < environment (< flags), each value's
/// origin reported by `salesd config --print`.
@Suite struct ConfigStrictnessTests {
    let dir: String
    init() throws {
        dir = NSTemporaryDirectory() + "sales-config-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    func file(_ json: String) throws -> String {
        let path = dir + "/salesd-\(UUID().uuidString).json"
        try json.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func message(_ body: () throws -> Any) -> String {
        do {
            _ = try body()
            return "(loaded)"
        } catch let e as ConfigError {
            return e.message
        } catch {
            return "unexpected error type: \(error)"
        }
    }

    @Test func anUnknownKeyIsAnErrorNamingItAndTheNearestKnownKey() throws {
        let path = try file(#"{"dataDir": "/srv/sales", "dataDirr": "/elsewhere"}"#)
        let m = message { try AppConfig.load(path: path, environment: [:]) }
        #expect(m.contains("unknown key \"dataDirr\""), "\(m)")
        #expect(m.contains(path))
        #expect(m.contains("did you mean \"dataDir\"?"), "\(m)")
        let snake = message { try AppConfig.load(path: try file(#"{"session_minutes": 30}"#), environment: [:]) }
        #expect(snake.contains("did you mean \"sessionMinutes\"?"), "\(snake)")
        let far = message { try AppConfig.load(path: try file(#"{"colour": "blue"}"#), environment: [:]) }
        #expect(far.contains("unknown key \"colour\"") && !far.contains("did you mean"), "\(far)")
    }

    @Test func nearestKeySuggestsOnlyCloseNames() {
        #expect(AppConfig.nearestKey(to: "listne") == "listen")
        #expect(AppConfig.nearestKey(to: "MAX_BODY_BYTES") == "maxBodyBytes")
        #expect(AppConfig.nearestKey(to: "trustRemoteUsers") == "trustRemoteUser")
        #expect(AppConfig.nearestKey(to: "wholly-unrelated-setting") == nil)
    }

    @Test func aValueOfTheWrongTypeNamesTheKey() throws {
        let m = message { try AppConfig.load(path: try file(#"{"processes": "2"}"#), environment: [:]) }
        #expect(m.contains("processes") && m.contains("whole number"), "\(m)")
        let b = message { try AppConfig.load(path: try file(#"{"secureCookies": "yes"}"#), environment: [:]) }
        #expect(b.contains("secureCookies") && b.contains("true or false"), "\(b)")
    }

    @Test func aMissingUnreadableOrMalformedFileIsAClearConfigError() throws {
        let missing = message { try AppConfig.load(path: dir + "/nope.json", environment: [:]) }
        #expect(missing == "configuration file \(dir)/nope.json not found", "\(missing)")
        #expect(!missing.contains("NSCocoaErrorDomain"))
        let notJSON = message { try AppConfig.load(path: try file("dataDir = /x"), environment: [:]) }
        #expect(notJSON.contains("is not valid JSON"), "\(notJSON)")
        let list = message { try AppConfig.load(path: try file("[1, 2]"), environment: [:]) }
        #expect(list.contains("must hold one JSON object"), "\(list)")
        let directory = message { try AppConfig.load(path: dir, environment: [:]) }
        #expect(directory.contains("is a directory"), "\(directory)")
    }

    @Test func environmentOverridesTheFileAndEachValueKnowsItsOrigin() throws {
        let path = try file(#"{"dataDir": "/from/file", "listen": "tcp:127.0.0.1:9000", "companyName": "文件里的公司"}"#)
        let r = try AppConfig.resolve(path: path, environment: ["SALES_LISTEN": "unix:/from/env.sock", "SALES_THREADS": "3"])
        #expect(r.config.dataDir == "/from/file")
        #expect(r.config.listen == "unix:/from/env.sock")
        #expect(r.config.threads == 3)
        #expect(r.config.processes == AppConfig().processes)
        #expect(r.file == path)
        #expect(r.sources["dataDir"] == .file)
        #expect(r.sources["listen"] == .environment("SALES_LISTEN"))
        #expect(r.sources["threads"] == .environment("SALES_THREADS"))
        #expect(r.sources["processes"] == .default)

        // The printed form: every key, with value and origin.
        let printed = try #require(try JSONSerialization.jsonObject(with: Data(r.json().utf8)) as? [String: Any])
        #expect(printed["file"] as? String == path)
        #expect(printed["databasePath"] as? String == "/from/file/sales.sqlite")
        let settings = try #require(printed["settings"] as? [String: [String: Any]])
        #expect(Set(settings.keys) == Set(AppConfig.keys))
        #expect(settings["dataDir"]?["from"] as? String == "file")
        #expect(settings["listen"]?["from"] as? String == "env")
        #expect(settings["listen"]?["env"] as? String == "SALES_LISTEN")
        #expect(settings["listen"]?["value"] as? String == "unix:/from/env.sock")
        #expect(settings["companyName"]?["value"] as? String == "文件里的公司")
        #expect(settings["sessionMinutes"]?["from"] as? String == "default")
    }

    @Test func newSettingsHaveDefaultsAndAreChecked() throws {
        let d = try AppConfig.load(path: nil, environment: [:])
        #expect(d.slowRequestMs == 1000)
        #expect(d.logPriorityPrefix == "auto")
        #expect(try AppConfig.load(path: nil, environment: ["SALES_SLOW_REQUEST_MS": "0"]).slowRequestMs == 0)
        #expect(throws: ConfigError.self) { try AppConfig.load(path: nil, environment: ["SALES_SLOW_REQUEST_MS": "-1"]) }
        #expect(throws: ConfigError.self) { try AppConfig.load(path: nil, environment: ["SALES_LOG_PRIORITY_PREFIX": "yes"]) }
        #expect(throws: ConfigError.self) { try AppConfig.load(path: nil, environment: ["SALES_SQLITE_SYNCHRONOUS": "OFF"]) }
    }

    /// The shipped example is what install.sh copies to /etc/sales/salesd.json: it must load
    /// strictly, and the unit must not override its dataDir behind the CLI's back.
    @Test func theShippedExampleLoadsAndTheUnitSetsNoSalesVariables() throws {
        let root = TestApp.repositoryRoot
        let example = try AppConfig.resolve(path: root + "/deploy/salesd.json.example", environment: [:])
        #expect(example.config.dataDir == "/var/lib/sales")
        let unit = try String(contentsOfFile: root + "/deploy/systemd/salesd.service", encoding: .utf8)
        let overrides = unit.split(separator: "\n").filter { $0.hasPrefix("Environment") && $0.contains("SALES_") }
        #expect(overrides.isEmpty, "the unit overrides the config file: \(overrides)")
        for line in unit.split(separator: "\n") where line.hasPrefix("ExecStart") && line.contains("salesd ") {
            #expect(line.contains("--config /etc/sales/salesd.json"), "\(line)")
        }
    }
}
