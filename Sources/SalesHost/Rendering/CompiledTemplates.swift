import Foundation
import SalesKit

/// The renderer behind every page. `TemplateParser` turns each template into this node tree at
/// start-up (the syntax and standalone-line rules are swift-mustache's, ported); it renders
/// straight into a byte buffer.
///
/// Why not `MustacheLibrary.render`: profiling the customer list (issue #7, callgrind) showed
/// three quarters of the page's instructions in it — protocol-conformance casts on every name
/// lookup, a `split` per lookup, and HTML escaping one `Character` at a time through a
/// dictionary. This renderer keeps the library's semantics (context stack climbing, truthiness,
/// partial indentation, block overrides) and `RendererTests` checks it against the library,
/// byte for byte, on every template in the repository.
final class CompiledTemplates: Sendable {
    indirect enum Node: Sendable {
        case text([UInt8])
        case variable(path: [String], escaped: Bool, line: Int)
        case section(path: [String], inverted: Bool, body: [Node], line: Int)
        /// `{{$name}}…{{/name}}`: an expansion point (`isDefinition` false) or, directly inside
        /// `{{<parent}}`, the override given to the parent.
        case block(name: String, body: [Node], indentation: [UInt8]?, isDefinition: Bool, line: Int)
        case partial(name: String, indentation: [UInt8]?, overrides: [String: [Node]]?, line: Int)
    }

    struct TemplateError: Error, CustomStringConvertible {
        var description: String
    }

    let templates: [String: [Node]]

    /// Parses every template (name → text) with our own parser (`TemplateParser`).
    init(sources: [String: (text: String, file: String)]) throws {
        var t: [String: [Node]] = [:]
        for (name, source) in sources {
            do {
                t[name] = try TemplateParser.parse(source.text)
            } catch {
                throw TemplateError(description: "\(source.file): \(error)")
            }
        }
        templates = t
    }

    /// HTML escaping (`HTMLText.append`).
    static func escape(_ s: String, into out: inout [UInt8]) { HTMLText.append(s, escaped: true, into: &out) }
}
