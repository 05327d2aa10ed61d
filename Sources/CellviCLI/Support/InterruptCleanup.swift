import CellviIO
import Dispatch
import Foundation

/// On SIGINT or SIGTERM, deletes the outputs still being written (`TemporaryOutputs`) and exits
/// with 128 + the signal number, as a shell reports a killed command.
enum InterruptCleanup {
    nonisolated(unsafe) private static var sources: [DispatchSourceSignal] = []

    /// Installs the handlers once, before a command starts writing.
    static func install() {
        guard sources.isEmpty else { return }
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber, SIG_IGN)   // delivered to the dispatch source instead
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler {
                TemporaryOutputs.removeAll()
                FileHandle.standardError.write(Data("\ncellvi: interrupted; removed unfinished outputs\n".utf8))
                exit(128 + signalNumber)
            }
            source.resume()
            sources.append(source)
        }
    }
}
