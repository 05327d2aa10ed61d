/// Errors from CellviPerturbation. Messages name the flag or key and a fix.
public enum PerturbationError: Error, CustomStringConvertible, Equatable {
    /// The conditions, cell types or target do not allow the requested prediction.
    case invalidDesign(String)
    /// A model setting or training setting is out of range.
    case invalidConfiguration(String)
    /// Training produced a non-finite loss.
    case nonFiniteLoss(epoch: Int, detail: String)
    /// A scGen model file could not be written or read.
    case checkpoint(path: String, detail: String)

    public var description: String {
        switch self {
        case .invalidDesign(let s): return s
        case .invalidConfiguration(let s): return "Invalid configuration: \(s)"
        case .nonFiniteLoss(let epoch, let detail):
            return "scGen training loss became non-finite at epoch \(epoch) (\(detail)); try a smaller --learning-rate."
        case .checkpoint(let path, let detail): return "\(path): \(detail)"
        }
    }
}
