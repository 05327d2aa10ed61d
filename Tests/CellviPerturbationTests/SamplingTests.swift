import CellviKernels
@testable import CellviPerturbation
import XCTest

/// scGen balancing, equal sampling and δ, on hand-computed examples.
final class SamplingTests: XCTestCase {
    func testBalancerResamplesEveryTypeToTheLargest() {
        let types = ["A", "A", "A", "B", "C", "C"]
        var rng = RandomSource(seed: 3)
        let balanced = ScGenSampling.balanced([0, 1, 2, 3, 4, 5], cellTypes: types, rng: &rng)
        XCTAssertEqual(balanced.count, 9)   // 3 types × largest (3)
        XCTAssertEqual(balanced[0..<3].map { types[$0] }, ["A", "A", "A"])   // sorted type order, as np.unique
        XCTAssertEqual(balanced[3..<6].map { $0 }, [3, 3, 3])                 // the only B cell, with replacement
        XCTAssertEqual(Set(balanced[6..<9].map { types[$0] }), ["C"])
    }

    func testEqualSamplesAreWithoutReplacementOfTheSmallerSize() {
        var rng = RandomSource(seed: 1)
        let (c, s) = ScGenSampling.equalSamples(control: [10, 11, 12, 13, 14], stimulated: [20, 21, 22], rng: &rng)
        XCTAssertEqual(c.count, 3); XCTAssertEqual(s.count, 3)
        XCTAssertEqual(Set(c).count, 3); XCTAssertEqual(Set(s), [20, 21, 22])
    }

    /// Control: A = 2 cells at (1, 0), B = 1 cell at (3, 2) → balanced A, A, B, B → mean (2, 1).
    /// Stimulated: A = 1 cell at (2, 0), B = 2 cells at (5, 4) → balanced A, A, B, B → mean (3.5, 2).
    /// Both balanced sets have 4 cells, so the equal samples are all of them: δ = (1.5, 1).
    func testDeltaByHand() {
        let latent = Matrix(rows: 6, columns: 2, values: [1, 0, 1, 0, 3, 2, 2, 0, 5, 4, 5, 4])
        let types = ["A", "A", "B", "A", "B", "B"]
        for seed in 0..<5 as Range<UInt64> {
            let shift = LatentShift.compute(latent: latent, controlCells: [0, 1, 2], stimulatedCells: [3, 4, 5], cellTypes: types, seed: seed)
            XCTAssertEqual(shift.delta, [1.5, 1])
            XCTAssertEqual(shift.controlSample.count, 4)
        }
        let shifted = LatentShift(delta: [1.5, 1], controlSample: [], stimulatedSample: []).shifted(Matrix(rows: 1, columns: 2, values: [0, 0]))
        XCTAssertEqual(shifted.values, [1.5, 1])
    }

    func testShiftIsDeterministicUnderASeed() {
        var rng = RandomSource(seed: 9)
        let latent = Matrix(rows: 40, columns: 3, values: (0..<120).map { _ in rng.normal() })
        let types = (0..<40).map { ["A", "B", "C"][$0 % 3] }
        let a = LatentShift.compute(latent: latent, controlCells: Array(0..<25), stimulatedCells: Array(25..<40), cellTypes: types, seed: 4)
        let b = LatentShift.compute(latent: latent, controlCells: Array(0..<25), stimulatedCells: Array(25..<40), cellTypes: types, seed: 4)
        let c = LatentShift.compute(latent: latent, controlCells: Array(0..<25), stimulatedCells: Array(25..<40), cellTypes: types, seed: 5)
        XCTAssertEqual(a, b)
        XCTAssertNotEqual(a.controlSample, c.controlSample)
    }

    func testDesignErrorsNameTheFlag() {
        let conditions = ["ctrl", "ctrl", "stim", "stim"], types = ["A", "B", "A", "B"]
        func message(_ control: String, _ stimulated: String, _ target: String, types t: [String]? = nil) -> String {
            do {
                _ = try PerturbationDesign(conditions: conditions, cellTypes: t ?? types, control: control, stimulated: stimulated, target: target)
                return ""
            } catch { return "\(error)" }
        }
        XCTAssertTrue(message("control", "stim", "A").contains("--control 'control'"))
        XCTAssertTrue(message("ctrl", "stimulated", "A").contains("--stimulated 'stimulated'"))
        XCTAssertTrue(message("ctrl", "stim", "Z").contains("--target 'Z'"))
        XCTAssertTrue(message("ctrl", "stim", "C", types: ["A", "B", "C", "B"]).contains("no 'ctrl' cells"))
        XCTAssertEqual(message("ctrl", "stim", "A"), "")
        let design = try! PerturbationDesign(conditions: conditions, cellTypes: types, control: "ctrl", stimulated: "stim", target: "A")
        XCTAssertEqual(design.trainingCells, [0, 1, 3])
        XCTAssertThrowsError(try design.requireEvaluable()) { XCTAssertTrue("\($0)".contains("--holdout")) }
    }
}
