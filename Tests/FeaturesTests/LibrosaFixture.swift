import AudioIn
import Features
import Foundation
import XCTest

/// One case of Fixtures/librosa (made by make_fixtures.py): the input WAV and librosa's outputs.
struct LibrosaFixture {
    let name: String
    let json: [String: Any]
    let signal: [Float]
    let sampleRate: Double
    let hop: Int

    static var folder: URL { Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.appendingPathComponent("librosa") }

    init(_ name: String) throws {
        self.name = name
        let data = try Data(contentsOf: LibrosaFixture.folder.appendingPathComponent("\(name).json"))
        json = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        let clip = try WAVReader.read(path: LibrosaFixture.folder.appendingPathComponent("\(name).wav").path)
        signal = clip.mono()
        sampleRate = clip.sampleRate
        hop = json["hop_length"] as! Int
    }

    var frames: Int { json["frames"] as! Int }
    /// The frame grid librosa used: hop 512 is fps = sr / 512.
    var grid: FrameGrid { FrameGrid(sampleRate: sampleRate, fps: sampleRate / Double(hop), sampleCount: signal.count) }

    func vector(_ key: String) -> [Float] { (json[key] as! [NSNumber]).map { $0.floatValue } }
    /// A frames-major matrix, flattened.
    func matrix(_ key: String) -> (values: [Float], dims: Int) {
        let rows = json[key] as! [[NSNumber]]
        return (rows.flatMap { $0.map(\.floatValue) }, rows.first?.count ?? 0)
    }
}

/// Asserts |a − b| ≤ atol + rtol·|b| element-wise and reports the worst element.
func assertClose(_ a: [Float], _ b: [Float], atol: Float, rtol: Float = 0, _ what: String,
                 file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, "\(what): lengths differ", file: file, line: line)
    var worst = 0, worstExcess: Float = -.infinity
    for i in 0..<min(a.count, b.count) {
        let excess = abs(a[i] - b[i]) - (atol + rtol * abs(b[i]))
        if excess > worstExcess { worstExcess = excess; worst = i }
    }
    XCTAssertLessThanOrEqual(worstExcess, 0, "\(what): element \(worst) is \(a[worst]), expected \(b[worst])", file: file, line: line)
}
