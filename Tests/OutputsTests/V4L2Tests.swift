import Basics
@testable import Outputs
import TestSupport
import XCTest

/// v4l2loopback's kernel module cannot be loaded on these machines: the clear error is what is tested,
/// through the same OutputSink path every output takes.
final class V4L2Tests: TimeLimitedTestCase {
    func testAMissingDeviceSaysHowToLoadTheModule() throws {
        let target = try OutputTarget(parsing: "v4l2:/dev/video97")
        XCTAssertThrowsError(try OutputSink(target: target, name: "v4l2", sourceWidth: 32, sourceHeight: 32,
                                            format: OutputFormat(width: 32, height: 32, fps: 30), engineFPS: 30)) { error in
            let e = try? XCTUnwrap(error as? OutputError)
            XCTAssertEqual(e?.output, "v4l2 (v4l2:/dev/video97)")
            let reason = e?.reason ?? ""
            XCTAssertTrue(reason.contains("sudo modprobe v4l2loopback video_nr=97 card_label=LatentVJ exclusive_caps=1"), reason)
            XCTAssertTrue(reason.contains("the show goes on"), reason)
        }
    }

    func testALoadedModuleWithoutThatDeviceSaysToReloadIt() throws {
        let module = FileManager.default.temporaryDirectory.appendingPathComponent("lvj-v4l2-\(getpid())").path
        try FileManager.default.createDirectory(atPath: module, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: module) }
        XCTAssertThrowsError(try V4L2Loopback.check(device: "/dev/video12", output: "v4l2", moduleFolder: module)) { error in
            XCTAssertTrue("\(error)".contains("modprobe -r v4l2loopback && sudo modprobe v4l2loopback video_nr=12"), "\(error)")
        }
        XCTAssertNoThrow(try V4L2Loopback.check(device: "/dev/null", output: "v4l2", moduleFolder: module))
        XCTAssertNoThrow(try V4L2Loopback.check(device: "/dev/null?format=rgb24", output: "v4l2", moduleFolder: module), "the device, not its format, must exist")
    }
}
