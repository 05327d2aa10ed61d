import Foundation
import XCTest

/// Ctrl-C (SIGINT) or kill (SIGTERM) during a run leaves no partial output behind.
final class InterruptTests: XCTestCase {
    func testInterruptedTrainLeavesNoPartialOutput() throws {
        for (signalNumber, status) in [(SIGINT, Int32(130)), (SIGTERM, Int32(143))] {
            let dir = try CLIRunner.temporaryDirectory(self)
            let process = Process()
            process.executableURL = CLIRunner.executable
            process.arguments = ["train", CLIRunner.datasets.appendingPathComponent("pbmc10x_3tech_savercat/pbmc10x_3tech_savercat.h5ad").path,
                                 "--epochs", "400", "--threads", "1", "-o", dir.appendingPathComponent("run").path]
            process.standardError = FileHandle.nullDevice
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            // Wait until the run has started writing (its staging directory exists), then signal it.
            let deadline = Date().addingTimeInterval(60)
            while Date() < deadline, try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty {
                usleep(50_000)
            }
            usleep(300_000)
            kill(process.processIdentifier, signalNumber)
            process.waitUntilExit()
            XCTAssertEqual(process.terminationStatus, status, "signal \(signalNumber)")
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), [],
                           "signal \(signalNumber) left files behind")
        }
    }
}
