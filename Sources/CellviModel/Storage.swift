/// `count` floats starting on a 64-byte cache line, so that threads splitting a buffer at
/// multiples of 16 floats never share a line. Free with `deallocate()`.
func allocateCacheAligned(_ count: Int) -> UnsafeMutablePointer<Float> {
    UnsafeMutableRawPointer.allocate(byteCount: count * 4, alignment: 64).bindMemory(to: Float.self, capacity: count)
}

/// A heap buffer of Floats owned by one object, zero-initialised, freed in deinit.
/// Pointers stay valid for the object's lifetime, so kernels take them without closures.
final class FloatBuffer {
    let pointer: UnsafeMutablePointer<Float>
    let count: Int
    init(count: Int) {
        self.count = count
        pointer = allocateCacheAligned(max(count, 1))
        pointer.initialize(repeating: 0, count: max(count, 1))
    }
    deinit { pointer.deallocate() }
    func zero() { pointer.update(repeating: 0, count: count) }
    func copy(from other: FloatBuffer) { pointer.update(from: other.pointer, count: count) }
    var array: [Float] { Array(UnsafeBufferPointer(start: pointer, count: count)) }
}

/// Named tensors laid out back to back in one slab (parameters; gradients, Adam moments and
/// BatchNorm running statistics share the same scheme). Order is fixed by construction.
struct TensorLayout {
    struct Entry {
        let name: String
        /// PyTorch shape ([out, in] for Linear weights).
        let shape: [Int]
        let offset: Int
        let count: Int
        /// Stored as the transpose of `shape` (2-D only): the sparse first layer keeps [in, out].
        let transposed: Bool
    }
    private(set) var entries: [Entry] = []
    private var byName: [String: Int] = [:]
    private(set) var count = 0

    /// Appends a tensor and returns its offset. Offsets are multiples of 16 floats (a cache line
    /// of a 64-byte-aligned slab); the gaps stay zero and are never read as parameters.
    mutating func add(_ name: String, _ shape: [Int], transposed: Bool = false) -> Int {
        precondition(byName[name] == nil, "duplicate tensor \(name)")
        let n = shape.reduce(1, *), offset = (count + 15) & ~15
        byName[name] = entries.count
        entries.append(Entry(name: name, shape: shape, offset: offset, count: n, transposed: transposed))
        count = offset + n
        return offset
    }

    func entry(_ name: String) -> Entry? { byName[name].map { entries[$0] } }
}

/// Scratch arrays of one workspace, all freed together.
final class Arena {
    private var floats: [UnsafeMutablePointer<Float>] = []
    private var ints: [UnsafeMutablePointer<Int32>] = []
    func floats(_ n: Int) -> UnsafeMutablePointer<Float> {
        let p = allocateCacheAligned(max(n, 1))
        p.initialize(repeating: 0, count: max(n, 1)); floats.append(p); return p
    }
    func int32s(_ n: Int) -> UnsafeMutablePointer<Int32> {
        let p = UnsafeMutablePointer<Int32>.allocate(capacity: max(n, 1))
        p.initialize(repeating: 0, count: max(n, 1)); ints.append(p); return p
    }
    deinit { floats.forEach { $0.deallocate() }; ints.forEach { $0.deallocate() } }
}
