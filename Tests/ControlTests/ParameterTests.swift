import AllocationCounter
import Control
import TestSupport
import XCTest

/// The registry, the lock-free store and the frame-rate follower.
final class ParameterTests: TimeLimitedTestCase {
    let registry = ParameterRegistry.live(noiseResolutions: [4, 8, 16, 32], featureGroups: ["onsets", "rms", "chroma"])

    func testRegistryNamesAddressesAndDefaults() {
        XCTAssertNotNil(registry.index(of: "deep.amplitude"))
        XCTAssertNotNil(registry.index(of: "noise.s16.sigma"))
        XCTAssertNotNil(registry.index(of: "weight.chroma"))
        for name in ["intensity", "psi", "smoothing", "temperature", "loop.bars", "synth", "freeze", "blackout", "hud", "record", "fullscreen", "morph.time"] {
            XCTAssertNotNil(registry.index(of: name), name)
        }
        let i = registry.index(of: "noise.s16.sigma")!
        XCTAssertEqual(registry[i].oscAddress, "/lvj/noise/s16/sigma")
        XCTAssertEqual(registry.index(ofOSC: "/lvj/noise/s16/sigma"), i)
        XCTAssertNil(registry.index(ofOSC: "/lvj/noise/s16"))
        XCTAssertNil(registry.index(ofOSC: "/other/intensity"))
        XCTAssertEqual(Set(registry.parameters.map(\.name)).count, registry.count, "names are unique")
        for p in registry.parameters { XCTAssertEqual(p.clamp(p.defaultValue), p.defaultValue, "\(p.name): default inside its range") }
    }

    /// A parameter's role decides where it travels: a preset captures every scene value and none
    /// of the stage (HUD, fullscreen, freeze, blackout) or transport (record).
    func testAPresetCapturesTheSceneAndLeavesTheStageAndTransport() {
        let registry = ParameterRegistry.live(noiseResolutions: [4, 8], featureGroups: ["rms"])
        let store = ParameterStore(registry: registry)
        for name in ["hud", "fullscreen", "freeze", "blackout", "record"] { store.set(name, 1 - (store.value(name) ?? 0)) }
        let captured = Set(Preset.capture(name: "p", store: store, model: nil, envelope: nil).parameters.keys)
        XCTAssertEqual(Set(registry.parameters.filter { $0.role != .scene }.map(\.name)),
                       ["hud", "fullscreen", "freeze", "blackout", "record", "tempo.source", "tempo.bpm", "tempo.tap", "tempo.offset", "control.quantize"],
                       "the rig's tempo and quantize settings stay out of presets")
        XCTAssertEqual(captured, Set(registry.parameters.filter { $0.role == .scene && $0.kind != .trigger }.map(\.name)), "every scene value (a trigger has none)")
        XCTAssertEqual(registry.parameters.first { $0.name == "record" }?.role, .transport)
    }

    func testValuesAreClampedRoundedAndNaNRefused() {
        let store = ParameterStore(registry: registry)
        XCTAssertEqual(store.set("intensity", 7), 3)
        XCTAssertEqual(store.set("intensity", -1), 0)
        XCTAssertNil(store.set("intensity", .nan))
        XCTAssertNil(store.set("intensity", .infinity))
        XCTAssertEqual(store.value("intensity"), 0, "a refused value changes nothing")
        XCTAssertEqual(store.set("loop.bars", 3.6), 4)
        XCTAssertEqual(store.set("freeze", 0.7), 1)
        XCTAssertEqual(store.set("synth", 5), 1, "a choice index is clamped to its options")
        XCTAssertNil(store.set("no.such", 1))
    }

