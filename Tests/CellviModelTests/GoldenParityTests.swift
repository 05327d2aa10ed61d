@testable import CellviModel
import CellviKernels
import XCTest

/// Forward, gradients and three Adam steps against scvi-tools 1.4.2 / PyTorch (golden.bin).
final class GoldenParityTests: XCTestCase {
    func testAllCasesMatchScviTools() throws {
        let golden = try GoldenFile.load()
        XCTAssertFalse(golden.cases.isEmpty)
        for name in golden.cases.keys.sorted() { try checkCase(name, golden.cases[name]!) }
    }

    func checkCase(_ name: String, _ g: GoldenFile.Case) throws {
        let c = g.config
        let config = SCVIConfiguration(
            geneCount: c["n_input"] as! Int, batchCount: c["n_batch"] as! Int,
            hiddenDimensions: c["n_hidden"] as! Int, latentDimensions: c["n_latent"] as! Int,
            layerCount: c["n_layers"] as! Int, dropoutRate: 0,
            likelihood: GeneLikelihood(rawValue: c["gene_likelihood"] as! String)!,
            dispersion: Dispersion(rawValue: c["dispersion"] as! String)!,
            useObservedLibrarySize: c["use_observed_lib_size"] as! Bool,
            encodeCovariates: c["encode_covariates"] as! Bool)
        let klWeight = Float(c["kl_weight"] as! Double)
        let model = try SCVIModel(configuration: config)
        for t in model.parameterNames + model.stateNames {
            try model.setTensor(named: t, XCTUnwrap(g.values("init/" + t), "golden lacks init/\(t)"))
        }
        let K = config.batchCount
        for k in 0..<K {
            model.libraryLogMeans.pointer[k] = g.values("library_log_means")![k]
            model.libraryLogVariances.pointer[k] = g.values("library_log_vars")![k]
        }
        let x = g.tensors["x"]!
        let B = x.shape[0], G = x.shape[1], Z = config.latentDimensions
        let csr = CSRMatrix(dense: Matrix(rows: B, columns: G, values: x.values))
        let codes = g.values("batch")!.map { Int32($0) }

        let ws = Workspace(model.arch, capacity: B)
        let net = model.network(ws)
        for i in 0..<B { ws.rows[i] = i; ws.encoderCodes[i] = codes[i]; ws.decoderCodes[i] = codes[i] }
        let epsZ = g.values("eps_z")!, epsL = g.values("eps_l")!
        var adam = AdamState(count: model.parameterCount)
        var rng = RandomSource(seed: 1)
        var cmp = TensorComparer(label: name)
        print("golden case \(name)")

        BoundData.with(csr) { data in
            for step in 0..<3 {
                for i in 0..<(B * Z) { ws.epsZ[i] = epsZ[i] }
                for i in 0..<B { ws.epsL[i] = epsL[i] }
                model.gradients.zero()
                net.forward(ws, input: data.input(ws, B), counts: data.raw(ws, B), B: B, training: true,
                            noise: .provided, gradientScale: 1 / Float(B), rng: &rng)
                if step == 0 {
                    func arr(_ p: UnsafeMutablePointer<Float>, _ n: Int) -> [Float] { Array(UnsafeBufferPointer(start: p, count: n)) }
                    cmp.check("qz_m", arr(ws.qm, B * Z), g.values("qz_m"), tolerance: 1e-4)
                    cmp.check("qz_v", arr(ws.qv, B * Z), g.values("qz_v"), tolerance: 1e-4)
                    cmp.check("z", arr(ws.z, B * Z), g.values("z"), tolerance: 1e-4)
                    cmp.check("library", arr(ws.logLibrary, B), g.values("library"), tolerance: 1e-4)
                    cmp.check("px_rate", arr(ws.mu, B * G), g.values("px_rate"), tolerance: 1e-4)
                    var scale = [Float](repeating: 0, count: B * G)
                    for i in 0..<B { for j in 0..<G { scale[i * G + j] = ws.mu[i * G + j] / expf(ws.logLibrary[i]) } }
                    cmp.check("px_scale", scale, g.values("px_scale"), tolerance: 1e-4)
                    if config.likelihood != .poisson {
                        var theta = [Float](); for i in 0..<B { theta += arr(UnsafeMutablePointer(mutating: net.thetaRow(ws, i)), G) }
                        cmp.check("px_theta", theta, g.values("px_theta"), tolerance: 1e-4)
                    }
                    if let pi = ws.piLogits { cmp.check("px_dropout", arr(pi, B * G), g.values("px_dropout"), tolerance: 1e-4) }
                    cmp.check("reconst_loss", arr(ws.reconstruction, B), g.values("reconst_loss"), tolerance: 1e-4)
                    cmp.check("kl_z", arr(ws.klZ, B), g.values("kl_z"), tolerance: 1e-4)
                    cmp.check("kl_l", arr(ws.klL, B), g.values("kl_l"), tolerance: 1e-4)
                    var loss: Float = 0
                    for i in 0..<B { loss += ws.reconstruction[i] + klWeight * ws.klZ[i] + ws.klL[i] }
                    cmp.check("loss", [loss / Float(B)], g.values("loss"), tolerance: 1e-4)
                }
                net.backward(ws, input: data.input(ws, B), B: B, klWeight: klWeight)
                if step == 0 {
                    for t in model.parameterNames {
                        cmp.check("grad/" + t, model.gradient(named: t)!, g.values("grad/" + t), tolerance: 1e-3,
                                  absoluteTolerance: 1e-5)
                    }
                }
                adam.update(model.parameters.pointer, model.gradients.pointer, count: model.parameterCount,
                            learningRate: 1e-3, epsilon: 0.01, weightDecay: 1e-6, threads: 1)
            }
        }
        for t in model.parameterNames + model.stateNames {
            cmp.check("step3/" + t, model.tensor(named: t)!, g.values("step3/" + t), tolerance: 1e-4)
        }
        XCTAssertTrue(cmp.failures.isEmpty, "\(name): mismatched tensors \(cmp.failures)")
    }
}
