// Encodable values to compact JSON bytes, keys in the order each type encodes them. Foundation's
// JSONEncoder needs `.sortedKeys` for stable output (its own order varies from run to run), and
// sorting made the API's list answers a fifth slower; a type's own order is stable and cheaper.

import Codecs

/// Writes `Encodable` values as JSON. Only what the API's types use is supported: objects,
/// arrays, strings, integers, booleans, null and finite doubles.
enum JSONWriter {
    static func encode(_ value: any Encodable) throws -> [UInt8] {
        let root = Node.Slot()
        try value.encode(to: NodeEncoder(slot: root, codingPath: []))
        var out: [UInt8] = []
        out.reserveCapacity(1024)
        root.node.write(into: &out)
        return out
    }

    /// Escapes quotes, backslashes and control characters; everything else is UTF-8 as is.
    static func writeString(_ string: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
            case UInt8(ascii: "\\"): out += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
            case 0x0A: out += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
            case 0x0D: out += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
            case 0x09: out += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
            case 0..<0x20:
                out += Array("\\u00".utf8)
                out += [Hex.digit(byte >> 4), Hex.digit(byte & 0xF)]
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}

/// The value tree an encode builds; containers are filled in place through their boxes.
private enum Node {
    case null, bool(Bool), int(Int64), uint(UInt64), double(Double), string(String)
    case array(ArrayBox), object(ObjectBox)

    final class Slot { var node = Node.null }
    final class ArrayBox { var items: [Slot] = [] }
    final class ObjectBox { var entries: [(key: String, slot: Slot)] = [] }

    func write(into out: inout [UInt8]) {
        switch self {
        case .null: out += Array("null".utf8)
        case .bool(let value): out += Array((value ? "true" : "false").utf8)
        case .int(let value): out += Array(String(value).utf8)
        case .uint(let value): out += Array(String(value).utf8)
        case .double(let value): out += Array(String(value).utf8)
        case .string(let value): JSONWriter.writeString(value, into: &out)
        case .array(let box):
            out.append(UInt8(ascii: "["))
            for (index, item) in box.items.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                item.node.write(into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let box):
            out.append(UInt8(ascii: "{"))
            for (index, entry) in box.entries.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                JSONWriter.writeString(entry.key, into: &out)
                out.append(UInt8(ascii: ":"))
                entry.slot.node.write(into: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    /// A leaf for a primitive value, or nil when the value encodes itself (nested types).
    private static func finite(_ value: Double) throws -> Node {
        guard value.isFinite else { throw EncodingError.invalidValue(value, .init(codingPath: [], debugDescription: "not finite")) }
        return .double(value)
    }

    static func leaf(_ value: some Encodable) throws -> Node? {
        switch value {
        case let string as String: return .string(string)
        case let int as Int: return .int(Int64(int))
        case let int as Int64: return .int(int)
        case let int as Int32: return .int(Int64(int))
        case let int as Int16: return .int(Int64(int))
        case let int as Int8: return .int(Int64(int))
        case let int as UInt: return .uint(UInt64(int))
        case let int as UInt64: return .uint(int)
        case let int as UInt32: return .uint(UInt64(int))
        case let int as UInt16: return .uint(UInt64(int))
        case let int as UInt8: return .uint(UInt64(int))
        case let bool as Bool: return .bool(bool)
        case let double as Double: return try finite(double)
        case let float as Float: return try finite(Double(float))
        // Every other standard primitive would come back here through its own encode(to:).
        default: return nil
        }
    }
}

private struct NodeEncoder: Encoder {
    let slot: Node.Slot
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        if case .object(let box) = slot.node { return KeyedEncodingContainer(Keyed(box: box, codingPath: codingPath)) }
        let box = Node.ObjectBox()
        slot.node = .object(box)
        return KeyedEncodingContainer(Keyed(box: box, codingPath: codingPath))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        if case .array(let box) = slot.node { return Unkeyed(box: box, codingPath: codingPath) }
        let box = Node.ArrayBox()
        slot.node = .array(box)
        return Unkeyed(box: box, codingPath: codingPath)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer { Single(slot: slot, codingPath: codingPath) }

    /// Encodes `value` into `slot`: primitives directly, anything else through its own `encode(to:)`.
    static func encode(_ value: some Encodable, into slot: Node.Slot, codingPath: [any CodingKey]) throws {
        if let leaf = try Node.leaf(value) {
            slot.node = leaf
        } else {
            try value.encode(to: NodeEncoder(slot: slot, codingPath: codingPath))
        }
    }

    struct Keyed<Key: CodingKey>: KeyedEncodingContainerProtocol {
        let box: Node.ObjectBox
        let codingPath: [any CodingKey]

        private func slot(_ key: Key) -> Node.Slot {
            let slot = Node.Slot()
            box.entries.append((key.stringValue, slot))
            return slot
        }

        mutating func encodeNil(forKey key: Key) throws { _ = slot(key) }
        mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
            try NodeEncoder.encode(value, into: slot(key), codingPath: codingPath + [key])
        }
        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key)
            -> KeyedEncodingContainer<NestedKey> {
            NodeEncoder(slot: slot(key), codingPath: codingPath + [key]).container(keyedBy: keyType)
        }
        mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
            NodeEncoder(slot: slot(key), codingPath: codingPath + [key]).unkeyedContainer()
        }
        mutating func superEncoder() -> any Encoder { NodeEncoder(slot: slot(Key(stringValue: "super")!), codingPath: codingPath) }
        mutating func superEncoder(forKey key: Key) -> any Encoder { NodeEncoder(slot: slot(key), codingPath: codingPath + [key]) }
    }

    struct Unkeyed: UnkeyedEncodingContainer {
        let box: Node.ArrayBox
        let codingPath: [any CodingKey]
        var count: Int { box.items.count }

        private func slot() -> Node.Slot {
            let slot = Node.Slot()
            box.items.append(slot)
            return slot
        }

        mutating func encodeNil() throws { _ = slot() }
        mutating func encode<T: Encodable>(_ value: T) throws {
            try NodeEncoder.encode(value, into: slot(), codingPath: codingPath)
        }
        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
            NodeEncoder(slot: slot(), codingPath: codingPath).container(keyedBy: keyType)
        }
        mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
            NodeEncoder(slot: slot(), codingPath: codingPath).unkeyedContainer()
        }
        mutating func superEncoder() -> any Encoder { NodeEncoder(slot: slot(), codingPath: codingPath) }
    }

    struct Single: SingleValueEncodingContainer {
        let slot: Node.Slot
        let codingPath: [any CodingKey]

        mutating func encodeNil() throws { slot.node = .null }
        mutating func encode<T: Encodable>(_ value: T) throws {
            try NodeEncoder.encode(value, into: slot, codingPath: codingPath)
        }
    }
}
