import Control
import Foundation
import TestSupport
import XCTest

/// `latentvj live` describes its OSC address space over OSCQuery: what curl reads from the running
/// engine is what `latentvj params --json` says, values moved over OSC read back at once, and a client
/// that sends garbage gets a refusal while the show goes on.
final class OSCQueryCLITests: CLIWorkspaceTestCase {
    func curl(_ url: String) throws -> (status: Int, body: String) { try OSCQueryClients.curl(url) }

    func testTheRunningEngineDescribesItsParametersAsParamsDoes() throws {
        let params = try CLI.run(["params", "--json"], environment: environment)
        XCTAssertEqual(params.status, 0, params.stderr)
        let rows = try XCTUnwrap((try JSONSerialization.jsonObject(with: Data(params.stdout.utf8)) as? [String: Any])?["parameters"] as? [[String: Any]])
        let engine = try RunningEngine(["--headless", "--osc-port", "0", "--oscquery-port", "0"], environment: environment)
        let port = try XCTUnwrap(engine.oscQueryPort, "the started event names the OSCQuery port")
        let base = "http://127.0.0.1:\(port)"
        let info = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(try curl(base + "/?HOST_INFO").body.utf8)) as? [String: Any])
        XCTAssertEqual(info["OSC_PORT"] as? Int, engine.oscPort, "HOST_INFO names the engine's OSC port")
        // Every parameter `params` lists, at its OSC address, with its type and range.
        for row in rows {
            let address = try XCTUnwrap(row["osc"] as? String), type = row["type"] as? String ?? ""
            let r = try curl(base + address)
            XCTAssertEqual(r.status, 200, address)
            let node = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.body.utf8)) as? [String: Any], r.body)
            XCTAssertEqual(node["FULL_PATH"] as? String, address)
            XCTAssertEqual(node["DESCRIPTION"] as? String, row["help"] as? String, address)
            let expected = type == "float" ? "f" : type == "trigger" ? "N" : type.hasPrefix("choice") ? "s" : "i"
            XCTAssertEqual(node["TYPE"] as? String, expected, "\(address) (\(type))")
            if let range = (node["RANGE"] as? [[String: Any]])?.first, let max = range["MAX"] as? Double {
                XCTAssertEqual(max, row["max"] as? Double, address)
            }
        }
        // A value moved over OSC reads back over OSCQuery.
        engine.send("/lvj/intensity", [.number(2.25)])
        try waitFor("intensity reads 2.25 over OSCQuery", timeout: 60, details: { engine.child.failureDetails() }) {
            try self.curl(base + "/lvj/intensity?VALUE").body == #"{"VALUE":[2.25]}"#
        }
        XCTAssertEqual(try curl(base + "/lvj/no/such/thing").status, 404)
        // LISTEN over WebSocket (a client from PyPI): the value at once, then each change moved over OSC.
        let listener = try OSCQueryClients.listen(port: port, count: 3, paths: ["/lvj/intensity", "/lvj/freeze"], environment: environment)
        try waitFor("the values at once", timeout: 60, details: { listener.tail }) { OSCQueryClients.values(listener).count >= 2 }
        XCTAssertEqual(Set(OSCQueryClients.values(listener).map(\.address)), ["/lvj/intensity", "/lvj/freeze"])
        XCTAssertEqual(OSCQueryClients.values(listener).first { $0.address == "/lvj/intensity" }?.args.first as? Double, 2.25)
        engine.send("/lvj/intensity", [.number(0.5)])
        try waitFor("the change streamed", timeout: 60, details: { listener.tail }) { OSCQueryClients.values(listener).count >= 3 }
        let changed = OSCQueryClients.values(listener)[2]
        XCTAssertEqual(changed.address, "/lvj/intensity"); XCTAssertEqual(changed.args.first as? Double, 0.5)
        XCTAssertEqual(try listener.waitForExit(timeout: 60), 0, listener.tail)
        // Garbage on the port: refused, and the engine renders on and answers the next query.
        let before = engine.frames
        let garbage = try CLI.runProgram("/usr/bin/env", ["python3", "-c", """
            import socket; s = socket.create_connection(("127.0.0.1", \(port))); s.sendall(b"\\x16\\x03\\x01 not http\\r\\n\\r\\n"); print(s.recv(100).split(b"\\r\\n")[0].decode())
            """], timeout: 60)
        XCTAssertEqual(garbage.stdout.trimmingCharacters(in: .whitespacesAndNewlines), "HTTP/1.1 400 Bad Request", garbage.stderr)
        try waitFor("frames go on", timeout: 60) { engine.frames > before + 5 }
        XCTAssertEqual(try curl(base + "/lvj/intensity?VALUE").status, 200)
        let end = try engine.stop()
        XCTAssertEqual(end.status, 0, end.stderr)
    }

    func testNoOSCQueryMeansNoPort() throws {
        let engine = try RunningEngine(["--headless", "--osc-port", "0", "--no-oscquery"], environment: environment)
        XCTAssertNil(engine.oscQueryPort)
        XCTAssertEqual(try engine.stop().status, 0)
    }

    /// Where an avahi daemon runs, the engine is found by name: OSCQuery as _oscjson._tcp and OSC as
    /// _osc._udp, at the ports it listens on. Where none answers, an event says so and the show goes on.
    func testTheEngineIsAdvertisedOverMDNSOrSaysWhyNot() throws {
        let avahi = try AvahiDaemon()
        defer { avahi.stop() }
        let engine = try RunningEngine(["--headless", "--osc-port", "0", "--oscquery-port", "0"], environment: environment)
        let advertised = try engine.waitForEvent("mdns_advertised")
        let name = try XCTUnwrap(advertised["name"] as? String)
        let oscQueryPort = try XCTUnwrap(engine.oscQueryPort), oscPort = try XCTUnwrap(engine.oscPort)
        try waitFor("avahi-browse resolves both services", timeout: 60, every: 0.2) {
            try avahi.browse("_oscjson._tcp").contains { $0.name == name && $0.port == oscQueryPort }
                && avahi.browse("_osc._udp").contains { $0.name == name && $0.port == oscPort }
        }
        XCTAssertEqual(try engine.stop().status, 0)
        try waitFor("gone when the engine ends", timeout: 60, every: 0.2) { try !avahi.browse("_oscjson._tcp").contains { $0.name == name } }
        // No daemon on the bus it asks: the reason, and the engine runs on.
        var noBus = environment!
        noBus["DBUS_SYSTEM_BUS_ADDRESS"] = "unix:path=/nonexistent/bus"
        let alone = try RunningEngine(["--headless", "--osc-port", "0", "--oscquery-port", "0"], environment: noBus)
        let reason = try XCTUnwrap(try alone.waitForEvent("mdns_unavailable")["reason"] as? String)
        XCTAssertTrue(reason.contains("no avahi daemon") && reason.contains("avahi-daemon"), reason)
        try alone.waitForFrames(10)
        XCTAssertEqual(try alone.stop().status, 0)
    }
}
