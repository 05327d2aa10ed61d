/// Errors raised by CellviMetrics; each message names the input at fault and a fix.
public enum MetricsError: Error, CustomStringConvertible, Equatable {
    case lengthMismatch(what: String, expected: Int, got: Int)
    case tooFewCells(needed: Int, got: Int)
    case invalidParameter(String)

    public var description: String {
        switch self {
        case let .lengthMismatch(what, expected, got):
            return "\(what) has \(got) entries but the embedding has \(expected) rows; pass one entry per cell."
        case let .tooFewCells(needed, got):
            return "need at least \(needed) cells, got \(got); use a larger dataset or fewer neighbours."
        case let .invalidParameter(message):
            return message
        }
    }
}
