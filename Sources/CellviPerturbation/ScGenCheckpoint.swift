import CellviHDF5
import CellviKernels
import Foundation

/// scGen `model.h5` layout (format version 1), like the NB VAE's (CellviModel/Checkpoint.swift):
///   /            attrs format = "cellvi-scgen", format_version = 1
///   configuration            scalar string, JSON of `ScGenConfiguration`
///   training_history         scalar string, JSON of `[ScGenEpochRecord]`
///   gene_names               string array (G)
///   parameters/<name>        float32, Linear weights (out, in) as PyTorch, every layer (the encoder's
///                            first weight is transposed back from its (in, out) slab storage)
///   state/<name>             BatchNorm running means and variances
/// Names: encoder.<l>.{weight,bias,gamma,beta}, mean.{weight,bias}, log_variance.{weight,bias},
/// decoder.<l>.{weight,bias,gamma,beta}, output.{weight,bias}; state <stack>.<l>.{running_mean,running_var}.
extension ScGenVAE {
    public static let checkpointFormat = "cellvi-scgen"
    public static let checkpointVersion: Int64 = 1

    /// A scGen model loaded from disk with the genes it was trained on.
    public struct Checkpoint {
        public let model: ScGenVAE
        public let geneNames: [String]
    }

    /// One named tensor: slab offset, shape as written, and whether the slab holds it transposed.
    struct NamedTensor {
        var name: String
        var offset: Int
        var shape: [Int]
        var transposedInSlab = false
    }

    /// Parameters in slab order, then the BatchNorm state.
    var namedTensors: (parameters: [NamedTensor], state: [NamedTensor]) {
        var p: [NamedTensor] = [], s: [NamedTensor] = []
        for (stack, layers) in [("encoder", arch.encoder), ("decoder", arch.decoder)] {
            for (l, layer) in layers.enumerated() {
                let n = "\(stack).\(l)", O = layer.outputs
                p += [NamedTensor(name: "\(n).weight", offset: layer.weight, shape: [O, layer.inputs], transposedInSlab: layer.weightIsTransposed),
                      NamedTensor(name: "\(n).bias", offset: layer.bias, shape: [O]),
                      NamedTensor(name: "\(n).gamma", offset: layer.gamma, shape: [O]),
                      NamedTensor(name: "\(n).beta", offset: layer.beta, shape: [O])]
                s += [NamedTensor(name: "\(n).running_mean", offset: layer.runningMean, shape: [O]),
                      NamedTensor(name: "\(n).running_var", offset: layer.runningVar, shape: [O])]
            }
        }
        for (name, head) in [("mean", arch.meanHead), ("log_variance", arch.logVarianceHead), ("output", arch.outputHead)] {
            p += [NamedTensor(name: "\(name).weight", offset: head.weight, shape: [head.outputs, head.inputs]),
                  NamedTensor(name: "\(name).bias", offset: head.bias, shape: [head.outputs])]
        }
        return (p, s)
    }

    /// The tensor's values in its written layout (row-major `shape`).
    private func values(_ t: NamedTensor, in slab: UnsafeMutablePointer<Float>) -> [Float] {
        let count = t.shape.reduce(1, *)
        guard t.transposedInSlab else { return Array(UnsafeBufferPointer(start: slab + t.offset, count: count)) }
        let (O, I) = (t.shape[0], t.shape[1])
        var out = [Float](repeating: 0, count: count)
        for o in 0..<O { for i in 0..<I { out[o * I + i] = slab[t.offset + i * O + o] } }
        return out
    }

    private func setValues(_ t: NamedTensor, _ values: [Float], in slab: UnsafeMutablePointer<Float>) {
        guard t.transposedInSlab else { slab.advanced(by: t.offset).update(from: values, count: values.count); return }
        let (O, I) = (t.shape[0], t.shape[1])
        for o in 0..<O { for i in 0..<I { slab[t.offset + i * O + o] = values[o * I + i] } }
    }

