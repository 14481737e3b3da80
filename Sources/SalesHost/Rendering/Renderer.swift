import Foundation
import SalesKit

/// All templates, loaded and parsed once at start-up (before the workers start).
/// Shared templates from `Web/templates` keep their relative name (`layout`, `form/fields`);
/// a module's templates are named `<module id>/<relative name>`.
public struct Renderer: Sendable {
    /// Every template's text and file (the reference renderer in the tests reads them too).
    public let sources: [String: TemplateSource]
    let compiled: CompiledTemplates
    public let names: [String]

    public struct TemplateSource: Sendable {
        public var text: String
        public var file: String
    }

    public struct LoadError: Error, CustomStringConvertible {
        public var description: String
    }

    public init(webDir: String, pluginsDir: String, modules: [any DepartmentModule]) throws {
        var sources: [String: TemplateSource] = [:]
        try Self.load(into: &sources, directory: webDir + "/templates", prefix: "")
        if modules.contains(where: { $0.manifest.folder != nil }), !FileManager.default.fileExists(atPath: pluginsDir) {
            throw LoadError(description: "plugins folder \(pluginsDir) not found (set pluginsDir)")
        }
        for m in modules {
            guard let folder = m.manifest.folder else { continue }
            // A module without templates yet has no folder (git keeps no empty folders).
            let dir = pluginsDir + "/" + folder + "/templates"
            guard FileManager.default.fileExists(atPath: dir) else { continue }
            try Self.load(into: &sources, directory: dir, prefix: m.manifest.id + "/")
        }
        guard sources["layout"] != nil else {
            throw LoadError(description: "\(webDir)/templates/layout.mustache not found (set webDir)")
        }
        self.sources = sources
        names = sources.keys.sorted()
        do {
            compiled = try CompiledTemplates(sources: sources.mapValues { ($0.text, $0.file) })
        } catch {
            throw LoadError(description: "template \(error)")
        }
    }

    static func load(into sources: inout [String: TemplateSource], directory: String, prefix: String) throws {
        let fm = FileManager.default
        guard let e = fm.enumerator(atPath: directory) else { return }
        for case let rel as String in e where rel.hasSuffix(".mustache") {
            let file = directory + "/" + rel
            let text = try String(contentsOfFile: file, encoding: .utf8)
            sources[prefix + String(rel.dropLast(".mustache".count))] = TemplateSource(text: text, file: file)
        }
    }

    public func has(_ name: String) -> Bool { compiled.templates[name] != nil }

    public func render(_ name: String, _ data: [String: Any]) -> String? {
        renderBytes(name, data).map { String(decoding: $0, as: UTF8.self) }
    }

    /// The page as UTF-8 bytes (what the response body needs), or nil for an unknown template.
    public func renderBytes(_ name: String, _ data: [String: Any]) -> [UInt8]? {
        compiled.render(name, data)
    }
}
