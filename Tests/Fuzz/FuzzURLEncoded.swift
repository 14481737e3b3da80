// libFuzzer target: `URLEncoding.parse` / `decode` / `encode` (urlencoded bodies, query strings).
// Not a SwiftPM target: Tests/Fuzz/run.sh compiles this file in one module together with
// Sources/SalesKit/HTTP/{Request,URLEncoding}.swift, so it uses SalesKit's names without an import.
// Thrown `HTTPError`s are expected (bad input is refused by design); a crash, a trap, a hang or a
// broken invariant below is a bug.
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let text = String(validating: bytes, as: UTF8.self)

    // The byte entry point (request bodies) and the string entry point agree.
    let form = parseOrNil { try URLEncoding.parse(bytes: bytes) }
    if let text {
        let viaString = parseOrNil { try URLEncoding.parse(text) }
        invariant(form == viaString, "parse(bytes:) and parse(String) disagree")
    } else {
        invariant(form == nil, "invalid UTF-8 accepted")
    }

    if let form {
        invariant(form.pairs.count <= 5000, "more than maxFields pairs")
        // One pair per non-empty run of bytes between `&` bytes: a separator is a byte, whatever
        // Unicode text surrounds it.
        let segments = bytes.split(separator: UInt8(ascii: "&"))
        invariant(form.pairs.count == segments.count, "\(form.pairs.count) pairs from \(segments.count) &-separated parts")
        for (pair, segment) in zip(form.pairs, segments) where !segment.contains(UInt8(ascii: "=")) {
            invariant(pair.value.isEmpty, "a part without = has a value")
        }
        // encode → parse is the identity on parsed forms.
        let encoded = URLEncoding.encode(form)
        invariant(encoded.utf8.allSatisfy { $0 < 0x80 }, "encode produced non-ASCII")
        invariant(parseOrNil { try URLEncoding.parse(encoded) } == form, "parse(encode(form)) != form")
    }

    // A lower field limit either gives the same form or refuses; never more pairs.
    let limited = parseOrNil { try URLEncoding.parse(bytes: bytes, maxFields: 3) }
    if let form, form.pairs.count <= 3 {
        invariant(limited == form, "maxFields: 3 changed a 3-field form")
    } else {
        invariant(limited == nil, "maxFields: 3 accepted a form the default refused or more than 3 fields")
    }

    // percentEncode → decode is the identity on any string (invalid UTF-8 repaired first).
    let anyText = text ?? String(decoding: bytes, as: UTF8.self)
    invariant((try? URLEncoding.decode(URLEncoding.percentEncode(anyText))) == anyText, "decode(percentEncode(s)) != s")
    return 0
}

/// The parsed form, or nil when it threw `HTTPError.badRequest` (any other error is a bug).
private func parseOrNil(_ body: () throws -> FormData) -> FormData? {
    do {
        return try body()
    } catch let error as HTTPError {
        guard case .badRequest = error else { fatalError("unexpected HTTPError \(error)") }
        return nil
    } catch {
        fatalError("unexpected error type \(error)")
    }
}

private func invariant(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError("invariant: " + message()) }
}
