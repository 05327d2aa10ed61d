import Dispatch
import CellviKernels
import Foundation
import XCTest

/// `Parallel.forEachChunk` runs its chunks on `WorkerTeam`: every index exactly once, across many
/// short regions, after idle gaps (workers asleep), nested and from several callers at once.
final class WorkerTeamTests: XCTestCase {
    /// Runs forEachChunk over `count` indices and returns how often each index was visited.
    private func visits(_ count: Int, threads: Int) -> [Int] {
        let hits = UnsafeMutablePointer<Int>.allocate(capacity: count)
        hits.initialize(repeating: 0, count: count)
        defer { hits.deallocate() }
        Parallel.forEachChunk(count, threads: threads) { range in
            for i in range { hits[i] += 1 }   // chunks are disjoint: no two threads share an index
        }
        return Array(UnsafeBufferPointer(start: hits, count: count))
    }

    func testEveryIndexOnceOverManyShortRegions() {
        for region in 0..<20_000 {
            let count = 1 + region % 37, threads = 1 + region % 4
            let v = visits(count, threads: threads)
            if v != [Int](repeating: 1, count: count) { XCTFail("region \(region): \(v)"); return }
        }
    }

    /// Regions whose chunk count grows from one to the next: a worker still looking at the previous
    /// region must not claim one of the new region's extra chunks (it did, rarely, before regions were
    /// published closed first: the chunk then ran twice).
    func testGrowingChunkCountsRunEveryChunkOnce() {
        for region in 0..<200_000 {
            let chunks = 2 + region % 3
            let v = visits(chunks, threads: chunks)
            if v != [Int](repeating: 1, count: chunks) { XCTFail("region \(region): \(v)"); return }
        }
    }

    func testRegionsAfterIdleGapsWhileWorkersSleep() {
        for _ in 0..<5 {
            XCTAssertEqual(visits(1000, threads: 2), [Int](repeating: 1, count: 1000))
            usleep(2_000)   // longer than the workers spin: they block and must be woken
        }
    }

    func testNestedRegionsRunEveryInnerIndexOnce() {
        let outer = 4, inner = 50
        let hits = UnsafeMutablePointer<Int>.allocate(capacity: outer * inner)
        hits.initialize(repeating: 0, count: outer * inner)
        defer { hits.deallocate() }
        Parallel.forEachChunk(outer, threads: 2) { range in
            for o in range {
                Parallel.forEachChunk(inner, threads: 2) { r in for i in r { hits[o * inner + i] += 1 } }
            }
        }
        XCTAssertEqual(Array(UnsafeBufferPointer(start: hits, count: outer * inner)), [Int](repeating: 1, count: outer * inner))
    }

    func testConcurrentCallersEachGetTheirResult() {
        let callers = 4
        let failures = UnsafeMutablePointer<Int>.allocate(capacity: callers)
        failures.initialize(repeating: 0, count: callers)
        defer { failures.deallocate() }
        DispatchQueue.concurrentPerform(iterations: callers) { c in
            for k in 0..<500 where visits(10 + (k + c) % 90, threads: 2) != [Int](repeating: 1, count: 10 + (k + c) % 90) {
                failures[c] += 1
            }
        }
        XCTAssertEqual(Array(UnsafeBufferPointer(start: failures, count: callers)), [0, 0, 0, 0])
    }
}
