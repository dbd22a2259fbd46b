import Control
import Foundation
import TestSupport
import XCTest

/// The web control surface in real headless Chromium against a running engine: a phone and a tablet
/// at once, a fader moved on one reaching the engine (its feedback and its performance log) and the
/// other, a value moved over OSC reaching both, a preset button, MIDI learn, the live preview, and the
/// access token.
final class WebSurfaceCLITests: CLIWorkspaceTestCase {
    func slider(_ path: String) -> String { "document.querySelector('[data-path=\"\(path)\"] input[type=range]')" }

    func testAPhoneAndATabletControlTheRunningEngineAndStayInSync() throws {
        let browser = try HeadlessBrowser(environment: environment)
        let mkv = folder + "/set.mkv", log = folder + "/set.performance.jsonl", presets = folder + "/presets"
        // The shipped presets, copied: the page saves one.
        let shipped = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Presets").path
        try FileManager.default.copyItem(atPath: shipped, toPath: presets)
        let engine = try RunningEngine(["--headless", "--osc-port", "0", "--oscquery-port", "0", "--record", mkv, "--presets", presets],
                                       environment: environment)
        let port = try XCTUnwrap(engine.oscQueryPort)
        let url = "http://127.0.0.1:\(port)/"
        try browser.open("phone", url, width: 390, height: 844)
        try browser.open("tablet", url, width: 1024, height: 768)
        for client in ["phone", "tablet"] {
            try browser.waitUntil(client, "\(client) connected and showing the engine's status",
                                  "document.getElementById('conn').className === 'ok' && window.lvjStats.status > 0")
        }
        // Every parameter group the registry has is a section; psi and the deep group's faders are there.
        let sections = try XCTUnwrap(try browser.js("tablet", "return [...document.querySelectorAll('section h2')].map(h => h.textContent)") as? [String])
        XCTAssertTrue(Set(sections).isSuperset(of: ["Stage", "Presets", "deep", "main"]), "\(sections)")

        // A fader moved on the phone: the engine takes it, and the tablet shows it.
        _ = try browser.js("phone", "const r = \(slider("/lvj/psi")); r.value = 0.25; r.dispatchEvent(new Event('input')); return r.value")
        try engine.waitForValue("/lvj/psi", 0.25)
        try browser.waitUntil("tablet", "the tablet's psi fader follows the phone", "Math.abs(\(slider("/lvj/psi")).value - 0.25) < 1e-6")
        // A value moved over OSC from elsewhere reaches both pages.
        engine.send("/lvj/intensity", [.number(1.5)])
        for client in ["phone", "tablet"] {
            try browser.waitUntil(client, "\(client) shows intensity moved over OSC", "Math.abs(\(slider("/lvj/intensity")).value - 1.5) < 1e-6")
        }
        // A preset button (morph off: recalled at once).
        _ = try browser.js("phone", "document.getElementById('morphmode').click(); document.querySelector('[data-preset=\"calm\"]').click(); return 1")
        let recalled = try engine.waitForEvent("preset_recalled", "name", "calm")
        XCTAssertEqual(recalled["morph_seconds"] as? Double, 0)
        // Saved from the phone: the tablet's preset buttons gain it.
        _ = try browser.js("phone", "document.getElementById('savename').value = 'from phone'; document.getElementById('save').click(); return 1")
        _ = try engine.waitForEvent("preset_saved", "name", "from phone")
        try browser.waitUntil("tablet", "the tablet lists the saved preset", "document.querySelector('[data-preset=\"from phone\"]')")
        // MIDI learn from a control's button.
        _ = try browser.js("tablet", "document.querySelector('[data-path=\"/lvj/deep/amplitude\"] button.learn').click(); return 1")
        _ = try engine.waitForEvent("learn_armed", "parameter", "deep.amplitude")
        // The live preview: frames arrive and show a picture.
        try browser.waitUntil("phone", "preview frames", "window.lvjStats.previews >= 3")
        let lit = try XCTUnwrap(try browser.js("phone", """
            const c = document.getElementById('preview'), d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            let s = 0; for (let i = 0; i < d.length; i += 4) s += d[i] + d[i + 1] + d[i + 2]; return s / (d.length / 4 * 3);
            """) as? Double)
        XCTAssertGreaterThan(lit, 5, "the thumbnail holds a picture, not black")
        for (client, size) in [("phone", "390x844"), ("tablet", "1024x768")] {
            let shot = folder + "/web-\(client).png"
            try browser.screenshot(client, to: shot)
            let png = try Data(contentsOf: URL(fileURLWithPath: shot))
            XCTAssertEqual(Array(png.prefix(4)), [0x89, 0x50, 0x4E, 0x47], "a PNG at \(size)")
        }
        let end = try engine.stop()
        XCTAssertEqual(end.status, 0, end.stderr)
        // The fader's move is in the performance log: the set replays with it.
        let lines = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n")
        let header = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        let psi = try XCTUnwrap((header["parameters"] as? [String])?.firstIndex(of: "psi"))
        let logged = lines.dropFirst().compactMap { line -> Double? in
            ((try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any])?["parameters"].flatMap { ($0 as? [Double])?[psi] }
        }
        XCTAssertTrue(logged.contains { abs($0 - 0.25) < 1e-6 }, "psi 0.25 from the browser is in the performance log (last \(logged.suffix(3)))")
    }

