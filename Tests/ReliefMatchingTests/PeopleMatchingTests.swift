import XCTest
import ReliefCore
@testable import ReliefMatching

/// People: available, certified, near volunteers to volunteer needs (nobody twice), ready teams as
/// units to team needs, fatigue, and a reason for every unmet personnel need.
final class PeopleMatchingTests: XCTestCase {
    private func flood() -> MatchingFixture {
        var f = MatchingFixture()
        f.incident("I1", "shanxi/taiyuan/xiaodian", 37.75, 112.55)
        return f
    }

    func testNearestAvailableCertifiedVolunteersAreChosen() throws {
        var f = flood()
        f.volunteer("far", 37.95, 112.55)
        f.volunteer("near", 37.76, 112.55)
        f.volunteer("middle", 37.80, 112.55)
        let need = f.need("I1", .volunteers(skill: "first-aid", count: 2, hours: 8))
        let plan = try f.match("I1")
        XCTAssertEqual(plan.lines.compactMap { if case .volunteer(need, let v, _) = $0 { v } else { nil } }, ["near", "middle"])
        XCTAssertEqual(plan.unmet, [])
    }

    func testAVolunteerIsNeverInTwoLines() throws {
        var f = flood()
        f.incident("I2", "shanxi/taiyuan/xiaodian", 37.76, 112.56)
        f.volunteer("only", 37.755, 112.55)
        let first = f.need("I1", .volunteers(skill: "first-aid", count: 1, hours: 8), priority: 1)
        let second = f.need("I2", .volunteers(skill: "first-aid", count: 1, hours: 8), priority: 2)
        let plan = try f.planAll()
        XCTAssertEqual(plan.lines.count, 1)
        XCTAssertEqual(plan.lines.first?.need, first)
        XCTAssertEqual(plan.unmet(second)?.missing, 1)
        XCTAssertTrue(plan.unmet(second)!.reason.hasPrefix("lower priority than competing needs: \(first) (I1, priority 1"), plan.unmet(second)!.reason)
    }

    func testATeamNeedTakesAWholeReadyTeamAndItsMembersAreNotSentTwice() throws {
        var f = flood()
        for id in ["t-1", "t-2", "t-3"] { f.volunteer(id, 37.78, 112.55) }
        f.team("med-1", specialty: "medical", members: ["t-1", "t-2", "t-3"])
        f.volunteer("solo", 37.90, 112.55)
        let teamNeed = f.need("I1", .teams(specialty: "medical", count: 1, hours: 12))
        let volunteerNeed = f.need("I1", .volunteers(skill: "first-aid", count: 2, hours: 8))
        let plan = try f.match("I1")
        XCTAssertEqual(plan.lines.filter { if case .team(teamNeed, "med-1", _) = $0 { true } else { false } }.count, 1, "\(plan.lines)")
        XCTAssertEqual(plan.lines.compactMap { if case .volunteer(volunteerNeed, let v, _) = $0 { v } else { nil } }, ["solo"])
        XCTAssertEqual(plan.unmet(volunteerNeed)?.missing, 1)
        XCTAssertTrue(plan.unmet(volunteerNeed)!.reason.contains("are members of teams proposed for team needs"), plan.unmet(volunteerNeed)!.reason)
    }

    func testFatigueSendsTheRestedVolunteerAtEqualDistance() throws {
        var f = flood()
        f.volunteer("a-tired", 37.80, 112.55)
        f.volunteer("b-rested", 37.80, 112.55)
        // a-tired worked 4 hours, ending 10 hours ago (rest of 8 h is over; 4 h of the last 24 on duty).
        f.apply(.checkedIn(id: "a-tired", incident: nil), at: hoursFromNow(-14))
        f.apply(.checkedOut(id: "a-tired"), at: hoursFromNow(-10))
        f.need("I1", .volunteers(skill: "first-aid", count: 1, hours: 8))
        let plan = try f.match("I1")
        guard case .volunteer(_, "b-rested", _)? = plan.lines.first else { return XCTFail("\(plan.lines)") }
    }

    // MARK: reasons

    func testReasonNoVolunteerWithTheSkill() throws {
        var f = flood()
        f.volunteer("v", 37.76, 112.55)
        let need = f.need("I1", .volunteers(skill: "driver", count: 1, hours: 8))
        XCTAssertEqual(try f.match("I1").unmet, [UnmetNeed(need: need, missing: 1, reason: "no volunteer has the skill driver")])
    }

    func testReasonCertificationsExpiredSaysHowMany() throws {
        var f = flood()
        f.volunteer("x1", 37.76, 112.55, certifiedUntil: "2026-11-01")
        f.volunteer("x2", 37.77, 112.55, certifiedUntil: "2026-11-30")
        f.volunteer("x3", 37.78, 112.55, certifiedUntil: nil)
        let need = f.need("I1", .volunteers(skill: "first-aid", count: 2, hours: 8))
        XCTAssertEqual(try f.match("I1").unmet(need)?.reason,
                       "certifications expired: none of the 3 volunteers with first-aid in the incident's province is certified on 2026-12-02 (2 expired, 1 never certified)")
    }

