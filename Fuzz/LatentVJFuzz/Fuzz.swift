import Foundation
import FuzzTargets

// Built with -sanitize=fuzzer -DFUZZING (scripts/fuzz.sh), main hands over to libFuzzer's driver, which calls
// `fuzzOne` with inputs for the target named by LVJ_FUZZ_TARGET. Built normally, `latentvj-fuzz TARGET
// FILE...` runs files through the target once (to reproduce a crash), and `latentvj-fuzz seeds TARGET DIR`
// writes the made seed inputs.

let target = ProcessInfo.processInfo.environment["LVJ_FUZZ_TARGET"] ?? "wav"

func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    FuzzTargets.run(target, UnsafeRawBufferPointer(start: data, count: size))
    return 0
}

#if FUZZING
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<Int32>,
                         _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> Int32) -> Int32

@main
struct FuzzMain {
    static func main() {
        guard FuzzTargets.all.contains(target) else { FileHandle.standardError.write("LVJ_FUZZ_TARGET: unknown target \(target)\n"); exit(64) }
        var argc = CommandLine.argc
        var argv = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzOne(data, size) })
    }
}
#else
@main
struct FuzzReplay {
    static func main() {
        let args = Array(CommandLine.arguments.dropFirst())
        if args.count == 3, args[0] == "seeds" {
            do {
                for (i, seed) in try FuzzTargets.madeSeeds(args[1]).enumerated() {
                    try seed.write(to: URL(fileURLWithPath: "\(args[2])/made-\(i)"))
                }
            } catch { FileHandle.standardError.write("seeds for \(args[1]): \(error)\n"); exit(1) }
            return
        }
        guard let name = args.first, FuzzTargets.all.contains(name) else {
            FileHandle.standardError.write("usage: latentvj-fuzz TARGET FILE... | latentvj-fuzz seeds TARGET DIR   targets: \(FuzzTargets.all.joined(separator: ", "))\n")
            exit(64)
        }
        for file in args.dropFirst() {
            guard let data = FileManager.default.contents(atPath: file) else { print("\(file): cannot be read"); continue }
            data.withUnsafeBytes { FuzzTargets.run(name, $0) }
            print("\(file): ok")
        }
    }
}
#endif
