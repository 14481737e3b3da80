import Foundation
@testable import SalesHost
import SalesKit

/// The dictionary renderer the product used before page models (issue 13), kept here only as
/// the bridge that checks our own parser against swift-mustache on every shipped template with
/// generated dictionary data (`RendererTests`). Production renders typed page models only.
extension CompiledTemplates {

    /// A context object, classified once when pushed (not at every name lookup). A class, so
    /// walking the stack moves one reference, not the payload.
    final class Frame {
        private let dict: [String: Any]?
        let object: Any

        init(_ object: Any) {
            self.object = object
            let t = type(of: object)
            // `as?` after the exact type check: the same cast as `as!`, and no trap possible.
            dict = t == [String: Any].self ? object as? [String: Any] : nil
        }

        func child(_ name: String) -> Any? {
            if let dict { return dict[name] }
            return CompiledTemplates.child(name, of: object)
        }
    }

    struct State {
        var stack: [Frame]
        var indentation: [UInt8]?
        var inherited: [String: [Node]]?
    }

    func render(_ name: String, _ data: Any) -> [UInt8]? {
        guard let nodes = templates[name] else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(32 * 1024)
        var state = State(stack: [Frame(data)], indentation: nil, inherited: nil)
        render(nodes, &state, into: &out)
        return out
    }

    private func render(_ nodes: [Node], _ state: inout State, into out: inout [UInt8]) {
        // As the library: with an indentation (a standalone partial), each token's non-empty
        // output that starts a line of this template's own output is indented.
        guard let indent = state.indentation, !indent.isEmpty else {
            for node in nodes { render(node, &state, into: &out) }
            return
        }
        let start = out.count
        for node in nodes {
            let atLineStart = out.count > start && out[out.count - 1] == UInt8(ascii: "\n")
            let before = out.count
            render(node, &state, into: &out)
            if atLineStart, out.count > before { out.insert(contentsOf: indent, at: before) }
        }
    }

    private func render(_ node: Node, _ state: inout State, into out: inout [UInt8]) {
        switch node {
        case .text(let bytes):
            bytes.withUnsafeBufferPointer { out.append(contentsOf: $0) }
        case .variable(let path, let escaped, _):
            guard let value = lookup(path, state.stack) else { return }
            Self.write(value, escaped: escaped, into: &out)
        case .section(let path, let inverted, let body, _):
            let value = lookup(path, state.stack)
            if inverted {
                if !Self.truthy(value) { render(body, &state, into: &out) }
                return
            }
            guard let value else { return }
            if let items = Self.sequence(value) {
                for item in items { renderPushed(body, item, &state, into: &out) }
            } else if let b = value as? Bool {
                if b { render(body, &state, into: &out) }
            } else {
                renderPushed(body, value, &state, into: &out)
            }
        case .block(let name, let body, let indentation, _, _):
            let saved = state.indentation
            if let indentation { state.indentation = (state.indentation ?? []) + indentation }
            render(state.inherited?[name] ?? body, &state, into: &out)
            state.indentation = saved
        case .partial(let name, let indentation, let overrides, _):
            guard let nodes = templates[name] else { return }
            let saved = (state.indentation, state.inherited)
            if let indentation { state.indentation = (state.indentation ?? []) + indentation }
            if let overrides {
                // Outer overrides win (the page's blocks over the layout's own nesting).
                state.inherited = state.inherited.map { $0.merging(overrides) { outer, _ in outer } } ?? overrides
            }
            render(nodes, &state, into: &out)
            (state.indentation, state.inherited) = saved
        }
    }

    private func renderPushed(_ body: [Node], _ object: Any, _ state: inout State, into out: inout [UInt8]) {
        state.stack.append(Frame(object))
        render(body, &state, into: &out)
        state.stack.removeLast()
    }

    // MARK: - Values

    /// Mustache name resolution: the first name is looked up from the innermost context
    /// outwards; the rest of a dotted name only in what the first one found.
    private func lookup(_ path: [String], _ stack: [Frame]) -> Any? {
        if path.count == 1, path[0] == "." { return stack.last?.object }
        guard var first = path.first, let top = stack.last else { return nil }
        var rest = path.dropFirst()
        var found: Any?
        if first.isEmpty {
            guard let name = rest.popFirst() else { return top.object }
            first = name
            found = top.child(first)
        } else {
            var i = stack.count - 1
            while i >= 0 {
                if let v = stack[i].child(first) { found = v; break }
                i -= 1
            }
        }
        guard var value = found else { return nil }
        for name in rest {
            guard let v = Self.child(name, of: value) else { return nil }
            value = v
        }
        return value
    }

