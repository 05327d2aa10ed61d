@testable import CellviModel
import CellviKernels
import XCTest

/// The BatchNorm variants that write their output as streaming stores give the plain layers' values.
final class StreamedLayerTests: XCTestCase {
    /// Runs body with `count` 64-byte-aligned floats per array of `arrays`, filled from the generator.
    func withAligned<R>(_ arrays: Int, _ count: Int, _ rng: inout RandomSource, _ body: ([UnsafeMutablePointer<Float>]) -> R) -> R {
        let raws = (0..<arrays).map { _ in UnsafeMutableRawPointer.allocate(byteCount: count * 4, alignment: 64) }
        defer { raws.forEach { $0.deallocate() } }
        let ps = raws.map { $0.bindMemory(to: Float.self, capacity: count) }
        for p in ps { for i in 0..<count { p[i] = rng.normal() } }
        return body(ps)
    }

    func testStreamedBatchNormReLUForwardEqualsThePlainLayers() {
        var rng = RandomSource(seed: 41)
        let B = 37, C = 48
        let gamma = (0..<C).map { _ in 1 + 0.3 * rng.normal() }, beta = (0..<C).map { _ in 0.5 * rng.normal() }
        let runningStart = (0..<(2 * C)).map { _ in Float(1 + rng.uniform()) }
        func run(_ streamed: Bool) -> [[Float]] {
            var r = rng
            return withAligned(5, B * C, &r) { p in
                let (inp, out, xhat, stats, running) = (p[0], p[1], p[2], p[3], p[4])
                running.update(from: runningStart, count: 2 * C)
                if streamed {
                    batchnorm_relu_forward_train_streamed(out, xhat, stats, stats + C, inp, gamma, beta, running, running + C,
                                                          B: B, C: C, momentum: 0.1, eps: 1e-3)
                } else {
                    batchnorm_forward_train(out, xhat, stats, stats + C, inp, gamma, beta, running, running + C,
                                            B: B, C: C, momentum: 0.1, eps: 1e-3)
                    relu_forward(out, count: B * C)
                }
                return [p[1], p[2], p[3], p[4]].map { Array(UnsafeBufferPointer(start: $0, count: $0 == p[3] || $0 == p[4] ? 2 * C : B * C)) }
            }
        }
        let plain = run(false), streamed = run(true)
        XCTAssertEqual(plain, streamed)
        XCTAssertTrue(plain[0].contains(0) && plain[0].contains { $0 > 0 }, "the test should cover both sides of the ReLU")
    }

    func testStreamedBatchNormBackwardEqualsThePlainLayer() {
        var rng = RandomSource(seed: 42)
        let B = 29, C = 64
        func run(_ streamed: Bool) -> [[Float]] {
            var r = rng
            return withAligned(6, B * C, &r) { p in
                let (dinp, dgamma, dout, xhat, invstd, gamma) = (p[0], p[1], p[2], p[3], p[4], p[5])
                let scratch = UnsafeMutablePointer<Float>.allocate(capacity: 2 * C)
                defer { scratch.deallocate() }
                batchnorm_backward(dinp, dgamma, dgamma + C, dout, xhat, invstd, gamma, scratch, B: B, C: C, streamed: streamed)
                return [Array(UnsafeBufferPointer(start: dinp, count: B * C)), Array(UnsafeBufferPointer(start: dgamma, count: 2 * C))]
            }
        }
        XCTAssertEqual(run(false), run(true))
    }
}
