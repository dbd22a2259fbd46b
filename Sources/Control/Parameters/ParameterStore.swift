import Synchronization

/// The engine's parameter values, written by any control thread (OSC, MIDI, the main loop) and read
/// by the frame producer without locks: per parameter an atomic target (a Double's bits), the ramp
/// time of the latest set, and a serial that counts sets (so the reader sees every change, and every
/// trigger fires once).
public final class ParameterStore: @unchecked Sendable {
    public let registry: ParameterRegistry
    private let targets: UnsafeMutablePointer<Atomic<UInt64>>
    private let ramps: UnsafeMutablePointer<Atomic<UInt64>>
    private let serials: UnsafeMutablePointer<Atomic<Int>>
    /// Per parameter: whether its latest set waits for the next beat boundary (`control.quantize`).
    private let onBeats: UnsafeMutablePointer<Atomic<Bool>>

    public init(registry: ParameterRegistry) {
        self.registry = registry
        let n = registry.count
        targets = .allocate(capacity: n); ramps = .allocate(capacity: n); serials = .allocate(capacity: n)
        onBeats = .allocate(capacity: n)
        for i in 0..<n {
            (onBeats + i).initialize(to: Atomic(false))
            (targets + i).initialize(to: Atomic(registry[i].defaultValue.bitPattern))
            (ramps + i).initialize(to: Atomic(0.0.bitPattern))
            (serials + i).initialize(to: Atomic(0))
        }
    }

    deinit {
        let n = registry.count
        targets.deinitialize(count: n); ramps.deinitialize(count: n); serials.deinitialize(count: n); onBeats.deinitialize(count: n)
        targets.deallocate(); ramps.deallocate(); serials.deallocate(); onBeats.deallocate()
    }

    /// Sets a parameter (clamped and rounded as its kind requires). `ramp` is the time to glide there
    /// (continuous parameters only); nil uses `control.smoothing`. Returns the value stored, or nil for
    /// NaN/inf, which are refused. `onBeat`: the change waits for the next beat boundary while changes
    /// are quantized (a preset recall does this; a knob moved by hand acts at once).
    @discardableResult
    public func set(_ index: Int, _ value: Double, ramp: Double? = nil, onBeat: Bool = false) -> Double? {
        let p = registry[index]
        guard let v = p.clamp(value) else { return nil }
        let glide = p.isSmoothed ? max(0, ramp ?? controlSmoothing) : 0
        targets[index].store(v.bitPattern, ordering: .relaxed)
        ramps[index].store(glide.bitPattern, ordering: .relaxed)
        onBeats[index].store(onBeat, ordering: .relaxed)
        serials[index].wrappingAdd(1, ordering: .releasing)
        return v
    }

    @discardableResult
    public func set(_ name: String, _ value: Double, ramp: Double? = nil) -> Double? {
        registry.index(of: name).flatMap { set($0, value, ramp: ramp) }
    }

    /// The value last set (the target, before any ramp reaches it).
    public func value(_ index: Int) -> Double { Double(bitPattern: targets[index].load(ordering: .relaxed)) }
    public func value(_ name: String) -> Double? { registry.index(of: name).map(value) }

    /// How many times the parameter was set (reader side: acquire, then read target and ramp).
    public func serial(_ index: Int) -> Int { serials[index].load(ordering: .acquiring) }
    func ramp(_ index: Int) -> Double { Double(bitPattern: ramps[index].load(ordering: .relaxed)) }
    func waitsForBeat(_ index: Int) -> Bool { onBeats[index].load(ordering: .relaxed) }

    var controlSmoothing: Double { registry.index(of: "control.smoothing").map(value) ?? 0 }

    /// Every value by name (presets, `/lvj/list` replies); triggers are left out.
    public func snapshot() -> [String: Double] {
        var out = [String: Double]()
        for (i, p) in registry.parameters.enumerated() where p.kind != .trigger { out[p.name] = value(i) }
        return out
    }
}

/// The frame producer's view of a `ParameterStore`: once per frame `advance` picks up what changed,
/// glides continuous values linearly to their targets over the requested ramp time, and notes which
/// triggers fired. Single-threaded, preallocated: no allocation per frame.
public final class ParameterFollower {
    public let store: ParameterStore
    public let count: Int
    /// Current (ramped) values, in registry order.
    public let values: UnsafeMutablePointer<Double>
    private let from: UnsafeMutablePointer<Double>
    private let to: UnsafeMutablePointer<Double>
    private let elapsed: UnsafeMutablePointer<Double>
    private let duration: UnsafeMutablePointer<Double>
    private let seen: UnsafeMutablePointer<Int>
    private let firedNow: UnsafeMutablePointer<Bool>
    /// Parameters whose every change waits for the beat while changes are quantized (the synth switch).
    private let alwaysOnBeat: UnsafeMutablePointer<Bool>

    public init(store: ParameterStore, alwaysOnBeat: [String] = []) {
        self.store = store
        count = store.registry.count
        values = .allocate(capacity: count); from = .allocate(capacity: count); to = .allocate(capacity: count)
        elapsed = .allocate(capacity: count); duration = .allocate(capacity: count)
        seen = .allocate(capacity: count); firedNow = .allocate(capacity: count)
        self.alwaysOnBeat = .allocate(capacity: count)
        self.alwaysOnBeat.initialize(repeating: false, count: count)
        for name in alwaysOnBeat { if let i = store.registry.index(of: name) { self.alwaysOnBeat[i] = true } }
        for i in 0..<count {
            let v = store.value(i)
            values[i] = v; from[i] = v; to[i] = v
            elapsed[i] = 0; duration[i] = 0
            seen[i] = store.serial(i); firedNow[i] = false
        }
    }

    deinit {
        values.deallocate(); from.deallocate(); to.deallocate(); elapsed.deallocate(); duration.deallocate()
        seen.deallocate(); firedNow.deallocate(); alwaysOnBeat.deallocate()
    }

    /// One frame of `dt` seconds. While `holdingForBeat` (changes are quantized and this row is not on
    /// a boundary), a change that waits for the beat is left pending: the row that crosses the boundary
    /// picks it up, and a morph starts there.
    public func advance(dt: Double, holdingForBeat: Bool = false) {
        for i in 0..<count {
            firedNow[i] = false
            let serial = store.serial(i)
            if serial != seen[i], !(holdingForBeat && (alwaysOnBeat[i] || store.waitsForBeat(i))) {
                let fired = serial &- seen[i]
                seen[i] = serial
                if store.registry[i].kind == .trigger { firedNow[i] = fired > 0; continue }
                from[i] = values[i]; to[i] = store.value(i)
                elapsed[i] = 0; duration[i] = store.ramp(i)
            }
            if values[i] != to[i] {
                elapsed[i] += dt
                if elapsed[i] >= duration[i] { values[i] = to[i] }
                else { values[i] = from[i] + (to[i] - from[i]) * (elapsed[i] / duration[i]) }
            }
        }
    }

    public subscript(_ i: Int) -> Double { values[i] }
    /// Whether a trigger fired in the latest `advance`.
    public func fired(_ i: Int) -> Bool { firedNow[i] }
}
