import ArgumentParser
import CellviIO
import CellviKernels
import CellviModel
import CellviPerturbation

/// The cells `cellvi predict` works on: raw counts (HVG-selected or aligned to a given model),
/// all-zero cells removed, their log-normalized form, conditions, cell types and batches.
struct PerturbationData {
    var data: AnnData                  // cells and genes used; X = counts
    var counts: CSRMatrix              // (N, G) raw counts
    var logNormalized: CSRMatrix       // (N, G) normalize_total(1e4) + log1p
    var conditions: [String]           // (N)
    var cellTypes: [String]            // (N)
    var batchCodes: [Int32]            // (N)
    var batchCategories: [String]
    var checkpoint: SCVIModel.Checkpoint?          // --model with an NB VAE
    var scgenCheckpoint: ScGenVAE.Checkpoint?      // --model with a scGen VAE
    var shape: [String: AnyEncodable]

    var geneNames: [String] { data.varNames }

    /// The VAE used: a given --model's, else --model-type.
    func modelType(requested: PerturbationModelType) -> PerturbationModelType {
        checkpoint != nil ? .nb : scgenCheckpoint != nil ? .scgen : requested
    }

    /// `requestedType`: --model-type (a given --model decides the type; scgen with an NB model is an error).
    static func prepare(input: String, design: PerturbationDesignOptions, genes: GeneSelectionOptions,
                        modelPath: String?, requestedType: PerturbationModelType) throws -> PerturbationData {
        var data = try SingleCellReader.read(path: input, options: genes.counts.readOptions)
        let inputCells = data.observationCount, inputGenes = data.variableCount
        // Fail on a missing column before any work.
        _ = try obsLabels(data, column: design.conditionKey, file: input, flag: "--condition-key")
        _ = try obsLabels(data, column: design.cellTypeKey, file: input, flag: "--cell-type-key")
        var counts = try genes.counts.counts(in: data, file: input)
        data.x = counts; data.layers = [:]; data.raw = nil
        var checkpoint: SCVIModel.Checkpoint?, scgenCheckpoint: ScGenVAE.Checkpoint?
        if let modelPath {
            // The file's format attribute says which VAE it holds.
            let isScGen = try ScGenVAE.modelFormat(at: modelPath) == ScGenVAE.checkpointFormat
            if isScGen { scgenCheckpoint = try ScGenVAE.load(from: modelPath) } else { checkpoint = try SCVIModel.load(from: modelPath) }
            if !isScGen && requestedType == .scgen {
                throw CLIError.usage("--model-type scgen, but \(modelPath) is an NB VAE (scVI) model; drop --model-type scgen or pass a scGen model.h5.")
            }
            let modelGenes = checkpoint?.geneNames ?? scgenCheckpoint!.geneNames
            let (aligned, _) = try alignGenes(counts, varNames: data.varNames, to: modelGenes, fillMissing: false, file: input)
            var index: [String: Int] = [:]
            for (i, name) in data.varNames.enumerated() where index[name] == nil { index[name] = i }
            data = data.selectingGenes(modelGenes.map { index[$0]! })
            data.x = aligned
            counts = aligned
        } else if let subset = try genes.selectHighlyVariableGenes(in: data, file: input) {
            data = subset.applied(to: data)
            counts = data.x!
            Log.info("selected \(data.variableCount) highly variable genes (seurat_v3)")
        }
        let totals = counts.rowSums()
        let kept = totals.indices.filter { totals[$0] > 0 }
        if kept.count < totals.count {
            Log.warning("removed \(totals.count - kept.count) of \(totals.count) cells with zero total count")
            data = data.selectingCells(kept)
            counts = data.x!
        }
        let conditions = try obsLabels(data, column: design.conditionKey, file: input, flag: "--condition-key")
        let cellTypes = try obsLabels(data, column: design.cellTypeKey, file: input, flag: "--cell-type-key")
        var batchCodes: [Int32], batchCategories: [String]
        if let checkpoint {
            let batches: [String]
            if let key = genes.batch.batchKey {
                let coded = try categoryCodes(data, column: key, file: input, flag: "--batch-key")
                batches = coded.codes.map { coded.categories[Int($0)] }
            } else if checkpoint.batchCategories.count == 1 {
                batches = [String](repeating: checkpoint.batchCategories[0], count: data.observationCount)
            } else {
                throw ValidationError("--model was trained on \(checkpoint.batchCategories.count) batches; pass --batch-key with the obs column that holds them.")
            }
            batchCodes = try checkpoint.batchCodes(for: batches, geneNames: checkpoint.geneNames)
            batchCategories = checkpoint.batchCategories
        } else {
            (batchCodes, batchCategories) = try genes.batch.batches(in: data, file: input)
        }
        let shape: [String: AnyEncodable] = [
            "input_cells": AnyEncodable(inputCells), "input_genes": AnyEncodable(inputGenes),
            "cells": AnyEncodable(counts.rowCount), "genes": AnyEncodable(counts.columnCount),
            "zero_cells_removed": AnyEncodable(inputCells - kept.count), "batches": AnyEncodable(batchCategories),
        ]
        return PerturbationData(data: data, counts: counts, logNormalized: LogNormalization.apply(counts), conditions: conditions,
                                cellTypes: cellTypes, batchCodes: batchCodes, batchCategories: batchCategories,
                                checkpoint: checkpoint, scgenCheckpoint: scgenCheckpoint, shape: shape)
    }
}
