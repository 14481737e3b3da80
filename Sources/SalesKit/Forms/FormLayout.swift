import Foundation

/// Forms whose templates lay the fields out one by one (客户资料表, 分类政策, 奖励表, 到货验收…):
/// the fields are taken from the typed `FormView` by name. A name the schema lacks is a
/// programming error: thrown (the error page, and a failing test), never a trap and never an
/// empty cell.
public struct MissingFormField: Error, CustomStringConvertible {
    public var name: String
    public var description: String { "the form has no field \(name)" }
}

extension FormView {
    /// The field named `name`.
    public func field(_ name: String) throws -> FieldView {
        guard let f = fields.first(where: { $0.name == name }) else { throw MissingFormField(name: name) }
        return f
    }

    /// The fields as a struct with one `FieldView` property per field, named as the field
    /// (`struct ProfileFields: TemplateModel { var op_name: FieldView; … }`): the template writes
    /// `{{#field}}{{#op_name}}{{>form/field}}{{/op_name}}…{{/field}}`, and start-up binding checks
    /// those names against the struct, this against the schema.
    public func fields<T: Decodable>(as type: T.Type) throws -> T {
        let byName = Dictionary(fields.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        return try T(from: FieldsDecoder(fields: byName))
    }
}

/// Hands out the form's fields by property name (the struct's synthesized `init(from:)`).
private struct FieldsDecoder: Decoder {
    let fields: [String: FieldView]
    var codingPath: [any CodingKey] = []
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        KeyedDecodingContainer(FieldsContainer<Key>(fields: fields))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        throw DecodingError.typeMismatch([FieldView].self, .init(codingPath: [], debugDescription: "form fields are a struct of FieldView"))
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        throw DecodingError.typeMismatch(FieldView.self, .init(codingPath: [], debugDescription: "form fields are a struct of FieldView"))
    }
}

private struct FieldsContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let fields: [String: FieldView]
    var codingPath: [any CodingKey] = []
    var allKeys: [Key] { fields.keys.compactMap { Key(stringValue: $0) } }

    func contains(_ key: Key) -> Bool { fields[key.stringValue] != nil }
    func decodeNil(forKey key: Key) throws -> Bool { fields[key.stringValue] == nil }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        guard let f = fields[key.stringValue] else { throw MissingFormField(name: key.stringValue) }
        guard let v = f as? T else {
            throw DecodingError.typeMismatch(type, .init(codingPath: [key], debugDescription: "\(key.stringValue) is a FieldView"))
        }
        return v
    }

    func nestedContainer<N: CodingKey>(keyedBy type: N.Type, forKey key: Key) throws -> KeyedDecodingContainer<N> {
        throw MissingFormField(name: key.stringValue)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        throw MissingFormField(name: key.stringValue)
    }

    func superDecoder() throws -> any Decoder { FieldsDecoder(fields: fields) }
    func superDecoder(forKey key: Key) throws -> any Decoder { FieldsDecoder(fields: fields) }
}
