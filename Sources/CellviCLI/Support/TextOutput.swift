import Foundation

/// Writes small text files atomically (temporary file renamed into place).
enum TextOutput {
    static func write(_ text: String, to path: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}
