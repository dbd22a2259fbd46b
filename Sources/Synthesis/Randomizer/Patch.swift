import Features

/// Every random choice of one Randomizer video (thesis 4.1): drawn from `seed` by `Patch.draw`, saved as
/// JSON, edited by hand and replayed. Latents are stored as seeds of z vectors, never as vectors, so a
/// patch works with any generator and stays small enough to read.
///
/// A sub-sequence that needs more latents than it lists (a feature with more dimensions, a larger k)
/// reuses its seeds cyclically, so changing a feature or k by hand never breaks a patch.
public struct Patch: Codable, Equatable, Sendable {
    /// The file format this build reads and writes.
    public static let currentVersion = 1

    public var version: Int
    /// The seed the patch was drawn from (kept for reference; rendering reads only the fields below).
    public var seed: UInt64
    /// The base latent sequence: a closed spline through these latents over the whole song.
    public var base: BaseLatents
    /// Latent sub-sequences, merged into the base one after another.
    public var latents: [LatentSubsequence]
    /// Noise sub-sequences, merged into the background noise one after another, per noise layer.
    public var noise: [NoiseSubsequence]
    /// The smooth noise every noise layer starts from (and all that untouched layers get).
    public var backgroundNoise: NoiseMotion

    public init(version: Int = Patch.currentVersion, seed: UInt64, base: BaseLatents, latents: [LatentSubsequence],
                noise: [NoiseSubsequence], backgroundNoise: NoiseMotion) {
        self.version = version; self.seed = seed; self.base = base
        self.latents = latents; self.noise = noise; self.backgroundNoise = backgroundNoise
    }
}

public struct BaseLatents: Codable, Equatable, Sendable {
    public var latentSeeds: [UInt64]
    public init(latentSeeds: [UInt64]) { self.latentSeeds = latentSeeds }
}

/// How a sub-sequence S joins the main sequence L.
public enum MergeType: String, Codable, CaseIterable, Sendable {
    /// (L + S) / 2
    case average
    /// L·(1 − m) + S·m, with m the patch's `modulator` feature normalised to [0, 1].
    case modulate
}

public enum LatentStrategy: String, Codable, CaseIterable, Sendable {
    /// One latent per section of a Laplacian segmentation of `feature` into `segments` parts.
    case segmentation
    /// Feature-weighted average of latents (a 1-D feature lerps between two).
    case feature
    /// A closed spline through the latents, repeating every `bars` bars.
    case loop
}

public struct LatentSubsequence: Codable, Equatable, Sendable {
    public var strategy: LatentStrategy
    public var depth: DepthChoice
    /// segmentation, feature: the driving feature.
    public var feature: String?
    /// segmentation: k, the number of sections (2…16).
    public var segments: Int?
    /// segmentation: Gaussian σ of the transitions between sections, in seconds.
    public var transitionSeconds: Double?
    /// loop: bars per repetition at the song's tempo.
    public var bars: Int?
    public var latentSeeds: [UInt64]
    public var merge: MergeType
    /// modulate: the univariate feature that blends the sub-sequence in.
    public var modulator: String?

    public init(strategy: LatentStrategy, depth: DepthChoice, feature: String? = nil, segments: Int? = nil,
                transitionSeconds: Double? = nil, bars: Int? = nil, latentSeeds: [UInt64], merge: MergeType = .average,
                modulator: String? = nil) {
        self.strategy = strategy; self.depth = depth; self.feature = feature; self.segments = segments
        self.transitionSeconds = transitionSeconds; self.bars = bars; self.latentSeeds = latentSeeds
        self.merge = merge; self.modulator = modulator
    }
}

public enum NoiseStrategy: String, Codable, CaseIterable, Sendable {
    /// Feature-weighted average of fixed random maps, rescaled to unit RMS.
    case feature
    /// The feature blends a slow (`sigma`, `bars`) and a fast (`fastSigma`, `fastBars`) smooth noise.
    case blend
    /// Looping smooth noise (`sigma`, `bars`).
    case loop
}

public struct NoiseSubsequence: Codable, Equatable, Sendable {
    public var strategy: NoiseStrategy
    public var depth: DepthChoice
    /// feature, blend: the driving feature.
    public var feature: String?
    /// Seeds the random maps of every layer this sub-sequence covers.
    public var noiseSeed: UInt64
    /// loop, blend (slow noise): smoothness of the LoopNoise (larger is smoother) and its period in bars.
    public var sigma: Double?
    public var bars: Int?
    /// blend: the fast noise's smoothness and period.
    public var fastSigma: Double?
    public var fastBars: Int?
    public var merge: MergeType
    public var modulator: String?

    public init(strategy: NoiseStrategy, depth: DepthChoice, feature: String? = nil, noiseSeed: UInt64,
                sigma: Double? = nil, bars: Int? = nil, fastSigma: Double? = nil, fastBars: Int? = nil,
                merge: MergeType = .average, modulator: String? = nil) {
        self.strategy = strategy; self.depth = depth; self.feature = feature; self.noiseSeed = noiseSeed
        self.sigma = sigma; self.bars = bars; self.fastSigma = fastSigma; self.fastBars = fastBars
        self.merge = merge; self.modulator = modulator
    }
}

