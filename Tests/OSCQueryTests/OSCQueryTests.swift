import Control
import Foundation
@testable import OSCQuery
import TestSupport
import XCTest

/// The OSCQuery namespace built from the parameter registry, and the HTTP server that answers it, read
/// by curl (a real HTTP client) and by raw sockets for what a client should not send.
final class OSCQueryTests: TimeLimitedTestCase {
    let registry = ParameterRegistry.live(noiseResolutions: [4, 8], featureGroups: ["rms", "onsets"])
    lazy var store = ParameterStore(registry: registry)
    lazy var namespace = OSCQueryNamespace(registry: registry, oscPort: 9123) { [store] in store.value($0) }

    /// Every method of the tree, by its FULL_PATH.
    func methods(_ node: [String: Any], into found: inout [String: [String: Any]]) {
        if let contents = node["CONTENTS"] as? [String: [String: Any]] {
            for child in contents.values { methods(child, into: &found) }
        } else if let path = node["FULL_PATH"] as? String {
            found[path] = node
        }
    }

    func testEveryParameterIsAMethodAtItsOSCAddressWithItsTypeRangeAndValue() throws {
        let root = try XCTUnwrap(namespace.node(at: "/"))
        XCTAssertEqual(root["FULL_PATH"] as? String, "/")
        var found: [String: [String: Any]] = [:]
        methods(root, into: &found)
        XCTAssertEqual(Set(found.keys), Set(registry.parameters.map(\.oscAddress)), "one method per parameter, nothing else")
        for p in registry.parameters {
            let node = try XCTUnwrap(found[p.oscAddress])
            XCTAssertEqual(node["DESCRIPTION"] as? String, p.help, p.name)
            switch p.kind {
            case .trigger:
                XCTAssertEqual(node["TYPE"] as? String, "N", p.name); XCTAssertEqual(node["ACCESS"] as? Int, 2, p.name)
                XCTAssertNil(node["VALUE"], "a trigger has no value: \(p.name)")
            case .choice(let options):
                XCTAssertEqual(node["TYPE"] as? String, "s", p.name)
                XCTAssertEqual((node["RANGE"] as? [[String: [String]]])?.first?["VALS"], options, p.name)
                XCTAssertEqual((node["VALUE"] as? [String])?.first, options[Int(p.defaultValue)], p.name)
            case .continuous:
                XCTAssertEqual(node["TYPE"] as? String, "f", p.name)
                let range = try XCTUnwrap((node["RANGE"] as? [[String: Double]])?.first, p.name)
                XCTAssertEqual(range["MIN"], p.minimum, p.name); XCTAssertEqual(range["MAX"], p.maximum, p.name)
                XCTAssertEqual((node["VALUE"] as? [Double])?.first, p.defaultValue, p.name)
            case .integer, .toggle:
                XCTAssertEqual(node["TYPE"] as? String, "i", p.name)
                XCTAssertEqual((node["RANGE"] as? [[String: Int]])?.first?["MAX"], Int(p.maximum), p.name)
                XCTAssertEqual((node["VALUE"] as? [Int])?.first, Int(p.defaultValue), p.name)
            }
            if p.kind != .trigger { XCTAssertEqual(node["ACCESS"] as? Int, 3, p.name) }
            XCTAssertEqual((node["UNIT"] as? [String])?.first, p.unit.isEmpty ? nil : p.unit, p.name)
        }
    }

    func testContainersHoldWhatIsBelowThem() throws {
        let deep = try XCTUnwrap(namespace.node(at: "/lvj/deep"))
        XCTAssertEqual(deep["FULL_PATH"] as? String, "/lvj/deep")
        let contents = try XCTUnwrap(deep["CONTENTS"] as? [String: [String: Any]])
        let expected = registry.parameters.map(\.oscAddress).filter { $0.hasPrefix("/lvj/deep/") }
        XCTAssertFalse(expected.isEmpty)
        var found: [String: [String: Any]] = [:]
        methods(deep, into: &found)
        XCTAssertEqual(Set(found.keys), Set(expected))
        XCTAssertEqual((contents["amplitude"]?["FULL_PATH"]) as? String, "/lvj/deep/amplitude")
        XCTAssertNil(namespace.node(at: "/lvj/deeper"))
        XCTAssertNil(namespace.node(at: "lvj"), "a path starts at /")
    }

