import TestSupport
import XCTest
import StyleGAN

final class ArchitectureTests: TimeLimitedTestCase {
    func testNumWsAndChannels() throws {
        let a = GeneratorArchitecture(zDim: 512, wDim: 512, imgResolution: 128, channelBase: 4096, channelMax: 256)
        XCTAssertEqual(a.numWs, 12)
        XCTAssertEqual(a.blockResolutions, [4, 8, 16, 32, 64, 128])
        XCTAssertEqual(a.channels(at: 4), 256)
        XCTAssertEqual(a.channels(at: 128), 32)
        XCTAssertEqual(GeneratorArchitecture(imgResolution: 1024).numWs, 18)
        try a.validate()
        XCTAssertThrowsError(try GeneratorArchitecture(imgResolution: 100).validate())
        XCTAssertThrowsError(try GeneratorArchitecture(imgResolution: 64, architecture: "resnet").validate())
    }
}
