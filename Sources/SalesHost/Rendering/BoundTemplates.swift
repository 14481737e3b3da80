import Foundation
import Synchronization
import SalesKit

/// A template bound to a page model's shape at start-up. Every name is resolved then — to a
/// frame of the context stack and a field position — so rendering reads fields by index, with
/// no dictionary, no name hashing and no dynamic cast. A name the model does not have is a
/// start-up error with the template's file and line.
final class BoundTemplate: Sendable {
    indirect enum Node: Sendable {
        case text([UInt8])
        /// `up`: frames below the top of the stack; `path`: field positions from there.
        case value(up: Int, path: [Int], escaped: Bool)
        case section(up: Int, path: [Int], kind: SectionKind, body: [Node])
        /// A partial or block: its own indentation (a standalone partial), as the library.
        case scope(indentation: [UInt8]?, body: [Node])
    }

    enum SectionKind: Sendable {
        /// A `Bool` (or anything tested for presence only): no context is pushed.
        case condition
        /// A list: the body once per element, the element pushed.
        case each
        /// An object or a single value: pushed once when present.
        case push
        case inverted
    }

    /// The bound tree compiled to a flat program: operations with integer operands only (no
    /// arrays to retain while walking), text in one byte buffer, field paths in one table.
    enum Op: Sendable {
        case text(start: Int32, count: Int32)
        case value(up: Int32, pathStart: Int32, pathCount: Int32, escaped: Bool)
        /// The body is the operations up to `end`.
        case section(up: Int32, pathStart: Int32, pathCount: Int32, kind: SectionKind, end: Int32)
        /// `indent`: index in `indents`, -1 for none.
        case scope(indent: Int32, end: Int32)
        /// `{{#x}}prefix{{x}}suffix{{/x}}` on a single value (` class="{{cls}}"`, a caption cell):
        /// the value and the text around it when the value is there, as one operation — no
        /// push, no body to run. `prefix`/`suffix`: start in `bytes`, count.
        case wrapped(up: Int32, pathStart: Int32, pathCount: Int32, escaped: Bool,
                     prefix: Int32, prefixCount: Int32, suffix: Int32, suffixCount: Int32)
    }

    let ops: [Op]
    let bytes: [UInt8]
    let paths: [Int]
    let indents: [[UInt8]]
    /// Whether the template prints the envelope's `idem` (a form): made only then.
    let usesIdempotencyKey: Bool
    /// Per operation: a section whose body reads nothing but its element (no name resolved in
    /// an outer frame), so what the body prints for a variant depends on the variant alone and
    /// may be kept across renders (`learned`).
    let selfContained: [Bool]
    /// Variant bodies learned in earlier renders, by section and `TemplateTable.variantSignature`
    /// (a list page's few kinds of cell are learned once per process, not once per page).
    /// The largest page this template has printed (bytes): a render reserves it up front, so
    /// the page buffer is allocated once, not grown (a 34 KB list page outgrew a 32 KB guess and
    /// was copied into a new buffer on every request).
    let largestPage = Atomic<Int>(0)
    let learned = Mutex<[LearnedKey: VariantBody]>([:])

    struct LearnedKey: Hashable, Sendable {
        var body: Int
        var signature: [UInt8]
    }
    /// More kinds of variant than any page has: past it nothing more is kept (learned per render).
    static let learnedLimit = 4_096

