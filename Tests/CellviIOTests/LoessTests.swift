@testable import CellviIO
import Foundation
import XCTest

/// `Loess.fittedValues` against skmisc.loess (Reference/loess_reference.json, from make_hvg_reference.py).
final class LoessTests: XCTestCase {
    private struct Reference: Decodable {
        struct Case: Decodable {
            var name: String
            var span: Double
            var degree: Int
            var x: [Double]
            var y: [Double]
            var fitted: [String: [Double]]
        }
        var cases: [Case]
    }

    private func reference() throws -> Reference {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Reference/loess_reference.json")
        return try JSONDecoder().decode(Reference.self, from: Data(contentsOf: url))
    }

    private func maxDifference(_ a: [Double], _ b: [Double]) -> Double {
        zip(a, b).map { abs($0 - $1) }.max() ?? 0
    }

    func testInterpolatedSurfaceMatchesSkmisc() throws {
        for c in try reference().cases {
            let ours = Loess.fittedValues(x: c.x, y: c.y, span: c.span, degree: c.degree, surface: .interpolate)
            let difference = maxDifference(ours, try XCTUnwrap(c.fitted["interpolate"]))
            print("loess \(c.name) interpolate: max |Δ| = \(difference)")
            XCTAssertLessThan(difference, 1e-9, c.name)
        }
    }

    func testDirectSurfaceMatchesSkmisc() throws {
        for c in try reference().cases {
            let ours = Loess.fittedValues(x: c.x, y: c.y, span: c.span, degree: c.degree, surface: .direct)
            let difference = maxDifference(ours, try XCTUnwrap(c.fitted["direct"]))
            print("loess \(c.name) direct: max |Δ| = \(difference)")
            XCTAssertLessThan(difference, 1e-9, c.name)
        }
    }

    func testPseudoInverseDropsSingularDirections() {
        // G = [[1, 1], [1, 1]] (rank 1): minimum-norm solution of G c = [2, 2] is [1, 1].
        let c = pseudoInverseSolve(gram: [1, 1, 1, 1], rhs: [2, 2], k: 2)
        XCTAssertEqual(c[0], 1, accuracy: 1e-12)
        XCTAssertEqual(c[1], 1, accuracy: 1e-12)
    }
}
