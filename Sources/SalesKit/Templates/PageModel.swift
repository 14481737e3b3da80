import Foundation

/// A page as a typed Swift value: the handler fills a struct, the host renders the template the
/// struct names. When the application starts every declared page type is bound to its template
/// (and the partials and layout it reaches): a name in the template that is not a field of the
/// model, or a model field that no template uses, stops the start with the template and line —
/// not an empty cell in production.
///
/// ```swift
/// struct CustomerListPage: PageModel {
///     static let template = "customers"          // Plugins/<folder>/templates/customers.mustache
///     struct Row: TemplateModel { var code: String; var name: String; var href: String }
///     var rows: [Row]
///     var list: ListView
/// }
/// // in the module:   var pages: [any PageModel.Type] { [CustomerListPage.self] }
/// // in a handler:    return ctx.render(CustomerListPage(rows: rows, list: q.view(…)), title: "客户名录")
/// ```
///
/// Fields may be `String`, `Int`, `Int64`, `Bool`, optionals of these, arrays, and nested
/// `TemplateModel` structs. `Bool` fields are conditions (`{{#flag}}…{{/flag}}`), arrays are
/// repeated sections, optionals render as nothing when nil. Text is HTML-escaped unless the
/// template uses `{{{triple}}}` braces.
public protocol TemplateModel: Codable, Sendable {}

/// A whole page: a model that names its template, relative to the module's `templates/` folder
/// (`"customers"`), or absolute from `Web/templates` with a leading slash (`"/pages/home"`).
public protocol PageModel: TemplateModel {
    static var template: String { get }
}

// MARK: - The shape of a model (read once, at start-up, from its Decodable conformance)

/// What a template may do with a field.
public indirect enum TemplateShape: Sendable, CustomStringConvertible {
    case text, int, bool
    case optional(TemplateShape)
    case list(TemplateShape)
    case object(TemplateObject)

    public var description: String {
        switch self {
        case .text: "String"
        case .int: "Int"
        case .bool: "Bool"
        case .optional(let s): "\(s)?"
        case .list(let s): "[\(s)]"
        case .object(let o): o.typeName
        }
    }

    /// The shape under any optionals.
    public var unwrapped: TemplateShape {
        if case .optional(let s) = self { return s.unwrapped }
        return self
    }
}

/// The fields of one model type, in declaration order. One instance per type (shared by every
/// page that contains it), so "a field no template uses" is counted across all templates.
public final class TemplateObject: @unchecked Sendable {
    public let typeName: String
    public private(set) var fields: [(name: String, shape: TemplateShape)] = []
    public private(set) var index: [String: Int] = [:]
    /// The decoder asked for its keys: a dictionary, whose names no template can be checked against.
    var askedForKeys = false

    init(typeName: String) { self.typeName = typeName }

    func add(_ name: String, _ shape: TemplateShape) throws {
        guard index[name] == nil else {
            throw TemplateModelError("\(typeName): field \(name) is declared twice")
        }
        index[name] = fields.count
        fields.append((name, shape))
    }
}

public struct TemplateModelError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Reads model shapes through `Decodable`: decoding a model with a decoder that answers every
/// question with a placeholder records each field's name and type. Shapes are cached per type.
/// Used at start-up only (single-threaded); the cache is never changed while requests run.
public final class TemplateShapes: @unchecked Sendable {
    private var cache: [ObjectIdentifier: TemplateShape] = [:]
    private var inProgress: Set<ObjectIdentifier> = []

    public init() {}

    public func shape<T: Decodable>(of type: T.Type) throws -> TemplateShape {
        if let s = Self.primitive(type) { return s }
        let id = ObjectIdentifier(type)
        if let s = cache[id] { return s }
        guard inProgress.insert(id).inserted else {
            throw TemplateModelError("\(type) contains itself: recursive page models are not supported")
        }
        defer { inProgress.remove(id) }
        let decoder = ShapeDecoder(shapes: self, typeName: String(describing: type))
        do {
            _ = try T(from: decoder)
        } catch let e as TemplateModelError {
            throw e
        } catch {
            throw TemplateModelError("\(type): not a template model (\(error)); use String, Int, Bool, optionals, arrays and TemplateModel structs")
        }
        guard let s = decoder.shape else { throw TemplateModelError("\(type): decodes nothing") }
        if case .object(let o) = s, o.askedForKeys {
            throw TemplateModelError("\(type): dictionaries are not template models (their keys cannot be checked); use a struct")
        }
        cache[id] = s
        return s
    }