    func testAttributesHostInfoAndTheirErrors() throws {
        store.set("intensity", 1.75)
        guard case .json(let v) = namespace.answer(path: "/lvj/intensity", attribute: "VALUE") else { return XCTFail("VALUE") }
        XCTAssertEqual(v as NSDictionary, ["VALUE": [1.75]] as NSDictionary, "the value as the store holds it now")
        guard case .json(let info) = namespace.answer(path: "/", attribute: "HOST_INFO") else { return XCTFail("HOST_INFO") }
        XCTAssertEqual(info["OSC_PORT"] as? Int, 9123); XCTAssertEqual(info["OSC_TRANSPORT"] as? String, "UDP")
        XCTAssertEqual((info["EXTENSIONS"] as? [String: Bool])?["VALUE"], true)
        XCTAssertEqual((info["EXTENSIONS"] as? [String: Bool])?["LISTEN"], true)
        XCTAssertEqual((info["EXTENSIONS"] as? [String: Bool])?["PATH_ADDED"], false, "not offered until it is served")
        guard case .noContent = namespace.answer(path: "/lvj", attribute: "VALUE") else { return XCTFail("a container has no VALUE") }
        guard case .unknownAttribute("COLOUR") = namespace.answer(path: "/lvj/intensity", attribute: "COLOUR") else { return XCTFail("unknown") }
        guard case .notFound = namespace.answer(path: "/lvj/nothing", attribute: nil) else { return XCTFail("404") }
    }

    // MARK: over HTTP

    func curl(_ url: String, _ extra: [String] = []) throws -> (status: Int, body: String) { try OSCQueryClients.curl(url, extra) }

