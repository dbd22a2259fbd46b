import Basics
import Foundation
import LinearAlgebra

/// The matrix correlations of thesis section 3.3 between a T × a audio matrix and a T × v video matrix.
public enum MatrixCorrelation: String, CaseIterable, Sendable {
    /// Orthogonal Procrustes, as the thesis computes it (the metric LatentVJ reports by default).
    case procrustes = "op"
    /// Orthogonal Procrustes after scaling every feature block to unit norm (the live readout's metric).
    case balancedProcrustes = "op_balanced"
    /// The RV coefficient.
    case rv
    /// The adjusted RV coefficient (thesis Eq. 3.1).
    case adjustedRV = "rv_adjusted"
    /// Subspace match index with PCA subspaces (thesis Eq. 3.4).
    case smi
    /// Projection-weighted CCA (thesis Eq. 3.2).
    case pwcca

    public var title: String {
        switch self {
        case .procrustes: return "orthogonal Procrustes (thesis)"
        case .balancedProcrustes: return "orthogonal Procrustes, balanced blocks"
        case .rv: return "RV"
        case .adjustedRV: return "adjusted RV"
        case .smi: return "SMI"
        case .pwcca: return "PWCCA"
        }
    }
}

public struct CorrelationError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

extension MatrixCorrelation {
    /// The correlation of `a` and `v` (same number of rows). Inputs without variance (constant
    /// columns only, or T = 1) give 0: nothing moves, so nothing moves together. NaN or infinity in
    /// the input is an error, never a silent NaN.
    public func compute(_ a: FeatureMatrix, _ v: FeatureMatrix) throws -> Double {
        guard a.rows == v.rows else { throw CorrelationError(message: "the audio has \(a.rows) frames and the video \(v.rows)") }
        guard a.values.allSatisfy(\.isFinite) else { throw CorrelationError(message: "the audio features contain NaN or infinity") }
        guard v.values.allSatisfy(\.isFinite) else { throw CorrelationError(message: "the video features contain NaN or infinity") }
        var ca = a.centred(), cv = v.centred()
        if self == .balancedProcrustes { ca = ca.blockBalanced(); cv = cv.blockBalanced() }
        let na = ca.frobeniusNorm, nv = cv.frobeniusNorm
        guard na > 1e-12 * max(1, Double(a.rows)).squareRoot(), nv > 1e-12 * max(1, Double(v.rows)).squareRoot() else { return 0 }
        switch self {
        case .procrustes, .balancedProcrustes:
            let x = ca.scaled(1 / na), y = cv.scaled(1 / nv)
            let s = try SVD.singularValues(x.transposeTimes(y), rows: x.cols, cols: y.cols)
            return min(1, s.reduce(0, +))
        case .rv, .adjustedRV:
            return rv(ca, cv, adjusted: self == .adjustedRV)
        case .smi:
            return try smi(ca, cv)
        case .pwcca:
            return try pwcca(ca, cv)
        }
    }

    /// tr(XY) / sqrt(tr(X²) tr(Y²)) with X = AAᵀ, Y = VVᵀ, computed through the small d × d products;
    /// adjusted: the diagonals of X and Y set to zero, absolute value.
    func rv(_ a: FeatureMatrix, _ v: FeatureMatrix, adjusted: Bool) -> Double {
        func squaredNorm(_ m: [Double]) -> Double { m.reduce(0) { $0 + $1 * $1 } }
        var xy = squaredNorm(a.transposeTimes(v))         // tr(AAᵀVVᵀ) = ‖AᵀV‖²
        var xx = squaredNorm(a.transposeTimes(a)), yy = squaredNorm(v.transposeTimes(v))
        if adjusted {
            for t in 0..<a.rows {
                var ra = 0.0, rv = 0.0
                for c in 0..<a.cols { ra += a.values[t * a.cols + c] * a.values[t * a.cols + c] }
                for c in 0..<v.cols { rv += v.values[t * v.cols + c] * v.values[t * v.cols + c] }
                xy -= ra * rv; xx -= ra * ra; yy -= rv * rv
            }
        }
        guard xx > 0, yy > 0 else { return 0 }
        let value = xy / (xx * yy).squareRoot()
        return adjusted ? abs(value) : value
    }

