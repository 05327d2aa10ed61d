import CellviKernels
import Foundation

/// One FCLayers layer: Linear → BatchNorm1d → ReLU → Dropout. Offsets index the parameter slab
/// (weight, bias, gamma, beta) and the state slab (running stats).
struct LayerSpec {
    var weight = 0
    var bias = 0
    var gamma = 0
    var beta = 0
    var runningMean = 0
    var runningVar = 0
    var inputs: Int       // feature inputs, without the one-hot
    var covariates: Int   // one-hot width concatenated after the inputs (0 = none)
    var outputs: Int
    var dropout: Float
    /// Sparse input; weight stored transposed, (inputs + covariates, outputs).
    var sparseInput: Bool
}

/// A plain Linear head, weight (outputs, inputs).
struct HeadSpec {
    var weight = 0
    var bias = 0
    var inputs: Int
    var outputs: Int
}

/// Tensor names mirror the scvi-tools `VAE` state_dict so golden files stay traceable.
struct Architecture {
    let config: SCVIConfiguration
    var parameters = TensorLayout()
    var state = TensorLayout()
    var zEncoder: [LayerSpec] = []
    var zMean: HeadSpec, zVar: HeadSpec
    var lEncoder: [LayerSpec] = []
    var lMean: HeadSpec?, lVar: HeadSpec?
    var decoder: [LayerSpec] = []
    var scaleHead: HeadSpec
    var dispersionHead: HeadSpec?   // gene-cell
    var dropoutHead: HeadSpec?      // zinb
    var pxR: Int?                   // gene: (G); gene-batch: (G, K) as scvi-tools

    static let bnMomentum: Float = 0.01
    static let bnEps: Float = 1e-3
    static let varianceEps: Float = 1e-4

    init(_ c: SCVIConfiguration) {
        config = c
        let G = c.geneCount, H = c.hiddenDimensions, Z = c.latentDimensions
        var p = TensorLayout(), s = TensorLayout()
        func stack(_ prefix: String, layers: Int, inputs: Int, covariates: Int, dropout: Float, sparse: Bool) -> [LayerSpec] {
            (0..<layers).map { l in
                let inp = l == 0 ? inputs : H
                let n = "\(prefix).fc_layers.Layer \(l)"
                var spec = LayerSpec(inputs: inp, covariates: covariates, outputs: H, dropout: dropout,
                                     sparseInput: sparse && l == 0)
                spec.weight = p.add("\(n).0.weight", [H, inp + covariates], transposed: spec.sparseInput)
                spec.bias = p.add("\(n).0.bias", [H])
                spec.gamma = p.add("\(n).1.weight", [H])
                spec.beta = p.add("\(n).1.bias", [H])
                spec.runningMean = s.add("\(n).1.running_mean", [H])
                spec.runningVar = s.add("\(n).1.running_var", [H])
                return spec
            }
        }
        func head(_ name: String, _ inputs: Int, _ outputs: Int) -> HeadSpec {
            var h = HeadSpec(inputs: inputs, outputs: outputs)
            h.weight = p.add("\(name).weight", [outputs, inputs])
            h.bias = p.add("\(name).bias", [outputs])
            return h
        }
        let zEncoder = stack("z_encoder.encoder", layers: c.layerCount, inputs: G, covariates: c.encoderCovariates,
                         dropout: c.dropoutRate, sparse: true)
        let zMean = head("z_encoder.mean_encoder", H, Z)
        let zVar = head("z_encoder.var_encoder", H, Z)
        var lEncoder: [LayerSpec] = [], lMean: HeadSpec? = nil, lVar: HeadSpec? = nil
        if !c.useObservedLibrarySize {
            lEncoder = stack("l_encoder.encoder", layers: 1, inputs: G, covariates: c.encoderCovariates,
                             dropout: c.dropoutRate, sparse: true)
            lMean = head("l_encoder.mean_encoder", H, 1)
            lVar = head("l_encoder.var_encoder", H, 1)
        }
        let decoder = stack("decoder.px_decoder", layers: c.layerCount, inputs: Z, covariates: c.decoderCovariates,
                        dropout: 0, sparse: false)
        let scaleHead = head("decoder.px_scale_decoder.0", H, G)
        var dispersionHead: HeadSpec? = nil, dropoutHead: HeadSpec? = nil, pxR: Int? = nil
        if c.likelihood != .poisson && c.dispersion == .geneCell { dispersionHead = head("decoder.px_r_decoder", H, G) }
        if c.likelihood == .zinb { dropoutHead = head("decoder.px_dropout_decoder", H, G) }
        if c.likelihood != .poisson && c.dispersion != .geneCell {
            pxR = c.dispersion == .gene ? p.add("px_r", [G]) : p.add("px_r", [G, c.batchCount])
        }
        self.zEncoder = zEncoder; self.zMean = zMean; self.zVar = zVar
        self.lEncoder = lEncoder; self.lMean = lMean; self.lVar = lVar
        self.decoder = decoder; self.scaleHead = scaleHead; self.dispersionHead = dispersionHead
        self.dropoutHead = dropoutHead; self.pxR = pxR
        parameters = p; state = s
    }

    /// PyTorch default initialisation: Linear weight and bias U(±1/√fan_in); BatchNorm γ = 1,
    /// β = 0, running mean 0 and var 1; px_r ~ N(0, 1).
    func initialize(parameters w: UnsafeMutablePointer<Float>, state st: UnsafeMutablePointer<Float>,
                    rng: inout RandomSource) {
        for e in parameters.entries {
            let t = w + e.offset
            if e.name == "px_r" {
                for i in 0..<e.count { t[i] = rng.normal() }
            } else if e.name.hasSuffix(".1.weight") && e.shape.count == 1 {
                for i in 0..<e.count { t[i] = 1 }
            } else if e.name.hasSuffix(".1.bias") && e.name.contains("fc_layers") {
                for i in 0..<e.count { t[i] = 0 }
            } else {
                // Linear weight or bias: fan_in = weight's input width.
                let weightName = e.name.hasSuffix(".bias") ? String(e.name.dropLast(4)) + "weight" : e.name
                let fanIn = parameters.entry(weightName)!.shape[1]
                let bound = 1 / Float(fanIn).squareRoot()
                for i in 0..<e.count { t[i] = (2 * rng.uniformFloat() - 1) * bound }
            }
        }
        for e in state.entries {
            let v: Float = e.name.hasSuffix("running_var") ? 1 : 0
            for i in 0..<e.count { st[e.offset + i] = v }
        }
    }
}
