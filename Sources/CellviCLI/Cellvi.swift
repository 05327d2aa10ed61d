import ArgumentParser

/// The `cellvi` command: single-cell variational inference from the command line.
@main
struct Cellvi: ParsableCommand {
    static func main() {
        InterruptCleanup.install()
        main(nil)
    }

    static let configuration = CommandConfiguration(
        commandName: "cellvi",
        abstract: "scVI-style single-cell models, perturbation prediction and metrics on .h5ad and 10x files.",
        version: CellviVersion.string,
        subcommands: [
            InspectCommand.self, ConvertCommand.self, TrainCommand.self, EmbedCommand.self, NormalizeCommand.self,
            ElboCommand.self, SampleCommand.self, PredictCommand.self, EvaluateCommand.self, ClusterCommand.self,
        ])
}

enum CellviVersion {
    static let string = "0.1.0"
}