    func testFollowerRampsContinuousValuesAndAppliesOthersAtOnce() {
        let store = ParameterStore(registry: registry)
        let follower = ParameterFollower(store: store)
        let a = registry.index(of: "intensity")!, bars = registry.index(of: "loop.bars")!
        store.set(a, 2, ramp: 0.1)
        store.set(bars, 8)
        follower.advance(dt: 0.025)
        XCTAssertEqual(follower[a], 1.25, accuracy: 1e-12, "a quarter of the way from 1 to 2")
        XCTAssertEqual(follower[bars], 8, "integers jump")
        follower.advance(dt: 0.025)
        XCTAssertEqual(follower[a], 1.5, accuracy: 1e-12)
        follower.advance(dt: 0.05)
        XCTAssertEqual(follower[a], 2)
        // A new target mid-ramp glides from where the value is now.
        store.set(a, 0, ramp: 0.1)
        follower.advance(dt: 0.05)
        XCTAssertEqual(follower[a], 1, accuracy: 1e-12)
        store.set(a, 3, ramp: 0)
        follower.advance(dt: 0.001)
        XCTAssertEqual(follower[a], 3, "no ramp: at once")
    }

    func testTriggersFireOncePerSet() {
        let store = ParameterStore(registry: registry)
        let follower = ParameterFollower(store: store)
        let t = registry.index(of: "deep.reseed")!
        follower.advance(dt: 0.03)
        XCTAssertFalse(follower.fired(t))
        store.set(t, 1)
        follower.advance(dt: 0.03)
        XCTAssertTrue(follower.fired(t))
        follower.advance(dt: 0.03)
        XCTAssertFalse(follower.fired(t), "edge, not level")
    }

    func testFollowerDoesNotAllocate() {
        let store = ParameterStore(registry: registry)
        let follower = ParameterFollower(store: store)
        follower.advance(dt: 0.03)
        lvj_count_allocations_begin()
        for k in 0..<500 {
            store.set(k % registry.count, Double(k % 7) / 3)
            follower.advance(dt: 1.0 / 30)
        }
        XCTAssertEqual(lvj_count_allocations_end(), 0)
    }

    /// Quantized changes: what waits for the beat (a preset's sets, the synth switch) is held while the
    /// rows are between boundaries and taken on the boundary row, where its morph starts; a knob moved by
    /// hand acts at once; with changes not quantized nothing waits.
    func testChangesThatWaitForTheBeatAreTakenOnTheBoundaryRow() {
        let store = ParameterStore(registry: registry)
        let follower = ParameterFollower(store: store, alwaysOnBeat: ["synth"])
        let intensity = registry.index(of: "intensity")!, psi = registry.index(of: "psi")!, synth = registry.index(of: "synth")!
        store.set(intensity, 2, ramp: 1, onBeat: true)
        store.set(psi, 0.5, ramp: 0)                      // by hand
        store.set(synth, 1)                               // the synth switch always waits
        for _ in 0..<5 { follower.advance(dt: 0.1, holdingForBeat: true) }
        XCTAssertEqual(follower[intensity], 1, "taken before the boundary")
        XCTAssertEqual(follower[synth], 0, "the synth switched before the boundary")
        XCTAssertEqual(follower[psi], 0.5, "a hand move waited for the beat")
        follower.advance(dt: 0.1, holdingForBeat: false)  // the boundary row: the morph starts here
        XCTAssertEqual(follower[synth], 1)
        XCTAssertEqual(follower[intensity], 1.1, accuracy: 1e-9, "the 1 s morph starts on the boundary row")
        for _ in 0..<9 { follower.advance(dt: 0.1, holdingForBeat: true) }
        XCTAssertEqual(follower[intensity], 2, accuracy: 1e-9, "a started morph runs on between boundaries")
        // Not quantized: nothing waits, flagged or not.
        store.set(intensity, 0.5, ramp: 0, onBeat: true)
        follower.advance(dt: 0.1)
        XCTAssertEqual(follower[intensity], 0.5)
    }

    func testMarkdownListsEveryParameter() {
        let page = registry.markdown(title: "Parameters")
        for p in registry.parameters { XCTAssertTrue(page.contains("`\(p.name)`"), p.name) }
    }
}
