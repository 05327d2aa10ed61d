import CellviKernels
import XCTest

/// Streaming stores change where data goes, never what it is: every kernel that can stream gives
/// bit-identical results with streaming on and off.
final class StreamingStoreTests: XCTestCase {
    override func tearDown() { StreamingStore.force(nil); StreamingStore.setEnabled(false) }

    /// A 64-byte-aligned buffer of `count` floats filled with NaN, freed after `body`.
    func withAlignedFloats<R>(_ count: Int, _ body: (UnsafeMutablePointer<Float>) -> R) -> R {
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * 4, alignment: 64)
        defer { raw.deallocate() }
        let p = raw.bindMemory(to: Float.self, capacity: count)
        p.initialize(repeating: .nan, count: count)
        return body(p)
    }

    func testCopyMatchesSourceAtEveryAlignmentAndLength() {
        let src = (0..<200).map { Float($0) * 0.5 - 7 }
        withAlignedFloats(240) { buffer in
            for offset in [0, 1, 5, 16, 17] {
                for count in [0, 1, 15, 16, 33, 150, 199 - offset] {
                    buffer.update(repeating: .nan, count: 240)
                    StreamingStore.copy(buffer + offset, from: src, count: count)
                    StreamingStore.fence()
                    XCTAssertEqual(Array(UnsafeBufferPointer(start: buffer + offset, count: count)), Array(src[0..<count]),
                                   "offset \(offset) count \(count)")
                    XCTAssertTrue(buffer[offset + count].isNaN, "wrote past the end: offset \(offset) count \(count)")
                    if offset > 0 { XCTAssertTrue(buffer[offset - 1].isNaN, "wrote before the start") }
                }
            }
        }
    }

    /// Rows outside `cachedRows` go out as streaming stores where the rows are cache-line aligned
    /// (ldc 160) and as normal stores where they are not (ldc 163); beta 0 with a bias and beta 1, depth
    /// across two panel blocks (only the last block streams).
    func testTiledGemmGivesTheSameResultWithStreamedRows() {
        var rng = RandomSource(seed: 21)
        let m = 20, n = 150, k = 300
        let a = (0..<(m * k)).map { _ in rng.normal() }, b = (0..<(n * k)).map { _ in rng.normal() }
        let bias = (0..<n).map { _ in rng.normal() }, start = (0..<(m * 163)).map { _ in rng.normal() }
        for ldc in [160, 163] {
            for beta: Float in [0, 1] {
                var results: [[Float]] = []
                for streaming in [false, true] {
                    StreamingStore.setEnabled(streaming)
                    results.append(withAlignedFloats(m * ldc) { c in
                        for i in 0..<(m * ldc) { c[i] = start[i % start.count] }
                        TiledGemm.gemm(c, ldc: ldc, a, lda: k, transposeA: false, b, ldb: k, transposeB: true,
                                       m: m, n: n, k: k, beta: beta, columnBias: beta == 0 ? bias : nil, cachedRows: 5..<11)
                        return Array(UnsafeBufferPointer(start: c, count: m * ldc))
                    })
                }
                XCTAssertEqual(results[0], results[1], "ldc \(ldc) beta \(beta)")
            }
        }
    }

    /// The sparse first layer's two-thread forward publishes the second chunk's partial sums with
    /// streaming stores; same sums either way.
    func testSparseForwardIsTheSameWithPublishedPartials() {
        var rng = RandomSource(seed: 22)
        let data = SparseTestData(rows: 200, columns: 900, fill: 0.06, maxCount: 9, batch: 128, rng: &rng)
        let n = 96, wt = (0..<(900 * n)).map { _ in rng.normal() }
        var results: [[Float]] = []
        for streaming in [false, true] {
            StreamingStore.setEnabled(streaming)
            let scratch = SparseColumnScratch(columns: 900, capacity: 128 * 900)
            var out = [Float](repeating: .nan, count: 128 * n)
            data.withMinibatch { x in SparseProduct.forward(&out, x, wt, n: n, k: 900, scratch: scratch, threads: 2) }
            results.append(out)
        }
        XCTAssertEqual(results[0], results[1])
    }

    func testCoreDistanceDecidesStreaming() {
        XCTAssertNil(Parallel.measureCoreDistance(threads: 1))
        XCTAssertFalse(StreamingStore.isEnabled, "one thread never streams")
        if let nanoseconds = Parallel.measureCoreDistance(threads: 2) {
            XCTAssertGreaterThan(nanoseconds, 0)
            XCTAssertEqual(StreamingStore.isEnabled, nanoseconds > Parallel.sharedCacheRoundTripNanoseconds)
        } else {
            XCTAssertFalse(StreamingStore.isEnabled, "no answer from the worker: the setting stays as the one-thread call left it")
        }
        StreamingStore.force(true)
        XCTAssertNil(Parallel.measureCoreDistance(threads: 2))
        XCTAssertTrue(StreamingStore.isEnabled, "forced on")
        StreamingStore.force(false)
        Parallel.measureCoreDistance(threads: 2)
        XCTAssertFalse(StreamingStore.isEnabled, "forced off")
    }
}
