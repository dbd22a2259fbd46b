import Foundation
import Imaging
import TestSupport
import XCTest

/// A private X server (Xvfb) for one test, so the live window, its keys and screenshots are real.
final class XvfbDisplay {
    let name: String
    private let server = Process()

    init(width: Int = 800, height: Int = 800) throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/Xvfb") else {
            throw XCTSkip("Xvfb is missing: install the xvfb package (scripts/setup.sh does)")
        }
        name = ":\(200 + Int(getpid() % 500) + Int.random(in: 0..<300))"
        server.executableURL = URL(fileURLWithPath: "/usr/bin/Xvfb")
        server.arguments = [name, "-screen", "0", "\(width)x\(height)x24", "-nolisten", "tcp"]
        server.standardOutput = FileHandle.nullDevice; server.standardError = FileHandle.nullDevice
        try server.run()
        let display = name
        try waitFor("Xvfb \(display) accepting connections", timeout: 30, every: 0.05) { [server] in
            if !server.isRunning { throw TestTimeout(what: "Xvfb \(display), which exited at once (display number taken?)", seconds: 0) }
            return xServerAccepts(display: display)
        }
    }

    deinit { server.terminate(); server.waitUntilExit() }

    /// The environment for a program that should draw on this display.
    func environment(_ base: [String: String] = ProcessInfo.processInfo.environment) -> [String: String] {
        var env = base
        env["DISPLAY"] = name
        return env
    }

    /// The id of the first window whose title matches `name`, once it is mapped (120 s at most).
    func window(named name: String) throws -> String {
        var id = ""
        try waitFor("a window named \(name) on \(self.name)", timeout: 120, every: 0.1) {
            id = (try xdotool(["search", "--name", name])).split(separator: "\n").first.map(String.init) ?? ""
            return !id.isEmpty
        }
        return id
    }

    /// Runs xdotool against this display (window moves, keys), returning its output.
    @discardableResult
    func xdotool(_ args: [String]) throws -> String {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/xdotool") else {
            throw XCTSkip("xdotool is missing: install the xdotool package (scripts/setup.sh does)")
        }
        return try CLI.runProgram("/usr/bin/xdotool", args, environment: environment()).stdout
    }
}

/// Screenshots the engine wrote, read back as pixels.
extension Raster {
    static func load(_ path: String) throws -> Raster { try PNGFile.read(path: path) }

    /// Mean absolute difference per channel (0–255) between two screenshots of one size.
    func meanDifference(_ other: Raster) -> Double {
        precondition(width == other.width && height == other.height)
        var sum = 0
        for i in 0..<(width * height) { for c in 0..<3 { sum += abs(Int(pixels[4 * i + c]) - Int(other.pixels[4 * i + c])) } }
        return Double(sum) / Double(3 * width * height)
    }

    /// How many pixels in the rectangle satisfy `test` (r, g, b).
    func count(x: Range<Int>, y: Range<Int>, where test: (Int, Int, Int) -> Bool) -> Int {
        var n = 0
        for row in y { for col in x {
            let i = 4 * (row * width + col)
            if test(Int(pixels[i]), Int(pixels[i + 1]), Int(pixels[i + 2])) { n += 1 }
        } }
        return n
    }
}
