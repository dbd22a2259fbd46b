import Basics
import Foundation
import Imaging
import TestSupport
import XCTest

final class ImagingTests: TimeLimitedTestCase {
    var folder: String!
    override func setUp() {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("lvj-img-\(UUID().uuidString)").path
        try! FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }
    override func tearDown() { try? FileManager.default.removeItem(atPath: folder) }

    func testPNGRoundTripIsExact() throws {
        var r = Raster(width: 37, height: 11, fill: Color(10, 20, 30))
        r.fill(x: 3, y: 2, width: 5, height: 4, Color(200, 100, 50))
        r.line(0, 10, 36, 0, .white)
        let path = "\(folder!)/a.png"
        try PNGFile.write(r, to: path)
        XCTAssertEqual(try PNGFile.read(path: path), r)
    }

    func testBadPNGIsAClearError() throws {
        let path = "\(folder!)/bad.png"
        try Data("definitely not a png".utf8).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try PNGFile.read(path: path)) { error in
            XCTAssertTrue("\(error)".hasPrefix(path), "\(error)")
            XCTAssertTrue("\(error)".contains("not a readable PNG"), "\(error)")
        }
        var r = Raster(width: 4, height: 4)
        r.blend(0, 0, .white)
        XCTAssertThrowsError(try PNGFile.write(r, to: "/nonexistent-folder/x.png")) { error in
            XCTAssertTrue(error is FileError)
        }
    }

    /// Text is drawn where asked and nowhere else; different letters give different pixels.
    func testBitmapFont() {
        var a = Raster(width: 40, height: 12), b = Raster(width: 40, height: 12)
        BitmapFont.draw("BPM 120", x: 1, y: 2, color: .white, into: &a)
        BitmapFont.draw("BPM 121", x: 1, y: 2, color: .white, into: &b)
        XCTAssertNotEqual(a, b)
        XCTAssertEqual(a.meanLuma(x: 0, y: 0, width: 40, height: 2), 0, "nothing above the text")
        XCTAssertGreaterThan(a.meanLuma(x: 1, y: 2, width: 5, height: 7), 50, "the B is drawn")
        XCTAssertEqual(BitmapFont.width(of: "BPM 120"), 42)
    }

    /// A plot has one lane per series; a spike in a series shows up at its time.
    func testLanePlotPutsDataWhereItBelongs() {
        var values = [Float](repeating: 0, count: 100)
        values[75] = 1
        var plot = LanePlot(title: "test", framesPerSecond: 10)
        plot.width = 260
        plot.lanes = [LanePlot.Lane(label: "spike", dims: 1, values: values, kind: .line),
                      LanePlot.Lane(label: "heat", dims: 3, values: (0..<300).map { Float($0 % 3) }, kind: .heatmap)]
        let r = plot.render()
        XCTAssertEqual(r.width, 260)
        // The spike's column (75 % across the plot area) is bright near the lane's top; the start is not.
        let plotX = 150, plotW = 260 - 150 - 10
        let spikeX = plotX + 75 * plotW / 100
        // (Columns on the one-second grid lines are avoided: x = plotX + 10·k.)
        XCTAssertGreaterThan(r.meanLuma(x: spikeX, y: 30, width: 1, height: 40), r.meanLuma(x: plotX + 5, y: 30, width: 1, height: 40) + 15)
    }
}
