import COpenBLAS

/// C = op(A) · op(B) + beta · C in double precision, row-major (BLAS dgemm): the small dense products
/// of training and optimisation, where float rounding would swamp finite-difference checks.
public enum DoubleGEMM {
    /// - Parameters: m × n result; k the inner dimension; `transposeA`: A is stored k × m; `transposeB`: B is stored n × k.
    public static func multiply(m: Int, n: Int, k: Int,
                                _ a: UnsafePointer<Double>, transposeA: Bool = false,
                                _ b: UnsafePointer<Double>, transposeB: Bool = false,
                                into c: UnsafeMutablePointer<Double>, beta: Double = 0, alpha: Double = 1) {
        guard m > 0, n > 0 else { return }
        cblas_dgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                    blasint(m), blasint(n), blasint(k), alpha,
                    a, blasint(transposeA ? m : k), b, blasint(transposeB ? k : n), beta, c, blasint(n))
    }
}
