// libFuzzer target: `CookieParser.parse` (the `Cookie:` request header).
// Not a SwiftPM target: Tests/Fuzz/run.sh compiles this file in one module together with
// Sources/SalesKit/HTTP/{Request,URLEncoding}.swift, so it uses SalesKit's names without an import.
// The parser never throws; a crash, a trap, a hang or a broken invariant below is a bug.
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    // FastCGI hands the header over as bytes; the host decodes it leniently like this.
    let header = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    let cookies = CookieParser.parse(header)

    let semicolons = header.unicodeScalars.count { $0 == ";" }
    invariant(cookies.count <= semicolons + 1, "more cookies than ;-separated pairs")
    for (name, value) in cookies {
        invariant(!name.isEmpty, "empty cookie name")
        invariant(!name.unicodeScalars.contains { $0 == "=" || $0 == ";" }, "name contains = or ;")
        invariant(!value.unicodeScalars.contains(";"), "value contains ;")
    }

    // Plain RFC 6265 cookies survive a round trip through a browser-style header, with odd
    // spacing and quoting, in any order relative to each other.
    let plain = cookies.filter { isToken($0.key) && isCookieOctets($0.value) }
    if !plain.isEmpty {
        let rebuilt = plain.sorted { $0.key < $1.key }.enumerated().map { i, kv in
            i % 2 == 0 ? "\(kv.key)=\(kv.value)" : " \t\(kv.key) = \"\(kv.value)\" "
        }.joined(separator: ";")
        let again = CookieParser.parse(rebuilt)
        invariant(again == plain, "re-serialised plain cookies parse differently")
    }
    return 0
}

private func isToken(_ s: String) -> Bool {
    !s.isEmpty && s.utf8.allSatisfy { b in
        (0x21...0x7E).contains(b) && !"()<>@,;:\\\"/[]?={}".utf8.contains(b)
    }
}

private func isCookieOctets(_ s: String) -> Bool {
    s.utf8.allSatisfy { b in b == 0x21 || (0x23...0x2B).contains(b) || (0x2D...0x3A).contains(b)
        || (0x3C...0x5B).contains(b) || (0x5D...0x7E).contains(b) }
}

private func invariant(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError("invariant: " + message()) }
}
