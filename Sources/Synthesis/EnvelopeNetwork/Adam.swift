import Foundation

/// Adam (Kingma & Ba) with bias correction, as PyTorch's torch.optim.Adam without weight decay.
/// The moments are exposed and restorable so a checkpointed training run resumes exactly.
public struct Adam {
    public let beta1: Double
    public let beta2: Double
    public let epsilon: Double
    public private(set) var stepCount: Int
    public private(set) var firstMoment: [Double]
    public private(set) var secondMoment: [Double]

    public init(parameterCount: Int, beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-8) {
        self.init(restoring: [Double](repeating: 0, count: parameterCount), second: [Double](repeating: 0, count: parameterCount),
                  stepCount: 0, beta1: beta1, beta2: beta2, epsilon: epsilon)
    }

    /// Continues from a checkpoint's moments and step count (the step count drives the bias correction).
    public init(restoring first: [Double], second: [Double], stepCount: Int, beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-8) {
        precondition(first.count == second.count, "Adam moments differ in length: \(first.count) vs \(second.count)")
        precondition(stepCount >= 0, "Adam step count \(stepCount) is negative")
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.stepCount = stepCount
        firstMoment = first
        secondMoment = second
    }

    /// One step. With `clipNorm`, the gradient is first scaled down so its global L2 norm is at most clipNorm
    /// (as torch.nn.utils.clip_grad_norm_): GRUs occasionally produce exploding gradients.
    public mutating func update(_ parameters: inout [Double], gradient: [Double], learningRate: Double, clipNorm: Double? = nil) {
        let count = firstMoment.count
        precondition(parameters.count == count && gradient.count == count,
                     "Adam for \(count) parameters got \(parameters.count) parameters and \(gradient.count) gradients")
        var scale = 1.0
        if let clip = clipNorm {
            let norm = gradient.reduce(0) { $0 + $1 * $1 }.squareRoot()
            if norm > clip { scale = clip / norm }
        }
        stepCount += 1
        let b1 = beta1, b2 = beta2, eps = epsilon
        let correction1 = 1 - pow(b1, Double(stepCount))
        let correction2 = 1 - pow(b2, Double(stepCount))
        let stepSize = learningRate / correction1
        let rootCorrection2 = correction2.squareRoot()
        parameters.withUnsafeMutableBufferPointer { p in
            gradient.withUnsafeBufferPointer { g in
                firstMoment.withUnsafeMutableBufferPointer { m in
                    secondMoment.withUnsafeMutableBufferPointer { v in
                        for i in 0..<count {
                            let gi = g[i] * scale
                            m[i] = b1 * m[i] + (1 - b1) * gi
                            v[i] = b2 * v[i] + (1 - b2) * gi * gi
                            // PyTorch's arrangement: lr/(1−β1ᵗ) · m / (√v/√(1−β2ᵗ) + ε).
                            p[i] -= stepSize * m[i] / (v[i].squareRoot() / rootCorrection2 + eps)
                        }
                    }
                }
            }
        }
    }
}

public enum LearningRateSchedule {
    /// Cosine decay from `start` (at step `warmup`) to `end` (at step `total` and after). During the
    /// optional warm-up the rate rises linearly, start·(step+1)/warmup, so the first step is not wasted at 0
    /// and step warmup−1 already trains at `start`.
    public static func cosine(step: Int, total: Int, start: Double, end: Double, warmup: Int = 0) -> Double {
        if step < warmup { return start * Double(step + 1) / Double(warmup) }
        let span = max(1, total - warmup)
        let progress = min(1, max(0, Double(step - warmup) / Double(span)))
        return end + (start - end) * 0.5 * (1 + cos(Double.pi * progress))
    }
}
