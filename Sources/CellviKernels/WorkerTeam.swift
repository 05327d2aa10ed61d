import Foundation
import Synchronization

/// A small team of persistent worker threads that runs the chunks of `Parallel.forEachChunk`.
///
/// A training step is a chain of short parallel regions (tens of microseconds each). Waking a
/// sleeping thread for every region costs 10–15 µs on a virtual machine, about as much as the work,
/// so idle workers spin for a while before they block. Chunks are claimed as bits of one ticket word:
/// the caller first claims chunk 0 and worker w chunk w + 1, so on an idle machine chunk c runs on the
/// same core in every region (its data stays in that core's cache). Any chunk left unclaimed goes to
/// whoever is free: if a worker is descheduled, the caller runs its chunk instead of waiting.
///
/// Spinning keeps other processes off the core, and a process kept waiting long enough preempts the
/// spinning thread in the middle of a chunk for milliseconds. So when a spinning worker notices it
/// was descheduled, the team stops spinning for a while and workers block between regions, leaving
/// the gaps to the other processes.
///
/// Which thread runs a chunk never changes a result: the partition is fixed by the callers.
final class WorkerTeam: @unchecked Sendable {
    /// How long an idle worker spins before it blocks: long enough to cover the serial code between
    /// the regions of a training step, short enough to give the core back soon after training.
    static let spinNanoseconds: UInt64 = 200_000
    /// A gap this long between two looks at the clock while spinning means the thread was descheduled.
    static let descheduledNanoseconds: UInt64 = 50_000
    /// How long the team blocks instead of spinning after it saw another process take a core.
    static let contentionBackoffNanoseconds: UInt64 = 2_000_000_000

    /// Most chunks in one region (one bit each in `ticket`).
    static let maximumChunks = 32
    /// How many times the caller polls for the last chunks before it blocks (tens of microseconds).
    static let joinSpins = 20_000

    /// The process's team. It grows to the largest chunk count asked for, up to the core count.
    static let shared = WorkerTeam()

    /// Generation (high 32 bits) and the claimed chunks (bit c of the low 32 bits) of the current region.
    private let ticket = Atomic<UInt64>(0)
    /// Chunks of the current region finished (by any thread).
    private let finished = Atomic<Int>(0)
    /// Workers blocked on `wakeUp`.
    private let sleepers = Atomic<Int>(0)
    /// Set while the caller is blocked on `joined` waiting for the last chunks.
    private let callerBlocked = Atomic<Bool>(false)
    /// Until when (uptime ns) workers block instead of spinning.
    private let contendedUntil = Atomic<UInt64>(0)
    /// Set while a caller owns the team; a second caller (nested or concurrent) uses Dispatch.
    private let busy = Atomic<Bool>(false)

    /// Chunks of the current region (written by the caller before it publishes the region).
    private var chunkCount = 0
    /// Points at the caller's `(Int) -> Void` for the current region (not retained by the workers).
    private var body: UnsafeRawPointer?
    private let wakeUp = NSCondition()
    private let joined = NSCondition()
    /// Workers started so far (only the caller that owns the team adds workers).
    private var workerCount = 0
    private let cores = ProcessInfo.processInfo.activeProcessorCount

    private init() {}

    /// Calls `body(c)` for c in 0..<chunks, each exactly once, across the team; returns when all are done.
    /// Returns false (and runs nothing) when the team is already in use or chunks > 32.
    func run(chunks: Int, _ body: (Int) -> Void) -> Bool {
        guard chunks <= Self.maximumChunks else { return false }
        guard busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else { return false }
        defer { busy.store(false, ordering: .releasing) }
        reserveWorkers(for: chunks)
        withoutActuallyEscaping(body) { escapable in
            var closure = escapable
            withUnsafePointer(to: &closure) { publishAndJoin(chunks: chunks, body: UnsafeRawPointer($0)) }
        }
        return true
    }

    /// Starts workers until `chunks` chunks can run at once (the caller is one of the threads).
    private func reserveWorkers(for chunks: Int) {
        while workerCount < min(chunks, cores) - 1 {
            let preferred = workerCount + 1
            let thread = Thread { [unowned self] in self.workerLoop(preferredChunk: preferred) }
            thread.name = "cellvi-worker-\(workerCount)"
            thread.stackSize = 1 << 20
            thread.start()
            workerCount += 1
        }
    }