    init(nodes: [Node], usesIdempotencyKey: Bool) {
        var ops: [Op] = [], bytes: [UInt8] = [], paths: [Int] = [], indents: [[UInt8]] = []
        func path(_ p: [Int]) -> (Int32, Int32) {
            let start = Int32(truncatingIfNeeded: paths.count)
            paths += p
            return (start, Int32(truncatingIfNeeded: p.count))
        }
        func text(_ b: [UInt8]) -> (Int32, Int32) {
            let start = Int32(truncatingIfNeeded: bytes.count)
            bytes += b
            return (start, Int32(truncatingIfNeeded: b.count))
        }
        /// `{{#x}}A{{x}}B{{/x}}` where `x` is a single value: the pushed value is printed with
        /// text around it (inside the body the name is found one frame further down). Not inside
        /// an indented partial, where each operation's line starts are indented on their own.
        func wrapped(_ up: Int, _ p: [Int], _ body: [Node]) -> (prefix: [UInt8], escaped: Bool, suffix: [UInt8])? {
            var parts = body[...]
            var prefix: [UInt8] = [], suffix: [UInt8] = []
            if case .text(let a) = parts.first {
                prefix = a
                parts = parts.dropFirst()
            }
            if case .text(let b) = parts.last, parts.count > 1 {
                suffix = b
                parts = parts.dropLast()
            }
            guard parts.count == 1, case .value(let vu, let vp, let escaped) = parts.first, vu == up + 1, vp == p else { return nil }
            return (prefix, escaped, suffix)
        }
        func emit(_ nodes: [Node], indented: Bool) {
            for node in nodes {
                if !indented, case .section(let up, let p, .push, let body) = node, let w = wrapped(up, p, body) {
                    let (start, count) = path(p)
                    let (a, an) = text(w.prefix)
                    let (b, bn) = text(w.suffix)
                    ops.append(.wrapped(up: Int32(truncatingIfNeeded: up), pathStart: start, pathCount: count, escaped: w.escaped,
                                        prefix: a, prefixCount: an, suffix: b, suffixCount: bn))
                    continue
                }
                switch node {
                case .text(let b):
                    ops.append(.text(start: Int32(truncatingIfNeeded: bytes.count), count: Int32(truncatingIfNeeded: b.count)))
                    bytes += b
                case .value(let up, let p, let escaped):
                    let (start, count) = path(p)
                    ops.append(.value(up: Int32(truncatingIfNeeded: up), pathStart: start, pathCount: count, escaped: escaped))
                case .section(let up, let p, let kind, let body):
                    let (start, count) = path(p)
                    let at = ops.count
                    ops.append(.text(start: 0, count: 0))
                    emit(body, indented: indented)
                    ops[at] = .section(up: Int32(truncatingIfNeeded: up), pathStart: start, pathCount: count, kind: kind,
                                       end: Int32(truncatingIfNeeded: ops.count))
                case .scope(let indentation, let body):
                    var indent: Int32 = -1
                    if let indentation {
                        indent = Int32(truncatingIfNeeded: indents.count)
                        indents.append(indentation)
                    }
                    let at = ops.count
                    ops.append(.text(start: 0, count: 0))
                    emit(body, indented: indented || indentation != nil)
                    ops[at] = .scope(indent: indent, end: Int32(truncatingIfNeeded: ops.count))
                }
            }
        }
        emit(nodes, indented: false)
        self.ops = ops
        self.bytes = bytes
        self.paths = paths
        self.indents = indents
        self.usesIdempotencyKey = usesIdempotencyKey
        selfContained = ops.indices.map { pc in
            guard case .section(_, _, _, .each, let end) = ops[pc] else { return false }
            return Self.readsOnlyItsElement(ops, pc + 1, Int(end), depth: 0)
        }
    }

    /// Whether the operations in `from..<to`, run with an element on top of the stack and
    /// `depth` frames pushed above it, resolve every name in that element or above it.
    static func readsOnlyItsElement(_ ops: [Op], _ from: Int, _ to: Int, depth: Int) -> Bool {
        var pc = from
        while pc < to {
            switch ops[pc] {
            case .text:
                pc += 1
            case .value(let up, _, _, _), .wrapped(let up, _, _, _, _, _, _, _):
                guard Int(up) <= depth else { return false }
                pc += 1
            case .section(let up, _, _, let kind, let end):
                guard Int(up) <= depth,
                      readsOnlyItsElement(ops, pc + 1, Int(end), depth: kind == .each || kind == .push ? depth + 1 : depth)
                else { return false }
                pc = Int(end)
            case .scope(_, let end):
                guard readsOnlyItsElement(ops, pc + 1, Int(end), depth: depth) else { return false }
                pc = Int(end)
            }
        }
        return true
    }

    // MARK: Rendering

    struct State {
        var stack: [TemplateValue]
        var indentation: [UInt8]
        /// A section's body run once per variant of a table's elements (`TemplateTable.variant`):
        /// its fixed bytes and slots, for this render.
        var variants: [VariantKey: Variants] = [:]
    }

    struct VariantKey: Hashable {
        var table: ObjectIdentifier
        var body: Int
    }

