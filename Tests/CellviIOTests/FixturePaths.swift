import Foundation

/// Locations of committed test fixtures and the shared datasets, found from this file's path.
enum FixturePaths {
    static let testsDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    static let h5ad = testsDirectory.appendingPathComponent("Fixtures/h5ad")
    static let tenX = testsDirectory.appendingPathComponent("Fixtures/10x")
    static let repository = testsDirectory.deletingLastPathComponent()
    static let sharedDatasets = repository.deletingLastPathComponent().appendingPathComponent("shared/datasets")
    static let bundledDatasets = repository.appendingPathComponent("datasets")

    /// The expected-values sidecar of a fixture, parsed.
    static func expected(_ fixture: URL) throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: fixture.path + ".expected.json"))
        return try JSONSerialization.jsonObject(with: data) as! [String: Any]
    }
}
