/// Which cells are control and stimulated, their types, and the type to predict. Validated on
/// construction; errors name the flag to fix.
public struct PerturbationDesign: Sendable {
    public let conditions: [String]     // (N) condition label per cell
    public let cellTypes: [String]      // (N) cell type per cell
    public let control: String
    public let stimulated: String
    public let target: String

    /// Fewest real cells of each condition in the target type for a hold-out evaluation.
    public static let minimumEvaluationCells = 3

    public init(conditions: [String], cellTypes: [String], control: String, stimulated: String, target: String) throws {
        var problems = Self.labelProblems(conditions: conditions, control: control, stimulated: stimulated)
        let typeSet = Set(cellTypes)
        if !typeSet.contains(target) {
            problems.append("--target '\(target)' is not a value of the cell-type column (values: \(Self.listed(typeSet))); pass one of them.")
        }
        if !problems.isEmpty { throw PerturbationError.invalidDesign(problems.joined(separator: "\n")) }
        self.conditions = conditions; self.cellTypes = cellTypes
        self.control = control; self.stimulated = stimulated; self.target = target
        if targetControlCells.isEmpty {
            throw PerturbationError.invalidDesign("--target '\(target)' has no '\(control)' cells to shift; "
                + "choose a cell type with control cells (see `cellvi inspect` for the counts per type).")
        }
        if trainingStimulatedCells.isEmpty {
            throw PerturbationError.invalidDesign("no '\(stimulated)' cells outside --target '\(target)': δ needs stimulated cells of "
                + "other types; check --stimulated and --condition-key.")
        }
    }

    private static func listed(_ s: Set<String>) -> String { s.sorted().prefix(12).joined(separator: ", ") }

    private static func labelProblems(conditions: [String], control: String, stimulated: String) -> [String] {
        let conditionSet = Set(conditions)
        var problems: [String] = []
        if control == stimulated { problems.append("--control and --stimulated are both '\(control)'; give two different condition labels.") }
        if !conditionSet.contains(control) {
            problems.append("--control '\(control)' is not a value of the condition column (values: \(listed(conditionSet))); pass one of them.")
        }
        if !conditionSet.contains(stimulated) {
            problems.append("--stimulated '\(stimulated)' is not a value of the condition column (values: \(listed(conditionSet))); pass one of them.")
        }
        return problems
    }

    /// Cell types with enough control and stimulated cells for a hold-out evaluation, sorted;
    /// throws when the condition labels are unknown.
    public static func evaluable(conditions: [String], cellTypes: [String], control: String, stimulated: String) throws -> [String] {
        let problems = labelProblems(conditions: conditions, control: control, stimulated: stimulated)
        if !problems.isEmpty { throw PerturbationError.invalidDesign(problems.joined(separator: "\n")) }
        var controls: [String: Int] = [:], stimulateds: [String: Int] = [:]
        for i in conditions.indices {
            if conditions[i] == control { controls[cellTypes[i], default: 0] += 1 }
            if conditions[i] == stimulated { stimulateds[cellTypes[i], default: 0] += 1 }
        }
        return Set(cellTypes).sorted().filter {
            controls[$0, default: 0] >= minimumEvaluationCells && stimulateds[$0, default: 0] >= minimumEvaluationCells
        }
    }

    /// The same conditions and types with another target.
    public func retargeted(_ target: String) throws -> PerturbationDesign {
        try PerturbationDesign(conditions: conditions, cellTypes: cellTypes, control: control, stimulated: stimulated, target: target)
    }

    /// Every cell except the stimulated cells of the target (what scGen trains on and balances).
    public var trainingCells: [Int] {
        conditions.indices.filter { !(cellTypes[$0] == target && conditions[$0] == stimulated) }
    }
    /// Control cells of all types (including the target).
    public var trainingControlCells: [Int] { conditions.indices.filter { conditions[$0] == control } }
    /// Stimulated cells of all types but the target.
    public var trainingStimulatedCells: [Int] {
        conditions.indices.filter { conditions[$0] == stimulated && cellTypes[$0] != target }
    }
    /// The target's control cells: the cells to predict from.
    public var targetControlCells: [Int] { conditions.indices.filter { cellTypes[$0] == target && conditions[$0] == control } }
    /// The target's real stimulated cells (held out; empty when the input has none).
    public var targetStimulatedCells: [Int] { conditions.indices.filter { cellTypes[$0] == target && conditions[$0] == stimulated } }

    /// Throws unless the target has enough real cells of both conditions to evaluate a prediction.
    public func requireEvaluable() throws {
        let c = targetControlCells.count, s = targetStimulatedCells.count, m = Self.minimumEvaluationCells
        if c < m || s < m {
            throw PerturbationError.invalidDesign("--holdout needs at least \(m) '\(control)' and \(m) '\(stimulated)' cells of --target "
                + "'\(target)' (found \(c) and \(s)); drop --holdout or choose a cell type with both conditions.")
        }
    }

    /// Cell types with enough control and stimulated cells for a hold-out evaluation, sorted.
    public var evaluableCellTypes: [String] {
        (try? Self.evaluable(conditions: conditions, cellTypes: cellTypes, control: control, stimulated: stimulated)) ?? []
    }
}
