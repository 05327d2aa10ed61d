import ArgumentParser
import CellviIO
import CellviKernels

/// The counts a model trains on: read, checked, HVG-selected and with all-zero cells removed.
struct TrainingData {
    var data: AnnData                    // the cells and genes used; X not yet replaced
    var counts: CSRMatrix                // (cells, genes) raw counts
    var batchCodes: [Int32]              // (cells)
    var batchCategories: [String]
    var geneNames: [String]
    var settings: [String: AnyEncodable]
    var shape: [String: AnyEncodable]

    static func prepare(input: String, genes: GeneSelectionOptions, labelsKey: String?) throws -> TrainingData {
        var data = try SingleCellReader.read(path: input, options: genes.counts.readOptions)
        let inputCells = data.observationCount, inputGenes = data.variableCount
        if let labelsKey, data.obs[labelsKey] == nil {
            throw CellviIOError.missingKey(file: input, key: "obs/\(labelsKey)", available: data.obs.columnNames,
                                           fix: "Pass one of the obs columns to --labels-key.")
        }
        var counts = try genes.counts.counts(in: data, file: input)
        _ = try genes.batch.batches(in: data, file: input)  // fail early on a missing batch column
        data.x = counts
        data.layers = [:]
        data.raw = nil
        if let subset = try genes.selectHighlyVariableGenes(in: data, file: input) {
            data = subset.applied(to: data)
            counts = data.x!
            Log.info("selected \(data.variableCount) highly variable genes (seurat_v3\(genes.batch.batchKey.map { ", batch key \($0)" } ?? ""))")
        }
        let totals = counts.rowSums()
        let kept = totals.indices.filter { totals[$0] > 0 }
        if kept.count < totals.count {
            Log.warning("removed \(totals.count - kept.count) of \(totals.count) cells with zero total count"
                + (genes.nTopGenes != nil ? " over the selected genes" : ""))
            data = data.selectingCells(kept)
            counts = data.x!
        }
        guard counts.rowCount >= 3 else {
            throw CellviIOError.invalid(file: input, key: genes.counts.layer, problem: "only \(counts.rowCount) cells with non-zero counts",
                                        fix: "Train on a file with more cells.")
        }
        let (codes, categories) = try genes.batch.batches(in: data, file: input)
        let settings: [String: AnyEncodable] = [
            "layer": AnyEncodable(genes.counts.layer), "batch_key": AnyEncodable(genes.batch.batchKey),
            "labels_key": AnyEncodable(labelsKey), "n_top_genes": AnyEncodable(genes.nTopGenes),
        ]
        let shape: [String: AnyEncodable] = [
            "input_cells": AnyEncodable(inputCells), "input_genes": AnyEncodable(inputGenes),
            "cells": AnyEncodable(counts.rowCount), "genes": AnyEncodable(counts.columnCount),
            "zero_cells_removed": AnyEncodable(inputCells - kept.count), "nnz": AnyEncodable(counts.nonZeroCount),
            "batches": AnyEncodable(categories),
        ]
        return TrainingData(data: data, counts: counts, batchCodes: codes, batchCategories: categories,
                            geneNames: data.varNames, settings: settings, shape: shape)
    }
}
