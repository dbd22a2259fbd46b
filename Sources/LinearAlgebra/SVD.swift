import COpenBLAS

/// Singular value decomposition (LAPACK dgesdd), double precision: the correlation matrices are small
/// and their answers are compared against NumPy to 1e-9.
public enum SVD {
    public struct Thin {
        /// Singular values, descending.
        public let values: [Double]
        /// Left singular vectors: rows × k, row-major (k = min(rows, cols)).
        public let u: [Double]
        public let k: Int
    }

    /// Singular values only of a rows × cols row-major matrix.
    public static func singularValues(_ matrix: [Double], rows: Int, cols: Int) throws -> [Double] {
        try decompose(matrix, rows: rows, cols: cols, wantU: false).values
    }

    /// Singular values and left singular vectors.
    public static func thin(_ matrix: [Double], rows: Int, cols: Int) throws -> Thin {
        try decompose(matrix, rows: rows, cols: cols, wantU: true)
    }

    private static func decompose(_ matrix: [Double], rows: Int, cols: Int, wantU: Bool) throws -> Thin {
        precondition(matrix.count == rows * cols)
        let k = min(rows, cols)
        guard k > 0 else { return Thin(values: [], u: [], k: 0) }
        guard matrix.allSatisfy(\.isFinite) else { throw LinearAlgebraError(routine: "dgesdd", info: 1) }
        // LAPACK is column-major: our row-major rows × cols matrix is its cols × rows transpose, Mᵀ.
        // The SVD of Mᵀ = V S Uᵀ, so LAPACK's right singular vectors (VT of Mᵀ) are our U, transposed.
        var a = matrix
        var m = Int32(cols), n = Int32(rows), lda = Int32(cols)
        var s = [Double](repeating: 0, count: k)
        var jobz = Int8(UInt8(ascii: wantU ? "S" : "N"))
        var uT = [Double](repeating: 0, count: wantU ? cols * k : 1)      // LAPACK's U of Mᵀ (cols × k): unused
        var vT = [Double](repeating: 0, count: wantU ? k * rows : 1)      // LAPACK's VT of Mᵀ (k × rows)
        var ldu = Int32(max(1, cols)), ldvt = Int32(max(1, k))
        var iwork = [Int32](repeating: 0, count: 8 * k)
        var info: Int32 = 0
        var lwork: Int32 = -1
        var query = 0.0
        dgesdd_(&jobz, &m, &n, &a, &lda, &s, &uT, &ldu, &vT, &ldvt, &query, &lwork, &iwork, &info)
        guard info == 0 else { throw LinearAlgebraError(routine: "dgesdd", info: info) }
        lwork = Int32(query)
        var work = [Double](repeating: 0, count: Int(lwork))
        dgesdd_(&jobz, &m, &n, &a, &lda, &s, &uT, &ldu, &vT, &ldvt, &work, &lwork, &iwork, &info)
        guard info == 0 else { throw LinearAlgebraError(routine: "dgesdd", info: info) }
        guard wantU else { return Thin(values: s, u: [], k: k) }
        // vT is column-major k × rows: element (j, i) at vT[i * k + j] is component i of our U's column j.
        var u = [Double](repeating: 0, count: rows * k)
        for i in 0..<rows { for j in 0..<k { u[i * k + j] = vT[i * k + j] } }
        return Thin(values: s, u: u, k: k)
    }
}
