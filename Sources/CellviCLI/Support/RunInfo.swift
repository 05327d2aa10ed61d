import Foundation

/// The `run_info.json` record every output directory gets: command, version, seed, resolved
/// settings, data shape and results (final losses, metrics).
struct RunInfo: Encodable {
    var command: [String] = CommandLine.arguments
    var version = CellviVersion.string
    var started = ISO8601DateFormatter().string(from: Date())
    var seconds: Double = 0
    var seed: UInt64?
    var threads: Int?
    var input: String
    var settings: [String: AnyEncodable] = [:]
    var data: [String: AnyEncodable] = [:]
    var results: [String: AnyEncodable] = [:]

    init(input: String, seed: UInt64?, threads: Int?) {
        self.input = input; self.seed = seed; self.threads = threads
    }

    func write(to path: String) throws {
        try Data((try JSONOutput.string(self) + "\n").utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}

/// Any Encodable value, so run records can hold configurations, numbers and strings side by side.
struct AnyEncodable: Encodable {
    private let encodeValue: (Encoder) throws -> Void
    init<T: Encodable>(_ value: T) { encodeValue = value.encode }
    func encode(to encoder: Encoder) throws { try encodeValue(encoder) }
}
