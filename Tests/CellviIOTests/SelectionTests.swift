import CellviIO
import CellviKernels
import XCTest

final class SelectionTests: XCTestCase {
    /// 3 cells × 4 genes with a categorical obs column, a layer and an obsm entry.
    private func sample() -> AnnData {
        let x = CSRMatrix(dense: Matrix(rows: 3, columns: 4, values: [1, 0, 2, 0,  0, 3, 0, 4,  5, 0, 0, 6]))
        let obs = DataFrame(index: ["c0", "c1", "c2"], columns: [("type", .categorical(codes: [0, 1, 0], categories: ["a", "b"], ordered: false))])
        var data = AnnData(obs: obs, vars: DataFrame(index: ["g0", "g1", "g2", "g3"]), x: x, layers: ["counts": x])
        data.obsm["X_pca"] = Matrix(rows: 3, columns: 2, values: [0, 1, 2, 3, 4, 5])
        return data
    }

    func testSelectCellsByNameAndGenesByMask() throws {
        let selected = try sample().selecting(cells: .names(["c2", "c0"]), genes: .mask([true, false, false, true]))
        XCTAssertEqual(selected.obsNames, ["c2", "c0"])
        XCTAssertEqual(selected.varNames, ["g0", "g3"])
        XCTAssertEqual(selected.x?.densified().values, [5, 6, 1, 0])
        XCTAssertEqual(selected.layers["counts"]?.densified().values, [5, 6, 1, 0])
        XCTAssertEqual(selected.obsm["X_pca"]?.values, [4, 5, 0, 1])
        XCTAssertEqual(selected.obs["type"], .categorical(codes: [0, 0], categories: ["a", "b"], ordered: false))
    }

    func testSelectByPositionAndErrors() throws {
        let data = sample()
        XCTAssertEqual(try data.selecting(genes: .indices([3, 1])).x?.densified().values, [0, 0, 4, 3, 6, 0])
        XCTAssertThrowsError(try data.selecting(cells: .names(["c9"]), file: "f.h5ad")) { error in
            XCTAssertTrue(String(describing: error).contains("c9"), "\(error)")
        }
        XCTAssertThrowsError(try data.selecting(genes: .mask([true]), file: "f.h5ad"))
        XCTAssertThrowsError(try data.selecting(cells: .indices([3]), file: "f.h5ad"))
    }

    func testAlignGenesByNameFillingMissing() throws {
        let data = sample()
        let (aligned, missing) = try alignGenes(data.x!, varNames: data.varNames, to: ["g3", "gX", "g0"], fillMissing: true, file: "f")
        XCTAssertEqual(missing, ["gX"])
        XCTAssertEqual(aligned.densified().values, [0, 0, 1,  4, 0, 0,  6, 0, 5])
        XCTAssertThrowsError(try alignGenes(data.x!, varNames: data.varNames, to: ["gX"], fillMissing: false, file: "f")) { error in
            XCTAssertTrue(String(describing: error).contains("--fill-missing-genes"))
        }
    }
}
