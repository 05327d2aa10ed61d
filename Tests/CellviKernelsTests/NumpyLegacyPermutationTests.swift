import CellviKernels
import XCTest

/// Expected values printed by `numpy.random.RandomState(seed).permutation(n)` (numpy 2.4).
final class NumpyLegacyPermutationTests: XCTestCase {
    func testMatchesNumpy() {
        XCTAssertEqual(numpyLegacyPermutation(10, seed: 0), [2, 8, 4, 9, 1, 6, 7, 3, 0, 5])
        XCTAssertEqual(Array(numpyLegacyPermutation(2000, seed: 0).prefix(12)),
                       [405, 1190, 1132, 731, 1754, 1178, 1533, 1303, 1857, 18, 1266, 1543])
        XCTAssertEqual(Array(numpyLegacyPermutation(100_000, seed: 42).prefix(8)),
                       [75721, 80184, 19864, 76699, 92991, 76434, 84004, 80917])
    }

    func testIsAPermutation() {
        XCTAssertEqual(numpyLegacyPermutation(1000, seed: 7).sorted(), Array(0..<1000))
        XCTAssertEqual(numpyLegacyPermutation(1, seed: 7), [0])
        XCTAssertEqual(numpyLegacyPermutation(0, seed: 7), [])
    }
}