    /// A section's bodies by variant number, for one render (found by index, not hashed, per
    /// element): each body's pieces copied into flat arrays, so an element is printed from
    /// buffers with no reference counted per element.
    final class Variants {
        /// Variant numbers at or above it are run per element (a list page with some 90 distinct
        /// captions and classes; the table is sized once to the table's `variantBound`).
        static let limit = 16_384
        // One render, one thread.
        /// Per variant number: 0 not yet learned, -1 run per element, k > 0 `spans[k - 1]`.
        @exclusivity(unchecked) var slots: [Int32] = []
        /// Per body: its pieces, `pieces[start ..< end]`.
        @exclusivity(unchecked) var spans: [(start: Int32, end: Int32)] = []
        @exclusivity(unchecked) var pieces: [Piece] = []
        @exclusivity(unchecked) var bytes: [UInt8] = []

        /// Adds a body's pieces (their bytes moved into `bytes`); returns its slot value.
        func add(_ body: VariantBody) -> Int32 {
            if body.perElement { return -1 }
            let base = bytes.count, start = pieces.count
            bytes += body.bytes
            for p in body.pieces {
                if case .bytes(let s, let n) = p { pieces.append(.bytes(start: s + base, count: n)) } else { pieces.append(p) }
            }
            spans.append((Int32(truncatingIfNeeded: start), Int32(truncatingIfNeeded: pieces.count)))
            return Int32(truncatingIfNeeded: spans.count)
        }
    }

    /// What a section's body prints for the elements of one variant: fixed bytes and slot
    /// fields, in order; or, when the body does something a variant cannot stand for (prints a
    /// slot's value other than by name), `perElement`: run it for each element.
    final class VariantBody: Sendable {
        let bytes: [UInt8]
        let pieces: [Piece]
        let perElement: Bool
        init(bytes: [UInt8], pieces: [Piece]) {
            self.bytes = bytes
            self.pieces = pieces
            perElement = false
        }
        init(perElement: ()) {
            bytes = []
            pieces = []
            self.perElement = true
        }
        static let runPerElement = VariantBody(perElement: ())
    }

    enum Piece: Sendable {
        case bytes(start: Int, count: Int)
        case slot(field: Int, escaped: Bool)
    }

    /// The element a section's body is run with to learn a variant: prints each slot field as a
    /// mark (0xFF, field, escaped — 0xFF never occurs in UTF-8) and everything else as the
    /// element itself; a slot's value read as a value is `marker`, and seeing it in the output
    /// means the variant cannot be used.
    final class SlotProbe: TemplateTable {
        static let marker = "\u{10FFFE}"
        let base: any TemplateTable
        init(_ base: any TemplateTable) { self.base = base }
        var fieldCount: Int { base.fieldCount }
        func field(_ position: Int, of index: Int) -> TemplateValue {
            base.isSlot(position) && base.isTruthy(position, of: index) ? .text(Self.marker) : base.field(position, of: index)
        }
        func print(_ position: Int, of index: Int, escaped: Bool, into out: inout [UInt8]) {
            guard base.isSlot(position) else { return base.print(position, of: index, escaped: escaped, into: &out) }
            guard position < 0xFF else { return out.append(contentsOf: Self.marker.utf8) }
            out.append(0xFF)
            out.append(UInt8(truncatingIfNeeded: position))
            out.append(escaped ? 1 : 0)
        }
        func isTruthy(_ position: Int, of index: Int) -> Bool { base.isTruthy(position, of: index) }
    }

    func render(_ frames: [TemplateValue], into out: inout [UInt8]) {
        var state = State(stack: frames, indentation: [])
        state.stack.reserveCapacity(16)
        // The program's arrays are read through buffers for the whole render: a page runs
        // thousands of operations, and each array access would otherwise retain the array and
        // check the index (the offsets are the compiler's, made in `init` from these arrays).
        ops.withUnsafeBufferPointer { ops in
            bytes.withUnsafeBufferPointer { bytes in
                paths.withUnsafeBufferPointer { paths in
                    let program = Program(ops: ops, bytes: bytes, paths: paths, indents: indents, template: self)
                    program.run(0, ops.count, &state, into: &out)
                }
            }
        }
    }

    /// The operations, text and field paths of one template, for one render.
    private struct Program {
        let ops: UnsafeBufferPointer<Op>
        let bytes: UnsafeBufferPointer<UInt8>
        let paths: UnsafeBufferPointer<Int>
        let indents: [[UInt8]]
        let template: BoundTemplate

