import ArgumentParser
import CellviIO
import Foundation

/// `cellvi inspect FILE [--json]`: what a user checks before training.
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show a file's shape, where its counts are, its obs/var columns, layers and obsm.",
        discussion: "Reads .h5ad (any anndata layout), 10x Cell Ranger .h5 and 10x MatrixMarket folders.")

    @Argument(help: "An .h5ad file, a 10x .h5 file or a 10x MatrixMarket folder.")
    var file: String

    @Flag(help: "Print one JSON object instead of a table.")
    var json = false

    func run() throws {
        let summary = try SingleCellReader.summarize(path: file)
        if json {
            print(try JSONOutput.string(summary))
        } else {
            print(InspectReport(summary).text, terminator: "")
        }
    }
}