    func testACertificationExpiringBeforeTheNeedsDayDoesNotCount() throws {
        var f = flood()
        f.volunteer("x1", 37.76, 112.55, certifiedUntil: "2026-12-01")   // valid today, not on the need's day
        let need = f.need("I1", .volunteers(skill: "first-aid", count: 1, hours: 8), byHours: 24)
        XCTAssertEqual(try f.match("I1").unmet(need)?.missing, 1)
    }

    func testReasonAllDeployedOrRestingWithCounts() throws {
        var f = flood()
        for id in ["d1", "d2", "r1", "o1"] { f.volunteer(id, 37.76, 112.55) }
        f.apply(.checkedIn(id: "d1", incident: "other"), at: hoursFromNow(-2))
        f.apply(.checkedIn(id: "d2", incident: "other"), at: hoursFromNow(-3))
        f.apply(.checkedIn(id: "r1", incident: nil), at: hoursFromNow(-6))
        f.apply(.checkedOut(id: "r1"), at: hoursFromNow(-2))
        f.apply(.volunteerStatusSet(id: "o1", status: .offDuty, reason: "family", until: nil))
        let need = f.need("I1", .volunteers(skill: "first-aid", count: 1, hours: 8))
        XCTAssertEqual(try f.match("I1").unmet(need)?.reason,
                       "all 4 certified volunteers with first-aid in the incident's province are deployed or resting: 2 deployed, 1 resting, 1 off duty, on standby or unavailable")
    }

    func testReasonNoneWithinReachNamesTheNearest() throws {
        var f = flood()
        f.volunteer("far", 39.00, 112.55, region: "hebei/sjz")   // another province, however near
        let need = f.need("I1", .volunteers(skill: "first-aid", count: 1, hours: 8))
        let km = Coordinate(latitude: 39.00, longitude: 112.55).distanceKilometres(to: Coordinate(latitude: 37.75, longitude: 112.55))
        let tenths = Int((km * 10).rounded())
        XCTAssertEqual(try f.match("I1").unmet(need)?.reason,
                       "no volunteer with first-aid in the incident's province; nearest: far at \(tenths / 10).\(tenths % 10) km, beyond reach "
                       + "(reach province for priority 3; need change \(need) reach=country or plan reach=country looks further)")
        XCTAssertEqual(try f.match("I1", options: MatchingOptions(reach: .country)).unmet(need), nil, "reach=country finds them")
    }

    func testReasonNoReadyTeamSaysWhyNot() throws {
        var f = flood()
        for id in ["t-1", "t-2"] { f.volunteer(id, 37.78, 112.55) }
        f.team("med-1", specialty: "medical", members: ["t-1", "t-2"])
        f.apply(.checkedIn(id: "t-2", incident: "other"), at: hoursFromNow(-1))
        let need = f.need("I1", .teams(specialty: "medical", count: 1, hours: 12))
        let reason = try f.match("I1").unmet(need)?.reason
        XCTAssertTrue(reason?.hasPrefix("no ready medical team: med-1 partial (t-2: on duty since") == true, reason ?? "")
        let none = f.need("I1", .teams(specialty: "rescue", count: 1, hours: 12))
        XCTAssertEqual(try f.match("I1").unmet(none)?.reason, "no rescue team on the roster")
    }

    func testCandidatesPerNeedAreCappedNearestFirst() throws {
        var f = flood()
        for index in 0..<30 { f.volunteer("v\(index)", 37.76 + Double(index) * 0.001, 112.55) }
        f.need("I1", .volunteers(skill: "first-aid", count: 1, hours: 8))
        var policy = MatchingPolicy()
        policy.candidatesPerUnit = 5
        let result = try Matching.solve(state: f.state, now: matchNow, policy: policy, needs: Matching.openNeeds(of: "I1", in: f.state))
        // 5 volunteer nodes + 1 need + slack; 5 candidate arcs + 5 to slack + 1 unmet.
        XCTAssertEqual(result.stats.nodes, 7)
        XCTAssertEqual(result.stats.arcs, 11)
        guard case .volunteer(_, "v0", _)? = result.plan.lines.first else { return XCTFail("\(result.plan.lines)") }
    }

