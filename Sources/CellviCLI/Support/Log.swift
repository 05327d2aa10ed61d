import Foundation

/// Logs go to stderr; data goes to files.
enum Log {
    static func info(_ message: String) {
        FileHandle.standardError.write(Data(("cellvi: " + message + "\n").utf8))
    }

    static func warning(_ message: String) {
        FileHandle.standardError.write(Data(("cellvi: warning: " + message + "\n").utf8))
    }
}
