import CellviHDF5
import CellviKernels
import Foundation

/// `model.h5` layout (format version 1):
///   /            attrs format = "cellvi-scvi", format_version = 1
///   configuration            scalar string, JSON of `SCVIConfiguration`
///   training_history         scalar string, JSON of `TrainingHistory`
///   gene_names, batch_categories   string arrays
///   library_log_means, library_log_vars   (K) float32
///   parameters/<scvi name>   float32 in PyTorch shape ([out, in] for Linear weights)
///   state/<scvi name>        BatchNorm running means and variances
extension SCVIModel {
    public static let checkpointFormat = "cellvi-scvi"
    public static let checkpointVersion: Int64 = 1

    /// Writes the checkpoint to a temporary file beside `path`, then renames it into place.
    public func save(to path: String, geneNames: [String], batchCategories: [String]) throws {
        let c = configuration
        guard geneNames.count == c.geneCount else {
            throw CellviModelError.checkpoint(path: path, detail: "\(geneNames.count) gene names for a model of \(c.geneCount) genes.")
        }
        guard batchCategories.count == c.batchCount else {
            throw CellviModelError.checkpoint(path: path, detail: "\(batchCategories.count) batch categories for a model of \(c.batchCount) batches.")
        }
        let tmp = path + ".tmp-\(ProcessInfo.processInfo.processIdentifier)"
        do {
            let encoder = JSONEncoder(); encoder.outputFormatting = [.sortedKeys]
            try closingHandles {
                let file = try HDF5File.create(path: tmp)
                let root = try file.root
                try root.setAttribute("format", .string(Self.checkpointFormat))
                try root.setAttribute("format_version", .int(Self.checkpointVersion))
                try root.writeStrings("configuration", [String(decoding: try encoder.encode(c), as: UTF8.self)], scalar: true)
                try root.writeStrings("training_history", [String(decoding: try encoder.encode(history), as: UTF8.self)], scalar: true)
                try root.writeStrings("gene_names", geneNames)
                try root.writeStrings("batch_categories", batchCategories)
                try root.writeDataset("library_log_means", values: libraryLogMeans.array, shape: [c.batchCount])
                try root.writeDataset("library_log_vars", values: libraryLogVariances.array, shape: [c.batchCount])
                let p = try root.createGroup("parameters")
                for e in arch.parameters.entries { try p.writeDataset(e.name, values: tensor(named: e.name)!, shape: e.shape) }
                let s = try root.createGroup("state")
                for e in arch.state.entries { try s.writeDataset(e.name, values: tensor(named: e.name)!, shape: e.shape) }
                try file.flush()
            }
            guard rename(tmp, path) == 0 else {
                throw CellviModelError.checkpoint(path: path, detail: "could not move the written file into place (errno \(errno)).")
            }
        } catch {
            try? FileManager.default.removeItem(atPath: tmp)
            if error is CellviModelError { throw error }
            throw CellviModelError.checkpoint(path: path, detail: "\(error)")
        }
    }

    /// A model loaded from disk with the names it was trained on.
    public struct Checkpoint {
        public let model: SCVIModel
        public let geneNames: [String]
        public let batchCategories: [String]

        /// Throws unless `geneNames` equal the model's genes (same order) and every batch is known.
        /// Returns the batch codes of `batches` in the model's category order.
        public func batchCodes(for batches: [String], geneNames names: [String]) throws -> [Int32] {
            guard names == geneNames else {
                let missing = Set(geneNames).subtracting(names).count
                throw CellviModelError.dataMismatch("the data has \(names.count) genes but the model was trained on \(geneNames.count) (\(missing) of the model's genes are missing or the order differs); subset and reorder the data's genes to the model's gene_names.")
            }
            let index = Dictionary(batchCategories.enumerated().map { ($1, Int32($0)) }, uniquingKeysWith: { a, _ in a })
            return try batches.map { b in
                guard let code = index[b] else {
                    throw CellviModelError.dataMismatch("batch \"\(b)\" is not one of the model's batches \(batchCategories); use data from the trained batches.")
                }
                return code
            }
        }
    }

    /// Reads a checkpoint written by `save`. Other formats or versions give a clear error.
    public static func load(from path: String) throws -> Checkpoint {
        func fail(_ s: String) -> CellviModelError { .checkpoint(path: path, detail: s) }
        do {
            let file = try HDF5File.open(path: path)
            let root = try file.root
            guard try root.attribute("format")?.stringValue == checkpointFormat else {
                throw fail("not a cellvi model (attribute 'format' is not \"\(checkpointFormat)\"); pass a model.h5 written by cellvi train.")
            }
            let version = try root.attribute("format_version")?.integerValues?.first
            guard version == checkpointVersion else {
                throw fail("format version \(version.map(String.init) ?? "missing") is not supported (this cellvi reads version \(checkpointVersion)); retrain or use the matching cellvi release.")
            }
            let json = try root.dataset("configuration").readStrings().first ?? ""
            let config = try JSONDecoder().decode(SCVIConfiguration.self, from: Data(json.utf8))
            let model = try SCVIModel(configuration: config)
            let p = try root.group("parameters"), s = try root.group("state")
            for e in model.arch.parameters.entries {
                guard p.contains(e.name) else { throw fail("parameters/\(e.name) is missing; the file is incomplete.") }
                try model.setTensor(named: e.name, p.dataset(e.name).read(as: Float.self))
            }
            for e in model.arch.state.entries {
                guard s.contains(e.name) else { throw fail("state/\(e.name) is missing; the file is incomplete.") }
                try model.setTensor(named: e.name, s.dataset(e.name).read(as: Float.self))
            }
            let means = try root.dataset("library_log_means").read(as: Float.self)
            let vars = try root.dataset("library_log_vars").read(as: Float.self)
            guard means.count == config.batchCount, vars.count == config.batchCount else { throw fail("library prior has the wrong length.") }
            for k in 0..<config.batchCount { model.libraryLogMeans.pointer[k] = means[k]; model.libraryLogVariances.pointer[k] = vars[k] }
            if root.contains("training_history"),
               let h = try root.dataset("training_history").readStrings().first,
               let history = try? JSONDecoder().decode(TrainingHistory.self, from: Data(h.utf8)) {
                model.history = history
            }
            let genes = try root.dataset("gene_names").readStrings()
            let batches = try root.dataset("batch_categories").readStrings()
            guard genes.count == config.geneCount, batches.count == config.batchCount else {
                throw fail("gene_names/batch_categories do not match the configuration.")
            }
            return Checkpoint(model: model, geneNames: genes, batchCategories: batches)
        } catch let e as CellviModelError {
            throw e
        } catch {
            throw fail("\(error)")
        }
    }
}

/// Runs `body` in its own scope so every HDF5 handle it opens is closed (deinit) before the rename.
@inline(__always)
private func closingHandles(_ body: () throws -> Void) rethrows { try body() }
