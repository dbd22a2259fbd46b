import Foundation

/// Files shipped with LatentVJ (presets, mappings), found next to the checkout or install.
public enum ShippedFiles {
    public static func locate(_ relative: String) throws -> String {
        var candidates = [String]()
        if let home = ProcessInfo.processInfo.environment["LATENTVJ_HOME"] { candidates.append(home + "/" + relative) }
        candidates.append(FileManager.default.currentDirectoryPath + "/" + relative)
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for up in 0...4 {
            var url = executable
            for _ in 0..<up { url = url.deletingLastPathComponent() }
            candidates.append(url.appendingPathComponent(relative).path)
        }
        guard let found = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }) else {
            throw FileError(relative, "is not installed next to latentvj (looked in \(candidates.prefix(3).joined(separator: ", ")), …; set LATENTVJ_HOME to the LatentVJ folder)")
        }
        return found
    }
}