    static func primitive(_ type: Any.Type) -> TemplateShape? {
        if type == String.self { return .text }
        if type == Int.self || type == Int64.self || type == Int32.self { return .int }
        if type == Bool.self { return .bool }
        return nil
    }

    /// A placeholder value of a primitive type (what the shape decoder hands back).
    static func placeholder<T>(_ type: T.Type) -> T? {
        if let v = "" as? T { return v }
        if let v = 0 as? T { return v }
        if let v = Int64.zero as? T { return v }
        if let v = Int32.zero as? T { return v }
        if let v = false as? T { return v }
        return nil
    }
}

private final class ShapeDecoder: Decoder {
    let shapes: TemplateShapes
    let typeName: String
    var shape: TemplateShape?
    var codingPath: [any CodingKey] = []
    var userInfo: [CodingUserInfoKey: Any] = [:]

    init(shapes: TemplateShapes, typeName: String) {
        self.shapes = shapes
        self.typeName = typeName
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        let object = TemplateObject(typeName: typeName)
        shape = .object(object)
        return KeyedDecodingContainer(KeyedShapeContainer<Key>(shapes: shapes, object: object))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        let c = UnkeyedShapeContainer(shapes: shapes, owner: self)
        return c
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        SingleShapeContainer(owner: self)
    }
}

private struct KeyedShapeContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let shapes: TemplateShapes
    let object: TemplateObject
    var codingPath: [any CodingKey] = []
    /// The key whose `decodeNil` was just asked: the next decode of it is an optional field.
    private let optionalKey = Box()
    final class Box { var key: String? }

    init(shapes: TemplateShapes, object: TemplateObject) {
        self.shapes = shapes
        self.object = object
    }

    var allKeys: [Key] {
        object.askedForKeys = true
        return []
    }
    func contains(_ key: Key) -> Bool { true }

    func decodeNil(forKey key: Key) throws -> Bool {
        optionalKey.key = key.stringValue
        return false
    }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        let optional = optionalKey.key == key.stringValue
        optionalKey.key = nil
        let shape = try shapes.shape(of: type)
        try object.add(key.stringValue, optional ? .optional(shape) : shape)
        if let v = TemplateShapes.placeholder(type) { return v }
        return try T(from: PlaceholderDecoder(shapes: shapes, type: type))
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        throw TemplateModelError("\(object.typeName).\(key.stringValue): custom nested containers are not supported")
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        throw TemplateModelError("\(object.typeName).\(key.stringValue): custom nested containers are not supported")
    }

    func superDecoder() throws -> any Decoder { throw TemplateModelError("\(object.typeName): class inheritance is not supported") }
    func superDecoder(forKey key: Key) throws -> any Decoder { try superDecoder() }
}

/// Hands out a placeholder instance of a nested type (its shape is already cached).
private final class PlaceholderDecoder: Decoder {
    let shapes: TemplateShapes
    let inner: ShapeDecoder
    var codingPath: [any CodingKey] = []
    var userInfo: [CodingUserInfoKey: Any] = [:]
    init<T>(shapes: TemplateShapes, type: T.Type) {
        self.shapes = shapes
        inner = ShapeDecoder(shapes: shapes, typeName: String(describing: type))
    }
    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        try inner.container(keyedBy: type)
    }
    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        // An empty array: its element shape was recorded by `shape(of:)`.
        EmptyUnkeyed()
    }
    func singleValueContainer() throws -> any SingleValueDecodingContainer { try inner.singleValueContainer() }
}

