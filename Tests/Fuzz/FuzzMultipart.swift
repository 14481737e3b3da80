// libFuzzer target: `MultipartParser.boundary(fromContentType:)` and `MultipartParser.parse`.
// Input: the Content-Type header value, a line feed, then the body (see corpus/FuzzMultipart).
// When the first line has no usable boundary the body is parsed with the boundary "X".
// Not a SwiftPM target: Tests/Fuzz/run.sh compiles this file in one module together with
// Sources/SalesKit/HTTP/{Request,URLEncoding,Multipart}.swift, so it uses SalesKit's names
// without an import. Thrown `HTTPError`s are expected (bad input is refused by design); a crash,
// a trap, a hang or a broken invariant below is a bug.
import Foundation

private let defaults = MultipartParser()
private let small = MultipartParser(maxFileBytes: 64, maxTotalFileBytes: 100, maxParts: 4)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = UnsafeBufferPointer(start: data, count: size)
    let newline = input.firstIndex(of: 10) ?? size
    var headerBytes = Array(input[..<newline])
    if headerBytes.last == 13 { headerBytes.removeLast() }
    let body = newline < size ? Array(input[(newline + 1)...]) : []

    let parsedBoundary = MultipartParser.boundary(fromContentType: String(decoding: headerBytes, as: UTF8.self))
    if let b = parsedBoundary {
        invariant(!b.isEmpty && b.utf8.count <= 70, "boundary empty or longer than 70 bytes")
    }
    let boundary = parsedBoundary ?? "X"

    let full = parseOrNil { try defaults.parse(body, boundary: boundary) }
    if let (form, files) = full {
        let valueBytes = form.pairs.reduce(0) { $0 + $1.value.utf8.count }
        let fileBytes = files.reduce(0) { $0 + $1.data.count }
        invariant(valueBytes + fileBytes <= body.count, "parts hold more bytes than the body")
        invariant(form.pairs.count + files.count <= defaults.maxParts, "more parts than maxParts")
        invariant(files.allSatisfy { $0.data.count <= defaults.maxFileBytes }, "file over maxFileBytes")
        invariant(fileBytes <= defaults.maxTotalFileBytes, "files over maxTotalFileBytes")
        // A part ends at the first CRLF + "--" + boundary, so none contains it.
        let delimiter = Array(("\r\n--" + boundary).utf8)
        invariant(files.allSatisfy { !contains($0.data, delimiter) }, "file data contains the delimiter")
        invariant(form.pairs.allSatisfy { !contains(Array($0.value.utf8), delimiter) }, "value contains the delimiter")
    }

    // Tighter limits only ever refuse more: whatever they accept, the defaults accept identically.
    if let (form, files) = parseOrNil({ try small.parse(body, boundary: boundary) }) {
        invariant(full.map { $0.form == form && $0.files == files } ?? false, "small limits accepted what defaults refused")
        invariant(files.allSatisfy { $0.data.count <= small.maxFileBytes }, "file over small maxFileBytes")
    }
    return 0
}

private func contains(_ hay: [UInt8], _ needle: [UInt8]) -> Bool {
    guard hay.count >= needle.count else { return false }
    for i in 0...(hay.count - needle.count) where hay[i] == needle[0] && hay[i..<(i + needle.count)].elementsEqual(needle) {
        return true
    }
    return false
}

/// The parsed body, or nil when it threw `badRequest` / `payloadTooLarge` (any other error is a bug).
private func parseOrNil(_ body: () throws -> (form: FormData, files: [UploadedFile])) -> (form: FormData, files: [UploadedFile])? {
    do {
        return try body()
    } catch let error as HTTPError {
        switch error {
        case .badRequest, .payloadTooLarge: return nil
        default: fatalError("unexpected HTTPError \(error)")
        }
    } catch {
        fatalError("unexpected error type \(error)")
    }
}

private func invariant(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError("invariant: " + message()) }
}
