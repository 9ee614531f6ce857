/// Generated assignment-shaped instances at the sizes of the matching targets: volunteers → needs,
/// as `addVolunteerCandidates` builds them (PeopleMatching.swift), for measuring the solver
/// (`reliefctl solve --generate province-people|country-people`) and comparing it with other
/// solvers on the same file.
///
/// Every volunteer holds one skill and is a node of supply 1; every need asks for one skill and
/// is a node of demand 10–40. Each volunteer has an arc of capacity 1 to its one or two nearest
/// needs of its skill (cost: the straight-line distance in units of 100 m, at least 1) and an arc
/// of capacity 1 and cost 0 to the slack node (stays home); the slack node has an arc to every
/// need of capacity = its demand and cost = its unmet penalty, 1,000,000 × (6 − priority), so the
/// instance is always feasible and every volunteer who can be placed is. Nodes: the volunteers,
/// then the needs, then the slack node. With the slack node removed, the network falls apart into
/// at least one assignment problem per skill. Deterministic for a seed.
public enum PeopleBenchmarkInstance: String, Sendable, CaseIterable {
    /// 30,000 volunteers, 1,000 needs, 6 skills, over 500 × 500 km: 31,001 nodes, about 76,000 arcs.
    case province = "province-people"
    /// 300,000 volunteers, 10,000 needs, 12 skills, over 4,000 × 3,000 km: 310,001 nodes, about
    /// 760,000 arcs (the size of the assignment network issue 16 measured).
    case country = "country-people"

    public var volunteers: Int { self == .province ? 30_000 : 300_000 }
    public var needs: Int { self == .province ? 1_000 : 10_000 }
    public var skills: Int { self == .province ? 6 : 12 }

    public func network(seed: UInt64) -> FlowNetwork {
        var random = InstanceRandom(seed: seed)
        let (width, height): (Double, Double) = self == .province ? (500, 500) : (4_000, 3_000)
        let volunteers = self.volunteers, needs = self.needs, skills = self.skills
        var needX: [Double] = [], needY: [Double] = [], demand: [Int64] = [], penalty: [Int64] = []
        var needsOfSkill = [[Int]](repeating: [], count: skills)
        for need in 0..<needs {
            needX.append(random.unit() * width)
            needY.append(random.unit() * height)
            demand.append(10 + Int64(random.below(31)))
            penalty.append(1_000_000 * (5 - Int64(random.below(5))))
            // Every skill has needs: the first `skills` needs take one each.
            needsOfSkill[need < skills ? need : random.below(skills)].append(need)
        }
        let slack = volunteers + needs
        var network = FlowNetwork(nodeCount: slack + 1)
        network.reserveCapacity(arcs: volunteers * 3 + needs)
        var balance: Int64 = -Int64(volunteers)
        for volunteer in 0..<volunteers { network.setSupply(of: volunteer, to: 1) }
        for need in 0..<needs {
            network.setSupply(of: volunteers + need, to: -demand[need])
            balance += demand[need]
        }
        network.setSupply(of: slack, to: balance)
        for volunteer in 0..<volunteers {
            let x = random.unit() * width, y = random.unit() * height
            let skill = random.below(skills)
            let wanted = 1 + random.below(2)
            // The nearest and second nearest need of the skill (ties: the lower index).
            var best = -1, second = -1
            var bestDistance = Double.infinity, secondDistance = Double.infinity
            for need in needsOfSkill[skill] {
                let dx = needX[need] - x, dy = needY[need] - y
                let distance = dx * dx + dy * dy
                if distance < bestDistance {
                    (second, secondDistance) = (best, bestDistance)
                    (best, bestDistance) = (need, distance)
                } else if distance < secondDistance {
                    (second, secondDistance) = (need, distance)
                }
            }
            network.addArc(from: volunteer, to: volunteers + best, capacity: 1, cost: 1 + Int64(bestDistance.squareRoot() * 10))
            if wanted == 2 && second >= 0 {
                network.addArc(from: volunteer, to: volunteers + second, capacity: 1,
                               cost: 1 + Int64(secondDistance.squareRoot() * 10))
            }
            network.addArc(from: volunteer, to: slack, capacity: 1, cost: 0)
        }
        for need in 0..<needs {
            network.addArc(from: slack, to: volunteers + need, capacity: demand[need], cost: penalty[need])
        }
        return network
    }
}
