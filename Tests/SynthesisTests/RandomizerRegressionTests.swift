import AudioIn
import Features
import Synthesis
import TestSupport
import XCTest

/// Inputs that once broke the Randomizer, kept as regression tests.
final class RandomizerRegressionTests: TimeLimitedTestCase {
    /// A generated techno piece and patch seed 17002 (found by `train --supervised`): segmenting one of
    /// the patch's features overflowed 1/√(dᵢdⱼ) for two nearly isolated beats into NaN, and the
    /// Laplacian's eigen-decomposition refused it.
    func testSegmentingANearlyFlatFeatureDoesNotFail() throws {
        let clip = TrainingMusic(seed: 22).render(sampleRate: 22_050)
        let features = try OfflineExtractor(fps: 24).extract(mono: clip.mono(), sampleRate: clip.sampleRate)
        let patch = Patch.draw(seed: 17002, features: features)
        XCTAssertTrue(patch.latents.contains { $0.strategy == .segmentation })
        XCTAssertNoThrow(try Randomizer(patch: patch, features: features, generator: SynthesisFixtures.generator32))
    }
}
