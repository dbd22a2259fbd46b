/// Named blocks of columns in a flat feature row (e.g. the 12 chroma columns): the one description that
/// extractors write rows by, and that correlators and exports read them by.
public struct ColumnLayout: Sendable {
    public let columns: [(name: String, dims: Int)]
    public let width: Int
    /// Each name with its column range, in order.
    public let blocks: [(name: String, columns: Range<Int>)]

    public init(_ columns: [(name: String, dims: Int)]) {
        self.columns = columns
        var blocks = [(name: String, columns: Range<Int>)](), offset = 0
        for c in columns { blocks.append((c.name, offset..<(offset + c.dims))); offset += c.dims }
        self.blocks = blocks
        width = offset
    }

    /// Offset of a named block within a row.
    public func offset(of name: String) -> Int? { blocks.first { $0.name == name }?.columns.lowerBound }
}
