import Basics
import COpenBLAS

/// Errors from LAPACK, mapped once here.
public struct LinearAlgebraError: Error, CustomStringConvertible {
    public let routine: String
    public let info: Int32
    public var description: String {
        info < 0 ? "\(routine): argument \(-info) was invalid (a bug in LatentVJ)"
                 : "\(routine): the computation did not converge (info \(info)); the input may contain NaN or inf"
    }
}

/// Eigen-decomposition of a symmetric matrix (LAPACK dsyevd).
public enum SymmetricEigen {
    /// `matrix` is n × n, row-major (symmetric, so row- and column-major agree).
    /// Returns eigenvalues in ascending order and the eigenvectors as columns of an n × n row-major
    /// matrix: `vectors[i * n + j]` is component i of eigenvector j.
    public static func decompose(_ matrix: [Double], n: Int) throws -> (values: [Double], vectors: [Double]) {
        precondition(matrix.count == n * n)
        guard n > 0 else { return ([], []) }
        guard matrix.allSatisfy(\.isFinite) else { throw LinearAlgebraError(routine: "dsyevd", info: 1) }
        var a = matrix
        var w = [Double](repeating: 0, count: n)
        var jobz = Int8(UInt8(ascii: "V")), uplo = Int8(UInt8(ascii: "U"))
        var nn = Int32(n), lda = Int32(n), info: Int32 = 0
        var lwork: Int32 = -1, liwork: Int32 = -1
        var workQuery = 0.0
        var iworkQuery: Int32 = 0
        dsyevd_(&jobz, &uplo, &nn, &a, &lda, &w, &workQuery, &lwork, &iworkQuery, &liwork, &info)
        guard info == 0 else { throw LinearAlgebraError(routine: "dsyevd", info: info) }
        lwork = Int32(workQuery); liwork = iworkQuery
        var work = [Double](repeating: 0, count: Int(lwork))
        var iwork = [Int32](repeating: 0, count: Int(liwork))
        dsyevd_(&jobz, &uplo, &nn, &a, &lda, &w, &work, &lwork, &iwork, &liwork, &info)
        guard info == 0 else { throw LinearAlgebraError(routine: "dsyevd", info: info) }
        // LAPACK is column-major: column j of `a` (a[j*n ..< j*n+n]) is eigenvector j.
        var vectors = [Double](repeating: 0, count: n * n)
        for j in 0..<n { for i in 0..<n { vectors[i * n + j] = a[j * n + i] } }
        return (w, vectors)
    }
}

/// Facts about the BLAS build, for `latentvj doctor` and benchmarks.
public enum BLAS {
    public static var configuration: String { String(cString: openblas_get_config()) }
    public static func setThreads(_ n: Int) { openblas_set_num_threads(Int32(n)) }
}
