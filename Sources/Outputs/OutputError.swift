/// Why an output could not start or stopped: its name and the reason, in words a VJ can act on.
public struct OutputError: Error, CustomStringConvertible, Equatable {
    public let output: String
    public let reason: String
    public init(_ output: String, _ reason: String) { self.output = output; self.reason = reason }
    public var description: String { "output \(output): \(reason)" }
}
