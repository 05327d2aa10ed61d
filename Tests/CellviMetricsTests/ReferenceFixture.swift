import CellviKernels
import Foundation
import XCTest

/// The scib-metrics fixture written by `Reference/compare_scib.py`.
struct ReferenceFixture: Decodable {
    struct Metrics: Decodable {
        var silhouetteLabel, silhouetteBatch, ilisi, clisi, kbet, graphConnectivity, isolatedLabels: Double
        var nmi, ari, pcrComparison, bioConservation, batchCorrection, total: Double
    }
    struct ScanpyNeighbors: Decodable {
        var nNeighbors: Int
        var connectivitiesNonZero: Int
        var connectivitiesRowSums: [Double]
        var distancesNonZero: Int
        var distancesRowSums: [Double]
    }
    struct Spread: Decodable { var nmiMin, nmiMax, ariMin, ariMax: Double }
    var fixtureVersion: Int
    var source: String
    var versions: [String: String]
    var cellCount: Int
    var embeddingDimensions: Int
    var preIntegrationDimensions: Int
    var batches: [String]
    var labels: [String]
    var metrics: Metrics
    var kmeansSeedSpread: Spread
    var scanpyNeighbors: ScanpyNeighbors
    var leidenIgraph: [Int32]
    var leidenLeidenalg: [Int32]
    var leidenIgraphSeeds: [[Int32]]
    var leidenIgraphModularity: [Double]

    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Reference")

    static func load() throws -> (ReferenceFixture, embedding: Matrix, preIntegration: Matrix) {
        let json = try Data(contentsOf: directory.appendingPathComponent("scib_reference.json"))
        let fixture = try JSONDecoder().decode(ReferenceFixture.self, from: json)
        XCTAssertEqual(fixture.fixtureVersion, 1, "regenerate with Reference/compare_scib.py")
        let embedding = try readFloat32(directory.appendingPathComponent("embedding.f32"),
                                        rows: fixture.cellCount, columns: fixture.embeddingDimensions)
        let pre = try readFloat32(directory.appendingPathComponent("pre_integration.f32"),
                                  rows: fixture.cellCount, columns: fixture.preIntegrationDimensions)
        return (fixture, embedding, pre)
    }

    static func readFloat32(_ url: URL, rows: Int, columns: Int) throws -> Matrix {
        let data = try Data(contentsOf: url)
        XCTAssertEqual(data.count, rows * columns * 4, "\(url.lastPathComponent): wrong size")
        let values = data.withUnsafeBytes { raw in
            (0..<(rows * columns)).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
        }
        return Matrix(rows: rows, columns: columns, values: values)
    }
}

/// Lazily loaded once per test process.
let referenceFixture: (ReferenceFixture, embedding: Matrix, preIntegration: Matrix) = {
    do { return try ReferenceFixture.load() } catch { fatalError("cannot load the scib-metrics fixture: \(error)") }
}()
