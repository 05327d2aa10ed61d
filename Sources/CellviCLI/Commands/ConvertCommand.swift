import ArgumentParser
import CellviIO
import Foundation

/// `cellvi convert INPUT OUTPUT.h5ad`: any supported input to a current-layout `.h5ad`.
struct ConvertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Convert a 10x .h5, a 10x MatrixMarket folder or any .h5ad (legacy layouts too) to a current .h5ad.",
        discussion: """
            Barcodes become the obs index, gene names the var index (made unique as scanpy does) with gene ids \
            in var["gene_ids"]; every obs column, layer, obsm entry and uns scalar is kept. With --n-top-genes, \
            only the highly variable genes (scanpy's seurat_v3 flavour on raw counts) are written.
            """)

    @Argument(help: "An .h5ad file, a 10x .h5 file or a 10x MatrixMarket folder.")
    var input: String

    @Argument(help: "The .h5ad file to write (never the input).")
    var output: String

    @OptionGroup var genes: GeneSelectionOptions

    func validate() throws {
        guard output.hasSuffix(".h5ad") else {
            throw ValidationError("OUTPUT must end in .h5ad (got '\(output)').")
        }
        try genes.validate()
    }

    func run() throws {
        var data = try SingleCellReader.read(path: input)
        Log.info("read \(input): \(data.observationCount) cells × \(data.variableCount) genes")
        if let selection = try genes.selectHighlyVariableGenes(in: data, file: input) {
            data = selection.applied(to: data)
            Log.info("kept the \(data.variableCount) most highly variable genes (seurat_v3)")
        }
        try H5ADWriter.write(data, to: output, protecting: [input])
        Log.info("wrote \(output)")
    }
}
