import Foundation

/// Our own parser of the Mustache the templates use: variables (`{{x}}`, `{{{x}}}`, `{{&x}}`),
/// sections and inverted sections, comments, partials (`{{>name}}`), and inheritance
/// (`{{<layout}}{{$block}}…{{/block}}{{/layout}}`). Set-delimiter tags, lambdas and
/// transforms are refused with the template's line.
///
/// Whitespace follows the Mustache specification exactly as swift-mustache 2.1 applies it (a
/// standalone tag's line disappears, a standalone partial indents every line it produces) —
/// this is a port of that library's state machine, so every template renders byte for byte as
/// it did through the library; `RendererTests` checks it against swift-mustache on every
/// template the product ships. Owning the parser means a dependency update cannot change how a
/// page is read, and every node carries its line for the start-up binding errors.
struct TemplateParser {
    struct ParseError: Error, CustomStringConvertible {
        var line: Int
        var message: String
        var description: String { "line \(line): \(message)" }
    }

    private let chars: [Character]
    /// Where each line starts (for line numbers by binary search).
    private let lineStarts: [Int]
    private var pos = 0

    private init(_ text: String) {
        chars = Array(text)
        var starts = [0]
        for (i, c) in chars.enumerated() where c == "\n" || c == "\r\n" { starts.append(i + 1) }
        lineStarts = starts
    }

    static func parse(_ text: String) throws -> [CompiledTemplates.Node] {
        var p = TemplateParser(text)
        return try p.parse(State())
    }

    private struct State {
        var sectionName: String?
        /// Where the open section's tag is (for "never closed").
        var sectionStart = 0
        var newLine = true
        var isPartialDefinition = false
        var isPartialDefinitionTopLevel = false
        var partialDefinitionIndent: [Character]?

        func withSection(_ name: String, newLine: Bool, at start: Int) -> State {
            var s = self
            s.sectionName = name
            s.sectionStart = start
            s.isPartialDefinitionTopLevel = false
            if !newLine { s.newLine = false }
            return s
        }

        func withInheritancePartial(_ name: String, at start: Int) -> State {
            var s = self
            s.sectionName = name
            s.sectionStart = start
            s.newLine = true
            s.isPartialDefinition = true
            s.isPartialDefinitionTopLevel = true
            return s
        }
    }

    // MARK: Reading

    private var atEnd: Bool { pos >= chars.count }
    private var current: Character { atEnd ? "\0" : chars[pos] }