/// Smooth looping noise: LoopNoise with smoothness `sigma`, repeating every `bars` bars.
public struct NoiseMotion: Codable, Equatable, Sendable {
    public var seed: UInt64
    public var sigma: Double
    public var bars: Int
    public init(seed: UInt64, sigma: Double, bars: Int) { self.seed = seed; self.sigma = sigma; self.bars = bars }
}

// MARK: Limits and validation

extension Patch {
    /// Ranges a patch file may use. Drawing stays inside narrower ones (see PatchDrawing); these only
    /// refuse values that cannot be meant (a typo, a negative count, a 10⁹-bar loop).
    public enum Limits {
        public static let segments = 2...16
        public static let bars = 1...256
        public static let sigma = 0.1...1000.0
        public static let transitionSeconds = 0.0...60.0
        public static let latentSeeds = 1...64
        public static let subsequences = 0...64
    }

    /// Feature names a patch may mention: the offline set's and the causal set's.
    public static var knownFeatures: Set<String> {
        Set(OfflineExtractor.featureNames).union(CausalLayout.columns.map(\.name))
    }

    /// The first thing wrong with the patch, in words that name the field, or nil when it is valid.
    public func problem() -> String? {
        guard version == Patch.currentVersion else {
            return "unsupported patch version \(version) (this LatentVJ reads version \(Patch.currentVersion))"
        }
        if let p = Self.checkCount(base.latentSeeds.count, "base.latentSeeds", Limits.latentSeeds) { return p }
        if let p = Self.checkCount(latents.count, "latents", Limits.subsequences) { return p }
        if let p = Self.checkCount(noise.count, "noise", Limits.subsequences) { return p }
        for (i, s) in latents.enumerated() {
            if let p = s.problem() { return "latents[\(i)]\(p)" }
        }
        for (i, s) in noise.enumerated() {
            if let p = s.problem() { return "noise[\(i)]\(p)" }
        }
        if let p = backgroundNoise.problem() { return "backgroundNoise\(p)" }
        return nil
    }

    static func checkCount(_ n: Int, _ field: String, _ range: ClosedRange<Int>) -> String? {
        range.contains(n) ? nil : "\(field) has \(n) entries; \(range.lowerBound)…\(range.upperBound) are allowed"
    }

    static func check<T: Comparable>(_ value: T?, _ field: String, _ range: ClosedRange<T>, neededBy strategy: String?) -> String? {
        guard let value else { return strategy.map { ".\(field): missing (a \($0) sub-sequence needs it)" } }
        return range.contains(value) ? nil : ".\(field): \(value) is out of range (\(range.lowerBound)…\(range.upperBound))"
    }

    static func checkFeature(_ name: String?, _ field: String, neededBy strategy: String?) -> String? {
        guard let name else { return strategy.map { ".\(field): missing (a \($0) sub-sequence needs it)" } }
        guard knownFeatures.contains(name) else {
            return ".\(field): unknown feature \"\(name)\" (known: \(knownFeatures.sorted().joined(separator: ", ")))"
        }
        return nil
    }

    static func checkMerge(_ merge: MergeType, _ modulator: String?) -> String? {
        merge == .modulate ? checkFeature(modulator, "modulator", neededBy: "modulate") : nil
    }
}

extension LatentSubsequence {
    /// What is wrong, as a field path suffix and a reason, or nil.
    func problem() -> String? {
        if let p = Patch.checkCount(latentSeeds.count, ".latentSeeds", Patch.Limits.latentSeeds) { return p }
        let name = strategy.rawValue
        switch strategy {
        case .segmentation:
            if let p = Patch.checkFeature(feature, "feature", neededBy: name) { return p }
            if let p = Patch.check(segments, "segments", Patch.Limits.segments, neededBy: name) { return p }
            if let p = Patch.check(transitionSeconds, "transitionSeconds", Patch.Limits.transitionSeconds, neededBy: name) { return p }
        case .feature:
            if let p = Patch.checkFeature(feature, "feature", neededBy: name) { return p }
        case .loop:
            if let p = Patch.check(bars, "bars", Patch.Limits.bars, neededBy: name) { return p }
        }
        return Patch.checkMerge(merge, modulator)
    }
}

extension NoiseSubsequence {
    func problem() -> String? {
        let name = strategy.rawValue
        switch strategy {
        case .feature:
            if let p = Patch.checkFeature(feature, "feature", neededBy: name) { return p }
        case .blend:
            if let p = Patch.checkFeature(feature, "feature", neededBy: name) { return p }
            if let p = Patch.check(sigma, "sigma", Patch.Limits.sigma, neededBy: name) { return p }
            if let p = Patch.check(bars, "bars", Patch.Limits.bars, neededBy: name) { return p }
            if let p = Patch.check(fastSigma, "fastSigma", Patch.Limits.sigma, neededBy: name) { return p }
            if let p = Patch.check(fastBars, "fastBars", Patch.Limits.bars, neededBy: name) { return p }
        case .loop:
            if let p = Patch.check(sigma, "sigma", Patch.Limits.sigma, neededBy: name) { return p }
            if let p = Patch.check(bars, "bars", Patch.Limits.bars, neededBy: name) { return p }
        }
        return Patch.checkMerge(merge, modulator)
    }
}

extension NoiseMotion {
    func problem() -> String? {
        Patch.check(sigma, "sigma", Patch.Limits.sigma, neededBy: "noise")
            ?? Patch.check(bars, "bars", Patch.Limits.bars, neededBy: "noise")
    }
}
