import Foundation
import TestSupport
import XCTest

/// A scratch folder per test case, removed afterwards.
final class ScratchFolder {
    let path: String
    init() {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("lvj-test-\(UUID().uuidString)").path
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
    func file(_ name: String) -> String { "\(path)/\(name)" }
    func write(_ name: String, _ data: Data) -> String {
        let p = file(name)
        try! data.write(to: URL(fileURLWithPath: p))
        return p
    }
}

/// Runs a program to completion; returns its exit status and standard error.
@discardableResult
func runTool(_ tool: String, _ args: [String]) throws -> (status: Int32, stderr: String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = [tool] + args
    p.standardInput = FileHandle.nullDevice
    p.standardOutput = FileHandle.nullDevice
    let err = Pipe()
    p.standardError = err
    try p.run()
    let data = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: data, as: UTF8.self))
}

/// Little-endian byte building for hand-made headers.
struct Bytes {
    var data = Data()
    mutating func ascii(_ s: String) { data.append(contentsOf: Array(s.utf8)) }
    mutating func u16(_ v: UInt16) { withUnsafeBytes(of: v.littleEndian) { data.append(contentsOf: $0) } }
    mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { data.append(contentsOf: $0) } }
    mutating func raw(_ b: [UInt8]) { data.append(contentsOf: b) }
}