private struct EmptyUnkeyed: UnkeyedDecodingContainer {
    var codingPath: [any CodingKey] = []
    var count: Int? { 0 }
    var isAtEnd: Bool { true }
    var currentIndex: Int { 0 }
    mutating func decodeNil() throws -> Bool { false }
    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T { throw TemplateModelError("empty") }
    mutating func nestedContainer<N: CodingKey>(keyedBy type: N.Type) throws -> KeyedDecodingContainer<N> { throw TemplateModelError("empty") }
    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer { throw TemplateModelError("empty") }
    mutating func superDecoder() throws -> any Decoder { throw TemplateModelError("empty") }
}

/// An array's element type, learned by decoding one element.
private final class UnkeyedShapeContainer: UnkeyedDecodingContainer {
    let shapes: TemplateShapes
    let owner: ShapeDecoder
    var codingPath: [any CodingKey] = []
    var done = false
    init(shapes: TemplateShapes, owner: ShapeDecoder) {
        self.shapes = shapes
        self.owner = owner
    }
    var count: Int? { 1 }
    var isAtEnd: Bool { done }
    var currentIndex: Int { done ? 1 : 0 }
    func decodeNil() throws -> Bool { false }
    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        done = true
        owner.shape = .list(try shapes.shape(of: type))
        if let v = TemplateShapes.placeholder(type) { return v }
        return try T(from: PlaceholderDecoder(shapes: shapes, type: type))
    }
    func nestedContainer<N: CodingKey>(keyedBy type: N.Type) throws -> KeyedDecodingContainer<N> {
        throw TemplateModelError("\(owner.typeName): nested containers are not supported")
    }
    func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        throw TemplateModelError("\(owner.typeName): nested containers are not supported")
    }
    func superDecoder() throws -> any Decoder { throw TemplateModelError("\(owner.typeName): super decoders are not supported") }
}

private struct SingleShapeContainer: SingleValueDecodingContainer {
    let owner: ShapeDecoder
    var codingPath: [any CodingKey] = []
    func decodeNil() -> Bool { false }
    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        guard let s = TemplateShapes.primitive(type), let v = TemplateShapes.placeholder(type) else {
            throw TemplateModelError("\(owner.typeName): a value of type \(type) is not supported in templates")
        }
        owner.shape = s
        return v
    }
}

// MARK: - Values (made per render by encoding the model)

/// A model that builds its own `TemplateValue` instead of going through `Encodable` (about a
/// thousand instructions per nested object): for the few pages on the hot path (the shared
/// list page, the layout). Fields must be at their declaration positions; a test compares the
/// result with the `Encodable` one for each such type.
public protocol TemplateValueRepresentable {
    var templateValue: TemplateValue { get }
}

/// A model value as the renderer walks it: objects are their fields by position (the order of
/// `TemplateObject.fields`), so a bound template reads a field by index, never by name.
public enum TemplateValue: Sendable, Equatable {
    case null
    case text(String)
    case int(Int64)
    case bool(Bool)
    case list([TemplateValue])
    case object([TemplateValue])
    /// Element `index` of a table: an object whose fields the renderer reads from the table
    /// (`TemplateTable.field(_:of:)`) as it prints them.
    case element(any TemplateTable, Int)
    /// Elements `start ..< start + count` of a table: a list with no value built per element
    /// (a list page's hundreds of cells; see `TemplateTable`).
    case elements(any TemplateTable, start: Int, count: Int)

    /// The same value with every table element built as an `.object` (what `Encodable` gives):
    /// for tests comparing a hand-built value with the encoded one.
    public var materialized: TemplateValue {
        switch self {
        case .null, .text, .int, .bool: self
        case .list(let items): .list(items.map(\.materialized))
        case .object(let fields): .object(fields.map(\.materialized))
        case .element(let table, let i): .object((0..<table.fieldCount).map { table.field($0, of: i).materialized })
        case .elements(let table, let start, let count): .list((start..<start + count).map { TemplateValue.element(table, $0).materialized })
        }
    }

