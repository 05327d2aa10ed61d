/// Errors from CellviModel. Messages name the setting or file and a fix.
public enum CellviModelError: Error, CustomStringConvertible, Equatable {
    case invalidConfiguration(String)
    case dataMismatch(String)
    case nonFiniteLoss(epoch: Int, step: Int, detail: String)
    case checkpoint(path: String, detail: String)

    public var description: String {
        switch self {
        case .invalidConfiguration(let s): return "Invalid configuration: \(s)"
        case .dataMismatch(let s): return "Data does not fit the model: \(s)"
        case .nonFiniteLoss(let epoch, let step, let detail):
            return "Training loss became non-finite at epoch \(epoch), step \(step) (\(detail)). Likely causes: "
                + "the matrix holds normalized or log-transformed values instead of raw counts; some cells have "
                + "zero total count (filter them); or the learning rate is too high (try a smaller --learning-rate)."
        case .checkpoint(let path, let detail): return "Checkpoint \(path): \(detail)"
        }
    }
}