    /// The matcher's ring search finds exactly what `findVolunteers` finds with the same filters, whether
    /// it walks every cell of its rings or (a wide radius over few cells) only the cells that hold someone.
    func testNearestDeployableAgreesWithFindVolunteers() throws {
        var random = SplitMix64(seed: 11)
        var f = MatchingFixture()
        for v in 0..<400 {
            f.volunteer("v\(v)", 37.0 + Double(random.int(0...2000)) / 1000, 112.0 + Double(random.int(0...2000)) / 1000,
                        skills: random.chance(60) ? ["first-aid"] : ["first-aid", "driver"],
                        certifiedUntil: random.chance(20) ? "2026-11-01" : (random.chance(10) ? nil : "2027-12-31"))
            if random.chance(10) { f.apply(.checkedIn(id: "v\(v)", incident: nil), at: hoursFromNow(-1)) }
            else if random.chance(5) { f.apply(.volunteerStatusSet(id: "v\(v)", status: .unavailable, reason: "away", until: nil)) }
        }
        for trial in 0..<60 {
            let center = Coordinate(latitude: 37.0 + Double(random.int(0...2000)) / 1000, longitude: 112.0 + Double(random.int(0...2000)) / 1000)
            let skill = random.chance(50) ? "first-aid" : "driver"
            let radius = [3.0, 10, 40, 100, 400, 1500][random.int(0...5)], limit = random.int(1...60)
            let day = Day(iso8601: "2026-12-02")!
            let expected = f.state.findVolunteers(VolunteerFilter(skill: skill, certifiedAt: skill == "first-aid" ? day : nil, available: true,
                                                                  near: center, radiusKilometres: radius, limit: limit), at: matchNow)
            let got = f.state.nearestDeployable(skill: skill, certifiedOn: day, near: center, radiusKilometres: radius, limit: limit, at: matchNow)
            XCTAssertEqual(got.map(\.id), expected.map(\.volunteer.id), "trial \(trial)")
        }
    }

    /// Random rosters: every volunteer in at most one line, every line's volunteer available and
    /// certified on the need's day, no need given more than it misses; applying the lines as
    /// assignments leaves a sound state.
    func testRandomRostersNeverSendAnyoneTwice() throws {
        for seed in UInt64(1)...40 {
            var random = SplitMix64(seed: seed)
            var f = MatchingFixture()
            for i in 0..<3 { f.incident("I\(i)", "shanxi/taiyuan/xiaodian", 37.7 + Double(random.int(0...20)) / 100, 112.5 + Double(random.int(0...20)) / 100) }
            for v in 0..<random.int(2...12) {
                f.volunteer("v\(v)", 37.7 + Double(random.int(0...30)) / 100, 112.5 + Double(random.int(0...30)) / 100,
                            skills: random.chance(50) ? ["first-aid"] : ["first-aid", "driver"],
                            certifiedUntil: random.chance(20) ? "2026-11-01" : "2027-12-31")
                if random.chance(15) { f.apply(.checkedIn(id: "v\(v)", incident: nil), at: hoursFromNow(-1)) }
            }
            if f.state.volunteers.count >= 4, random.chance(50) { f.team("team-a", specialty: "rescue", members: ["v0", "v1"]) }
            for _ in 0..<random.int(1...4) {
                let request: NeedRequest = random.chance(60) ? .volunteers(skill: random.chance(50) ? "first-aid" : "driver", count: random.int(1...3), hours: 8)
                    : .teams(specialty: "rescue", count: 1, hours: 8)
                f.need("I\(random.int(0...2))", request, priority: random.int(1...5))
            }
            let plan = try f.planAll()
            var sent = Set<String>()
            var given: [String: Int64] = [:]
            for line in plan.lines {
                let need = f.state.needs[line.need]!
                given[need.id, default: 0] += 1
                switch line {
                case .volunteer(_, let id, _):
                    XCTAssertTrue(sent.insert(id).inserted, "seed \(seed): \(id) twice")
                    XCTAssertTrue(f.state.availability(of: id, at: matchNow).available, "seed \(seed)")
                    guard case .volunteers(let skill, _, _) = need.request else { return XCTFail("seed \(seed)") }
                    XCTAssertTrue(f.state.hasSkill(f.state.volunteers[id]!, skill, on: need.neededBy.day), "seed \(seed)")
                case .team(_, let team, _):
                    for member in f.state.teams[team]!.members { XCTAssertTrue(sent.insert(member).inserted, "seed \(seed): \(member) twice") }
                    XCTAssertEqual(f.state.teamReadiness(f.state.teams[team]!, at: matchNow).state, .ready)
                case .supply: XCTFail("seed \(seed)")
                }
            }
            for (need, count) in given { XCTAssertLessThanOrEqual(count, f.state.needs[need]!.request.amount, "seed \(seed)") }
            var applied = f.state
            for line in plan.lines {
                let need = applied.needs[line.need]!
                let members: [(String, String?)]
                switch line {
                case .volunteer(_, let id, _): members = [(id, nil)]
                case .team(_, let team, _): members = applied.teams[team]!.members.map { ($0, team) }
                case .supply: members = []
                }
                for (volunteer, team) in members {
                    try applied.apply(Entry(seq: applied.lastSeq + 1, time: matchNow, actor: "test", event: .assignmentMade(Assignment(
                        id: applied.nextAssignmentID, need: need.id, incident: need.incident, volunteer: volunteer, team: team, plan: nil,
                        createdAt: matchNow))))
                }
            }
            XCTAssertEqual(applied.invariantViolations(), [], "seed \(seed)")
        }
    }
}
