import ReliefEngine

extension Server {
    /// Hands the planning standards (planning_file) to the engine, before `run`.
    public func usePlanningStandards(_ standards: PlanningStandards?) {
        engine.planningStandards = standards
    }
}
