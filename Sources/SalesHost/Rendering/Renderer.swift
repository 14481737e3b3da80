import Foundation
import Mustache
import SalesKit

/// All templates, loaded once at start-up (before the workers start) with swift-mustache.
/// Shared templates from `Web/templates` keep their relative name (`layout`, `form/fields`);
/// a module's templates are named `<module id>/<relative name>`.
public struct Renderer: Sendable {
    /// swift-mustache's parse of every template; `compiled` renders them (see CompiledTemplates).
    public let library: MustacheLibrary
    let compiled: CompiledTemplates
    public let names: [String]

    public struct LoadError: Error, CustomStringConvertible {
        public var description: String
    }

    public init(webDir: String, pluginsDir: String, modules: [any DepartmentModule]) throws {
        var library = MustacheLibrary()
        var names: [String] = []
        try Self.load(into: &library, names: &names, directory: webDir + "/templates", prefix: "")
        if modules.contains(where: { $0.manifest.folder != nil }), !FileManager.default.fileExists(atPath: pluginsDir) {
            throw LoadError(description: "plugins folder \(pluginsDir) not found (set pluginsDir)")
        }
        for m in modules {
            guard let folder = m.manifest.folder else { continue }
            // A module without templates yet has no folder (git keeps no empty folders).
            let dir = pluginsDir + "/" + folder + "/templates"
            guard FileManager.default.fileExists(atPath: dir) else { continue }
            try Self.load(into: &library, names: &names, directory: dir, prefix: m.manifest.id + "/")
        }
        guard library.getTemplate(named: "layout") != nil else {
            throw LoadError(description: "\(webDir)/templates/layout.mustache not found (set webDir)")
        }
        self.library = library
        self.names = names.sorted()
        do {
            compiled = try CompiledTemplates(library: library, names: names)
        } catch {
            throw LoadError(description: "\(error)")
        }
    }

    static func load(into library: inout MustacheLibrary, names: inout [String], directory: String, prefix: String) throws {
        let fm = FileManager.default
        guard let e = fm.enumerator(atPath: directory) else { return }
        for case let rel as String in e where rel.hasSuffix(".mustache") {
            let text = try String(contentsOfFile: directory + "/" + rel, encoding: .utf8)
            do {
                let name = prefix + String(rel.dropLast(".mustache".count))
                try library.register(text, named: name)
                names.append(name)
            } catch {
                throw LoadError(description: "template \(directory)/\(rel): \(error)")
            }
        }
    }

    public func has(_ name: String) -> Bool { library.getTemplate(named: name) != nil }

    public func render(_ name: String, _ data: [String: Any]) -> String? {
        renderBytes(name, data).map { String(decoding: $0, as: UTF8.self) }
    }

    /// The page as UTF-8 bytes (what the response body needs), or nil for an unknown template.
    public func renderBytes(_ name: String, _ data: [String: Any]) -> [UInt8]? {
        compiled.render(name, data)
    }

    /// swift-mustache's own rendering: the reference the tests compare `render` with.
    public func referenceRender(_ name: String, _ data: [String: Any]) -> String? {
        library.render(data, withTemplate: name)
    }
}