    /// Starts a region for the closure at `body`, runs chunks on this thread and waits for the rest.
    ///
    /// The region gets two generations. The first is published closed (every chunk bit claimed) before
    /// `body` and `chunkCount` change: a worker still looking at the previous region may read the new
    /// count and body together with the previous ticket, and, when the new region has more chunks,
    /// would otherwise claim a chunk beyond the old count with a compare-exchange on that old ticket and
    /// run it, before the region's own ticket clears the bit for a second run. The second generation
    /// opens the region.
    private func publishAndJoin(chunks: Int, body: UnsafeRawPointer) {
        let closed = (ticket.load(ordering: .relaxed) >> 32) &+ 1, generation = closed &+ 1
        ticket.store(closed << 32 | 0xFFFF_FFFF, ordering: .sequentiallyConsistent)
        self.body = body
        chunkCount = chunks
        finished.store(0, ordering: .relaxed)
        ticket.store(generation << 32, ordering: .sequentiallyConsistent)
        if sleepers.load(ordering: .sequentiallyConsistent) > 0 {
            wakeUp.lock(); wakeUp.broadcast(); wakeUp.unlock()
        }
        runChunks(generation: generation, preferred: 0)
        // What is left is running on other threads: spin briefly, then block (not yield: a yielding
        // thread hands its core to any other process for a whole time slice). A long wait here is not
        // taken as contention: waking an idle virtual CPU alone can take that long.
        if finished.load(ordering: .acquiring) < chunks {
            var spins = 0
            while finished.load(ordering: .acquiring) < chunks, spins < Self.joinSpins { spins += 1 }
            if finished.load(ordering: .acquiring) < chunks {
                callerBlocked.store(true, ordering: .sequentiallyConsistent)
                joined.lock()
                while finished.load(ordering: .sequentiallyConsistent) < chunks { joined.wait() }
                joined.unlock()
                callerBlocked.store(false, ordering: .relaxed)
            }
        }
        self.body = nil
    }

    /// Claims and runs chunks of region `generation` until none are left, starting with chunk
    /// `preferred` (the caller 0, worker w chunk w + 1), so that on an idle machine a chunk runs on
    /// the same thread in every region.
    private func runChunks(generation: UInt64, preferred: Int) {
        var c = preferred
        while true {
            let t = ticket.load(ordering: .acquiring)
            guard t >> 32 == generation else { return }
            // Read before the claim: valid while the region is current, and a successful claim proves it was.
            let count = chunkCount, work = body
            let all = UInt64.max >> (64 - count), claimed = t & 0xFFFF_FFFF
            if claimed & all == all { return }
            if c >= count || claimed & (1 << c) != 0 { c = (~claimed & all).trailingZeroBitCount }
            guard ticket.compareExchange(expected: t, desired: t | (1 << c), ordering: .acquiringAndReleasing).exchanged else {
                continue
            }
            Self.call(work!, c)
            if finished.add(1, ordering: .sequentiallyConsistent).newValue == count,
               callerBlocked.load(ordering: .sequentiallyConsistent) {
                joined.lock(); joined.signal(); joined.unlock()
            }
            c = count
        }
    }

    /// Runs chunk c of the closure `body` points at; its copy is released before this returns.
    @inline(never)
    private static func call(_ body: UnsafeRawPointer, _ c: Int) {
        body.assumingMemoryBound(to: ((Int) -> Void).self).pointee(c)
    }

    private func workerLoop(preferredChunk: Int) {
        var seen: UInt64 = 0
        while true {
            var generation = ticket.load(ordering: .acquiring) >> 32
            if generation == seen { generation = spin(while: seen) }
            if generation == seen {
                sleepers.add(1, ordering: .sequentiallyConsistent)
                wakeUp.lock()
                while ticket.load(ordering: .sequentiallyConsistent) >> 32 == seen { wakeUp.wait() }
                wakeUp.unlock()
                sleepers.subtract(1, ordering: .sequentiallyConsistent)
                generation = ticket.load(ordering: .acquiring) >> 32
            }
            seen = generation
            runChunks(generation: generation, preferred: preferredChunk)
        }
    }

    /// Spins until a region after `seen` starts, the spin time is up, or another process wants this
    /// core; returns the latest generation.
    private func spin(while seen: UInt64) -> UInt64 {
        var generation = seen
        let start = Self.now()
        var last = start
        while last >= contendedUntil.load(ordering: .relaxed) {
            for _ in 0..<64 {
                generation = ticket.load(ordering: .relaxed) >> 32
                if generation != seen { return generation }
            }
            let time = Self.now()
            if time - last > Self.descheduledNanoseconds { noteContention(at: time); break }
            if time - start > Self.spinNanoseconds { break }
            last = time
        }
        return generation
    }

    private func noteContention(at time: UInt64) {
        contendedUntil.store(time + Self.contentionBackoffNanoseconds, ordering: .relaxed)
    }

    @inline(__always)
    private static func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }
}
