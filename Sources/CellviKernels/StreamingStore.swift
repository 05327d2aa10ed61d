import CCellviIntrinsics
import Foundation
import Synchronization

/// Non-temporal ("streaming") stores for buffers one core writes and another core reads next.
///
/// When two cores do not share a cache (on this VM, at times, two vCPUs on different CCDs), writing
/// a line the other core has read first takes it back from that core: 256 KB cost 33 µs that way
/// against 6 µs as streaming stores, whose data the reader then fetches from memory. When they share
/// one, the normal store is cheaper. `Parallel.measureCoreDistance` decides which case holds and sets
/// `isEnabled`; the kernels stream only then. Store types never change a result.
/// CELLVI_STREAMING=1 or 0 in the environment forces streaming on or off (for A/B measurements).
public enum StreamingStore {
    private static let enabled = Atomic<Bool>(false)
    /// −1: measured; 0: forced off; 1: forced on.
    private static let forced = Atomic<Int>(environmentSetting.map { $0 ? 1 : 0 } ?? -1)
    private static var environmentSetting: Bool? {
        switch ProcessInfo.processInfo.environment["CELLVI_STREAMING"] {
        case "1": return true
        case "0": return false
        default: return nil
        }
    }

    /// Whether kernels stream data that another core reads next.
    @inline(__always)
    public static var isEnabled: Bool { enabled.load(ordering: .relaxed) }

    public static func setEnabled(_ on: Bool) { enabled.store(on, ordering: .relaxed) }

    /// Forces streaming on or off for every later `Parallel.measureCoreDistance`; nil measures again.
    public static func force(_ on: Bool?) {
        forced.store(on.map { $0 ? 1 : 0 } ?? -1, ordering: .relaxed)
        if let on { setEnabled(on) }
    }

    /// The forced setting, if any.
    static var forcedSetting: Bool? {
        switch forced.load(ordering: .relaxed) {
        case 0: return false
        case 1: return true
        default: return nil
        }
    }

    /// Stores v at p (64-byte aligned) as one whole cache line, bypassing the caches.
    @inline(__always)
    public static func store(_ v: SIMD16<Float>, _ p: UnsafeMutablePointer<Float>) { cellvi_stream_store16(p, v) }

    /// Makes earlier streaming stores visible before later stores (call before the region ends).
    @inline(__always)
    public static func fence() { cellvi_store_fence() }

    /// dst[0..<count] = src[0..<count], whole aligned lines of dst with streaming stores (the rest
    /// normally). For publishing a result another core reads next; follow with `fence()`.
    @inline(__always)
    public static func copy(_ dst: UnsafeMutablePointer<Float>, from src: UnsafePointer<Float>, count: Int) {
        var i = 0
        while i < count && UInt(bitPattern: dst + i) & 63 != 0 { dst[i] = src[i]; i += 1 }
        while i + 16 <= count {
            store(UnsafeRawPointer(src + i).loadUnaligned(as: SIMD16<Float>.self), dst + i)
            i += 16
        }
        while i < count { dst[i] = src[i]; i += 1 }
    }

    /// Prefetches `count` floats from p, one request per cache line: for streamed data (in memory,
    /// not in a cache) that is read soon.
    @inline(__always)
    public static func prefetch(_ p: UnsafePointer<Float>, count: Int) {
        var q = 0
        while q < count { cellvi_prefetch(p + q); q += 16 }
    }
}