    func json(_ body: String) throws -> [String: Any] {
        try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any], body)
    }

    func testTheServerAnswersCurlAndRefusesWhatIsNotAQuery() throws {
        let server = try OSCQueryServer(port: 0, namespace: namespace)
        defer { server.stop() }
        let base = "http://127.0.0.1:\(server.port)"
        let tree = try curl(base + "/")
        XCTAssertEqual(tree.status, 200)
        var found: [String: [String: Any]] = [:]
        methods(try json(tree.body), into: &found)
        XCTAssertEqual(Set(found.keys), Set(registry.parameters.map(\.oscAddress)))
        store.set("intensity", 2.5)
        XCTAssertEqual(try json(try curl(base + "/lvj/intensity?VALUE").body) as NSDictionary, ["VALUE": [2.5]] as NSDictionary)
        XCTAssertEqual(try json(try curl(base + "/?HOST_INFO").body)["OSC_PORT"] as? Int, 9123)
        XCTAssertEqual(try curl(base + "/lvj/nothing").status, 404)
        XCTAssertEqual(try curl(base + "/lvj/intensity?COLOUR").status, 400)
        XCTAssertEqual(try curl(base + "/lvj?VALUE").status, 204)
        XCTAssertEqual(try curl(base + "/lvj/intensity", ["-X", "POST", "-d", "x=1"]).status, 405)
        let head = try curl(base + "/lvj/intensity", ["-I"])
        XCTAssertTrue(head.body.hasPrefix("HTTP/1.1 200") && head.body.contains("Content-Length"), "HEAD: the headers only\n\(head.body)")
        XCTAssertEqual(try curl(base + "/lvj/intensity?VALUE").status, 200, "and the connection's next answer is whole")
        let big = String(repeating: "x", count: 100_000)
        XCTAssertEqual(try curl(base + "/lvj/intensity", ["-X", "GET", "--data-binary", big, "-H", "Content-Type: text/plain"]).status, 413)
        // Not HTTP at all: refused with 400, and the next client is answered as before.
        XCTAssertTrue(try rawExchange(port: server.port, "GARBAGE \u{01}\u{02}\r\n\r\n").hasPrefix("HTTP/1.1 400"))
        XCTAssertTrue(try rawExchange(port: server.port, String(repeating: "A", count: 200_000)).hasPrefix("HTTP/1.1 4"), "an endless request line")
        XCTAssertEqual(try curl(base + "/lvj/intensity?VALUE").status, 200, "the server answers on")
    }

    /// LISTEN over WebSocket with a client from PyPI: the value at once and on each change; IGNORE stops
    /// it; commands that are not JSON, or name no method, are ignored and the stream goes on.
    func testListenStreamsChangesAndIgnoreStopsThem() throws {
        let server = try OSCQueryServer(port: 0, namespace: namespace)
        defer { server.stop() }
        let client = try OSCQueryClients.listen(port: server.port, count: 6, paths: ["/lvj/intensity", "/lvj/deep/amplitude", "/lvj/tempo/source"])
        func values() -> [(String, Any?)] { OSCQueryClients.values(client).map { ($0.address, $0.args.first) } }
        try waitFor("three values at once", timeout: 60, details: { client.tail }) { values().count >= 3 }
        XCTAssertEqual(Set(values().map(\.0)), ["/lvj/intensity", "/lvj/deep/amplitude", "/lvj/tempo/source"])
        XCTAssertEqual(values().first { $0.0 == "/lvj/tempo/source" }?.1 as? String, "detect", "a choice streams its name")
        client.write(line: "not json at all")
        client.write(line: #"{"COMMAND":"LISTEN","DATA":"/lvj/no/such"}"#)
        client.write(line: #"{"COMMAND":"IGNORE","DATA":"/lvj/intensity"}"#)
        // The IGNORE is in once a later command's effect shows: LISTEN again on amplitude sends its value.
        client.write(line: #"{"COMMAND":"LISTEN","DATA":"/lvj/deep/amplitude"}"#)
        try waitFor("the fourth value", timeout: 60, details: { client.tail }) { values().count >= 4 }
        XCTAssertEqual(values()[3].0, "/lvj/deep/amplitude", "after IGNORE, what comes is what is still listened to")
        // Changes stream; the ignored one does not (it would come in the same 20 ms check as amplitude's).
        store.set("intensity", 2.0); store.set("deep.amplitude", 0.3)
        try waitFor("amplitude's change", timeout: 60, details: { client.tail }) { values().count >= 5 }
        store.set("deep.amplitude", 0.4)
        try waitFor("amplitude's second change", timeout: 60, details: { client.tail }) { values().count >= 6 }
        XCTAssertEqual(values()[4].0, "/lvj/deep/amplitude"); XCTAssertEqual(values()[4].1 as? Double ?? 0, 0.3, accuracy: 1e-6)
        XCTAssertEqual(values()[5].0, "/lvj/deep/amplitude"); XCTAssertEqual(values()[5].1 as? Double ?? 0, 0.4, accuracy: 1e-6)
        XCTAssertEqual(try client.waitForExit(timeout: 60), 0, client.tail)
    }

    /// A connection that sends nothing is closed after the idle time; the server answers on.
    func testAQuietConnectionIsClosed() throws {
        let server = try OSCQueryServer(port: 0, namespace: namespace, idleSeconds: 1)
        defer { server.stop() }
        XCTAssertEqual(try rawExchange(port: server.port, ""), "", "closed with nothing said (before the 30 s read timeout)")
        XCTAssertEqual(try curl("http://127.0.0.1:\(server.port)/lvj/intensity?VALUE").status, 200)
    }

    func testSendersOutsideTheAllowlistAreRefused() throws {
        let server = try OSCQueryServer(port: 0, namespace: namespace, filter: try NetworkFilter(cidrs: ["10.9.8.0/24"]))
        defer { server.stop() }
        let r = try curl("http://127.0.0.1:\(server.port)/")
        XCTAssertEqual(r.status, 403)
        XCTAssertTrue(r.body.contains("127.0.0.1"), r.body)
    }

    func testATakenPortIsAClearErrorAndTheDefaultMovesToAFreeOne() throws {
        let first = try OSCQueryServer(port: nil, namespace: namespace)
        defer { first.stop() }
        XCTAssertThrowsError(try OSCQueryServer(port: first.port, namespace: namespace)) {
            XCTAssertTrue("\($0)".contains("--oscquery-port"), "\($0)")
        }
        // The default (9001, taken now by the first if nobody else had it) moves to a free port.
        let second = try OSCQueryServer(port: nil, namespace: namespace)
        defer { second.stop() }
        XCTAssertNotEqual(second.port, first.port)
        XCTAssertEqual(try curl("http://127.0.0.1:\(second.port)/lvj/intensity?VALUE").status, 200)
    }

    /// Writes `request` on a new TCP connection and reads what comes back until the server closes it.
    func rawExchange(port: Int, _ request: String) throws -> String {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        XCTAssertGreaterThanOrEqual(fd, 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var timeout = timeval(tv_sec: 30, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let connected = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        XCTAssertEqual(connected, 0)
        let bytes = Array(request.utf8)
        _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        var reply = [UInt8](), buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n < 0, errno == EAGAIN || errno == EWOULDBLOCK { return "(no answer and not closed within 30 s)" + String(decoding: reply, as: UTF8.self) }
            if n < 0 { break }      // reset by the server after its answer
            if n == 0 { break }
            reply += buffer[0..<n]
        }
        return String(decoding: reply, as: UTF8.self)
    }
}
