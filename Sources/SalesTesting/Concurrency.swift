import Foundation
import SalesHost
import SalesKit

extension TestClient {
    /// The urlencoded POST this browser would send (its cookies and CSRF token), as a raw request
    /// that any worker can handle — for driving several workers at once.
    public func rawPost(_ uri: String, _ fields: [(String, String)]) -> RawRequest {
        var form = FormData([("_csrf", csrf ?? "")])
        for (k, v) in fields { form.append(k, v) }
        let body = Array(URLEncoding.encode(form).utf8)
        return RawRequest(params: [
            "REQUEST_METHOD": "POST", "REQUEST_URI": uri, "REMOTE_ADDR": remoteAddress, "HTTP_HOST": "localhost",
            "HTTP_COOKIE": cookies.map { "\($0.key)=\($0.value)" }.joined(separator: "; "),
            "CONTENT_TYPE": "application/x-www-form-urlencoded", "CONTENT_LENGTH": String(body.count),
        ], body: body)
    }
}

extension TestApp {
    /// Handles the requests at the same moment, each on its own worker (its own database
    /// connection) and thread, like the responder's worker threads. A further connection holds the
    /// write lock until all of them are in flight, so each one reads before any of them may write:
    /// the race a check-then-insert must survive.
    public func simultaneously(_ requests: [RawRequest]) throws -> [Response] {
        let state = Simultaneous(workers: try requests.map { _ in try app.makeWorker() }, blocker: try app.makeWorker())
        let locked = DispatchSemaphore(value: 0)
        let group = DispatchGroup()
        group.enter()
        Thread {
            try? state.blocker.db.transaction {
                locked.signal()
                Thread.sleep(forTimeInterval: 1)
            }
            group.leave()
        }.start()
        locked.wait()
        for (i, request) in requests.enumerated() {
            group.enter()
            Thread {
                state.set(i, state.workers[i].handle(request))
                group.leave()
            }.start()
        }
        group.wait()
        return state.responses.map { $0! }
    }
}

/// Workers and results shared with the request threads; each slot is written by one thread.
final class Simultaneous: @unchecked Sendable {
    let workers: [Worker]
    let blocker: Worker
    private(set) var responses: [Response?]
    private let lock = NSLock()

    init(workers: [Worker], blocker: Worker) {
        self.workers = workers
        self.blocker = blocker
        responses = Array(repeating: nil, count: workers.count)
    }

    func set(_ i: Int, _ r: Response) {
        lock.lock()
        responses[i] = r
        lock.unlock()
    }
}

/// A `multipart/form-data` body as a browser sends it (boundary `SalesTestBoundary` unless given).
public func multipartBody(_ parts: [(name: String, filename: String?, type: String?, data: [UInt8])],
                          boundary: String = "SalesTestBoundary") -> [UInt8] {
    var out: [UInt8] = []
    for p in parts {
        var head = "--\(boundary)\r\nContent-Disposition: form-data; name=\"\(p.name)\""
        if let f = p.filename { head += "; filename=\"\(f)\"" }
        head += "\r\n"
        if let t = p.type { head += "Content-Type: \(t)\r\n" }
        head += "\r\n"
        out += Array(head.utf8) + p.data + Array("\r\n".utf8)
    }
    return out + Array("--\(boundary)--\r\n".utf8)
}
