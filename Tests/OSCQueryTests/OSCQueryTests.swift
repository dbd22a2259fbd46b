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
    lazy var commands = OSCCommand.table(for: registry)
    lazy var namespace = OSCQueryNamespace(registry: registry, commands: commands, oscPort: 9123, presetNames: { ["dusk", "strobe"] }) {
        [store] in store.value($0)
    }
    /// What the tree holds: every parameter, and the commands that do not answer over UDP.
    lazy var everyAddress = Set(registry.parameters.map(\.oscAddress) + commands.filter { !$0.answersSender }.map(\.address))

    /// Every method of the tree (a node with a TYPE, which may hold others too), by its FULL_PATH.
    func methods(_ node: [String: Any], into found: inout [String: [String: Any]]) {
        if node["TYPE"] != nil, let path = node["FULL_PATH"] as? String { found[path] = node }
        for child in (node["CONTENTS"] as? [String: [String: Any]] ?? [:]).values { methods(child, into: &found) }
    }

    func testEveryParameterIsAMethodAtItsOSCAddressWithItsTypeRangeAndValue() throws {
        let root = try XCTUnwrap(namespace.node(at: "/"))
        XCTAssertEqual(root["FULL_PATH"] as? String, "/")
        var found: [String: [String: Any]] = [:]
        methods(root, into: &found)
        XCTAssertEqual(Set(found.keys), everyAddress, "one method per parameter and command, nothing else")
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

    /// The command table's entries are write-only methods with their arguments' types and choices; the
    /// ones that reply over UDP (list, query, subscribe) are not in the tree.
    func testCommandsAreWriteOnlyMethodsFromTheCommandTable() throws {
        var found: [String: [String: Any]] = [:]
        methods(try XCTUnwrap(namespace.node(at: "/")), into: &found)
        let morph = try XCTUnwrap(found["/lvj/preset/morph"])
        XCTAssertEqual(morph["TYPE"] as? String, "sf"); XCTAssertEqual(morph["ACCESS"] as? Int, 2)
        let ranges = try XCTUnwrap(morph["RANGE"] as? [[String: Any]])
        XCTAssertEqual(ranges[0]["VALS"] as? [String], ["dusk", "strobe"], "the presets there are")
        XCTAssertEqual(ranges[1]["MAX"] as? Double, 600)
        XCTAssertEqual(found["/lvj/record/start"]?["TYPE"] as? String, "N")
        XCTAssertEqual(found["/lvj/palette/deep/reseed"]?["ACCESS"] as? Int, 2)
        XCTAssertEqual((found["/lvj/reload"]?["RANGE"] as? [[String: [String]]])?.first?["VALS"], ReloadTarget.allCases.map(\.rawValue))
        XCTAssertEqual((found["/lvj/learn"]?["RANGE"] as? [[String: [String]]])?.first?["VALS"], registry.parameters.map(\.name))
        for gone in ["/lvj/list", "/lvj/query", "/lvj/subscribe"] { XCTAssertNil(found[gone], gone) }
        // /lvj/record is the toggle and holds start and stop.
        let record = try XCTUnwrap(namespace.node(at: "/lvj/record"))
        XCTAssertEqual(record["TYPE"] as? String, "i")
        XCTAssertEqual(Set((record["CONTENTS"] as? [String: Any])?.keys.map { $0 } ?? []), ["start", "stop"])
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
        XCTAssertEqual((info["EXTENSIONS"] as? [String: Bool])?["PATH_ADDED"], true)
        XCTAssertEqual((info["EXTENSIONS"] as? [String: Bool])?["PATH_RENAMED"], false, "not offered: it is not served")
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
        XCTAssertEqual(Set(found.keys), everyAddress)
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

    /// The web surface's path: OSC messages sent as binary frames go through the OSC server (its checks,
    /// its commands, its counts); LISTEN to /lvj/status streams its feedback; garbage is counted and the
    /// stream goes on.
    func testOSCOverTheWebSocketGoesThroughTheOSCServer() throws {
        let osc = try OSCServer(port: 0, store: store)
        defer { osc.stop() }
        let server = try OSCQueryServer(port: 0, namespace: namespace, web: WebSurface(osc: osc))
        defer { server.stop() }
        let client = try OSCQueryClients.listen(port: server.port, count: 4, paths: ["/lvj/intensity", "/lvj/status"])
        func values() -> [(String, Any?)] { OSCQueryClients.values(client).map { ($0.address, $0.args.first) } }
        try waitFor("the value at once", timeout: 60, details: { client.tail }) { values().count >= 1 }
        try waitFor("the status listener", timeout: 60) { osc.subscriberCount == 1 }
        client.write(line: #"OSC ["/lvj/intensity", 1.25]"#)
        try waitFor("intensity set over the WebSocket", timeout: 60, details: { client.tail }) { abs(self.store.value("intensity")! - 1.25) < 1e-6 }
        try waitFor("and streamed back", timeout: 60, details: { client.tail }) { values().count >= 2 }
        XCTAssertEqual(values()[1].1 as? Double ?? 0, 1.25, accuracy: 1e-6)
        client.write(line: #"OSC ["/lvj/intensity", 99.0]"#)
        client.write(line: "RAW 00ff00ff13")
        client.write(line: #"OSC ["/lvj/preset/load", "calm"]"#)
        try waitFor("the preset command queued", timeout: 60, details: { client.tail }) { osc.takeCommands() == [.loadPreset("calm")] }
        XCTAssertEqual(osc.rejected(.outOfRange), 1, "checked as over UDP")
        XCTAssertEqual(osc.rejected(.malformed), 1, "bytes that are no OSC message are counted")
        XCTAssertEqual(store.value("intensity")!, 1.25, accuracy: 1e-6, "the refused value did not get in")
        osc.broadcast("/lvj/status/fps", [.number(30)])
        osc.broadcast("/lvj/intensity", [.number(1.25)])      // feedback that is not status: LISTEN carries values
        try waitFor("the status message", timeout: 60, details: { client.tail }) { values().count >= 3 }
        XCTAssertEqual(values()[2].0, "/lvj/status/fps")
        client.write(line: #"{"COMMAND":"IGNORE","DATA":"/lvj/status"}"#)
        try waitFor("the status listener removed", timeout: 60) { osc.subscriberCount == 0 }
        store.set("intensity", 0.5)
        try waitFor("LISTEN goes on", timeout: 60, details: { client.tail }) { values().count >= 4 }
        XCTAssertEqual(values()[3].0, "/lvj/intensity")
        XCTAssertEqual(values()[3].1 as? Double ?? 0, 0.5, accuracy: 1e-6, "the LISTENed change, not the feedback broadcast")
        XCTAssertEqual(try client.waitForExit(timeout: 60), 0, client.tail)
    }

    /// A browser asking for / gets the web surface; any other client the tree.
    func testABrowserGetsThePageAndEveryOtherClientTheTree() throws {
        let server = try OSCQueryServer(port: 0, namespace: namespace)
        defer { server.stop() }
        let base = "http://127.0.0.1:\(server.port)/"
        let page = try curl(base, ["-H", "Accept: text/html,application/xhtml+xml,*/*;q=0.8"])
        XCTAssertEqual(page.status, 200)
        XCTAssertTrue(page.body.hasPrefix("<!doctype html>") && !page.body.contains("http://") && !page.body.contains("https://"),
                      "the page, with nothing from outside")
        XCTAssertEqual(try json(try curl(base).body)["FULL_PATH"] as? String, "/", "curl gets the tree")
        XCTAssertEqual(try json(try curl(base, ["-H", "Accept: application/json"]).body)["FULL_PATH"] as? String, "/")
    }

    /// LISTEN streams are kept past the idle time that closes a quiet HTTP connection.
    func testAListenStreamOutlivesTheIdleClose() throws {
        let server = try OSCQueryServer(port: 0, namespace: namespace, idleSeconds: 1)
        defer { server.stop() }
        let client = try OSCQueryClients.listen(port: server.port, count: 2, paths: ["/lvj/intensity"])
        try waitFor("the value at once", timeout: 60, details: { client.tail }) { OSCQueryClients.values(client).count >= 1 }
        // A quiet connection opened after the stream is closed: the idle time has passed for both.
        XCTAssertEqual(try rawExchange(port: server.port, ""), "", "the quiet HTTP connection is closed")
        store.set("intensity", 1.75)
        try waitFor("the stream still carries changes", timeout: 60, details: { client.tail }) { OSCQueryClients.values(client).count >= 2 }
        XCTAssertEqual(try client.waitForExit(timeout: 60), 0, client.tail)
    }

    /// The preview is made only while a client watches, and goes to it as LVJP frames.
    func testThePreviewIsWatchedOnlyWhileAClientListens() throws {
        let preview = FramesForTheTest(width: 4, height: 2)
        let server = try OSCQueryServer(port: 0, namespace: namespace, web: WebSurface(preview: preview))
        defer { server.stop() }
        XCTAssertEqual(preview.watching.value, 0)
        let client = try OSCQueryClients.listen(port: server.port, count: 100, paths: ["/lvj/preview"])
        try waitFor("watched", timeout: 60, details: { client.tail }) { preview.watching.value == 1 }
        preview.serial.withLock { $0 = 1 }
        try waitFor("a preview frame", timeout: 60, details: { client.tail }) { client.jsonLines.contains { $0["event"] as? String == "preview" } }
        let frame = try XCTUnwrap(client.jsonLines.first { $0["event"] as? String == "preview" })
        XCTAssertEqual(frame["width"] as? Int, 4); XCTAssertEqual(frame["height"] as? Int, 2); XCTAssertEqual(frame["bytes"] as? Int, 32)
        client.write(line: #"{"COMMAND":"IGNORE","DATA":"/lvj/preview"}"#)
        try waitFor("not watched", timeout: 60, details: { client.tail }) { preview.watching.value == 0 }
        _ = try client.stop()
    }

    /// Another namespace (another model's knobs): LISTEN streams are told what came and went, the tree
    /// answers the new one, and what was listened to and is still there streams on.
    func testAReplacedNamespaceIsAnnouncedWithPathAddedAndRemoved() throws {
        let server = try OSCQueryServer(port: 0, namespace: namespace)
        defer { server.stop() }
        let client = try OSCQueryClients.listen(port: server.port, count: 2, paths: ["/lvj/intensity"])
        try waitFor("the value at once", timeout: 60, details: { client.tail }) { OSCQueryClients.values(client).count >= 1 }
        let other = ParameterRegistry.live(noiseResolutions: [4, 8], featureGroups: ["rms", "chroma"])
        let otherStore = ParameterStore(registry: other)
        server.replace(namespace: OSCQueryNamespace(registry: other, commands: OSCCommand.table(for: other), oscPort: 9123) { [otherStore] in otherStore.value($0) })
        func texts() -> [[String: String]] {
            client.jsonLines.filter { $0["event"] as? String == "text" }.compactMap {
                ($0["text"] as? String).flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: String] }
            }
        }
        try waitFor("PATH_ADDED and PATH_REMOVED", timeout: 60, details: { client.tail }) { texts().count >= 2 }
        XCTAssertTrue(texts().contains(["COMMAND": "PATH_ADDED", "DATA": "/lvj/weight/chroma"]), "\(texts())")
        XCTAssertTrue(texts().contains(["COMMAND": "PATH_REMOVED", "DATA": "/lvj/weight/onsets"]), "\(texts())")
        XCTAssertEqual(texts().count, 2, "nothing else changed")
        XCTAssertEqual(try curl("http://127.0.0.1:\(server.port)/lvj/weight/chroma").status, 200)
        XCTAssertEqual(try curl("http://127.0.0.1:\(server.port)/lvj/weight/onsets").status, 404)
        otherStore.set("intensity", 2.75)
        try waitFor("intensity streams on from the new namespace", timeout: 60, details: { client.tail }) { OSCQueryClients.values(client).count >= 2 }
        XCTAssertEqual(OSCQueryClients.values(client)[1].args.first as? Double ?? 0, 2.75, accuracy: 1e-6)
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

/// A preview source whose frames the test makes (the engine's own is tested in Chromium).
final class FramesForTheTest: PreviewSource, @unchecked Sendable {
    let width: Int, height: Int
    let watching = Locked(0), serial = Locked(0)
    init(width: Int, height: Int) { self.width = width; self.height = height }
    func watchers(changedBy delta: Int) { watching.withLock { $0 += delta } }
    func withNewest<R>(after serial: Int, _ body: (Int, UnsafeRawBufferPointer) -> R) -> R? {
        let now = self.serial.value
        guard now > serial else { return nil }
        let pixels = [UInt8](repeating: 7, count: width * height * 4)
        return pixels.withUnsafeBytes { body(now, $0) }
    }
}
