import SalesKit

/// Matches `METHOD /path` against route patterns with `:name` segments. Static segments win
/// over parameters. HEAD is served by GET routes.
public struct Router: Sendable {
    public enum Match {
        case found(RouteDefinition, [String: String])
        case methodNotAllowed([String])
        case notFound
    }

    final class Node: @unchecked Sendable { // built once before the workers start, then read-only
        var children: [String: Node] = [:]
        var parameter: (name: String, node: Node)?
        var routes: [String: RouteDefinition] = [:]
    }

    private let root = Node()
    public private(set) var all: [RouteDefinition] = []

    public init() {}

    /// Adds a route; returns a conflict description if the same method and shape exist already.
    public mutating func add(_ route: RouteDefinition) -> String? {
        var node = root
        for seg in Self.segments(route.path) {
            if seg.hasPrefix(":") {
                let name = String(seg.dropFirst())
                if let p = node.parameter {
                    node = p.node
                } else {
                    let n = Node()
                    node.parameter = (name, n)
                    node = n
                }
            } else if let next = node.children[String(seg)] {
                node = next
            } else {
                let n = Node()
                node.children[String(seg)] = n
                node = n
            }
        }
        if let existing = node.routes[route.method] {
            return "\(route.method) \(route.path) (\(route.module)) conflicts with \(existing.path) (\(existing.module))"
        }
        node.routes[route.method] = route
        all.append(route)
        return nil
    }

    public func match(method: String, path: String) -> Match {
        var params: [String: String] = [:]
        guard let node = Self.find(root, Self.segments(path)[...], &params) else { return .notFound }
        let m = method == "HEAD" ? "GET" : method
        if let r = node.routes[m] { return .found(r, params) }
        return node.routes.isEmpty ? .notFound : .methodNotAllowed(node.routes.keys.sorted())
    }

    private static func find(_ node: Node, _ segs: ArraySlice<Substring>, _ params: inout [String: String]) -> Node? {
        guard let first = segs.first else { return node.routes.isEmpty ? nil : node }
        if let child = node.children[String(first)], let n = find(child, segs.dropFirst(), &params) { return n }
        if let p = node.parameter {
            var copy = params
            copy[p.name] = String(first)
            if let n = find(p.node, segs.dropFirst(), &copy) {
                params = copy
                return n
            }
        }
        return nil
    }

    static func segments(_ path: String) -> [Substring] {
        // An ASCII path (nearly every one) is cut at its "/" bytes, in one pass: the same
        // segments as the Character split, which any other path takes (in ASCII each Character
        // is one byte, or CR LF).
        let bytes = path.utf8
        var segments: [Substring] = []
        var start = bytes.startIndex
        var i = start
        while i != bytes.endIndex {
            let b = bytes[i]
            if b >= 0x80 { return path.split(separator: "/", omittingEmptySubsequences: true) }
            if b == UInt8(ascii: "/") {
                if i != start { segments.append(path[start..<i]) }
                start = bytes.index(after: i)
            }
            i = bytes.index(after: i)
        }
        if i != start { segments.append(path[start..<i]) }
        return segments
    }
}
