import CZlib
import Foundation

/// Reads a text file line by line, gunzipping it on the fly when it is gzip-compressed.
/// zlib's `gzread` passes uncompressed files through unchanged, so `.tsv` and `.tsv.gz`
/// take the same path. Lines are handed out without their `\n` / `\r\n`.
enum GzipLineReader {
    /// Calls `body(line, lineNumber)` for every line (1-based numbers). The buffer is only
    /// valid during the call.
    static func forEachLine(path: String, _ body: (UnsafeBufferPointer<UInt8>, Int) throws -> Void) throws {
        guard let file = gzopen(path, "rb") else {
            throw CellviIOError.invalid(file: path, key: "open", problem: "cannot open the file",
                                        fix: "Check that it exists and is readable.")
        }
        defer { gzclose(file) }
        gzbuffer(file, 1 << 17)

        let chunkSize = 1 << 20
        var capacity = 2 * chunkSize
        var storage = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)  // (capacity)
        defer { storage.deallocate() }
        var pending = 0      // bytes of an unfinished line kept at the front of `storage`
        var lineNumber = 0
        while true {
            if capacity - pending < chunkSize {  // a line longer than the buffer: grow it
                let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity * 2)
                grown.update(from: storage, count: pending)
                storage.deallocate()
                storage = grown
                capacity *= 2
            }
            let read = Int(gzread(file, storage + pending, UInt32(capacity - pending)))
            if read < 0 { throw decompressionError(file: file, path: path) }
            let end = pending + read
            let all = UnsafeBufferPointer(start: storage, count: end)
            var start = 0
            for i in pending..<end where all[i] == UInt8(ascii: "\n") {
                lineNumber += 1
                try body(trimmingCarriageReturn(all, start, i), lineNumber)
                start = i + 1
            }
            if read == 0 {
                if start < end {  // last line without a final newline
                    lineNumber += 1
                    try body(trimmingCarriageReturn(all, start, end), lineNumber)
                }
                return
            }
            pending = end - start
            if start > 0, pending > 0 { memmove(storage, storage + start, pending) }
        }
    }

    private static func trimmingCarriageReturn(_ all: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> UnsafeBufferPointer<UInt8> {
        var end = end
        if end > start, all[end - 1] == UInt8(ascii: "\r") { end -= 1 }
        return UnsafeBufferPointer(rebasing: all[start..<end])
    }

    private static func decompressionError(file: gzFile, path: String) -> CellviIOError {
        var code: Int32 = 0
        let message = gzerror(file, &code).map { String(cString: $0) } ?? "unknown zlib error"
        return CellviIOError.invalid(file: path, key: "gzip", problem: "cannot decompress (\(message))",
                                     fix: "The file is damaged or truncated; copy or download it again.")
    }
}
