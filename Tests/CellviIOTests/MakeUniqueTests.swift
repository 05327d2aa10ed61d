import CellviIO
import XCTest

/// `makeUnique` against anndata's `make_index_unique` (values checked with anndata 0.12).
final class MakeUniqueTests: XCTestCase {
    func testUniqueNamesAreReturnedUnchanged() {
        XCTAssertEqual(makeUnique(["a", "b", "c"]), ["a", "b", "c"])
        XCTAssertEqual(makeUnique([]), [])
    }

    func testRepeatsGetCountingSuffixes() {
        XCTAssertEqual(makeUnique(["a", "a", "b", "a"]), ["a", "a-1", "b", "a-2"])
    }

    func testSuffixesSkipNamesAlreadyPresent() {
        // anndata: pd.Index(["TSPAN6", "TSPAN6", "TSPAN6-1", "TSPAN6"]) → TSPAN6, TSPAN6-2, TSPAN6-1, TSPAN6-3
        XCTAssertEqual(makeUnique(["TSPAN6", "TSPAN6", "TSPAN6-1", "TSPAN6"]), ["TSPAN6", "TSPAN6-2", "TSPAN6-1", "TSPAN6-3"])
        // anndata: ["a", "a", "a-1", "a-1"] → a, a-2, a-1, a-1-1
        XCTAssertEqual(makeUnique(["a", "a", "a-1", "a-1"]), ["a", "a-2", "a-1", "a-1-1"])
    }

    func testCustomSeparator() {
        XCTAssertEqual(makeUnique(["x", "x"], separator: "_"), ["x", "x_1"])
    }
}
