import ArgumentParser
import CellviIO
import Foundation

/// `cellvi elbo MODEL INPUT [--marginal-ll --samples K]`: how well the model explains the cells.
struct ElboCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "elbo",
        abstract: "ELBO, reconstruction error and (optionally) importance-sampled marginal log-likelihood of INPUT's cells.",
        discussion: "Values are means per cell, as scvi-tools' get_elbo, get_reconstruction_error and get_marginal_ll report them (negative log-likelihoods: lower is better).")

    @OptionGroup var source: ModelInputOptions

    @Flag(name: .customLong("marginal-ll"), help: "Also estimate −log p(x) by importance sampling.")
    var marginalLogLikelihood = false

    @Option(help: "Importance samples per cell for --marginal-ll.")
    var samples = 1000

    @Option(help: "Random seed.")
    var seed: UInt64 = 0

    @Flag(help: "Print one JSON object.")
    var json = false

    func validate() throws {
        if samples < 1 { throw ValidationError("--samples must be at least 1 (got \(samples)).") }
    }

    func run() throws {
        let (checkpoint, data, counts, codes) = try source.load()
        let bound = try checkpoint.model.elbo(counts: counts, batchCodes: codes, seed: seed)
        var report: [String: Double] = ["elbo": bound.elbo, "reconstruction_error": bound.reconstruction, "kl": bound.kl,
                                        "cells": Double(data.observationCount)]
        if marginalLogLikelihood {
            let perCell = try checkpoint.model.marginalLogLikelihood(counts: counts, batchCodes: codes, sampleCount: samples, seed: seed)
            report["marginal_ll"] = -perCell.reduce(0, +) / Double(max(perCell.count, 1))
        }
        if json {
            print(try JSONOutput.string(report))
        } else {
            print(String(format: "cells                 %d", data.observationCount))
            print(String(format: "ELBO                  %.4f", bound.elbo))
            print(String(format: "reconstruction error  %.4f", bound.reconstruction))
            print(String(format: "KL divergence         %.4f", bound.kl))
            if let ll = report["marginal_ll"] { print(String(format: "marginal −log p(x)    %.4f  (%d samples)", ll, samples)) }
        }
    }
}