    public static func == (a: TemplateValue, b: TemplateValue) -> Bool {
        switch (a, b) {
        case (.null, .null): true
        case (.text(let x), .text(let y)): x == y
        case (.int(let x), .int(let y)): x == y
        case (.bool(let x), .bool(let y)): x == y
        case (.list(let x), .list(let y)): x == y
        case (.object(let x), .object(let y)): x == y
        case (.element, _), (.elements, _), (_, .element), (_, .elements): a.materialized == b.materialized
        default: false
        }
    }
}

/// Elements of a list kept in columns (one array per field) instead of one `.object` value per
/// element: building and freeing a value tree per row and cell costs several times the query of
/// a list page. The renderer pushes `.element(table, i)` for each element and reads a field when
/// the template prints or tests it. Fields are by position, in the order the element's model
/// type declares them (as `TemplateValue.object`); `materialized` gives the tree, and a test
/// compares it with the `Encodable` value of the same model.
public protocol TemplateTable: AnyObject, Sendable {
    /// The number of fields of one element (its model's declared fields).
    var fieldCount: Int { get }
    /// Field `position` of element `index`.
    func field(_ position: Int, of index: Int) -> TemplateValue
    /// Prints field `position` of element `index` as `{{name}}` (escaped) or `{{{name}}}` would:
    /// straight from the table, with no value made (the renderer's path for a cell).
    func print(_ position: Int, of index: Int, escaped: Bool, into out: inout [UInt8])
    /// Whether `{{#name}}` over the field runs (`TemplateValue` truthiness), without a value made.
    func isTruthy(_ position: Int, of index: Int) -> Bool
    /// Elements of one variant differ only in what their slot fields print: every other field
    /// prints and tests the same, and a slot field's truthiness is the same. The renderer then
    /// runs a section's body once per variant and per element only copies its fixed bytes and
    /// prints its slots (a list page's cells: the caption and class are the column's, the text
    /// and link the cell's). nil: no variants (the body is run for each element).
    func variant(of index: Int) -> Int?
    /// Whether field `position` is a slot (see `variant(of:)`).
    func isSlot(_ position: Int) -> Bool
    /// Element `index`'s variant named across renders: the bytes of every field that is not a
    /// slot (a cell's caption and class, and whether it has a link). The renderer keeps what a
    /// body prints for a variant under it — only for bodies that read nothing but their element —
    /// so the same kind of cell is learned once per process. nil: learned in each render.
    func variantSignature(of index: Int) -> [UInt8]?
    /// Every `variant(of:)` is below it (the renderer sizes its table of variants once); 0: unknown.
    var variantBound: Int { get }
}

extension TemplateTable {
    public func variant(of index: Int) -> Int? { nil }
    public func variantSignature(of index: Int) -> [UInt8]? { nil }
    public var variantBound: Int { 0 }
    public func isSlot(_ position: Int) -> Bool { false }

    public func print(_ position: Int, of index: Int, escaped: Bool, into out: inout [UInt8]) {
        field(position, of: index).print(escaped: escaped, into: &out)
    }
    public func isTruthy(_ position: Int, of index: Int) -> Bool { field(position, of: index).isTruthy }
}

extension TemplateValue {
    /// False for: nothing, `false`, an empty list. Everything else (an empty string too) is
    /// true, as in swift-mustache.
    public var isTruthy: Bool {
        switch self {
        case .null: false
        case .bool(let b): b
        case .list(let items): !items.isEmpty
        case .elements(_, _, let count): count > 0
        case .text, .int, .object, .element: true
        }
    }

    /// `{{value}}` (escaped) or `{{{value}}}`: text, a number, `true`/`false`; nothing for the rest.
    public func print(escaped: Bool, into out: inout [UInt8]) {
        switch self {
        case .text(let s): HTMLText.append(s, escaped: escaped, into: &out)
        case .int(let i): out.append(contentsOf: String(i).utf8)
        case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case .null, .list, .object, .element, .elements: break
        }
    }
}