    static func child(_ name: String, of object: Any) -> Any? {
        let t = type(of: object)
        if t == [String: Any].self { return (object as? [String: Any])?[name] }
        if t == [String: String].self { return (object as? [String: String])?[name] }
        if t == String.self || t == Int.self || t == Int64.self || t == Bool.self { return nil }
        if let keyed = object as? any TemplateKeyed { return keyed.templateChild(name) }
        if object is NSNull { return nil }
        // Structs and classes: by property name, as the library's Mirror lookup.
        guard let v = Mirror(reflecting: object).children.first(where: { $0.label == name })?.value else { return nil }
        let m = Mirror(reflecting: v)
        guard m.displayStyle == .optional else { return v }
        return m.children.first?.value
    }

    static func sequence(_ value: Any) -> [Any]? {
        let t = type(of: value)
        if t == [[String: Any]].self { return (value as? [[String: Any]])?.map { $0 as Any } }
        if t == [Any].self { return value as? [Any] }
        if let s = value as? any TemplateSequence { return s.templateElements }
        return nil
    }

    /// False for: nothing, `false`, an empty list. Everything else (an empty string too) is true.
    static func truthy(_ value: Any?) -> Bool {
        guard let value else { return false }
        if let b = value as? Bool { return b }
        if let s = sequence(value) { return !s.isEmpty }
        if value is NSNull { return false }
        return true
    }

    static func write(_ value: Any, escaped: Bool, into out: inout [UInt8]) {
        let t = type(of: value)
        if t == String.self, let s = value as? String {
            escaped ? escape(s, into: &out) : out.append(contentsOf: s.utf8)
            return
        }
        if t == Int.self || t == Int64.self || t == Bool.self {
            out.append(contentsOf: String(describing: value).utf8)
            return
        }
        // Optionals stored in a dictionary: the wrapped value, or nothing.
        let m = Mirror(reflecting: value)
        if m.displayStyle == .optional {
            if let inner = m.children.first?.value { write(inner, escaped: escaped, into: &out) }
            return
        }
        let s = String(describing: value)
        escaped ? escape(s, into: &out) : out.append(contentsOf: s.utf8)
    }

}

extension Renderer {
    func render(_ name: String, _ data: [String: Any]) -> String? {
        compiled.render(name, data).map { String(decoding: $0, as: UTF8.self) }
    }
}

extension TemplateValue {
    /// The value as the dictionary tree the test renderer reads.
    func dictionaryTree(_ shape: TemplateShape) -> Any? {
        switch (self, shape.unwrapped) {
        case (.null, _): return nil
        case (.text(let s), _): return s
        case (.int(let i), _): return Int(truncatingIfNeeded: i)
        case (.bool(let b), _): return b
        case (.list(let items), .list(let element)): return items.map { $0.dictionaryTree(element) as Any }
        case (.list(let items), _): return items.map { $0.dictionaryTree(.text) as Any }
        case (.object(let fields), .object(let object)):
            var d: [String: Any] = [:]
            for (i, f) in object.fields.enumerated() where i < fields.count {
                if let v = fields[i].dictionaryTree(f.shape) { d[f.name] = v }
            }
            return d
        case (.object, _): return nil
        case (.element, _), (.elements, _): return materialized.dictionaryTree(shape)
        }
    }
}

/// Dictionaries with string keys of any value type (`[String: Int]`, …) as template contexts.
protocol TemplateKeyed { func templateChild(_ name: String) -> Any? }
extension Dictionary: TemplateKeyed where Key == String {
    func templateChild(_ name: String) -> Any? { self[name].map { $0 as Any } }
}

/// Arrays (of any element type) as template sections.
protocol TemplateSequence { var templateElements: [Any] { get } }
extension Array: TemplateSequence {
    var templateElements: [Any] { map { $0 as Any } }
}