        /// Runs the operations in `from..<to` (one level: a section's body is run by its section).
        /// As swift-mustache: with an indentation (inside a standalone partial), each operation's
        /// non-empty output that starts a line of this level's output is indented.
        func run(_ from: Int, _ to: Int, _ state: inout State, into out: inout [UInt8]) {
            let indented = !state.indentation.isEmpty
            let start = out.count
            var pc = from
            while pc < to {
                let atLineStart = indented && out.count > start && out[out.count - 1] == UInt8(ascii: "\n")
                let before = out.count
                switch ops[pc] {
                case .text(let s, let n):
                    out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[Int(s)..<Int(s) + Int(n)]))
                    pc += 1
                case .value(let up, let ps, let pn, let escaped):
                    if let (table, element, field) = tableField(up, ps, pn, state.stack) {
                        table.print(field, of: element, escaped: escaped, into: &out)
                    } else {
                        lookup(up, ps, pn, state.stack).print(escaped: escaped, into: &out)
                    }
                    pc += 1
                case .wrapped(let up, let ps, let pn, let escaped, let a, let an, let b, let bn):
                    if let (table, element, field) = tableField(up, ps, pn, state.stack) {
                        if table.isTruthy(field, of: element) {
                            if an > 0 { out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[Int(a)..<Int(a) + Int(an)])) }
                            table.print(field, of: element, escaped: escaped, into: &out)
                            if bn > 0 { out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[Int(b)..<Int(b) + Int(bn)])) }
                        }
                    } else {
                        let value = lookup(up, ps, pn, state.stack)
                        if value.isTruthy {
                            if an > 0 { out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[Int(a)..<Int(a) + Int(an)])) }
                            value.print(escaped: escaped, into: &out)
                            if bn > 0 { out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[Int(b)..<Int(b) + Int(bn)])) }
                        }
                    }
                    pc += 1
                case .section(let up, let ps, let pn, let kind, let end) where kind == .condition || kind == .inverted:
                    // A test only: read from a table without making a value.
                    let truthy = tableField(up, ps, pn, state.stack).map { $0.isTruthy($2, of: $1) }
                        ?? lookup(up, ps, pn, state.stack).isTruthy
                    if truthy == (kind == .condition) { run(pc + 1, Int(end), &state, into: &out) }
                    pc = Int(end)
                case .section(let up, let ps, let pn, let kind, let end):
                    let body = pc + 1, stop = Int(end)
                    let value = lookup(up, ps, pn, state.stack)
                    switch kind {
                    case .inverted, .condition:
                        break   // tests only: the case above runs them
                    case .each:
                        if case .list(let items) = value {
                            for item in items {
                                state.stack.append(item)
                                run(body, stop, &state, into: &out)
                                state.stack.removeLast()
                            }
                        } else if case .elements(let table, let first, let count) = value, count > 1,
                                  state.indentation.isEmpty, table.variant(of: first) != nil {
                            runVariants(table, first, count, body, stop, &state, into: &out)
                        } else if case .elements(let table, let first, let count) = value {
                            for i in first..<first + max(count, 0) {
                                state.stack.append(.element(table, i))
                                run(body, stop, &state, into: &out)
                                state.stack.removeLast()
                            }
                        }
                    case .push:
                        if BoundTemplate.truthy(value) {
                            state.stack.append(value)
                            run(body, stop, &state, into: &out)
                            state.stack.removeLast()
                        }
                    }
                    pc = stop
                case .scope(let indent, let end):
                    if indent >= 0 {
                        let saved = state.indentation
                        state.indentation += indents[Int(indent)]
                        run(pc + 1, Int(end), &state, into: &out)
                        state.indentation = saved
                    } else {
                        run(pc + 1, Int(end), &state, into: &out)
                    }
                    pc = Int(end)
                }
                if atLineStart, out.count > before { out.insert(contentsOf: state.indentation, at: before) }
            }
        }

        /// A section over table elements with variants: per element, the body's fixed bytes and
        /// its slots, the body run once per variant (with a `SlotProbe`) to find them.
        private func runVariants(_ table: any TemplateTable, _ first: Int, _ count: Int, _ body: Int, _ stop: Int,
                                 _ state: inout State, into out: inout [UInt8]) {
            let key = VariantKey(table: ObjectIdentifier(table), body: body)
            let variants: Variants
            if let known = state.variants[key] {
                variants = known
            } else {
                variants = Variants()
                state.variants[key] = variants
            }
            let shared = template.selfContained[body - 1]
            withUnsafeTemporaryAllocation(of: Int32.self, capacity: max(count, 1)) { kinds in
                // Each element's variant, learned when new (the flat arrays grow only here).
                for k in 0..<count {
                    let i = first + k
                    guard let v = table.variant(of: i), v >= 0, v < Variants.limit else {
                        kinds[k] = -1
                        continue
                    }
                    if v >= variants.slots.count {
                        // Sized once for every variant number the table can give (a list page:
                        // a few hundred), not grown per new number.
                        let size = min(Variants.limit, max(v + 1, 2 * variants.slots.count, table.variantBound))
                        variants.slots += Array(repeating: 0, count: size - variants.slots.count)
                    }
                    var slot = variants.slots[v]
                    if slot == 0 {
                        slot = variants.add(learned(table, i, body, stop, shared: shared, &state))
                        variants.slots[v] = slot
                    }
                    kinds[k] = slot
                }
                // Then each element: its body's fixed bytes and slots, read through buffers.
                variants.spans.withUnsafeBufferPointer { spans in
                    variants.pieces.withUnsafeBufferPointer { pieces in
                        variants.bytes.withUnsafeBufferPointer { bytes in
                            for k in 0..<count {
                                let i = first + k, slot = Int(kinds[k])
                                guard slot > 0, slot <= spans.count else {
                                    state.stack.append(.element(table, i))
                                    run(body, stop, &state, into: &out)
                                    state.stack.removeLast()
                                    continue
                                }
                                let span = spans[slot - 1]
                                for p in Int(span.start)..<Int(span.end) {
                                    switch pieces[p] {
                                    case .bytes(let s, let n): out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[s..<s + n]))
                                    case .slot(let field, let escaped): table.print(field, of: i, escaped: escaped, into: &out)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }

        /// The body of element `i`'s variant: kept from an earlier render when the body reads
        /// only its element (`shared`) and the table names the variant across renders, else
        /// learned now (and kept for the next render when it may be).
        private func learned(_ table: any TemplateTable, _ i: Int, _ body: Int, _ stop: Int, shared: Bool,
                             _ state: inout State) -> VariantBody {
            guard shared, let signature = table.variantSignature(of: i) else { return learn(table, i, body, stop, &state) }
            let key = LearnedKey(body: body, signature: signature)
            if let known = template.learned.withLock({ $0[key] }) { return known }
            let compiled = learn(table, i, body, stop, &state)
            template.learned.withLock { kept in
                if kept.count < BoundTemplate.learnedLimit { kept[key] = compiled }
            }
            return compiled
        }

        /// Runs the body once with element `i` behind a `SlotProbe` and splits what it printed
        /// into fixed bytes and slots.
        private func learn(_ table: any TemplateTable, _ i: Int, _ body: Int, _ stop: Int, _ state: inout State) -> VariantBody {
            var printed: [UInt8] = []
            state.stack.append(.element(SlotProbe(table), i))
            run(body, stop, &state, into: &printed)
            state.stack.removeLast()
            let marker = Array(SlotProbe.marker.utf8)
            if printed.count >= marker.count,
               (0...printed.count - marker.count).contains(where: { printed[$0..<$0 + marker.count].elementsEqual(marker) }) {
                return .runPerElement
            }
            var bytes: [UInt8] = [], pieces: [Piece] = []
            var k = 0, runStart = 0
            while k < printed.count {
                guard printed[k] == 0xFF else {
                    bytes.append(printed[k])
                    k += 1
                    continue
                }
                guard k + 2 < printed.count, Int(printed[k + 1]) < table.fieldCount, printed[k + 2] <= 1 else { return .runPerElement }
                if bytes.count > runStart { pieces.append(.bytes(start: runStart, count: bytes.count - runStart)) }
                pieces.append(.slot(field: Int(printed[k + 1]), escaped: printed[k + 2] == 1))
                runStart = bytes.count
                k += 3
            }
            if bytes.count > runStart { pieces.append(.bytes(start: runStart, count: bytes.count - runStart)) }
            return VariantBody(bytes: bytes, pieces: pieces)
        }

        /// A one-part name whose frame is a table element (a list page's cell): the table, the
        /// element and the field, to print or test without making a value.
        private func tableField(_ up: Int32, _ pathStart: Int32, _ pathCount: Int32, _ stack: [TemplateValue])
            -> (any TemplateTable, Int, Int)? {
            guard pathCount == 1 else { return nil }
            let i = stack.count - 1 - Int(up)
            guard i >= 0, i < stack.count, case .element(let table, let index) = stack[i] else { return nil }
            return (table, index, paths[Int(pathStart)])
        }

        private func lookup(_ up: Int32, _ pathStart: Int32, _ pathCount: Int32, _ stack: [TemplateValue]) -> TemplateValue {
            let i = stack.count - 1 - Int(up)
            guard i >= 0, i < stack.count else { return .null }
            var value = stack[i]
            var k = Int(pathStart)
            let end = k + Int(pathCount)
            while k < end {
                let p = paths[k]
                switch value {
                case .object(let fields):
                    guard p < fields.count else { return .null }
                    value = fields[p]
                case .element(let table, let index):
                    value = table.field(p, of: index)
                default:
                    return .null
                }
                k += 1
            }
            return value
        }
    }

    /// False for: nothing, `false`, an empty list. Everything else (an empty string too) is
    /// true, as in swift-mustache.
    static func truthy(_ value: TemplateValue) -> Bool { value.isTruthy }
}

/// Binds templates to model shapes; collects every problem (not only the first) so a start-up
/// failure lists them all.
struct TemplateBinder {
    let templates: [String: [CompiledTemplates.Node]]
    let files: [String: String]
    private(set) var problems: [String] = []
    /// Fields read by some template: (object, field position).
    private(set) var used: Set<FieldUse> = []
    /// Every object type reached from a bound page (for the unused-field check).
    private(set) var objects: [ObjectIdentifier: (object: TemplateObject, page: String)] = [:]
    /// Objects whose unused fields are fine: the layout's (a page may print a few of its
    /// fields; the layout template reads the rest).
    private(set) var exempt: Set<ObjectIdentifier> = []

    mutating func exempt(_ shape: TemplateShape) {
        switch shape {
        case .optional(let s), .list(let s): exempt(s)
        case .object(let o):
            guard exempt.insert(ObjectIdentifier(o)).inserted else { return }
            for f in o.fields { exempt(f.shape) }
        case .text, .int, .bool: break
        }
    }

    struct FieldUse: Hashable {
        var object: ObjectIdentifier
        var field: Int
    }

    private struct Frame {
        var shape: TemplateShape
    }

    private typealias Overrides = [String: (nodes: [CompiledTemplates.Node], template: String)]

    init(templates: [String: [CompiledTemplates.Node]], files: [String: String]) {
        self.templates = templates
        self.files = files
    }

    /// Binds `template` with the context stack `roots` (outermost first).
    mutating func bind(_ template: String, roots: [TemplateShape], page: String) -> BoundTemplate? {
        guard let nodes = templates[template] else {
            problems.append("\(page): template \(template) not found")
            return nil
        }
        for r in roots { collect(r, page: page) }
        let before = problems.count
        var usesIdem = false
        let bound = bind(nodes, in: template, frames: roots.map { Frame(shape: $0) }, inherited: nil, depth: 0, indent: [],
                         usesIdem: &usesIdem)
        return problems.count == before ? BoundTemplate(nodes: bound, usesIdempotencyKey: usesIdem) : nil
    }

    private mutating func collect(_ shape: TemplateShape, page: String) {
        switch shape {
        case .optional(let s), .list(let s): collect(s, page: page)
        case .object(let o):
            let id = ObjectIdentifier(o)
            guard objects[id] == nil else { return }
            objects[id] = (o, page)
            for f in o.fields { collect(f.shape, page: page) }
        case .text, .int, .bool: break
        }
    }

    private func place(_ template: String, _ line: Int) -> String {
        "\(files[template] ?? template):\(line)"
    }

    private static func types(_ frames: [Frame]) -> String {
        frames.reversed().map { f -> String in
            if case .object(let o) = f.shape.unwrapped { return o.typeName }
            return "\(f.shape)"
        }.joined(separator: " ← ")
    }

    /// Resolves a dotted name: the first part climbs the stack from the top, the rest descends.
    private mutating func resolve(_ path: [String], _ frames: [Frame], _ template: String, _ line: Int)
        -> (up: Int, path: [Int], shape: TemplateShape, usesIdem: Bool)? {
        let shown = path.joined(separator: ".")
        if path == ["."] {
            guard let top = frames.last else { return nil }
            return (0, [], top.shape, false)
        }
        var names = path[...]
        var up = -1
        var current: TemplateShape?
        var positions: [Int] = []
        var usesIdem = false
        if names.first == "" {
            names = names.dropFirst()
            guard let top = frames.last, let first = names.popFirst() else { return (0, [], frames.last?.shape ?? .text, false) }
            guard case .object(let o) = top.shape.unwrapped, let i = o.index[first] else {
                problems.append("\(place(template, line)): {{\(shown)}}: the current object (\(Self.types([top]))) has no field \(first)")
                return nil
            }
            up = 0
            positions = [i]
            current = o.fields[i].shape
            used.insert(FieldUse(object: ObjectIdentifier(o), field: i))
        } else if let first = names.popFirst() {
            for (k, frame) in frames.enumerated().reversed() {
                if case .object(let o) = frame.shape.unwrapped, let i = o.index[first] {
                    up = frames.count - 1 - k
                    positions = [i]
                    current = o.fields[i].shape
                    used.insert(FieldUse(object: ObjectIdentifier(o), field: i))
                    if first == "idem", k == 0 { usesIdem = true }
                    break
                }
            }
            guard current != nil else {
                problems.append("\(place(template, line)): {{\(shown)}}: no field \(first) in \(Self.types(frames))")
                return nil
            }
        }
        for name in names {
            guard let shape = current, case .object(let o) = shape.unwrapped, let i = o.index[name] else {
                problems.append("\(place(template, line)): {{\(shown)}}: \(current.map { "\($0)" } ?? "?") has no field \(name)")
                return nil
            }
            positions.append(i)
            current = o.fields[i].shape
            used.insert(FieldUse(object: ObjectIdentifier(o), field: i))
        }
        guard let shape = current else { return nil }
        return (up, positions, shape, usesIdem)
    }

    /// `indent`: the indentation the nodes will be rendered with (known here: it comes only from
    /// standalone partials and blocks). Where it is empty, partials and blocks are inlined and
    /// neighbouring text merged — fewer nodes to walk per page; where it is not, the node
    /// boundaries decide which lines get indented, so they are kept as they are.
    private mutating func bind(_ nodes: [CompiledTemplates.Node], in template: String, frames: [Frame], inherited: Overrides?,
                               depth: Int, indent: [UInt8], usesIdem: inout Bool) -> [BoundTemplate.Node] {
        guard depth < 32 else {
            problems.append("\(files[template] ?? template): partials nest more than 32 deep (a partial includes itself?)")
            return []
        }
        var out: [BoundTemplate.Node] = []
        for node in nodes {
            switch node {
            case .text(let bytes):
                out.append(.text(bytes))
            case .variable(let path, let escaped, let line):
                guard let r = resolve(path, frames, template, line) else { continue }
                usesIdem = usesIdem || r.usesIdem
                switch r.shape.unwrapped {
                case .text, .int, .bool: out.append(.value(up: r.up, path: r.path, escaped: escaped))
                case .list, .object, .optional:
                    problems.append("\(place(template, line)): {{\(path.joined(separator: "."))}} prints a \(r.shape); print one of its fields")
                }
            case .section(let path, let inverted, let body, let line):
                guard let r = resolve(path, frames, template, line) else { continue }
                if inverted {
                    let b = bind(body, in: template, frames: frames, inherited: inherited, depth: depth, indent: indent, usesIdem: &usesIdem)
                    out.append(.section(up: r.up, path: r.path, kind: .inverted, body: b))
                    continue
                }
                switch r.shape.unwrapped {
                case .bool:
                    let b = bind(body, in: template, frames: frames, inherited: inherited, depth: depth, indent: indent, usesIdem: &usesIdem)
                    out.append(.section(up: r.up, path: r.path, kind: .condition, body: b))
                case .list(let element):
                    let b = bind(body, in: template, frames: frames + [Frame(shape: element)], inherited: inherited, depth: depth,
                                 indent: indent, usesIdem: &usesIdem)
                    out.append(.section(up: r.up, path: r.path, kind: .each, body: b))
                case let other:
                    let b = bind(body, in: template, frames: frames + [Frame(shape: other)], inherited: inherited, depth: depth,
                                 indent: indent, usesIdem: &usesIdem)
                    out.append(.section(up: r.up, path: r.path, kind: .push, body: b))
                }
            case .block(let name, let body, let indentation, _, _):
                let chosen = inherited?[name]
                let inner = indent + (indentation ?? [])
                let b = bind(chosen?.nodes ?? body, in: chosen?.template ?? template, frames: frames, inherited: inherited, depth: depth,
                             indent: inner, usesIdem: &usesIdem)
                if inner.isEmpty { out += b } else { out.append(.scope(indentation: indentation, body: b)) }
            case .partial(let name, let indentation, let overrides, let line):
                guard let nodes = templates[name] else {
                    problems.append("\(place(template, line)): partial \(name) not found")
                    continue
                }
                var merged = inherited
                if let overrides {
                    // Outer overrides win (the page's blocks over the layout's own nesting).
                    let mine = overrides.mapValues { (nodes: $0, template: template) }
                    merged = inherited.map { $0.merging(mine) { outer, _ in outer } } ?? mine
                }
                let inner = indent + (indentation ?? [])
                // Reported where the indentation starts (the partials inside only inherit it).
                if indent.isEmpty, !(indentation ?? []).isEmpty, Self.printsTextarea(nodes, templates: templates, depth: 0) {
                    // Mustache indents every line a standalone partial prints — a textarea's value
                    // too, so a 422 would give back what the user typed with spaces added.
                    problems.append("\(place(template, line)): {{>\(name)}} stands indented on its own line and prints a "
                                    + "<textarea>: its value would come back indented; put the partial at the start of the line "
                                    + "or beside other content")
                }
                let b = bind(nodes, in: name, frames: frames, inherited: merged, depth: depth + 1, indent: inner, usesIdem: &usesIdem)
                if inner.isEmpty { out += b } else { out.append(.scope(indentation: indentation, body: b)) }
            }
        }
        return indent.isEmpty ? Self.mergeText(out) : out
    }

    /// Whether the nodes (their partials included) print a `<textarea`.
    private static func printsTextarea(_ nodes: [CompiledTemplates.Node], templates: [String: [CompiledTemplates.Node]],
                                       depth: Int) -> Bool {
        guard depth < 32 else { return false }
        let tag = Array("<textarea".utf8)
        for node in nodes {
            switch node {
            case .text(let bytes):
                if bytes.count >= tag.count, bytes.indices.dropLast(tag.count - 1).contains(where: { bytes[$0..<$0 + tag.count].elementsEqual(tag) }) {
                    return true
                }
            case .variable: continue
            case .section(_, _, let body, _), .block(_, let body, _, _, _):
                if printsTextarea(body, templates: templates, depth: depth + 1) { return true }
            case .partial(let name, _, let overrides, _):
                if let nodes = templates[name], printsTextarea(nodes, templates: templates, depth: depth + 1) { return true }
                for body in (overrides ?? [:]).values where printsTextarea(body, templates: templates, depth: depth + 1) { return true }
            }
        }
        return false
    }

    /// Neighbouring text nodes as one (only where no indentation applies).
    private static func mergeText(_ nodes: [BoundTemplate.Node]) -> [BoundTemplate.Node] {
        var out: [BoundTemplate.Node] = []
        out.reserveCapacity(nodes.count)
        for node in nodes {
            if case .text(let b) = node, case .text(let a)? = out.last {
                out[out.count - 1] = .text(a + b)
            } else if case .text(let b) = node, b.isEmpty {
                continue
            } else {
                out.append(node)
            }
        }
        return out
    }

    /// Fields of bound models that no template reads.
    func unusedFields() -> [String] {
        var unused: [String] = []
        for (id, entry) in objects where !exempt.contains(id) {
            for (i, f) in entry.object.fields.enumerated() where !used.contains(FieldUse(object: id, field: i)) {
                unused.append("\(entry.object.typeName).\(f.name) (in \(entry.page)) is not used by any template")
            }
        }
        return unused.sorted()
    }
}
