import Foundation
import Live

/// What `latentvj live` tells: a line for people on standard error, always; with `--json`, also one
/// JSON object a line on standard output for scripts and tests (schema: Docs/live-events.md), so no
/// program has to read the people's text.
struct LiveEvents {
    let json: Bool

    func emit(_ event: String, _ fields: [String: Any]) {
        guard json else { return }
        var object = fields
        object["event"] = event
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else { return }
        FileHandle.standardOutput.write(data + Data("\n".utf8))
    }

    func print(_ event: EngineEvent) {
        FileHandle.standardError.write(event.text + "\n")
        let (name, fields) = event.json
        emit(name, fields)
    }

    /// The end of the show. Without --json the summary line goes to standard output, as it always has.
    func summary(_ summary: EngineSummary) {
        if json { FileHandle.standardError.write(summary.text + "\n") } else { Swift.print(summary.text) }
        emit("summary", summary.json)
    }
}
