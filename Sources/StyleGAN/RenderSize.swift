/// Render size: the synthesis network stopped early. StyleGAN2's skip architecture sums every block's
/// ToRGB into the image, so the image after block N is a picture of the model at N px, and the blocks
/// up to N are exactly the generator of a model of resolution N with the same channels. Stopping there
/// drops the cost of every block above it (most of a frame: each doubling quadruples a block's work).
extension GeneratorArchitecture {
    /// The smallest render size offered: below it the picture is a few blobs.
    public static let smallestRenderSize = 16

    /// The render sizes this model allows, largest first: the model's resolution, then every power of two
    /// down to 16 (a model smaller than 16 px renders only at its own size).
    public var renderSizes: [Int] {
        var sizes = [imgResolution], n = imgResolution / 2
        while n >= Self.smallestRenderSize { sizes.append(n); n /= 2 }
        return sizes
    }

    /// The same model stopped after block `size`.
    public func rendered(at size: Int) throws -> GeneratorArchitecture {
        guard renderSizes.contains(size) else {
            throw ArchitectureError(message: "render size \(size) is not one this \(imgResolution) px model allows (\(renderSizes.sorted().map(String.init).joined(separator: ", ")))")
        }
        var a = self
        a.imgResolution = size
        return a
    }
}

extension GeneratorWeights {
    /// The model stopped after block `size`: only the tensors of the blocks that run (a generator of
    /// resolution `size`), labelled with what it is. `size` equal to the model's resolution is the model.
    public func rendered(at size: Int) throws -> GeneratorWeights {
        let full = architecture.imgResolution
        guard size != full else { return self }
        let a = try architecture.rendered(at: size)
        let names = Set(a.expectedTensors().map(\.name))
        var w = GeneratorWeights(architecture: a, tensors: tensors.filter { names.contains($0.key) },
                                 label: "\(label) at \(size) px of \(modelResolution)", untrained: untrained)
        w.modelResolution = modelResolution
        return w
    }
}