    /// Orthonormal basis of the column space (left singular vectors above a relative tolerance).
    static func basis(_ m: FeatureMatrix) throws -> (u: [Double], rank: Int, k: Int) {
        let svd = try SVD.thin(m.values, rows: m.rows, cols: m.cols)
        let tolerance = (svd.values.first ?? 0) * Double(max(m.rows, m.cols)) * 1e-12
        let rank = svd.values.filter { $0 > tolerance }.count
        return (svd.u, rank, svd.k)
    }

    /// Columns 0..<r of a rows × k row-major matrix.
    static func leading(_ u: [Double], rows: Int, k: Int, r: Int) -> FeatureMatrix {
        var out = [Double](repeating: 0, count: rows * r)
        for i in 0..<rows { for j in 0..<r { out[i * r + j] = u[i * k + j] } }
        return FeatureMatrix(rows: rows, cols: r, values: out)
    }

    /// Mean of the squared singular values of U_Aᵀ U_V over the first r = min(rank A, rank V) principal directions.
    func smi(_ a: FeatureMatrix, _ v: FeatureMatrix) throws -> Double {
        let ba = try Self.basis(a), bv = try Self.basis(v)
        let r = min(ba.rank, bv.rank)
        guard r > 0 else { return 0 }
        let ua = Self.leading(ba.u, rows: a.rows, k: ba.k, r: r), uv = Self.leading(bv.u, rows: v.rows, k: bv.k, r: r)
        let s = try SVD.singularValues(ua.transposeTimes(uv), rows: r, cols: r)
        return s.reduce(0) { $0 + $1 * $1 } / Double(r)
    }

    /// CCA through the SVD of U_Aᵀ U_V (whitened cross-covariance); canonical correlations weighted by how
    /// much of A each canonical direction accounts for: α_i = Σ_j |⟨h_i, a_j⟩|, h_i the i-th canonical
    /// variate of A.
    func pwcca(_ a: FeatureMatrix, _ v: FeatureMatrix) throws -> Double {
        guard a.rows >= a.cols, v.rows >= v.cols else {
            throw CorrelationError(message: "PWCCA needs at least as many frames as features (have \(a.rows) frames for \(a.cols) audio and \(v.cols) video features)")
        }
        let ba = try Self.basis(a), bv = try Self.basis(v)
        guard ba.rank > 0, bv.rank > 0 else { return 0 }
        let ua = Self.leading(ba.u, rows: a.rows, k: ba.k, r: ba.rank), uv = Self.leading(bv.u, rows: v.rows, k: bv.k, r: bv.rank)
        let cross = ua.transposeTimes(uv)                        // rankA × rankV
        let svd = try SVD.thin(cross, rows: ba.rank, cols: bv.rank)
        let count = min(ba.rank, bv.rank)
        // Canonical variates of A: H = U_A · P (T × count), P the left singular vectors of the cross matrix.
        var weights = [Double](repeating: 0, count: count)
        for i in 0..<count {
            var h = [Double](repeating: 0, count: a.rows)
            for t in 0..<a.rows {
                var acc = 0.0
                for q in 0..<ba.rank { acc += ua.values[t * ba.rank + q] * svd.u[q * svd.k + i] }
                h[t] = acc
            }
            for c in 0..<a.cols {
                var dot = 0.0
                for t in 0..<a.rows { dot += h[t] * a.values[t * a.cols + c] }
                weights[i] += abs(dot)
            }
        }
        let total = weights.reduce(0, +)
        guard total > 0 else { return 0 }
        return zip(weights, svd.values.prefix(count)).reduce(0) { $0 + $1.0 * min(1, $1.1) } / total
    }
}