    /// 1-based line of a position (for errors and binding messages).
    private func line(at p: Int) -> Int {
        var lo = 0, hi = lineStarts.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if lineStarts[mid] <= p { lo = mid } else { hi = mid - 1 }
        }
        return lo + 1
    }

    private mutating func read(while set: Set<Character>) -> [Character] {
        let start = pos
        while !atEnd, set.contains(chars[pos]) { pos += 1 }
        return Array(chars[start..<pos])
    }

    private mutating func skipWhitespace() {
        while !atEnd, chars[pos].isWhitespace { pos += 1 }
    }

    private mutating func read(_ s: String) -> Bool {
        let want = Array(s)
        guard pos + want.count <= chars.count, Array(chars[pos..<pos + want.count]) == want else { return false }
        pos += want.count
        return true
    }

    private func fail(_ message: String, at p: Int? = nil) -> ParseError {
        ParseError(line: line(at: p ?? pos), message: message)
    }

    // MARK: The state machine (swift-mustache's `MustacheTemplate.parse`)

    private mutating func parse(_ initial: State) throws -> [CompiledTemplates.Node] {
        var tokens: [CompiledTemplates.Node] = []
        var state = initial
        var whiteSpaceBefore: [Character] = []
        func text(_ cs: [Character]) -> CompiledTemplates.Node { .text(Array(String(cs).utf8)) }

        while !atEnd {
            if state.newLine {
                let whiteSpace = read(while: [" ", "\t"])
                if state.isPartialDefinition, !state.isPartialDefinitionTopLevel {
                    if let indent = state.partialDefinitionIndent {
                        whiteSpaceBefore = Array(whiteSpace.dropFirst(indent.count))
                    } else {
                        state.partialDefinitionIndent = whiteSpace
                    }
                } else {
                    whiteSpaceBefore = whiteSpace
                }
            }
            let plain = readUntilDelimiterOrNewline()
            if current.isNewline {
                tokens.append(text(whiteSpaceBefore + plain + [current]))
                state.newLine = true
                pos += 1
                continue
            }
            if !plain.isEmpty {
                tokens.append(text(whiteSpaceBefore + plain))
                whiteSpaceBefore = []
                state.newLine = false
            }
            if atEnd { break }
            let tagPos = pos
            let tagLine = line(at: pos)
            var setNewLine = false
            func flushWhitespace() {
                if !whiteSpaceBefore.isEmpty {
                    tokens.append(text(whiteSpaceBefore))
                    whiteSpaceBefore = []
                }
            }
            switch current {
            case "#", "^":
                let inverted = current == "^"
                pos += 1
                let name = try parseName()
                if isStandalone(state) { setNewLine = true } else { flushWhitespace() }
                let body = try parse(state.withSection(name, newLine: setNewLine, at: tagPos))
                tokens.append(.section(path: Self.path(name), inverted: inverted, body: body, line: tagLine))

            case "/":
                pos += 1
                let at = pos
                let name = try parseName()
                guard name == state.sectionName else {
                    throw fail("{{/\(name)}} closes \(state.sectionName.map { "{{#\($0)}}" } ?? "nothing")", at: at)
                }
                if isStandalone(state) { setNewLine = true } else { flushWhitespace() }
                return tokens

            case "!":
                pos += 1
                guard let end = findClose() else { throw fail("unfinished comment") }
                pos = end + 2
                setNewLine = isStandalone(state)

            case "{":
                flushWhitespace()
                pos += 1
                let name = try parseName()
                guard read("}") else { throw fail("{{{\(name)}} needs three closing braces") }
                tokens.append(.variable(path: Self.path(name), escaped: false, line: tagLine))

            case "&":
                flushWhitespace()
                pos += 1
                let name = try parseName()
                tokens.append(.variable(path: Self.path(name), escaped: false, line: tagLine))

            case ">":
                pos += 1
                skipWhitespace()
                if current == "*" { throw fail("dynamic partials are not supported") }
                let name = try parsePartialName()
                if !whiteSpaceBefore.isEmpty { tokens.append(text(whiteSpaceBefore)) }
                if isStandalone(state) {
                    setNewLine = true
                    tokens.append(.partial(name: name, indentation: Array(String(whiteSpaceBefore).utf8), overrides: nil, line: tagLine))
                } else {
                    tokens.append(.partial(name: name, indentation: nil, overrides: nil, line: tagLine))
                }
                whiteSpaceBefore = []

            case "<":
                pos += 1
                skipWhitespace()
                let name = try parsePartialName()
                if name.hasPrefix("*") { throw fail("dynamic partials are not supported") }
                if !whiteSpaceBefore.isEmpty { tokens.append(text(whiteSpaceBefore)) }
                if isStandalone(state) { setNewLine = true }
                let body = try parse(state.withInheritancePartial(name, at: tagPos))
                var overrides: [String: [CompiledTemplates.Node]] = [:]
                for token in body {
                    switch token {
                    case .block(let blockName, let blockBody, _, let isDefinition, _) where isDefinition:
                        overrides[blockName] = blockBody
                    case .text: break
                    default: throw fail("only {{$block}} definitions may appear inside {{<\(name)}}", at: nil)
                    }
                }
                tokens.append(.partial(name: name, indentation: Array(String(whiteSpaceBefore).utf8), overrides: overrides, line: tagLine))
                whiteSpaceBefore = []

            case "$":
                pos += 1
                let name = try parseName()
                if state.isPartialDefinitionTopLevel {
                    if isStandalone(state) { setNewLine = true }
                    let body = try parse(state.withSection(name, newLine: setNewLine, at: tagPos))
                    tokens.append(.block(name: name, body: body, indentation: nil, isDefinition: true, line: tagLine))
                } else {
                    if !whiteSpaceBefore.isEmpty { tokens.append(text(whiteSpaceBefore)) }
                    if isStandalone(state) { setNewLine = true }
                    let body = try parse(state.withSection(name, newLine: setNewLine, at: tagPos))
                    tokens.append(.block(name: name, body: body, indentation: Array(String(whiteSpaceBefore).utf8), isDefinition: false,
                                         line: tagLine))
                    whiteSpaceBefore = []
                }

            case "=":
                throw fail("set-delimiter tags are not supported")
            case "%":
                throw fail("configuration tags are not supported")

            default:
                flushWhitespace()
                let name = try parseName()
                tokens.append(.variable(path: Self.path(name), escaped: true, line: tagLine))
            }
            state.newLine = setNewLine
        }
        if let open = state.sectionName { throw fail("{{…\(open)}} is never closed", at: state.sectionStart) }
        return tokens
    }

    private mutating func readUntilDelimiterOrNewline() -> [Character] {
        var out: [Character] = []
        while !atEnd {
            let c = chars[pos]
            if c.isNewline { break }
            if c == "{" {
                if read("{{") { break }
                out.append("{")
                pos += 1
                continue
            }
            out.append(c)
            pos += 1
        }
        return out
    }

    private func findClose() -> Int? {
        var i = pos
        while i + 1 < chars.count {
            if chars[i] == "}" && chars[i + 1] == "}" { return i }
            i += 1
        }
        return nil
    }

    private static let nameChars = Set<Character>("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-_?*")
    private static let partialNameChars = Set<Character>("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-_?*/")

    private mutating func parseName() throws -> String {
        skipWhitespace()
        let start = pos
        let name = String(read(while: Self.nameChars))
        skipWhitespace()
        if current == "(" { throw fail("transforms (\(name)(…)) are not supported", at: start) }
        guard read("}}") else { throw fail("unfinished tag {{\(name)…", at: start) }
        return name
    }

    private mutating func parsePartialName() throws -> String {
        skipWhitespace()
        let start = pos
        let name = String(read(while: Self.partialNameChars))
        skipWhitespace()
        guard read("}}") else { throw fail("unfinished partial tag {{>\(name)…", at: start) }
        return name
    }

    /// The rest of the line is blank: consume it (with its newline) and say so.
    private mutating func hasLineFinished() -> Bool {
        if atEnd { return true }
        var p = pos
        while p < chars.count, chars[p] == " " || chars[p] == "\t" { p += 1 }
        if p < chars.count, chars[p].isNewline {
            pos = p + 1
            return true
        }
        return false
    }

    private mutating func isStandalone(_ state: State) -> Bool {
        state.newLine && hasLineFinished()
    }

    /// `"."` is the current object; a leading dot (`".name"`) looks only in the current object,
    /// marked by an empty first element.
    static func path(_ name: String) -> [String] {
        if name == "." { return ["."] }
        let parts = name.split(separator: ".").map(String.init)
        return name.hasPrefix(".") ? [""] + parts : parts
    }
}
