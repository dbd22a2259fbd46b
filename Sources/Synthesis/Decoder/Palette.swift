import Basics
import StyleGAN

/// Per layer group, K w-space latents obtained by mapping seeded z's: the "colours" the decoder mixes.
/// A performer swaps or reseeds a group's palette live; everything else stays.
public final class Palette {
    public let size: Int
    public let wDim: Int
    /// Per group (deep, middle, shallow): the seed its latents were drawn from.
    public private(set) var seeds: [UInt64]
    /// Per group: size × wDim latents, row-major.
    public private(set) var latents: [[Float]]

    public init(generator: Generator, size: Int, seeds: [UInt64]) {
        precondition(size >= 1 && seeds.count == LayerGroup.allCases.count)
        self.size = size
        wDim = generator.architecture.wDim
        self.seeds = seeds
        latents = seeds.map { Self.draw(generator: generator, size: size, seed: $0) }
    }

    /// The default palette of a seed: each group gets its own derived seed.
    public convenience init(generator: Generator, size: Int, seed: UInt64) {
        self.init(generator: generator, size: size, seeds: Self.seeds(seed))
    }

    /// The per-group seeds one palette seed stands for (deep, middle, shallow).
    public static func seeds(_ seed: UInt64) -> [UInt64] { LayerGroup.allCases.map { seed &* 1000 &+ UInt64($0.index) } }

    /// `size` latents of a seed (no truncation: the decoder applies ψ to its output).
    public static func draw(generator: Generator, size: Int, seed: UInt64) -> [Float] {
        var rng = SeededRandom(seed: seed)
        let zDim = generator.architecture.zDim, wDim = generator.architecture.wDim
        var out = [Float]()
        out.reserveCapacity(size * wDim)
        for _ in 0..<size {
            let z = (0..<zDim).map { _ in Float(rng.normal()) }
            out.append(contentsOf: generator.map(z: z).prefix(wDim))
        }
        return out
    }

    /// Replaces a group's latents with those of a new seed (runs the mapping network: not for the frame loop).
    public func reseed(_ group: LayerGroup, seed: UInt64, generator: Generator) {
        set(group, latents: Self.draw(generator: generator, size: size, seed: seed), seed: seed)
    }

    /// Installs precomputed latents (size × wDim), e.g. drawn on a control thread.
    public func set(_ group: LayerGroup, latents new: [Float], seed: UInt64) {
        precondition(new.count == size * wDim)
        latents[group.index] = new
        seeds[group.index] = seed
    }

    /// Swaps in a group's new latents (drawn elsewhere) without freeing anything here: the previous
    /// latents come back in `latents`, for the caller to release off the frame thread.
    public func exchange(_ group: LayerGroup, latents new: inout [Float], seed: UInt64) {
        precondition(new.count == size * wDim)
        swap(&latents[group.index], &new)
        seeds[group.index] = seed
    }

    /// K × K Gram matrix of a group's latents (what the self-supervised loss needs of a palette).
    public func gram(_ group: LayerGroup) -> [Double] {
        let l = latents[group.index]
        var g = [Double](repeating: 0, count: size * size)
        for i in 0..<size {
            for j in i..<size {
                var s = 0.0
                for d in 0..<wDim { s += Double(l[i * wDim + d]) * Double(l[j * wDim + d]) }
                g[i * size + j] = s; g[j * size + i] = s
            }
        }
        return g
    }
}