    /// With --web-token: the page and its WebSocket need the token; the OSCQuery tree stays readable.
    func testTheTokenGuardsThePageAndItsWebSocket() throws {
        let engine = try RunningEngine(["--headless", "--osc-port", "0", "--oscquery-port", "0", "--web-token", "s3cret"], environment: environment)
        let port = try XCTUnwrap(engine.oscQueryPort)
        let base = "http://127.0.0.1:\(port)/"
        let html = ["-H", "Accept: text/html"]
        XCTAssertEqual(try OSCQueryClients.curl(base, html).status, 401, "no token, no page")
        XCTAssertEqual(try OSCQueryClients.curl(base + "?token=wrong", html).status, 401)
        let page = try OSCQueryClients.curl(base + "?token=s3cret", html + ["-i"])
        XCTAssertTrue(page.body.contains("Set-Cookie: lvj_token=s3cret"), "the page keeps the token as a cookie")
        XCTAssertTrue(page.body.contains("<title>LatentVJ</title>"))
        XCTAssertEqual(try OSCQueryClients.curl(base + "lvj/psi?VALUE").status, 200, "the tree is read without it")
        let refused = try OSCQueryClients.upgradeStatus(port: port)
        XCTAssertTrue(refused.hasSuffix("close 1008 this engine's web surface asks for its token (--web-token): add ?token=..."),
                      "no token, no WebSocket: closed at once with why\n\(refused)")
        XCTAssertEqual(try OSCQueryClients.upgradeStatus(port: port, headers: ["Cookie: lvj_token=s3cret"]), "HTTP/1.1 101 Switching Protocols\nopen",
                       "the cookie opens it")
        XCTAssertEqual(try OSCQueryClients.upgradeStatus(port: port, headers: ["Authorization: Bearer s3cret"]), "HTTP/1.1 101 Switching Protocols\nopen",
                       "so does the header")
        for wrong in [["Cookie: lvj_token=s3cre"], ["Authorization: Bearer wrong"]] {
            XCTAssertTrue(try OSCQueryClients.upgradeStatus(port: port, headers: wrong).contains("close 1008"), "\(wrong)")
        }
        // A page of another site may not open the socket, even with the token; nor a name that is not ours.
        let foreign = try OSCQueryClients.upgradeStatus(port: port, headers: ["Cookie: lvj_token=s3cret", "Origin: http://evil.example"])
        XCTAssertTrue(foreign.contains("close 1008 a page from http://evil.example"), foreign)
        XCTAssertEqual(try OSCQueryClients.curl(base + "?token=s3cret", html + ["-H", "Host: evil.example:\(port)"]).status, 403, "DNS rebinding")
        // In Chromium: the page with the token connects and controls the engine.
        let browser = try HeadlessBrowser(environment: environment)
        try browser.open("phone", base + "?token=s3cret", width: 390, height: 844)
        try browser.waitUntil("phone", "connected with the token", "document.getElementById('conn').className === 'ok'")
        _ = try browser.js("phone", "const r = \(slider("/lvj/psi")); r.value = 0.5; r.dispatchEvent(new Event('input')); return 1")
        try engine.waitForValue("/lvj/psi", 0.5)
        XCTAssertEqual(try engine.stop().status, 0)
    }
}
