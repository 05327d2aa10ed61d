import Foundation
import Synchronization

extension Parallel {
    /// A cache-line round trip between two cores that share a cache takes about 100 ns on the
    /// machines measured; between cores on different dies (CCDs), 350–400 ns.
    public static let sharedCacheRoundTripNanoseconds = 200.0

    /// Measures the cache-line round trip between the first two threads of the worker team and
    /// enables `StreamingStore` when it is long (the cores do not share a cache). With one thread it
    /// turns streaming off. When a thread loses its core during the measurement (another process took
    /// it) or the worker does not wake in time, it gives up and leaves the setting as it was.
    /// Returns the round trip in nanoseconds, or nil. About 50 µs; call it now and then (the placement
    /// of virtual CPUs can change while a process runs). It only chooses store instructions: results
    /// never depend on it. With `StreamingStore.force` (or CELLVI_STREAMING) in effect it measures nothing.
    @discardableResult
    public static func measureCoreDistance(threads: Int) -> Double? {
        if let forced = StreamingStore.forcedSetting { StreamingStore.setEnabled(forced); return nil }
        guard threads > 1 else { StreamingStore.setEnabled(false); return nil }
        let line = PingPongLine()
        var nanoseconds: Double?
        forEachChunk(2, threads: 2) { chunk in
            if chunk.lowerBound == 0 { nanoseconds = line.serve() } else { line.answer() }
        }
        if let nanoseconds { StreamingStore.setEnabled(nanoseconds > sharedCacheRoundTripNanoseconds) }
        return nanoseconds
    }
}

/// One cache line bounced between two threads: `serve` writes odd values, `answer` the next even one.
private final class PingPongLine: @unchecked Sendable {
    static let rounds = 128
    /// Waking a blocked worker can take milliseconds on a virtual machine; once both threads run, a
    /// round trip takes under a microsecond, so a longer wait means a thread lost its core.
    static let readyTimeoutNanoseconds: UInt64 = 3_000_000, roundTimeoutNanoseconds: UInt64 = 100_000
    let value = Atomic<Int>(0)
    let abandoned = Atomic<Bool>(false)

    /// Average round trip (ns), or nil when no other thread answered in time.
    func serve() -> Double? {
        defer { abandoned.store(true, ordering: .releasing) }
        guard wait(for: -1, timeout: Self.readyTimeoutNanoseconds) else { return nil }   // the answering thread is ready
        let start = DispatchTime.now().uptimeNanoseconds
        for r in 0..<Self.rounds {
            value.store(2 * r + 1, ordering: .releasing)
            guard wait(for: 2 * r + 2, timeout: Self.roundTimeoutNanoseconds) else { return nil }
        }
        return Double(DispatchTime.now().uptimeNanoseconds - start) / Double(Self.rounds)
    }

    func answer() {
        value.store(-1, ordering: .releasing)
        for r in 0..<Self.rounds {
            guard wait(for: 2 * r + 1, timeout: Self.readyTimeoutNanoseconds) else { return }
            value.store(2 * r + 2, ordering: .releasing)
        }
    }

    /// Spins until value == v (true) or the line is abandoned or the timeout passes (false).
    private func wait(for v: Int, timeout: UInt64) -> Bool {
        let start = DispatchTime.now().uptimeNanoseconds
        var spins = 0
        while value.load(ordering: .acquiring) != v {
            spins += 1
            if spins & 1023 == 0 {
                if abandoned.load(ordering: .acquiring) { return false }
                if DispatchTime.now().uptimeNanoseconds - start > timeout { return false }
            }
        }
        return true
    }
}
