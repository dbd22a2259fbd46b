import COpenBLAS

/// Row-major single-precision BLAS calls, so that the rest of the code never spells out CBLAS enums.
public enum Matrix {
    /// C[m×n] = alpha · A[m×k] · B[k×n] + beta · C (all row-major, leading dimensions as given).
    @inline(__always)
    public static func multiply(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                                c: UnsafeMutablePointer<Float>, ldc: Int, alpha: Float = 1, beta: Float = 0,
                                transposeA: Bool = false, transposeB: Bool = false) {
        cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                    blasint(m), blasint(n), blasint(k), alpha, a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc))
    }

    /// y[m] = alpha · A[m×n] · x[n] + beta · y (row-major A).
    @inline(__always)
    public static func multiplyVector(m: Int, n: Int, a: UnsafePointer<Float>, x: UnsafePointer<Float>,
                                      y: UnsafeMutablePointer<Float>, alpha: Float = 1, beta: Float = 0) {
        cblas_sgemv(CblasRowMajor, CblasNoTrans, blasint(m), blasint(n), alpha, a, blasint(n), x, 1, beta, y, 1)
    }
}
