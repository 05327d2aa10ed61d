import CHDF5
import CZlib
import Dispatch

/// Reads a one-dimensional, gzip-chunked dataset by fetching the compressed chunks serially
/// (libhdf5 is not thread-safe) and inflating them on every core — gzip decoding is most of the
/// time of reading a large `.h5ad`, and libhdf5 does it on one core.
struct HDF5ParallelChunkReader {
    let dataset: HDF5Dataset
    let threads: Int

    /// Chunks fetched per round: bounds the compressed bytes held at once.
    private let chunksPerRound = 64

    /// Fills `output` (the whole dataset, stored type and byte order) and returns true, or returns
    /// false without reading when the layout does not allow it (not chunked, other filters, n-D).
    func read(into output: UnsafeMutableRawBufferPointer, elementSize: Int) throws -> Bool {
        let file = dataset.file.path, object = dataset.path
        let shape = try dataset.shape
        guard shape.count == 1, shape[0] > 0, try dataset.filterNames() == ["deflate"] else { return false }
        let plist = try check(H5Dget_create_plist(dataset.id), file: file, object: object, "reading creation properties")
        defer { H5Pclose(plist) }
        guard H5Pget_layout(plist) == H5D_CHUNKED else { return false }
        var chunkDims = [hsize_t](repeating: 0, count: 1)
        try check(H5Pget_chunk(plist, 1, &chunkDims), file: file, object: object, "reading the chunk shape")
        let chunkElements = Int(chunkDims[0])
        let chunkBytes = chunkElements * elementSize
        let space = try check(H5Dget_space(dataset.id), file: file, object: object, "reading the dataspace")
        defer { H5Sclose(space) }
        var chunkCount: hsize_t = 0
        try check(H5Dget_num_chunks(dataset.id, space, &chunkCount), file: file, object: object, "counting chunks")

        var compressed: [[UInt8]] = []
        var starts: [Int] = []      // first element of each chunk in this round
        var masks: [UInt32] = []    // filters skipped for each chunk (bit 0 set: stored uncompressed)
        var index: hsize_t = 0
        while index < chunkCount {
            compressed.removeAll(keepingCapacity: true); starts.removeAll(keepingCapacity: true); masks.removeAll(keepingCapacity: true)
            while index < chunkCount && compressed.count < chunksPerRound {
                var offset = [hsize_t](repeating: 0, count: 1)
                var mask: UInt32 = 0
                var address: haddr_t = 0
                var size: hsize_t = 0
                try check(H5Dget_chunk_info(dataset.id, space, index, &offset, &mask, &address, &size),
                          file: file, object: object, "locating chunk \(index)")
                var bytes = [UInt8](repeating: 0, count: Int(size))
                try check(H5Dread_chunk(dataset.id, cellvi_H5P_DEFAULT(), &offset, &mask, &bytes),
                          file: file, object: object, "reading chunk \(index)")
                compressed.append(bytes); starts.append(Int(offset[0])); masks.append(mask)
                index += 1
            }
            let total = shape[0]
            let round = compressed.count
            let base = output.baseAddress!
            let workers = min(threads, round)
            var failures = [String?](repeating: nil, count: workers)  // one slot per worker: no shared writes
            failures.withUnsafeMutableBufferPointer { failure in
            compressed.withUnsafeBufferPointer { chunks in
                DispatchQueue.concurrentPerform(iterations: workers) { worker in
                    var scratch = [UInt8](repeating: 0, count: chunkBytes)
                    for c in stride(from: worker, to: round, by: workers) {
                        let validBytes = min(chunkElements, total - starts[c]) * elementSize
                        let destination = base + starts[c] * elementSize
                        if masks[c] & 1 != 0 {  // deflate skipped: stored raw
                            chunks[c].withUnsafeBytes { destination.copyMemory(from: $0.baseAddress!, byteCount: min(validBytes, $0.count)) }
                            continue
                        }
                        var length = uLongf(chunkBytes)
                        let status = scratch.withUnsafeMutableBytes { out in
                            chunks[c].withUnsafeBytes { source in
                                uncompress(out.baseAddress!.assumingMemoryBound(to: Bytef.self), &length,
                                           source.baseAddress!.assumingMemoryBound(to: Bytef.self), uLong(source.count))
                            }
                        }
                        if status != Z_OK || Int(length) < validBytes {
                            failure[worker] = "chunk at element \(starts[c]) does not inflate (zlib status \(status))"
                            continue
                        }
                        scratch.withUnsafeBytes { destination.copyMemory(from: $0.baseAddress!, byteCount: validBytes) }
                    }
                }
            }
            }
            if let failure = failures.compactMap({ $0 }).first {
                throw HDF5Error.callFailed(file: file, object: object, operation: "decompressing", detail: failure)
            }
        }
        return true
    }
}
