import Foundation

/// Ordered, multi-valued name/value pairs: a query string or a submitted form.
public struct FormData: Sendable, Equatable {
    public var pairs: [(name: String, value: String)]

    public init(_ pairs: [(name: String, value: String)] = []) { self.pairs = pairs }

    /// The first value for `name`.
    public subscript(name: String) -> String? { pairs.first { $0.name == name }?.value }
    /// Every value for `name`, in order (multi-selects, checkboxes).
    public func all(_ name: String) -> [String] { pairs.filter { $0.name == name }.map(\.value) }
    public var names: [String] { pairs.map(\.name) }
    public var isEmpty: Bool { pairs.isEmpty }

    public mutating func append(_ name: String, _ value: String) { pairs.append((name, value)) }

    public static func == (a: FormData, b: FormData) -> Bool {
        a.pairs.count == b.pairs.count && zip(a.pairs, b.pairs).allSatisfy { $0.name == $1.name && $0.value == $1.value }
    }
}

/// A file from a `multipart/form-data` body. `filename` is the client's name: display only,
/// never used as a path.
public struct UploadedFile: Sendable, Equatable {
    public var fieldName: String
    public var filename: String
    public var contentType: String
    public var data: [UInt8]

    public init(fieldName: String, filename: String, contentType: String, data: [UInt8]) {
        self.fieldName = fieldName
        self.filename = filename
        self.contentType = contentType
        self.data = data
    }
}

/// An HTTP request as a module sees it: already parsed, all Swift values.
public struct Request: Sendable {
    public var method: String
    /// The percent-decoded path without the query, e.g. `/admin/users/3`.
    public var path: String
    public var query: FormData
    /// Lower-cased header names (`user-agent`, `content-type`, …).
    public var headers: [String: String]
    public var cookies: [String: String]
    /// Fields of a urlencoded or multipart body.
    public var form: FormData
    public var files: [UploadedFile]
    public var remoteAddress: String
    /// Values of `:name` segments of the matched route.
    public var parameters: [String: String]

    public init(method: String, path: String, query: FormData = .init(), headers: [String: String] = [:],
                cookies: [String: String] = [:], form: FormData = .init(), files: [UploadedFile] = [],
                remoteAddress: String = "", parameters: [String: String] = [:]) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.cookies = cookies
        self.form = form
        self.files = files
        self.remoteAddress = remoteAddress
        self.parameters = parameters
    }

    /// A path parameter as a positive integer id, or a 404.
    public func id(_ name: String = "id") throws -> Int64 {
        guard let raw = parameters[name], let v = Int64(raw), v > 0 else { throw HTTPError.notFound }
        return v
    }

    /// The path plus query string, for "come back here" links.
    public var pathWithQuery: String {
        query.isEmpty ? path : path + "?" + URLEncoding.encode(query)
    }
}

/// Errors a handler may throw; the host renders each as a Chinese error page.
public enum HTTPError: Error, Equatable {
    case badRequest(String)
    case forbidden
    case notFound
    case conflict(String)
    case payloadTooLarge
    case tooManyRequests(String)
}
