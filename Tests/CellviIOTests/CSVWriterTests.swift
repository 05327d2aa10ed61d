@testable import CellviIO
import CellviKernels
import Foundation
import XCTest

final class CSVWriterTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("cellvi-csv-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    func testMatrixWithHeaderIdsAndShortestFloats() throws {
        let path = directory.appendingPathComponent("latent.csv").path
        let m = Matrix(rows: 2, columns: 3, values: [0.1, 1, -2.5e-7, 3.4028235e38, .nan, -.infinity])
        try CSVWriter.write(m, rowIds: ["AAAC-1", "AAAG-1"], columnNames: ["z0", "z1", "z2"], to: path)
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8),
                       "cell,z0,z1,z2\nAAAC-1,0.1,1.0,-2.5e-07\nAAAG-1,3.4028235e+38,NaN,-Inf\n")
    }

    func testFloatsRoundTrip() throws {
        let path = directory.appendingPathComponent("round.csv").path
        var generator = SystemRandomNumberGenerator()
        let values = (0..<200).map { _ in Float(bitPattern: UInt32.random(in: 0x0080_0000...0x7F7F_FFFF, using: &generator)) }
        try CSVWriter.write(Matrix(rows: 200, columns: 1, values: values), rowIds: (0..<200).map(String.init),
                            columnNames: ["v"], to: path)
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").dropFirst()
        XCTAssertEqual(lines.map { Float($0.split(separator: ",")[1])! }, values)
    }

    func testQuotesFieldsPerRFC4180() throws {
        let path = directory.appendingPathComponent("labels.csv").path
        try CSVWriter.write(columns: [("label", .strings(["T cell, CD4+", "say \"hi\"", nil, "two\nlines"])),
                                      ("n", .integers([1, 2, 3, 4]))],
                            rowIds: ["a", "b", "c", "d"], idColumnName: "barcode", to: path)
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8),
                       "barcode,label,n\na,\"T cell, CD4+\",1\nb,\"say \"\"hi\"\"\",2\nc,,3\nd,\"two\nlines\",4\n")
    }

    func testDataFrameColumnsAsPandasWritesThem() {
        guard case .strings(let v) = CSVColumn(.nullableBooleans([true, nil])) else { return XCTFail() }
        XCTAssertEqual(v, ["True", nil])
        guard case .strings(let c) = CSVColumn(.categorical(codes: [1, -1], categories: ["a", "b"], ordered: false)) else { return XCTFail() }
        XCTAssertEqual(c, ["b", nil])
    }

    func testShapeMismatchLeavesNoFile() {
        let path = directory.appendingPathComponent("bad.csv").path
        XCTAssertThrowsError(try CSVWriter.write(Matrix(zeros: 2, 2), rowIds: ["a"], columnNames: ["x", "y"], to: path)) {
            XCTAssertTrue(String(describing: $0).contains("1 row ids for a matrix of 2 rows"), "\($0)")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), [])
    }

    func testReplacesAnExistingFileAndRefusesInputs() throws {
        let path = directory.appendingPathComponent("out.csv").path
        try "old".write(toFile: path, atomically: false, encoding: .utf8)
        try CSVWriter.write(columns: [("x", .doubles([0.25]))], rowIds: ["a"], to: path)
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "cell,x\na,0.25\n")
        XCTAssertThrowsError(try CSVWriter.write(columns: [], rowIds: [], to: path, refusingToOverwrite: [path]))
    }
}
