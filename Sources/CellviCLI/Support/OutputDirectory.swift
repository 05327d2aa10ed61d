import CellviIO
import Foundation

/// Stages a command's output files in a hidden sibling directory and moves them into the output
/// directory only when the command succeeds, so a failed or interrupted run (`InterruptCleanup`)
/// leaves no partial output.
final class OutputDirectory {
    let destination: URL
    let staging: URL
    private var committed = false

    init(_ path: String, inputs: [String]) throws {
        destination = URL(fileURLWithPath: path).standardizedFileURL
        for input in inputs where URL(fileURLWithPath: input).standardizedFileURL.path == destination.path {
            throw CLIError.usage("-o \(path) is an input; choose a new output directory.")
        }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: destination.path, isDirectory: &isDirectory), !isDirectory.boolValue {
            throw CLIError.usage("-o \(path) exists and is a file; give a directory.")
        }
        let parent = destination.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: parent, withIntermediateDirectories: true)
        staging = parent.appendingPathComponent(".\(destination.lastPathComponent).partial-\(getpid())")
        try? FileManager.default.removeItem(at: staging)
        TemporaryOutputs.register(staging.path)
        try FileManager.default.createDirectory(at: staging, withIntermediateDirectories: true)
    }

    deinit {
        if !committed { try? FileManager.default.removeItem(at: staging) }
        TemporaryOutputs.forget(staging.path)
    }

    /// Where to write `name` while the command runs.
    func path(_ name: String) -> String { staging.appendingPathComponent(name).path }

    /// Moves every staged file into the destination (replacing files of the same name).
    func commit() throws {
        try FileManager.default.createDirectory(at: destination, withIntermediateDirectories: true)
        for name in try FileManager.default.contentsOfDirectory(atPath: staging.path) {
            let target = destination.appendingPathComponent(name)
            if rename(staging.appendingPathComponent(name).path, target.path) != 0 {
                throw CLIError.usage("could not move \(name) into \(destination.path): \(String(cString: strerror(errno)))")
            }
        }
        try FileManager.default.removeItem(at: staging)
        committed = true
    }
}

/// Errors the CLI raises itself.
enum CLIError: Error, CustomStringConvertible {
    case usage(String)
    var description: String {
        switch self { case .usage(let message): return message }
    }
}
