import Foundation
import XCTest

/// Reader for Golden/golden.bin (see make_golden.py for the format).
struct GoldenFile {
    struct Case {
        let config: [String: Any]
        let tensors: [String: (shape: [Int], values: [Float])]
        func values(_ name: String) -> [Float]? { tensors[name]?.values }
    }
    let cases: [String: Case]

    static let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Golden/golden.bin")

    static func load() throws -> GoldenFile {
        let data = try Data(contentsOf: url)
        let bytes = [UInt8](data)
        guard let nl1 = bytes.firstIndex(of: 10),
              String(decoding: bytes[0..<nl1], as: UTF8.self) == "CELLVI-GOLDEN 1" else {
            throw NSError(domain: "golden", code: 1, userInfo: [NSLocalizedDescriptionKey: "golden.bin: missing or unsupported version header"])
        }
        let nl2 = bytes[(nl1 + 1)...].firstIndex(of: 10)!
        let header = try JSONSerialization.jsonObject(with: Data(bytes[(nl1 + 1)..<nl2])) as! [String: Any]
        let start = nl2 + 1
        var floats = [Float](repeating: 0, count: (bytes.count - start) / 4)
        floats.withUnsafeMutableBytes { dst in
            bytes.withUnsafeBytes { src in
                dst.copyMemory(from: UnsafeRawBufferPointer(rebasing: src[start..<(start + dst.count)]))
            }
        }
        var cases: [String: Case] = [:]
        for (name, entry) in header["cases"] as! [String: Any] {
            let e = entry as! [String: Any]
            var tensors: [String: ([Int], [Float])] = [:]
            for (t, spec) in e["tensors"] as! [String: Any] {
                let s = spec as! [Any]
                let offset = s[0] as! Int, shape = s[1] as! [Int]
                let n = shape.reduce(1, *)
                tensors[t] = (shape, Array(floats[offset..<(offset + n)]))
            }
            cases[name] = Case(config: e["config"] as! [String: Any], tensors: tensors)
        }
        return GoldenFile(cases: cases)
    }
}

/// Compares tensors, printing the per-tensor max difference; records failures on mismatch.
/// Relative error = max |a − b| / max(max |b|, floor). `absoluteTolerance` admits tensors whose exact
/// value is zero (e.g. Linear biases before BatchNorm, where both sides hold rounding noise).
struct TensorComparer {
    var label: String
    var failures: [String] = []

    mutating func check(_ name: String, _ actual: [Float], _ expected: [Float]?, tolerance: Double,
                        floor: Double = 1e-6, absoluteTolerance: Double = 0, file: StaticString = #filePath, line: UInt = #line) {
        guard let expected else { failures.append("\(name): missing in golden file"); XCTFail("\(label) \(name): missing in golden file", file: file, line: line); return }
        guard actual.count == expected.count else {
            failures.append(name); XCTFail("\(label) \(name): \(actual.count) values vs \(expected.count)", file: file, line: line); return
        }
        var maxDiff = 0.0, maxRef = 0.0
        for (a, b) in zip(actual, expected) {
            maxDiff = max(maxDiff, abs(Double(a) - Double(b)))
            if !a.isFinite { maxDiff = .infinity }
            maxRef = max(maxRef, abs(Double(b)))
        }
        let rel = maxDiff / max(maxRef, floor)
        let ok = rel <= tolerance || maxDiff <= absoluteTolerance
        print(String(format: "  %@ %-58@ max|diff| %.3e  rel %.3e %@", label, name, maxDiff, rel, ok ? "ok" : "MISMATCH"))
        if !ok {
            failures.append(name)
            XCTFail("\(label) \(name): relative difference \(rel) > \(tolerance)", file: file, line: line)
        }
    }
}
