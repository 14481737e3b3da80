import Foundation
import Logging
import Synchronization

/// One line per log event on stderr (the journal under systemd):
/// `2026-11-26T03:06:00+0800 info salesd.access: GET /crm/customers 200 17791B 2.1ms user=rep req=5f0c9a1e`.
/// swift-log's `StreamLogHandler` formats the time with `strftime` on every event; the access
/// log writes one line per request, so here the text of the current second is kept and reused.
///
/// Under systemd each line also starts with its syslog priority in the sd-daemon form
/// (`<4>` warning, `<3>` error, …), which journald strips and stores as the entry's priority
/// (`SyslogLevelPrefix=yes`, the default), so `journalctl -p warning` shows warnings and worse.
/// Whether the prefix is written: `logPriorityPrefix` (`auto`: only when stderr is the journal
/// stream systemd announced in `JOURNAL_STREAM`; `on`; `off`). A terminal or a log file keeps
/// the plain line.
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

    /// Whether lines carry the `<N>` prefix; decided from the environment at start, then by
    /// `configure` once the configuration is read.
    private static let priorityPrefix = Atomic<Bool>(stderrIsJournal())

    /// Applies `logPriorityPrefix` (`auto`, `on`, `off`) for every handler of this process.
    public static func configure(_ mode: LogPriorityPrefix, environment: [String: String] = ProcessInfo.processInfo.environment) {
        let on: Bool
        switch mode {
        case .on: on = true
        case .off: on = false
        case .auto: on = stderrIsJournal(environment: environment)
        }
        priorityPrefix.store(on, ordering: .relaxed)
    }

    public static var writesPriorityPrefix: Bool { priorityPrefix.load(ordering: .relaxed) }

    /// systemd sets `JOURNAL_STREAM=<device>:<inode>` for a service whose stderr (or stdout) is
    /// connected to the journal; it holds for this process only if fd 2 is that very stream
    /// (not when stderr was redirected to a file or a terminal in between).
    public static func stderrIsJournal(environment: [String: String] = ProcessInfo.processInfo.environment) -> Bool {
        guard let value = environment["JOURNAL_STREAM"] else { return false }
        let parts = value.split(separator: ":")
        guard parts.count == 2, let device = UInt64(parts[0]), let inode = UInt64(parts[1]) else { return false }
        var st = stat()
        guard fstat(2, &st) == 0 else { return false }
        return UInt64(st.st_dev) == device && UInt64(st.st_ino) == inode
    }

    /// The syslog priority (RFC 5424 severity) of a swift-log level.
    public static func syslogPriority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }

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

    /// The text written for one event, newline included. With `priorityPrefix` every physical
    /// line starts with `<N>` (journald reads each line of a stream as its own entry, so a
    /// multi-line message keeps its priority on every line).
    public static func line(level: Logger.Level, label: String, metadata: Logger.Metadata, message: String,
                            timestamp: String, priorityPrefix: Bool) -> String {
        // Built in one buffer (the access log writes a line per request): no interpolation of
        // the level (a reflection walk), no Foundation replace for the common one-line message.
        var line = ""
        line.reserveCapacity(timestamp.utf8.count + label.utf8.count + message.utf8.count + 16)
        line += timestamp
        line += " "
        line += levelName(level)
        line += " "
        line += label
        line += ":"
        if !metadata.isEmpty { line += " " + metadata.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ") }
        line += " "
        line += message
        guard priorityPrefix else { return line + "\n" }
        let prefix = "<\(syslogPriority(level))>"
        guard line.utf8.contains(UInt8(ascii: "\n")) else { return prefix + line + "\n" }
        return prefix + line.replacingOccurrences(of: "\n", with: "\n" + prefix) + "\n"
    }

    /// swift-log's names of the levels (`info`, `warning` …).
    static func levelName(_ level: Logger.Level) -> String {
        switch level {
        case .trace: "trace"
        case .debug: "debug"
        case .info: "info"
        case .notice: "notice"
        case .warning: "warning"
        case .error: "error"
        case .critical: "critical"
        }
    }

    /// `line(…)` as bytes, for the common event: no metadata, one line (`nil` otherwise). Built in
    /// one buffer without intermediate strings (the access log writes one per request).
    static func oneLine(level: Logger.Level, label: String, message: String, timestamp: String,
                        priorityPrefix: Bool) -> [UInt8]? {
        let newline = UInt8(ascii: "\n")
        let levelText = levelName(level)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(timestamp.utf8.count + levelText.utf8.count + label.utf8.count + message.utf8.count + 8)
        if priorityPrefix {
            bytes.append(UInt8(ascii: "<"))
            bytes.append(contentsOf: String(syslogPriority(level)).utf8)
            bytes.append(UInt8(ascii: ">"))
        }
        bytes.append(contentsOf: timestamp.utf8)
        bytes.append(UInt8(ascii: " "))
        bytes.append(contentsOf: levelText.utf8)
        bytes.append(UInt8(ascii: " "))
        bytes.append(contentsOf: label.utf8)
        bytes.append(UInt8(ascii: ":"))
        bytes.append(UInt8(ascii: " "))
        bytes.append(contentsOf: message.utf8)
        // A line break anywhere (scanned in the buffer, not in each String): `line(…)`'s form.
        if bytes.contains(newline) { return nil }
        bytes.append(newline)
        return bytes
    }

    public func log(event: LogEvent) {
        let message = event.message.description
        let priorityPrefix = Self.writesPriorityPrefix
        // One write(2) per line: lines from different worker threads never interleave.
        if metadata.isEmpty, event.metadata?.isEmpty ?? true,
           let bytes = Self.oneLine(level: event.level, label: label, message: message, timestamp: Self.timestamp(),
                                    priorityPrefix: priorityPrefix) {
            bytes.withUnsafeBytes { buf in _ = write(2, buf.baseAddress, buf.count) }
            return
        }
        let all = event.metadata.map { extra in metadata.merging(extra) { _, new in new } } ?? metadata
        var line = Self.line(level: event.level, label: label, metadata: all, message: message,
                             timestamp: Self.timestamp(), priorityPrefix: priorityPrefix)
        line.withUTF8 { buf in _ = write(2, buf.baseAddress, buf.count) }
    }
}

/// Text from outside (a user name typed into the login form) as one log field: kept as is when
/// it is plainly a user name, otherwise quoted with control characters, quotes and spaces
/// escaped, so it cannot forge a second line or a `key=value` of its own. At most 64 characters.
public enum LogText {
    public static func field(_ text: String) -> String {
        let limited = text.count > 64 ? String(text.prefix(64)) + "…" : text
        let plain = !limited.isEmpty && limited.unicodeScalars.allSatisfy { s in
            (s.value >= 0x30 && s.value <= 0x39) || (s.value >= 0x41 && s.value <= 0x5A) || (s.value >= 0x61 && s.value <= 0x7A)
                || s == "." || s == "_" || s == "-" || s == "@"
        }
        return plain ? limited : limited.debugDescription
    }
}
