import CellviHDF5
import Foundation
import XCTest

final class HDF5RoundTripTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("cellvi-hdf5-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    func testNumbersStringsAndAttributesRoundTrip() throws {
        let path = directory.appendingPathComponent("a.h5").path
        do {
            let file = try HDF5File.create(path: path)
            let root = try file.root
            let group = try root.createGroup("g")
            try group.setAttribute("encoding-type", .string("csr_matrix"))
            try group.setAttribute("shape", .ints([3, 4]))
            try group.setAttribute("ordered", .bool(true))
            try group.setAttribute("names", .strings(["a", "b"]))
            try group.writeDataset("data", values: [Float](arrayLiteral: 1, 2, 3, 4, 5, 6), shape: [2, 3],
                                   compression: HDF5Compression())
            try group.writeDataset("indices", values: [Int64](arrayLiteral: 0, 1, 2), shape: [3])
            try group.writeDataset("empty", values: [Int32](), shape: [0], compression: HDF5Compression())
            try group.writeDataset("scalar", values: [2.5], shape: [])
            try group.writeStrings("names", ["α", "", "gene-1"])
            try group.writeStrings("one", ["hello"], scalar: true)
            try group.writeBooleans("mask", [true, false, true])
        }
        let file = try HDF5File.open(path: path)
        let group = try file.root.group("g")
        XCTAssertEqual(try group.childNames(), ["data", "empty", "indices", "mask", "names", "one", "scalar"])
        XCTAssertEqual(try group.attribute("encoding-type"), .string("csr_matrix"))
        XCTAssertEqual(try group.attribute("shape")?.integerValues, [3, 4])
        XCTAssertEqual(try group.attribute("ordered"), .bool(true))
        XCTAssertEqual(try group.attribute("names"), .strings(["a", "b"]))
        XCTAssertNil(try group.attribute("absent"))
        let data = try group.dataset("data")
        XCTAssertEqual(try data.shape, [2, 3])
        XCTAssertEqual(try data.elementType, .float(bytes: 4))
        XCTAssertEqual(try data.read(as: Double.self), [1, 2, 3, 4, 5, 6])
        XCTAssertEqual(try data.filterNames(), ["deflate"])
        XCTAssertEqual(try group.dataset("indices").read(as: Int32.self, range: 1..<3), [1, 2])
        XCTAssertEqual(try group.dataset("empty").read(as: Float.self), [])
        XCTAssertEqual(try group.dataset("scalar").shape, [])
        XCTAssertEqual(try group.dataset("scalar").read(as: Double.self), [2.5])
        XCTAssertEqual(try group.dataset("names").readStrings(), ["α", "", "gene-1"])
        XCTAssertEqual(try group.dataset("one").readStrings(), ["hello"])
        XCTAssertEqual(try group.dataset("mask").read(as: Int8.self), [1, 0, 1])
        XCTAssertEqual(try group.dataset("mask").elementType, .enumeration(bytes: 1))
        XCTAssertTrue(try file.root.contains("g/data"))
        XCTAssertFalse(try file.root.contains("g/nothing/deeper"))
        XCTAssertEqual(try file.root.kind(of: "g"), .group)
    }

    func testMissingObjectsAndFilesAreTypedErrors() throws {
        let missing = directory.appendingPathComponent("nope.h5").path
        XCTAssertThrowsError(try HDF5File.open(path: missing)) { error in
            XCTAssertEqual(error as? HDF5Error, .fileNotFound(file: missing))
        }
        let text = directory.appendingPathComponent("text.h5ad")
        try "not hdf5".write(to: text, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try HDF5File.open(path: text.path)) { error in
            guard case .notHDF5(let file, _)? = error as? HDF5Error else { return XCTFail("\(error)") }
            XCTAssertEqual(file, text.path)
        }
        let path = directory.appendingPathComponent("b.h5").path
        do { _ = try HDF5File.create(path: path).root.createGroup("x") }
        let root = try HDF5File.open(path: path).root
        XCTAssertThrowsError(try root.dataset("x")) { error in
            guard case .unexpectedType(_, let object, _, _)? = error as? HDF5Error else { return XCTFail("\(error)") }
            XCTAssertEqual(object, "/x")
        }
        XCTAssertThrowsError(try root.group("y/z")) { error in
            XCTAssertEqual(error as? HDF5Error, .missingObject(file: path, object: "/y/z"))
        }
        XCTAssertThrowsError(try root.group("x").dataset("d").read(as: Float.self))
    }

    func testParallelChunkInflationMatchesTheLibrary() throws {
        let path = directory.appendingPathComponent("chunks.h5").path
        let counts = (0..<200_003).map { Int32(($0 * 7919) % 1013) }  // 4 chunks of 65,536, the last one partial
        do {
            let root = try HDF5File.create(path: path).root
            try root.writeDataset("counts", values: counts, shape: [counts.count], compression: HDF5Compression())
            try root.writeDataset("plain", values: counts, shape: [counts.count])
        }
        let root = try HDF5File.open(path: path).root
        let compressed = try root.dataset("counts")
        XCTAssertTrue(try compressed.storesExactly(Int32.self))
        XCTAssertEqual(try compressed.read(as: Int32.self), counts, "parallel gzip path")
        XCTAssertEqual(try compressed.read(as: Int32.self, range: 65_530..<65_545), Array(counts[65_530..<65_545]), "library path")
        XCTAssertEqual(try compressed.read(as: Float.self), counts.map(Float.init), "converting path")
        XCTAssertEqual(try root.dataset("plain").read(as: Int32.self), counts, "contiguous")
        HDF5Dataset.decompressionThreads = 1
        defer { HDF5Dataset.decompressionThreads = ProcessInfo.processInfo.activeProcessorCount }
        XCTAssertEqual(try compressed.read(as: Int32.self), counts, "one thread")
    }
}
