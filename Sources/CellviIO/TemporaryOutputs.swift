import Foundation

/// Temporary files and directories a command is writing (before renaming them into place), so an
/// interrupted run (Ctrl-C, `kill`) can remove them: no partial output survives any exit.
public enum TemporaryOutputs {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var paths: Set<String> = []

    /// Remembers `path` until `forget` (after its rename, or its own cleanup).
    public static func register(_ path: String) { lock.lock(); paths.insert(path); lock.unlock() }

    public static func forget(_ path: String) { lock.lock(); paths.remove(path); lock.unlock() }

    /// Deletes every registered path (files or directories) and forgets them.
    public static func removeAll() {
        lock.lock(); let pending = paths; paths.removeAll(); lock.unlock()
        for path in pending { try? FileManager.default.removeItem(atPath: path) }
    }
}