/// Text into a page's bytes.
public enum HTMLText {
    /// `s` as UTF-8, HTML-escaped (`& < > " '`) when `escaped`: byte by byte on the UTF-8, the
    /// rest copied in runs.
    public static func append(_ s: String, escaped: Bool, into out: inout [UInt8]) {
        // Through the contiguous UTF-8 (one copy), not the UTF-8 view (element by element).
        var s = s
        s.withUTF8 { append($0, escaped: escaped, into: &out) }
    }

    /// UTF-8 bytes, escaped unless `escaped` is false.
    public static func append(_ bytes: UnsafeBufferPointer<UInt8>, escaped: Bool, into out: inout [UInt8]) {
        guard escaped else {
            out.append(contentsOf: bytes)
            return
        }
        var runStart = 0
        for i in 0..<bytes.count {
            let replacement: StaticString
            switch bytes[i] {
            case UInt8(ascii: "&"): replacement = "&amp;"
            case UInt8(ascii: "<"): replacement = "&lt;"
            case UInt8(ascii: ">"): replacement = "&gt;"
            case UInt8(ascii: "\""): replacement = "&quot;"
            case UInt8(ascii: "'"): replacement = "&#39;"
            default: continue
            }
            if i > runStart { out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<i])) }
            out.append(contentsOf: UnsafeBufferPointer(start: replacement.utf8Start, count: replacement.utf8CodeUnitCount))
            runStart = i + 1
        }
        if bytes.count > runStart { out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<bytes.count])) }
    }
}

/// Encodes a model into a `TemplateValue`, placing each field at its schema position.
public struct TemplateEncoder {
    public init() {}

    /// A whole page (or the layout): hand-built when the type offers it.
    public func encodePage<T: Encodable>(_ value: T, as shape: TemplateShape) throws -> TemplateValue {
        if let fast = value as? any TemplateValueRepresentable { return fast.templateValue }
        return try encode(value, as: shape)
    }

    public func encode<T: Encodable>(_ value: T, as shape: TemplateShape) throws -> TemplateValue {
        // The shape says what the value is: a cast only for the primitives.
        switch shape.unwrapped {
        case .text, .int, .bool: return Self.primitive(value) ?? .null
        case .list, .object, .optional: break
        }
        let e = ValueEncoder(shape: shape)
        try value.encode(to: e)
        return e.result
    }

    static func primitive<T>(_ value: T) -> TemplateValue? {
        switch value {
        case let s as String: .text(s)
        case let i as Int: .int(Int64(i))
        case let i as Int64: .int(i)
        case let i as Int32: .int(Int64(i))
        case let b as Bool: .bool(b)
        default: nil
        }
    }
}

private final class ValueEncoder: Encoder {
    let shape: TemplateShape
    var result: TemplateValue = .null
    var codingPath: [any CodingKey] = []
    var userInfo: [CodingUserInfoKey: Any] = [:]
    init(shape: TemplateShape) { self.shape = shape }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        guard case .object(let object) = shape.unwrapped else {
            return KeyedEncodingContainer(KeyedValueContainer<Key>(owner: self, object: TemplateObject(typeName: "?")))
        }
        result = .object(Array(repeating: .null, count: object.fields.count))
        return KeyedEncodingContainer(KeyedValueContainer<Key>(owner: self, object: object))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        guard case .list(let element) = shape.unwrapped else { return UnkeyedValueContainer(owner: self, element: .text) }
        result = .list([])
        return UnkeyedValueContainer(owner: self, element: element)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer { SingleValueContainer(owner: self) }

    func store(_ value: TemplateValue, at i: Int) {
        guard case .object(var fields) = result else { return }
        result = .null // keep `fields` uniquely referenced while it changes
        fields[i] = value
        result = .object(fields)
    }

    func append(_ value: TemplateValue) {
        guard case .list(var items) = result else { return }
        result = .null
        items.append(value)
        result = .list(items)
    }
}

