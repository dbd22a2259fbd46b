import Basics
import Features

/// Drawing a patch from a seed (thesis 4.1). Only the feature names and dimensions are needed, so
/// patches can be drawn, saved and compared before any generator is loaded.
extension Patch {
    /// Sub-sequences per patch, palette latents of the base spline, loop lengths: the spec's ranges.
    public enum Drawing {
        public static let subsequences = 5...20
        public static let baseLatents = 3...15
        public static let segments = 2...16
        public static let loopBars = [4, 8, 16, 32]
        public static let loopLatents = 2...8
        /// Features that can blend a sub-sequence in (`modulate`), in the spec's order.
        public static let modulators = ["rms", "drop_strength", "onsets", "spectral_flatness"]
        /// Features that never drive a sub-sequence: the local tempo is nearly constant and the segment
        /// labels are categories, not magnitudes (min–max scaling them would be meaningless).
        public static let excludedDrivers: Set<String> = ["tempo", "segments"]
        /// P(average) : P(modulate) = 1 : 3.
        public static let averageProbability = 0.25
    }

    public static func draw(seed: UInt64, features: FeatureSet) -> Patch {
        var draw = PatchDraw(seed: seed, features: features)
        return draw.patch()
    }

    /// Draws `n` patches from seeds seed, seed + 1, … and keeps the best-scoring one (the thesis's own
    /// suggestion: curate random patches by their audiovisual correlation). NaN scores never win.
    public static func bestOf(_ n: Int, seed: UInt64, features: FeatureSet,
                              score: (Patch) throws -> Double) rethrows -> (patch: Patch, scores: [Double]) {
        precondition(n >= 1, "bestOf needs at least one patch")
        var best: Patch?, bestScore = -Double.infinity, scores = [Double]()
        for i in 0..<n {
            let patch = draw(seed: seed &+ UInt64(i), features: features)
            let s = try score(patch)
            scores.append(s)
            if best == nil || s > bestScore { best = patch; bestScore = s.isNaN ? -.infinity : s }
        }
        return (best!, scores)
    }
}

/// The random choices, in a fixed order so that one seed always gives the same patch.
private struct PatchDraw {
    var rng: SeededRandom
    let seed: UInt64
    /// Feature names (set order) with their dimensions, that may drive a sub-sequence.
    let drivers: [(name: String, dims: Int)]
    let modulators: [String]

    init(seed: UInt64, features: FeatureSet) {
        self.seed = seed
        rng = SeededRandom(seed: seed)
        drivers = features.features.filter { !Patch.Drawing.excludedDrivers.contains($0.name) }.map { ($0.name, $0.dims) }
        modulators = Patch.Drawing.modulators.filter { features[$0]?.dims == 1 }
    }

    mutating func patch() -> Patch {
        let base = BaseLatents(latentSeeds: seeds(int(Patch.Drawing.baseLatents)))
        let latents = (0..<int(Patch.Drawing.subsequences)).map { _ in latentSubsequence() }
        let noise = (0..<int(Patch.Drawing.subsequences)).map { _ in noiseSubsequence() }
        let background = NoiseMotion(seed: smallSeed(), sigma: real(10...30), bars: pick([16, 32]))
        return Patch(seed: seed, base: base, latents: latents, noise: noise, backgroundNoise: background)
    }

    mutating func latentSubsequence() -> LatentSubsequence {
        let depth = depthChoice()
        let strategies: [LatentStrategy] = drivers.isEmpty ? [.loop] : LatentStrategy.allCases
        var s: LatentSubsequence
        switch pick(strategies) {
        case .segmentation:
            let k = int(Patch.Drawing.segments)
            s = LatentSubsequence(strategy: .segmentation, depth: depth, feature: pick(drivers).name, segments: k,
                                  transitionSeconds: real(0.25...2), latentSeeds: seeds(k))
        case .feature:
            let driver = pick(drivers)
            s = LatentSubsequence(strategy: .feature, depth: depth, feature: driver.name, latentSeeds: seeds(max(2, driver.dims)))
        case .loop:
            let bars = pick(Patch.Drawing.loopBars)
            s = LatentSubsequence(strategy: .loop, depth: depth, bars: bars, latentSeeds: seeds(int(Patch.Drawing.loopLatents)))
        }
        (s.merge, s.modulator) = merge()
        return s
    }

    mutating func noiseSubsequence() -> NoiseSubsequence {
        let depth = depthChoice()
        let strategies: [NoiseStrategy] = drivers.isEmpty ? [.loop] : NoiseStrategy.allCases
        var s: NoiseSubsequence
        switch pick(strategies) {
        case .feature:
            s = NoiseSubsequence(strategy: .feature, depth: depth, feature: pick(drivers).name, noiseSeed: smallSeed())
        case .blend:
            // Slow: barely moving over half a minute or more; fast: squirming within a bar or two.
            s = NoiseSubsequence(strategy: .blend, depth: depth, feature: pick(drivers).name, noiseSeed: smallSeed(),
                                 sigma: real(20...60), bars: pick([16, 32]), fastSigma: real(2...8), fastBars: pick([1, 2, 4]))
        case .loop:
            s = NoiseSubsequence(strategy: .loop, depth: depth, noiseSeed: smallSeed(), sigma: real(5...30),
                                 bars: pick(Patch.Drawing.loopBars))
        }
        (s.merge, s.modulator) = merge()
        return s
    }

    /// average : modulate = 1 : 3; a feature set without any modulating feature can only average.
    mutating func merge() -> (MergeType, String?) {
        let average = rng.uniform() < Patch.Drawing.averageProbability
        if average || modulators.isEmpty { return (.average, nil) }
        return (.modulate, pick(modulators))
    }

    mutating func depthChoice() -> DepthChoice {
        let choices = DepthChoice.allCases
        let total = choices.reduce(0) { $0 + $1.drawWeight }
        var r = rng.uniform() * total
        for c in choices {
            r -= c.drawWeight
            if r < 0 { return c }
        }
        return choices.last!
    }

    mutating func int(_ range: ClosedRange<Int>) -> Int { range.lowerBound + Int(rng.next() % UInt64(range.count)) }
    mutating func pick<T>(_ items: [T]) -> T { items[Int(rng.next() % UInt64(items.count))] }
    /// Rounded to hundredths: the file stays readable and the value round-trips exactly.
    mutating func real(_ range: ClosedRange<Double>) -> Double {
        ((range.lowerBound + rng.uniform() * (range.upperBound - range.lowerBound)) * 100).rounded() / 100
    }
    /// 32-bit seeds: short enough for a VJ to read and type.
    mutating func smallSeed() -> UInt64 { rng.next() >> 32 }
    mutating func seeds(_ n: Int) -> [UInt64] { (0..<n).map { _ in smallSeed() } }
}
