import CellviKernels
import Foundation

/// One hidden layer: Linear → BatchNorm1d → LeakyReLU → Dropout. Offsets index the parameter slab
/// (weight, bias, gamma, beta) and the state slab (running mean, running variance). The weight is
/// (O, I) like PyTorch, except the encoder's first layer, which reads sparse input and stores it
/// transposed, (I, O), so each non-zero input adds one contiguous row.
struct ScGenLayer {
    var weight = 0, bias = 0, gamma = 0, beta = 0
    var runningMean = 0, runningVar = 0
    var inputs: Int
    var outputs: Int
    var weightIsTransposed = false
}

/// A plain Linear head, weight (O, I).
struct ScGenHead {
    var weight = 0, bias = 0
    var inputs: Int
    var outputs: Int
}

/// Slab layout of scGen's VAE: encoder layers, mean and log-variance heads, decoder layers,
/// linear output. One fixed order, so the optimiser is one flat loop.
struct ScGenArchitecture {
    let config: ScGenConfiguration
    var encoder: [ScGenLayer] = [], decoder: [ScGenLayer] = []
    var meanHead: ScGenHead, logVarianceHead: ScGenHead, outputHead: ScGenHead
    var parameterCount = 0, stateCount = 0
    /// Linear weights, for initialisation: (offset, count, fan_in, stored (I, O)).
    var weights: [(offset: Int, count: Int, fanIn: Int, transposed: Bool)] = []
    /// BatchNorm gammas and running variances (initialised to 1): (offset, count).
    var gammas: [(offset: Int, count: Int)] = [], runningVariances: [(offset: Int, count: Int)] = []

    static let bnMomentum: Float = 0.01   // flax momentum 0.99 in PyTorch's convention
    static let bnEps: Float = 1e-3

    init(_ c: ScGenConfiguration) {
        config = c
        var p = 0, s = 0
        var weights: [(Int, Int, Int, Bool)] = [], gammas: [(Int, Int)] = [], variances: [(Int, Int)] = []
        func take(_ n: Int) -> Int { p += n; return p - n }
        func takeState(_ n: Int) -> Int { s += n; return s - n }
        func layer(_ i: Int, _ o: Int, transposed: Bool = false) -> ScGenLayer {
            var l = ScGenLayer(inputs: i, outputs: o, weightIsTransposed: transposed)
            l.weight = take(o * i); weights.append((l.weight, o * i, i, transposed))
            l.bias = take(o)
            l.gamma = take(o); gammas.append((l.gamma, o))
            l.beta = take(o)
            l.runningMean = takeState(o); l.runningVar = takeState(o); variances.append((l.runningVar, o))
            return l
        }
        func head(_ i: Int, _ o: Int) -> ScGenHead {
            var h = ScGenHead(inputs: i, outputs: o)
            h.weight = take(o * i); weights.append((h.weight, o * i, i, false))
            h.bias = take(o)
            return h
        }
        let G = c.geneCount, H = c.hiddenDimensions, Z = c.latentDimensions
        encoder = (0..<c.layerCount).map { $0 == 0 ? layer(G, H, transposed: true) : layer(H, H) }
        meanHead = head(H, Z)
        logVarianceHead = head(H, Z)
        decoder = (0..<c.layerCount).map { layer($0 == 0 ? Z : H, H) }
        outputHead = head(H, G)
        parameterCount = p; stateCount = s
        self.weights = weights.map { (offset: $0.0, count: $0.1, fanIn: $0.2, transposed: $0.3) }
        self.gammas = gammas.map { (offset: $0.0, count: $0.1) }
        runningVariances = variances.map { (offset: $0.0, count: $0.1) }
    }

    /// flax `Dense` initialisation: weights LeCun normal (truncated at ±2σ, σ = 1/√fan_in after
    /// flax's 0.8796 correction), biases 0; BatchNorm γ = 1, β = 0, running mean 0, variance 1.
    /// Draws are in (O, I) order for every weight, whatever its storage.
    func initialize(parameters w: UnsafeMutablePointer<Float>, state st: UnsafeMutablePointer<Float>, rng: inout RandomSource) {
        w.update(repeating: 0, count: parameterCount)
        st.update(repeating: 0, count: stateCount)
        for (offset, count, fanIn, transposed) in weights {
            let sd = 1 / Float(fanIn).squareRoot() / 0.87962566, outputs = count / fanIn
            for k in 0..<count {
                var v = rng.normal()
                while abs(v) > 2 { v = rng.normal() }
                let (o, i) = k.quotientAndRemainder(dividingBy: fanIn)
                w[offset + (transposed ? i * outputs + o : k)] = v * sd
            }
        }
        for (offset, count) in gammas { for k in 0..<count { w[offset + k] = 1 } }
        for (offset, count) in runningVariances { for k in 0..<count { st[offset + k] = 1 } }
    }
}
