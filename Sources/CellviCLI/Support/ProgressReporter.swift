import Foundation

/// Per-epoch progress on stderr: a redrawn bar with loss and ETA on a terminal, else a log line
/// every tenth of the run.
final class ProgressReporter {
    private let total: Int
    private let start = Date()
    private let isTerminal = isatty(STDERR_FILENO) != 0
    private var lastLogged = -1

    init(total: Int) { self.total = max(1, total) }

    func update(done: Int, message: String) {
        let elapsed = Date().timeIntervalSince(start)
        let eta = done > 0 ? elapsed / Double(done) * Double(total - done) : 0
        if isTerminal {
            let width = 24
            let filled = min(width, width * done / total)
            let bar = String(repeating: "=", count: filled) + String(repeating: " ", count: width - filled)
            FileHandle.standardError.write(Data("\r\u{1B}[2Kepoch \(done)/\(total) [\(bar)] \(message) ETA \(Self.duration(eta))".utf8))
            if done == total { FileHandle.standardError.write(Data("\n".utf8)) }
        } else {
            let decile = done * 10 / total
            if decile != lastLogged || done == total {
                lastLogged = decile
                Log.info("epoch \(done)/\(total) \(message) (\(Self.duration(elapsed)) elapsed)")
            }
        }
    }

    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 60 ? "\(s / 60)m\(String(format: "%02d", s % 60))s" : "\(s)s"
    }
}