private struct KeyedValueContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let owner: ValueEncoder
    let object: TemplateObject
    var codingPath: [any CodingKey] = []
    /// Synthesized `encode(to:)` writes fields in declaration order, the order of the shape:
    /// the expected next position is checked first (one string comparison, no hashing).
    private var next = 0

    init(owner: ValueEncoder, object: TemplateObject) {
        self.owner = owner
        self.object = object
    }

    private mutating func slot(_ key: Key) -> Int? {
        let name = key.stringValue
        let i: Int
        if next < object.fields.count, object.fields[next].name == name {
            i = next
        } else if let found = object.index[name] {
            i = found
        } else {
            return nil
        }
        next = i + 1
        return i
    }

    // The types templates show, without a dynamic cast each.
    mutating func encode(_ value: String, forKey key: Key) throws { if let i = slot(key) { owner.store(.text(value), at: i) } }
    mutating func encode(_ value: Int, forKey key: Key) throws { if let i = slot(key) { owner.store(.int(Int64(value)), at: i) } }
    mutating func encode(_ value: Int64, forKey key: Key) throws { if let i = slot(key) { owner.store(.int(value), at: i) } }
    mutating func encode(_ value: Bool, forKey key: Key) throws { if let i = slot(key) { owner.store(.bool(value), at: i) } }
    mutating func encodeIfPresent(_ value: String?, forKey key: Key) throws {
        if let i = slot(key), let value { owner.store(.text(value), at: i) }
    }
    mutating func encodeIfPresent(_ value: Int?, forKey key: Key) throws {
        if let i = slot(key), let value { owner.store(.int(Int64(value)), at: i) }
    }
    mutating func encodeIfPresent(_ value: Int64?, forKey key: Key) throws {
        if let i = slot(key), let value { owner.store(.int(value), at: i) }
    }
    mutating func encodeIfPresent(_ value: Bool?, forKey key: Key) throws {
        if let i = slot(key), let value { owner.store(.bool(value), at: i) }
    }
    mutating func encodeIfPresent<T: Encodable>(_ value: T?, forKey key: Key) throws {
        guard let i = slot(key), let value else { return }
        owner.store(try TemplateEncoder().encode(value, as: object.fields[i].shape), at: i)
    }

    mutating func encodeNil(forKey key: Key) throws {}

    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        guard let i = slot(key) else { return }
        owner.store(try TemplateEncoder().encode(value, as: object.fields[i].shape), at: i)
    }

    mutating func nestedContainer<N: CodingKey>(keyedBy keyType: N.Type, forKey key: Key) -> KeyedEncodingContainer<N> {
        KeyedEncodingContainer(KeyedValueContainer<N>(owner: ValueEncoder(shape: .text), object: TemplateObject(typeName: "?")))
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        UnkeyedValueContainer(owner: ValueEncoder(shape: .text), element: .text)
    }

    mutating func superEncoder() -> any Encoder { ValueEncoder(shape: .text) }
    mutating func superEncoder(forKey key: Key) -> any Encoder { ValueEncoder(shape: .text) }
}

private struct UnkeyedValueContainer: UnkeyedEncodingContainer {
    let owner: ValueEncoder
    let element: TemplateShape
    var codingPath: [any CodingKey] = []
    var count = 0

    mutating func encodeNil() throws {
        owner.append(.null)
        count += 1
    }

    mutating func encode<T: Encodable>(_ value: T) throws {
        owner.append(try TemplateEncoder().encode(value, as: element))
        count += 1
    }

    mutating func encode(_ value: String) throws {
        owner.append(.text(value))
        count += 1
    }

    mutating func nestedContainer<N: CodingKey>(keyedBy keyType: N.Type) -> KeyedEncodingContainer<N> {
        KeyedEncodingContainer(KeyedValueContainer<N>(owner: ValueEncoder(shape: .text), object: TemplateObject(typeName: "?")))
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer { UnkeyedValueContainer(owner: ValueEncoder(shape: .text), element: .text) }
    mutating func superEncoder() -> any Encoder { ValueEncoder(shape: .text) }
}

private struct SingleValueContainer: SingleValueEncodingContainer {
    let owner: ValueEncoder
    var codingPath: [any CodingKey] = []
    mutating func encodeNil() throws { owner.result = .null }
    mutating func encode<T: Encodable>(_ value: T) throws {
        owner.result = TemplateEncoder.primitive(value) ?? .null
    }
}
