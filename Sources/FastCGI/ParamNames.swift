#if canImport(Glibc)
import Glibc
#endif

/// The names of the FastCGI params that front ends send for (nearly) every request: RFC 3875's
/// variables, the ones nginx's `fastcgi_params`, Apache httpd's mod_proxy_fcgi and lighttpd add,
/// and the request headers browsers send (`HTTP_…`). Each is a String constant, found by its
/// bytes, so reading a request's params does not decode and allocate a new String for each
/// name. Any other name is decoded as before; the dictionary the handler gets is the same.
enum ParamNames {
    static let names: [String] = [
        // RFC 3875 §4.1 and what nginx (fastcgi_params), Apache httpd and lighttpd send.
        "AUTH_TYPE", "CONTENT_LENGTH", "CONTENT_TYPE", "GATEWAY_INTERFACE", "PATH_INFO", "PATH_TRANSLATED",
        "QUERY_STRING", "REMOTE_ADDR", "REMOTE_HOST", "REMOTE_IDENT", "REMOTE_USER", "REQUEST_METHOD",
        "SCRIPT_NAME", "SERVER_NAME", "SERVER_PORT", "SERVER_PROTOCOL", "SERVER_SOFTWARE",
        "REQUEST_URI", "DOCUMENT_URI", "DOCUMENT_ROOT", "REQUEST_SCHEME", "HTTPS", "REMOTE_PORT", "SERVER_ADDR",
        "REDIRECT_STATUS", "SCRIPT_FILENAME", "FCGI_ROLE", "CONTEXT_DOCUMENT_ROOT", "CONTEXT_PREFIX",
        "SERVER_ADMIN", "SERVER_SIGNATURE", "PATH", "UNIQUE_ID", "REQUEST_TIME", "REQUEST_TIME_FLOAT",
        // Request headers.
        "HTTP_HOST", "HTTP_USER_AGENT", "HTTP_ACCEPT", "HTTP_ACCEPT_ENCODING", "HTTP_ACCEPT_LANGUAGE",
        "HTTP_COOKIE", "HTTP_CONNECTION", "HTTP_REFERER", "HTTP_ORIGIN", "HTTP_CACHE_CONTROL", "HTTP_PRAGMA",
        "HTTP_UPGRADE_INSECURE_REQUESTS", "HTTP_SEC_FETCH_DEST", "HTTP_SEC_FETCH_MODE", "HTTP_SEC_FETCH_SITE",
        "HTTP_SEC_FETCH_USER", "HTTP_SEC_CH_UA", "HTTP_SEC_CH_UA_MOBILE", "HTTP_SEC_CH_UA_PLATFORM",
        "HTTP_DNT", "HTTP_PRIORITY", "HTTP_TE", "HTTP_CONTENT_TYPE", "HTTP_CONTENT_LENGTH",
        "HTTP_IF_MODIFIED_SINCE", "HTTP_IF_NONE_MATCH", "HTTP_AUTHORIZATION", "HTTP_X_FORWARDED_FOR",
        "HTTP_X_FORWARDED_PROTO", "HTTP_X_FORWARDED_HOST", "HTTP_X_REAL_IP", "HTTP_X_REQUESTED_WITH",
        "HTTP_FORWARDED", "HTTP_VIA", "HTTP_KEEP_ALIVE", "HTTP_RANGE", "HTTP_IF_RANGE",
    ]

    /// The lookup table for `names` (built once per process, copied into each worker's handle).
    static let table = Table(names)

    /// The names as String constants and their bytes, found by open addressing on a few bytes.
    struct Table: Sendable {
        let names: [String]
        /// Every name's bytes, one after the other; `start[i]..<start[i + 1]` is `names[i]`.
        private let pool: [UInt8]
        private let start: [Int]
        /// `slots[h]` is 1 + an index into `names`, 0 for an empty slot; at most a quarter full.
        private let slots: [UInt16]
        private let mask: Int

        /// `names`: distinct, fewer than 16 384.
        init(_ names: [String]) {
            precondition(names.count < 1 << 14, "too many parameter names")
            self.names = names
            pool = names.flatMap { Array($0.utf8) }
            start = names.reduce(into: [0]) { $0.append($0[$0.count - 1] + $1.utf8.count) }
            var count = 512
            while count < 4 * names.count { count *= 2 }
            mask = count - 1
            var slots = [UInt16](repeating: 0, count: count)
            for (i, name) in names.enumerated() {
                var h = Array(name.utf8).withUnsafeBufferPointer { Self.hash($0) } & mask
                while slots[h] != 0 { h = (h + 1) & mask }
                slots[h] = UInt16(i + 1)
            }
            self.slots = slots
        }

        /// A slot from the length and a few bytes: the names differ there often enough that the
        /// table has few collisions.
        private static func hash(_ name: UnsafeBufferPointer<UInt8>) -> Int {
            let n = name.count
            guard n > 1 else { return n }
            // Checked arithmetic: a name is shorter than 2^31 bytes, so this cannot overflow.
            return n * 31 + Int(name[0]) * 7 + Int(name[n - 1]) * 131 + Int(name[n / 2]) * 17 + Int(name[n - 2]) * 5
        }

        /// The index in `names` of these bytes, or nil.
        func index(of name: UnsafeBufferPointer<UInt8>) -> Int? {
            guard let base = name.baseAddress, !name.isEmpty else { return nil }
            var h = Self.hash(name) & mask
            return pool.withUnsafeBufferPointer { pool -> Int? in
                guard let poolBase = pool.baseAddress else { return nil }
                while true {
                    let entry = Int(slots[h])
                    if entry == 0 { return nil }
                    let i = entry - 1
                    let from = start[i]
                    if start[i + 1] - from == name.count, memcmp(poolBase + from, base, name.count) == 0 { return i }
                    h = (h + 1) & mask
                }
            }
        }
    }
}
