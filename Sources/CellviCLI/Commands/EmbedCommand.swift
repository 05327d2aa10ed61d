import ArgumentParser
import CellviIO
import Foundation

/// `cellvi embed MODEL INPUT -o OUT.csv|OUT.h5ad`: latent posterior means for any cells.
struct EmbedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embed",
        abstract: "Latent representation (posterior means) of the cells of INPUT under a trained model.",
        discussion: "Genes are matched by name; unknown batch categories are an error. OUT.h5ad gets INPUT's cells and obs with obsm[\"X_scVI\"].")

    @OptionGroup var source: ModelInputOptions

    @Option(name: .shortAndLong, help: ArgumentHelp("Output file: .csv (cell, latent_0, …) or .h5ad.", valueName: "file"))
    var output: String

    func validate() throws {
        guard output.hasSuffix(".csv") || output.hasSuffix(".h5ad") else {
            throw ValidationError("-o must end in .csv or .h5ad (got '\(output)').")
        }
    }

    func run() throws {
        let (checkpoint, data, counts, codes) = try source.load()
        let latent = try checkpoint.model.latentMeans(counts: counts, batchCodes: codes)
        if output.hasSuffix(".csv") {
            try CSVWriter.write(latent, rowIds: data.obsNames, columnNames: (0..<latent.columns).map { "latent_\($0)" },
                                idColumnName: "cell", to: output, refusingToOverwrite: [source.input, source.model])
        } else {
            var annotated = AnnData(obs: data.obs, vars: DataFrame(index: checkpoint.geneNames), x: counts)
            annotated.obsm = data.obsm
            annotated.obsm["X_scVI"] = latent
            try H5ADWriter.write(annotated, to: output, protecting: [source.input, source.model])
        }
        Log.info("wrote the \(latent.columns)-dimensional latent of \(latent.rows) cells to \(output)")
    }
}
