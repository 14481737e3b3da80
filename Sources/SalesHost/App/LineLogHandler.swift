import Foundation
import Logging
import Synchronization

/// One line per log event on stderr (the journal under systemd):
/// `2026-11-26T03:06:00+0800 info salesd.access: GET /crm/customers 200 17791B 2.1ms user=rep`.
/// swift-log's `StreamLogHandler` formats the time with `strftime` on every event; the access
/// log writes one line per request, so here the text of the current second is kept and reused.
public struct LineLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata = Logger.Metadata()
    private let label: String

    public init(label: String) { self.label = label }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    private static let clock = Mutex<(second: Int, text: String)>((-1, ""))

    static func timestamp() -> String {
        let now = time(nil)
        return clock.withLock { c in
            if c.second != now {
                var t = now
                var parts = tm()
                localtime_r(&t, &parts)
                var buf = [CChar](repeating: 0, count: 32)
                let n = strftime(&buf, buf.count, "%Y-%m-%dT%H:%M:%S%z", &parts)
                c = (now, String(decoding: buf.prefix(n).map { UInt8(bitPattern: $0) }, as: UTF8.self))
            }
            return c.text
        }
    }

    public func log(event: LogEvent) {
        var line = Self.timestamp() + " \(event.level) " + label + ":"
        let all = metadata.merging(event.metadata ?? [:]) { _, new in new }
        if !all.isEmpty { line += " " + all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ") }
        line += " \(event.message)\n"
        // One write(2) per line: lines from different worker threads never interleave.
        line.withUTF8 { buf in _ = write(2, buf.baseAddress, buf.count) }
    }
}
