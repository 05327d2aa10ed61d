import CellviIO
import CellviKernels
import CellviModel

/// `latent.csv`: a `cell` column of obs names, then one column per latent dimension.
enum LatentOutput {
    static func writeCSV(_ latent: Matrix, cells: [String], to path: String) throws {
        let names = (0..<latent.columns).map { "latent_\($0)" }
        try CSVWriter.write(latent, rowIds: cells, columnNames: names, idColumnName: "cell", to: path)
    }
}

/// `history.csv` and the final losses recorded in `run_info.json`.
enum HistoryOutput {
    static let columns = ["epoch", "kl_weight", "train_loss", "elbo_train", "elbo_validation", "reconstruction_validation",
                          "kl_validation", "seconds", "core_round_trip_ns"]

    static func writeCSV(_ history: TrainingHistory, to path: String) throws {
        func cell(_ value: Double?) -> String { value.map { String($0) } ?? "" }
        var lines = [columns.joined(separator: ",")]
        for e in history.epochs {
            lines.append([String(e.epoch), String(e.klWeight), cell(e.trainLoss), cell(e.elboTrain), cell(e.elboValidation),
                          cell(e.reconstructionValidation), cell(e.klValidation), cell(e.seconds),
                          e.coreRoundTripNanoseconds.map { String(Int($0.rounded())) } ?? ""].joined(separator: ","))
        }
        try TextOutput.write(lines.joined(separator: "\n") + "\n", to: path)
    }

    static func finalLosses(_ history: TrainingHistory) -> [String: AnyEncodable] {
        guard let last = history.epochs.last else { return [:] }
        return ["epochs_run": AnyEncodable(history.epochs.count), "stopped_early": AnyEncodable(history.stoppedEarly),
                "train_loss": AnyEncodable(last.trainLoss), "elbo_train": AnyEncodable(last.elboTrain),
                "elbo_validation": AnyEncodable(last.elboValidation), "reconstruction_validation": AnyEncodable(last.reconstructionValidation),
                "kl_validation": AnyEncodable(last.klValidation),
                "seconds_per_epoch": AnyEncodable(history.epochs.map(\.seconds).reduce(0, +) / Double(history.epochs.count))]
    }
}
