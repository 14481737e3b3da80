import CArgon2
import Foundation

/// argon2id password hashes in the standard encoded form (`$argon2id$v=19$m=…`).
/// Parameters follow OWASP's minimum for argon2id (m=19 MiB, t=2, p=1).
public enum PasswordHasher {
    public static let timeCost: UInt32 = 2
    public static let memoryKiB: UInt32 = 19 * 1024
    public static let parallelism: UInt32 = 1

    public static func hash(_ password: String) throws -> String {
        var salt = [UInt8](repeating: 0, count: 16)
        var rng = SystemRandomNumberGenerator()
        for i in salt.indices { salt[i] = rng.next() }
        let pwd = Array(password.utf8)
        let encodedLength = argon2_encodedlen(timeCost, memoryKiB, parallelism, UInt32(truncatingIfNeeded: salt.count), 32, Argon2_id)  // 16
        var encoded = [CChar](repeating: 0, count: encodedLength)
        let rc = argon2id_hash_encoded(timeCost, memoryKiB, parallelism, pwd, pwd.count, salt, salt.count, 32,
                                       &encoded, encodedLength)
        guard rc == ARGON2_OK.rawValue else { throw HashError(message: "argon2: \(String(cString: argon2_error_message(rc)))") }
        return String(decoding: encoded.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// argon2 refused to hash (out of memory); not a configuration problem.
    public struct HashError: Error, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    public static func verify(_ password: String, hash: String) -> Bool {
        guard hash.hasPrefix("$argon2id$") else { return false }
        let pwd = Array(password.utf8)
        return argon2id_verify(hash, pwd, pwd.count) == ARGON2_OK.rawValue
    }
}

/// Random tokens (session ids, CSRF tokens, file ids) from the system CSPRNG (getrandom).
public enum Token {
    /// Whether `s` is ASCII hexadecimal digits only (and `length` of them, when given), read as
    /// bytes: what `Token.make` produces. (`Character.isHexDigit` also takes full-width digits,
    /// and walks `Character`s: ~350 instructions per session token.)
    public static func isHex(_ s: String, length: Int? = nil) -> Bool {
        let u = s.utf8
        if let length, u.count != length { return false }
        return u.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x46) || ($0 >= 0x61 && $0 <= 0x66) }
    }

    public static func make(bytes: Int = 32) -> String {
        var rng = SystemRandomNumberGenerator()
        let hex = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes * 2)
        for _ in 0..<bytes {
            let b: UInt8 = rng.next()
            out.append(hex[Int(b >> 4)])
            out.append(hex[Int(b & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Compares in time independent of where the strings differ.
    public static func equal(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var diff: UInt8 = 0
        for i in x.indices { diff |= x[i] ^ y[i] }
        return diff == 0
    }
}
