import Basics
@testable import Outputs
import TestSupport
import XCTest

/// `--output URI`: every form, and a clear error for each kind of mistake.
final class OutputTargetTests: TimeLimitedTestCase {
    func testEveryFormParses() throws {
        let cases: [(String, OutputTarget.Kind, String)] = [
            ("ndi:LatentVJ Main", .ndi, "LatentVJ Main"),
            ("v4l2:/dev/video10", .v4l2, "/dev/video10"),
            ("shm:/tmp/latentvj.shm", .shm, "/tmp/latentvj.shm"),
            ("srt://:7001", .srt, "srt://:7001"),
            ("srt://192.0.2.1:7001?latency=120", .srt, "srt://192.0.2.1:7001?latency=120"),
            ("rtp://127.0.0.1:5004", .rtp, "127.0.0.1:5004"),
            ("gst:videoconvert ! autovideosink", .gst, "videoconvert ! autovideosink"),
        ]
        for (uri, kind, address) in cases {
            let t = try OutputTarget(parsing: uri)
            XCTAssertEqual(t.kind, kind, uri)
            XCTAssertEqual(t.address, address, uri)
            XCTAssertEqual(t.description, uri)
        }
    }

    func testMistakesSayWhatIsExpected() {
        let cases: [(String, String)] = [
            ("ndi:", "source name"),
            ("v4l2:video10", "names its device"),
            ("v4l2:/dev/video10?format=mjpeg", "format=rgb24"),
            ("shm:relative.sock", "absolute path"),
            ("srt://host", "needs a port"),
            ("rtp://127.0.0.1", "HOST:PORT"),
            ("rtp://:5004", "HOST:PORT"),
            ("rtp://127.0.0.1:70000", "HOST:PORT"),
            ("gst:  ", "sink pipeline"),
            ("ndi:Main?size=1281x720", "size=1281x720 is WIDTHxHEIGHT"),
            ("rtp://127.0.0.1:5004?fps=0", "fps=0 is a rate"),
            ("shm:/tmp/a?fps=fast", "fps=fast is a rate"),
            ("hdmi:1", "unknown kind"),
            ("/tmp/file.mkv", "unknown kind"),
        ]
        for (uri, expected) in cases {
            XCTAssertThrowsError(try OutputTarget(parsing: uri), uri) { error in
                let text = "\(error)"
                XCTAssertTrue(text.contains(expected), "\(uri): \(text)")
                XCTAssertTrue(text.contains("ndi:NAME") && text.contains("rtp://HOST:PORT"), "the error lists the forms: \(text)")
            }
        }
    }

    /// Each output may have its own size and rate; the rest of its query stays its own.
    func testAnOutputsOwnSizeAndRate() throws {
        let ndi = try OutputTarget(parsing: "ndi:Main?size=1920x1080&fps=25")
        XCTAssertEqual(ndi.address, "Main")
        XCTAssertEqual(ndi.width, 1920); XCTAssertEqual(ndi.height, 1080); XCTAssertEqual(ndi.fps, 25)
        XCTAssertEqual(ndi.description, "ndi:Main?size=1920x1080&fps=25", "shown as given")
        let srt = try OutputTarget(parsing: "srt://:7001?mode=listener&size=640x360")
        XCTAssertEqual(srt.address, "srt://:7001?mode=listener", "SRT's own options go to SRT")
        XCTAssertEqual(srt.width, 640); XCTAssertNil(srt.fps)
        let v4l2 = try OutputTarget(parsing: "v4l2:/dev/video10?fps=15&format=rgb24")
        XCTAssertEqual(v4l2.address, "/dev/video10?format=rgb24")
        XCTAssertEqual(V4L2Loopback.parse(v4l2.address).format, .rgb24)
        let rtp = try OutputTarget(parsing: "rtp://127.0.0.1:5004")
        XCTAssertNil(rtp.width); XCTAssertNil(rtp.fps)
        let gst = try OutputTarget(parsing: "gst:videoscale ! video/x-raw,width=320 ! fakesink name=a?size=64x64")
        XCTAssertEqual(gst.address, "videoscale ! video/x-raw,width=320 ! fakesink name=a?size=64x64", "a pipeline is taken whole")
        XCTAssertNil(gst.width)
    }

    func testOutputSizes() throws {
        XCTAssertTrue(try OutputFormat.size(parsing: "1280x720") == (1280, 720))
        XCTAssertTrue(try OutputFormat.size(parsing: "1920X1080") == (1920, 1080))
        for bad in ["1280", "1281x720", "0x0", "8x8", "axb", "99999x720"] {
            XCTAssertThrowsError(try OutputFormat.size(parsing: bad), bad)
        }
        XCTAssertEqual(OutputFormat(width: 64, height: 64, fps: 30).fraction, "30/1")
        XCTAssertEqual(OutputFormat(width: 64, height: 64, fps: 29.97).fraction, "29970/1000")
    }

    /// An SRT URI without a host listens (a receiver such as OBS calls it); one that says its mode keeps it.
    func testSRTModes() {
        XCTAssertEqual(OutputPipelines.srtURI("srt://:7001"), "srt://:7001?mode=listener")
        XCTAssertEqual(OutputPipelines.srtURI("srt://:7001?latency=80"), "srt://:7001?latency=80&mode=listener")
        XCTAssertEqual(OutputPipelines.srtURI("srt://10.0.0.2:7001"), "srt://10.0.0.2:7001")
        XCTAssertEqual(OutputPipelines.srtURI("srt://:7001?mode=caller"), "srt://:7001?mode=caller")
    }

    /// Names of `output.NAME` parameters: the kind, numbered when a kind repeats.
    func testPipelinesNameTheirElementsAndTheirTarget() throws {
        let f = OutputFormat(width: 320, height: 180, fps: 25)
        let rtp = try XCTUnwrap(OutputPipelines.description(for: try OutputTarget(parsing: "rtp://127.0.0.1:5004"), format: f))
        XCTAssertTrue(rtp.contains("x264enc tune=zerolatency"), rtp)
        XCTAssertTrue(rtp.contains("udpsink host=\"127.0.0.1\" port=5004"), rtp)
        XCTAssertTrue(rtp.contains("width=320,height=180,framerate=25/1"), rtp)
        let shm = try XCTUnwrap(OutputPipelines.description(for: try OutputTarget(parsing: "shm:/tmp/a b.sock"), format: f))
        XCTAssertTrue(shm.contains("shmsink socket-path=\"/tmp/a b.sock\""), shm)
        XCTAssertNil(OutputPipelines.description(for: try OutputTarget(parsing: "ndi:x"), format: f))
        let yuyv = try XCTUnwrap(OutputPipelines.description(for: try OutputTarget(parsing: "v4l2:/dev/video10"), format: f))
        XCTAssertTrue(yuyv.contains("format=YUY2 ! v4l2sink device=\"/dev/video10\""), yuyv)
        let rgb = try XCTUnwrap(OutputPipelines.description(for: try OutputTarget(parsing: "v4l2:/dev/video10?format=rgb24"), format: f))
        XCTAssertTrue(rgb.contains("format=RGB ! v4l2sink device=\"/dev/video10\""), rgb)
    }
}
