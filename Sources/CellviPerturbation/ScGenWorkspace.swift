import CellviKernels

/// Owned scratch arrays, freed together.
final class ScGenArena {
    private var blocks: [UnsafeMutableRawPointer] = []
    func floats(_ n: Int) -> UnsafeMutablePointer<Float> {
        let p = UnsafeMutablePointer<Float>.allocate(capacity: max(n, 1))
        p.initialize(repeating: 0, count: max(n, 1)); blocks.append(UnsafeMutableRawPointer(p)); return p
    }
    func integers(_ n: Int) -> UnsafeMutablePointer<Int> {
        let p = UnsafeMutablePointer<Int>.allocate(capacity: max(n, 1))
        p.initialize(repeating: 0, count: max(n, 1)); blocks.append(UnsafeMutableRawPointer(p)); return p
    }
    deinit { blocks.forEach { $0.deallocate() } }
}

/// Activations of one hidden layer for `capacity` cells.
struct ScGenLayerBuffers {
    let pre, xhat, y, mask, out: UnsafeMutablePointer<Float>   // (B, O); y after BN + LeakyReLU, out after dropout
    let mean, invstd: UnsafeMutablePointer<Float>               // (O)
    let dOut, dPre: UnsafeMutablePointer<Float>                 // (B, O)

    init(outputs O: Int, capacity B: Int, arena: ScGenArena) {
        pre = arena.floats(B * O); xhat = arena.floats(B * O); y = arena.floats(B * O)
        mask = arena.floats(B * O); out = arena.floats(B * O)
        mean = arena.floats(O); invstd = arena.floats(O)
        dOut = arena.floats(B * O); dPre = arena.floats(B * O)
    }
}

/// Every buffer one forward/backward pass needs, allocated once for the largest minibatch.
final class ScGenWorkspace {
    let capacity: Int
    private let arena = ScGenArena()
    let encoder: [ScGenLayerBuffers], decoder: [ScGenLayerBuffers]
    let rows: UnsafeMutablePointer<Int>                                  // (B) minibatch rows of the input matrix
    let qm, logVariance, qv, eps, z, dz, dqm, dLogVariance: UnsafeMutablePointer<Float>  // (B, Z)
    let output: UnsafeMutablePointer<Float>                              // (B, G) decoder output
    let residual: UnsafeMutablePointer<Float>                            // (B, G) output − x, then d loss / d output
    let loss: UnsafeMutablePointer<Float>                                // (B) per-cell loss
    let bnScratch: UnsafeMutablePointer<Float>                           // (2H)

    init(_ a: ScGenArchitecture, capacity B: Int) {
        capacity = B
        let arena = self.arena, c = a.config, G = c.geneCount, Z = c.latentDimensions, H = c.hiddenDimensions
        encoder = a.encoder.map { ScGenLayerBuffers(outputs: $0.outputs, capacity: B, arena: arena) }
        decoder = a.decoder.map { ScGenLayerBuffers(outputs: $0.outputs, capacity: B, arena: arena) }
        rows = arena.integers(B)
        qm = arena.floats(B * Z); logVariance = arena.floats(B * Z); qv = arena.floats(B * Z); eps = arena.floats(B * Z)
        z = arena.floats(B * Z); dz = arena.floats(B * Z); dqm = arena.floats(B * Z); dLogVariance = arena.floats(B * Z)
        output = arena.floats(B * G); residual = arena.floats(B * G)
        loss = arena.floats(B)
        bnScratch = arena.floats(2 * H)
    }
}
