import Synchronization

/// Packing panels (depthBlock × 64 floats) for `TiledGemm`, allocated once and lent to concurrent
/// calls, so no matrix product allocates inside the training loop.
enum PanelPool {
    static let slots = 16
    static let floatsPerPanel = TiledGemm.depthBlock * TiledGemm.tileColumns
    private static let storage: UnsafeMutablePointer<Float> = {
        let p = UnsafeMutableRawPointer.allocate(byteCount: slots * floatsPerPanel * 4, alignment: 64)
        return p.bindMemory(to: Float.self, capacity: slots * floatsPerPanel)
    }()
    private static let inUse = Atomic<UInt16>(0)   // bit s set: slot s is lent

    /// A free slot, or −1 when all are lent (the caller then allocates its own panel).
    static func acquire() -> Int {
        var current = inUse.load(ordering: .relaxed)
        while current != UInt16.max {
            let s = (~current).trailingZeroBitCount
            let (exchanged, original) = inUse.compareExchange(expected: current, desired: current | (1 << s),
                                                              ordering: .acquiring)
            if exchanged { return s }
            current = original
        }
        return -1
    }

    /// The panel of a slot from `acquire` (≥ 0).
    static func panel(_ slot: Int) -> UnsafeMutablePointer<Float> { storage + slot * floatsPerPanel }

    static func release(_ slot: Int) {
        if slot >= 0 { inUse.bitwiseAnd(~(UInt16(1) << slot), ordering: .releasing) }
    }

    /// Calls `body` with a panel of `floatsPerPanel` floats: a pooled one, or (all lent) a temporary.
    @inline(__always)
    static func withPanel<R>(_ body: (UnsafeMutablePointer<Float>) -> R) -> R {
        let slot = acquire()
        if slot >= 0 {
            defer { release(slot) }
            return body(panel(slot))
        }
        return withUnsafeTemporaryAllocation(of: Float.self, capacity: floatsPerPanel) { body($0.baseAddress!) }
    }
}