    /// Writes the model to a temporary file beside `path`, then renames it into place.
    public func save(to path: String, geneNames: [String]) throws {
        func fail(_ s: String) -> PerturbationError { .checkpoint(path: path, detail: s) }
        guard geneNames.count == configuration.geneCount else {
            throw fail("\(geneNames.count) gene names for a model of \(configuration.geneCount) genes.")
        }
        let tmp = path + ".tmp-\(ProcessInfo.processInfo.processIdentifier)"
        do {
            let encoder = JSONEncoder(); encoder.outputFormatting = [.sortedKeys]
            try {
                let file = try HDF5File.create(path: tmp)
                let root = try file.root
                try root.setAttribute("format", .string(Self.checkpointFormat))
                try root.setAttribute("format_version", .int(Self.checkpointVersion))
                try root.writeStrings("configuration", [String(decoding: try encoder.encode(configuration), as: UTF8.self)], scalar: true)
                try root.writeStrings("training_history", [String(decoding: try encoder.encode(history), as: UTF8.self)], scalar: true)
                try root.writeStrings("gene_names", geneNames)
                let tensors = namedTensors
                let p = try root.createGroup("parameters")
                for t in tensors.parameters { try p.writeDataset(t.name, values: values(t, in: parameters.pointer), shape: t.shape) }
                let s = try root.createGroup("state")
                for t in tensors.state { try s.writeDataset(t.name, values: values(t, in: state.pointer), shape: t.shape) }
                try file.flush()
            }()   // every HDF5 handle is closed (deinit) before the rename
            guard rename(tmp, path) == 0 else { throw fail("could not move the written file into place (errno \(errno)).") }
        } catch {
            try? FileManager.default.removeItem(atPath: tmp)
            if error is PerturbationError { throw error }
            throw fail("\(error)")
        }
    }

    /// The `format` attribute of a cellvi model file ("cellvi-scgen", "cellvi-scvi"), nil when absent.
    public static func modelFormat(at path: String) throws -> String? {
        do {
            let file = try HDF5File.open(path: path)
            let root = try file.root
            return try root.attribute("format")?.stringValue
        } catch {
            throw PerturbationError.checkpoint(path: path, detail: "\(error)")
        }
    }

    /// Reads a model written by `save`. Other formats (the NB VAE's) or versions give a clear error.
    public static func load(from path: String) throws -> Checkpoint {
        func fail(_ s: String) -> PerturbationError { .checkpoint(path: path, detail: s) }
        do {
            let file = try HDF5File.open(path: path)
            let root = try file.root
            let format = try root.attribute("format")?.stringValue
            guard format == checkpointFormat else {
                if format == "cellvi-scvi" {
                    throw fail("this is an NB VAE (scVI) model, not a scGen model; use it with --model-type nb.")
                }
                throw fail("not a cellvi scGen model (attribute 'format' is \(format.map { "\"\($0)\"" } ?? "missing")); "
                    + "pass a model.h5 written by cellvi predict --model-type scgen --save-model.")
            }
            let version = try root.attribute("format_version")?.integerValues?.first
            guard version == checkpointVersion else {
                throw fail("format version \(version.map(String.init) ?? "missing") is not supported (this cellvi reads version "
                    + "\(checkpointVersion)); retrain or use the matching cellvi release.")
            }
            let json = try root.dataset("configuration").readStrings().first ?? ""
            let model = try ScGenVAE(configuration: try JSONDecoder().decode(ScGenConfiguration.self, from: Data(json.utf8)))
            let tensors = model.namedTensors
            for (groupName, list, slab) in [("parameters", tensors.parameters, model.parameters.pointer), ("state", tensors.state, model.state.pointer)] {
                let group = try root.group(groupName)
                for t in list {
                    guard group.contains(t.name) else { throw fail("\(groupName)/\(t.name) is missing; the file is incomplete.") }
                    let values = try group.dataset(t.name).read(as: Float.self)
                    guard values.count == t.shape.reduce(1, *) else {
                        throw fail("\(groupName)/\(t.name) has \(values.count) values, the configuration needs \(t.shape.reduce(1, *)).")
                    }
                    model.setValues(t, values, in: slab)
                }
            }
            if root.contains("training_history"), let h = try root.dataset("training_history").readStrings().first,
               let history = try? JSONDecoder().decode([ScGenEpochRecord].self, from: Data(h.utf8)) {
                model.history = history
            }
            let genes = try root.dataset("gene_names").readStrings()
            guard genes.count == model.configuration.geneCount else {
                throw fail("gene_names has \(genes.count) names, the configuration \(model.configuration.geneCount) genes.")
            }
            return Checkpoint(model: model, geneNames: genes)
        } catch let e as PerturbationError {
            throw e
        } catch {
            throw fail("\(error)")
        }
    }
}
