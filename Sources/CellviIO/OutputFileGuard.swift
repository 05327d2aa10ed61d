import Foundation

/// Output-file safety shared by writers: never write over an input, never leave a partial file.
enum OutputFileGuard {
    /// Throws `wouldOverwriteInput` when `output` is (a link to, or the same file as) any of `inputs`.
    static func refuseOverwriting(_ inputs: [String], with output: String) throws {
        let outputURL = canonicalURL(output)
        let outputID = fileIdentity(output)
        for input in inputs {
            let sameFile = outputID != nil && outputID == fileIdentity(input)
            if sameFile || canonicalURL(input) == outputURL {
                throw CellviIOError.wouldOverwriteInput(file: output)
            }
        }
    }

    /// Runs `write` on a temporary path in `path`'s directory (`.<name>.tmp-<pid>`), then renames
    /// it to `path`. On any failure the temporary file is deleted and `path` is left untouched.
    static func writeAtomically(to path: String, _ write: (String) throws -> Void) throws {
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent()
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw CellviIOError.invalid(file: path, key: "/", problem: "the directory \(directory.path) does not exist",
                                        fix: "Create it first (`mkdir -p \(directory.path)`) or choose another output path.")
        }
        let temporary = directory.appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())").path
        TemporaryOutputs.register(temporary)
        defer { TemporaryOutputs.forget(temporary) }
        do {
            try write(temporary)
            guard rename(temporary, path) == 0 else {
                let reason = String(cString: strerror(errno))
                throw CellviIOError.invalid(file: path, key: "/", problem: "could not move the finished file into place (\(reason))",
                                            fix: "Check that the output path is writable and not a directory.")
            }
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw error
        }
    }

    private static func canonicalURL(_ path: String) -> URL {
        URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath()
    }

    /// (device, inode) of an existing file, following links.
    private static func fileIdentity(_ path: String) -> [Int]? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return [Int(info.st_dev), Int(info.st_ino)]
    }
}
