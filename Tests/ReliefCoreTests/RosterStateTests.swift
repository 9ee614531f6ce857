import XCTest
@testable import ReliefCore
import HashTreeCollections

extension StateBuilder {
    static let hour: Int64 = 3_600_000

    static func profile(_ name: String, region: String = "shanxi/taiyuan", at base: Coordinate = Coordinate(latitude: 37.87, longitude: 112.55),
                        skills: [String: Int] = ["first-aid": 3], maxHours: Int = 12, minRest: Int = 8) -> VolunteerProfile {
        VolunteerProfile(name: name, phone: "10012345678", idNumber: "100199001011234567", region: region, base: base, languages: ["zh"],
                         skills: skills, maxDutyHoursPerDay: maxHours, minRestHours: minRest, organization: "Blue Sky")
    }

    /// Shanxi plus a small skill catalog (first-aid and cpr need certificates, logistics does not).
    static func roster() throws -> StateBuilder {
        var b = try shanxi()
        try b.apply(.skillAdded(Skill(id: "first-aid", name: "First aid", specialty: "medical", needsCertificate: true)))
        try b.apply(.skillAdded(Skill(id: "cpr", name: "CPR", specialty: "medical", needsCertificate: true)))
        try b.apply(.skillAdded(Skill(id: "logistics", name: "Logistics", specialty: nil, needsCertificate: false)))
        try b.apply(.specialtyAdded(Specialty(id: "medical", name: "Medical", requiredSkills: ["first-aid", "cpr"])))
        return b
    }

    mutating func advance(hours: Int64) { time.milliseconds += hours * StateBuilder.hour }
}

func day(_ text: String) -> Day { Day(iso8601: text)! }

final class RosterStateTests: XCTestCase {
    func testVolunteerPreconditionsAndIndexes() throws {
        var b = try StateBuilder.roster()
        try b.apply(.volunteerAdded(id: "v1", profile: StateBuilder.profile("Wang Wei")))
        b.refuse(.volunteerAdded(id: "v1", profile: StateBuilder.profile("Again")))
        b.refuse(.volunteerAdded(id: "v2", profile: StateBuilder.profile("X", region: "hebei")))
        b.refuse(.volunteerAdded(id: "v2", profile: StateBuilder.profile("X", skills: ["juggling": 2])))
        b.refuse(.volunteerAdded(id: "v2", profile: StateBuilder.profile("X", skills: ["cpr": 6])))
        b.refuse(.volunteerAdded(id: "v2", profile: StateBuilder.profile("X", skills: ["cpr": 0])))
        b.refuse(.volunteerAdded(id: "v2", profile: StateBuilder.profile("X", maxHours: 0)))
        b.refuse(.volunteerUpdated(id: "v9", profile: StateBuilder.profile("X")))
        b.refuse(.skillAdded(Skill(id: "cpr", name: "again", specialty: nil, needsCertificate: false)))
        b.refuse(.specialtyAdded(Specialty(id: "x", name: "X", requiredSkills: ["juggling"])))
        XCTAssertEqual(b.state.rosterIndex.bySkill["first-aid"], ["v1"])

        // An update moves the volunteer in both indexes.
        try b.apply(.volunteerUpdated(id: "v1", profile: StateBuilder.profile("Wang Wei", region: "shanxi/datong",
                                                                               at: Coordinate(latitude: 40.08, longitude: 113.30), skills: ["logistics": 2])))
        XCTAssertNil(b.state.rosterIndex.bySkill["first-aid"])
        XCTAssertEqual(b.state.rosterIndex.bySkill["logistics"], ["v1"])
        XCTAssertEqual(b.state.rosterIndex.byCell[RosterIndex.Cell(Coordinate(latitude: 40.08, longitude: 113.30))].map { Array($0.keys) }, ["v1"])
        XCTAssertEqual(b.state.rosterIndex.byCell.count, 1, "no empty cell left behind")
        XCTAssertEqual(b.state.invariantViolations(), [])
    }

    func testCheckInOutLogsDutyAndNeverTwoPlaces() throws {
        var b = try StateBuilder.roster()
        try b.apply(.volunteerAdded(id: "v1", profile: StateBuilder.profile("Wang Wei")))
        b.refuse(.checkedOut(id: "v1"))
        try b.apply(.checkedIn(id: "v1", incident: "flood-7"))
        let since = b.time
        XCTAssertEqual(b.state.volunteers["v1"]?.status, .deployed)
        b.refuse(.checkedIn(id: "v1", incident: "other"))
        b.refuse(.volunteerStatusSet(id: "v1", status: .available, reason: nil, until: nil))
        b.advance(hours: 5)
        try b.apply(.checkedOut(id: "v1"))
        let volunteer = b.state.volunteers["v1"]!
        XCTAssertEqual(volunteer.duty, [DutyRecord(start: since, end: b.time, incident: "flood-7")])
        XCTAssertEqual(volunteer.status, .available)
        XCTAssertNil(volunteer.onDutySince)
        b.refuse(.checkedOut(id: "v1"))
        XCTAssertEqual(b.state.invariantViolations(), [])
    }

    func testAvailabilityRules() throws {
        var b = try StateBuilder.roster()
        try b.apply(.volunteerAdded(id: "v1", profile: StateBuilder.profile("Wang Wei", maxHours: 12, minRest: 8)))
        XCTAssertTrue(b.state.availability(of: "v1", at: b.time).available)

        try b.apply(.checkedIn(id: "v1", incident: nil))
        let checkIn = b.time
        XCTAssertEqual(b.state.availability(of: "v1", at: b.time).reason, "on duty since \(checkIn.iso8601)")
        b.advance(hours: 12)
        try b.apply(.checkedOut(id: "v1"))
        let out = b.time
        // Inside the rest period.
        XCTAssertEqual(b.state.availability(of: "v1", at: out).reason,
                       "resting until \(Timestamp(milliseconds: out.milliseconds + 8 * StateBuilder.hour).iso8601)")
        // Rested, but still 12 h on duty within the last 24 h (the stretch ended 8 h ago, began 20 h ago).
        let rested = Timestamp(milliseconds: out.milliseconds + 8 * StateBuilder.hour)
        XCTAssertEqual(b.state.availability(of: "v1", at: rested).reason, "12 h on duty in the last 24 h, limit 12")
        // 13 h after check-out only 11 h fall into the window: available.
        let later = Timestamp(milliseconds: out.milliseconds + 13 * StateBuilder.hour)
        XCTAssertEqual(b.state.dutyMillisecondsInLastDay(of: b.state.volunteers["v1"]!, at: later), 11 * StateBuilder.hour)
        XCTAssertTrue(b.state.availability(of: "v1", at: later).available)

        // Statuses: unavailable with a reason and an until-date ends by itself on that day.
        try b.apply(.volunteerStatusSet(id: "v1", status: .unavailable, reason: "injured", until: day("2026-12-01")))
        XCTAssertEqual(b.state.availability(of: "v1", at: Timestamp(milliseconds: day("2026-11-30").daysSinceEpoch.toMilliseconds + 1)).reason,
                       "unavailable until 2026-12-01: injured")
        let december1 = Timestamp(milliseconds: day("2026-12-01").daysSinceEpoch.toMilliseconds)
        XCTAssertTrue(b.state.availability(of: "v1", at: december1).available, "the status ended by itself")
        XCTAssertEqual(b.state.effectiveStatus(of: b.state.volunteers["v1"]!, at: december1), .available)
        b.refuse(.volunteerStatusSet(id: "v1", status: .unavailable, reason: nil, until: nil))
        b.refuse(.volunteerStatusSet(id: "v1", status: .deployed, reason: nil, until: nil))
        try b.apply(.volunteerStatusSet(id: "v1", status: .standby, reason: nil, until: nil))
        XCTAssertEqual(b.state.availability(of: "v1", at: december1).reason, "standby")
    }

    func testSkillsCountOnlyWithValidCertification() throws {
        var b = try StateBuilder.roster()
        try b.apply(.volunteerAdded(id: "v1", profile: StateBuilder.profile("Wang Wei", skills: ["first-aid": 3, "logistics": 2])))
        var volunteer: Volunteer { b.state.volunteers["v1"]! }
        XCTAssertFalse(b.state.hasSkill(volunteer, "first-aid", on: day("2026-11-20")), "listed but not certified")
        XCTAssertTrue(b.state.hasSkill(volunteer, "logistics", on: day("2026-11-20")), "no certificate needed")
        XCTAssertFalse(b.state.hasSkill(volunteer, "cpr", on: day("2026-11-20")), "not listed")
        b.refuse(.certificationGranted(id: "v1", Certification(skill: "first-aid", issued: day("2026-01-02"), expires: day("2026-01-01"), issuer: "RC")))
        b.refuse(.certificationGranted(id: "v1", Certification(skill: "juggling", issued: day("2026-01-01"), expires: day("2027-01-01"), issuer: "RC")))
        b.refuse(.certificationGranted(id: "v9", Certification(skill: "cpr", issued: day("2026-01-01"), expires: day("2027-01-01"), issuer: "RC")))
        try b.apply(.certificationGranted(id: "v1", Certification(skill: "first-aid", issued: day("2025-01-01"), expires: day("2026-11-30"), issuer: "RC")))
        XCTAssertTrue(b.state.hasSkill(volunteer, "first-aid", on: day("2026-11-30")), "valid through its last day")
        XCTAssertFalse(b.state.hasSkill(volunteer, "first-aid", on: day("2026-12-01")), "expired the day after")
        XCTAssertFalse(b.state.hasSkill(volunteer, "first-aid", on: day("2024-12-31")), "not yet issued")
        XCTAssertEqual(b.state.skillGap(volunteer, "first-aid", on: day("2026-12-01")), "first-aid certification expired 2026-11-30")

        let expiring = b.state.expiringCertifications(withinDays: 30, today: day("2026-11-15"))
        XCTAssertEqual(expiring.map(\.daysLeft), [15])
        XCTAssertEqual(b.state.expiringCertifications(withinDays: 30, today: day("2026-12-01")), [], "already expired is not expiring")

        try b.apply(.certificationRevoked(id: "v1", skill: "first-aid", reason: "lapsed"))
        b.refuse(.certificationRevoked(id: "v1", skill: "first-aid", reason: nil))
        XCTAssertFalse(b.state.hasSkill(volunteer, "first-aid", on: day("2026-11-20")))
    }

    func testTeamsMembershipAndReadiness() throws {
        var b = try StateBuilder.roster()
        for id in ["v1", "v2", "v3"] {
            try b.apply(.volunteerAdded(id: id, profile: StateBuilder.profile(id, skills: ["first-aid": 3, "cpr": 2])))
            for skill in ["first-aid", "cpr"] {
                try b.apply(.certificationGranted(id: id, Certification(skill: skill, issued: day("2025-01-01"), expires: day("2027-12-31"), issuer: "RC")))
            }
        }
        let base = Coordinate(latitude: 37.87, longitude: 112.55)
        b.refuse(.teamAdded(Team(id: "t1", name: "Med", specialty: "juggling", region: "shanxi/taiyuan", base: base, leader: nil)))
        b.refuse(.teamAdded(Team(id: "t1", name: "Med", specialty: "medical", region: "shanxi/taiyuan", base: base, leader: "v9")))
        try b.apply(.teamAdded(Team(id: "t1", name: "Med", specialty: "medical", region: "shanxi/taiyuan", base: base, leader: "v1")))
        XCTAssertEqual(b.state.teams["t1"]?.members, ["v1"], "the leader is the first member")
        try b.apply(.teamMemberAdded(team: "t1", volunteer: "v2"))
        b.refuse(.teamMemberAdded(team: "t1", volunteer: "v2"))
        try b.apply(.teamAdded(Team(id: "t2", name: "Med 2", specialty: "medical", region: "shanxi/taiyuan", base: base, leader: nil)))
        b.refuse(.teamMemberAdded(team: "t2", volunteer: "v1"))
        b.refuse(.teamAdded(Team(id: "t3", name: "Med 3", specialty: "medical", region: "shanxi/taiyuan", base: base, leader: "v2")))

        var now = b.time
        XCTAssertEqual(b.state.teamReadiness(b.state.teams["t1"]!, at: now), TeamReadiness(state: .ready, fit: 2, members: 2, reason: nil))
        XCTAssertEqual(b.state.teamReadiness(b.state.teams["t2"]!, at: now).state, .stoodDown, "no members, nobody fit")

        try b.apply(.checkedIn(id: "v2", incident: nil))
        now = b.time
        let partial = b.state.teamReadiness(b.state.teams["t1"]!, at: now)
        XCTAssertEqual(partial.state, .partial)
        XCTAssertEqual(partial.reason, "v2: on duty since \(now.iso8601)")

        // After the certifications expire nobody is fit.
        let later = Timestamp(milliseconds: day("2028-01-01").daysSinceEpoch.toMilliseconds)
        let expired = b.state.teamReadiness(b.state.teams["t1"]!, at: later)
        XCTAssertEqual(expired.state, .stoodDown)
        XCTAssertTrue(expired.reason!.contains("v1: first-aid certification expired 2027-12-31, cpr certification expired 2027-12-31"), expired.reason!)

        try b.apply(.teamMemberRemoved(team: "t1", volunteer: "v1"))
        XCTAssertNil(b.state.teams["t1"]?.leader, "removing the leader leaves no leader")
        XCTAssertNil(b.state.volunteers["v1"]?.team)
        b.refuse(.teamMemberRemoved(team: "t1", volunteer: "v1"))
        try b.apply(.teamMemberAdded(team: "t2", volunteer: "v1"))
        try b.apply(.teamStateSet(team: "t2", state: .stoodDown, reason: "rotation"))
        XCTAssertEqual(b.state.teamReadiness(b.state.teams["t2"]!, at: b.time).reason, "stood down: rotation")
        XCTAssertEqual(b.state.invariantViolations(), [])
    }

    func testSnapshotRoundTripIsExactAndRebuildsIndexes() throws {
        var b = try StateBuilder.roster()
        try b.apply(.volunteerAdded(id: "v1", profile: StateBuilder.profile("Wang \"Wei\"", skills: ["first-aid": 3, "cpr": 1])))
        try b.apply(.volunteerAdded(id: "v2", profile: VolunteerProfile(name: "Li Na", phone: nil, idNumber: nil, region: "shanxi/datong",
                                                                        base: Coordinate(latitude: 40.08, longitude: 113.3), languages: [],
                                                                        skills: [:], maxDutyHoursPerDay: 8, minRestHours: 0, organization: nil)))
        try b.apply(.certificationGranted(id: "v1", Certification(skill: "cpr", issued: day("2025-01-01"), expires: day("2026-12-31"), issuer: "RC")))
        try b.apply(.checkedIn(id: "v1", incident: "quake"))
        b.advance(hours: 3)
        try b.apply(.checkedOut(id: "v1"))
        b.advance(hours: 10)
        try b.apply(.checkedIn(id: "v1", incident: nil))
        try b.apply(.volunteerStatusSet(id: "v2", status: .unavailable, reason: "travelling", until: day("2027-01-01")))
        try b.apply(.teamAdded(Team(id: "t1", name: "Med", specialty: "medical", region: "shanxi/taiyuan",
                                    base: Coordinate(latitude: 37.8, longitude: 112.5), leader: "v1")))
        try b.apply(.teamMemberAdded(team: "t1", volunteer: "v2"))
        try b.apply(.teamMemberRemoved(team: "t1", volunteer: "v1"))
        try b.apply(.teamStateSet(team: "t1", state: .stoodDown, reason: "rest"))

        let text = b.state.snapshotText()
        let loaded = try State(snapshotText: text)
        XCTAssertEqual(loaded.snapshotText(), text)
        XCTAssertEqual(loaded.volunteers, b.state.volunteers)
        XCTAssertEqual(loaded.teams, b.state.teams)
        XCTAssertEqual(loaded.skills, b.state.skills)
        XCTAssertEqual(loaded.specialties, b.state.specialties)
        XCTAssertEqual(loaded.rosterIndex, b.state.rosterIndex)
        XCTAssertEqual(loaded.invariantViolations(), [])
    }

    func testInvariantsCatchBrokenRosters() throws {
        var b = try StateBuilder.roster()
        try b.apply(.volunteerAdded(id: "v1", profile: StateBuilder.profile("Wang Wei")))
        try b.apply(.teamAdded(Team(id: "t1", name: "Med", specialty: "medical", region: "shanxi/taiyuan",
                                    base: Coordinate(latitude: 37.8, longitude: 112.5), leader: "v1")))
        var broken = b.state
        broken.volunteers["v1"]!.team = nil
        XCTAssertTrue(broken.invariantViolations().contains { $0.contains("member v1 points to team none") })
        broken = b.state
        broken.volunteers["v1"]!.status = .deployed
        XCTAssertTrue(broken.invariantViolations().contains { $0.contains("on duty false but status deployed") })
        broken = b.state
        broken.rosterIndex = RosterIndex()
        XCTAssertTrue(broken.invariantViolations().contains("roster indexes disagree with the volunteers"))
        broken = b.state
        broken.teams["t2"] = broken.teams["t1"].map { var team = $0; team.id = "t2"; return team }
        XCTAssertTrue(broken.invariantViolations().contains("volunteer v1 in teams t1 and t2"))
    }

    func testSpatialSearchVisitsOnlyNearbyCellsAndMatchesAScan() throws {
        var b = try StateBuilder.roster()
        var rng = UInt64(42)
        func random() -> Double { rng = rng &* 6364136223846793005 &+ 1442695040888963407; return Double(rng >> 11) / Double(1 << 53) }
        for index in 0..<2000 {
            let at = Coordinate(latitude: 35 + random() * 5, longitude: 110.5 + random() * 3.5)
            let skills: [String: Int] = random() < 0.5 ? ["logistics": 2] : ["first-aid": 1]
            try b.apply(.volunteerAdded(id: "v\(index)", profile: StateBuilder.profile("n\(index)", at: at, skills: skills)))
        }
        let centre = Coordinate(latitude: 37.87, longitude: 112.55)
        for radius in [0.5, 12, 50, 120, 5000] {
            let found = b.state.findVolunteers(VolunteerFilter(skill: "logistics", near: centre, radiusKilometres: radius), at: b.time)
            let scan = b.state.volunteers.values.filter {
                $0.profile.skills["logistics"] != nil && centre.distanceKilometres(to: $0.profile.base) <= radius
            }
            XCTAssertEqual(Set(found.map(\.volunteer.id)), Set(scan.map(\.id)), "radius \(radius)")
            XCTAssertEqual(found.map(\.distance!), found.map(\.distance!).sorted(), "nearest first")
        }
        // With a limit the search stops early; it must still give exactly the scan's nearest, ties by id.
        for (radius, limit) in [(50.0, 1), (50, 7), (120, 50), (400, 300), (5000, 20)] {
            for skill in [nil, "logistics"] as [String?] {
                let found = b.state.findVolunteers(VolunteerFilter(skill: nil, near: centre, radiusKilometres: radius, limit: limit)
                    .with(skill: skill), at: b.time).map(\.volunteer.id)
                var scan: [(id: String, d: Double)] = []
                for volunteer in b.state.volunteers.values {
                    let d = centre.distanceKilometres(to: volunteer.profile.base)
                    if d <= radius, skill == nil || volunteer.profile.skills[skill!] != nil { scan.append((volunteer.id, d)) }
                }
                scan.sort { a, b in a.d != b.d ? a.d < b.d : a.id < b.id }
                let nearest: [String] = scan.prefix(limit).map { $0.id }
                XCTAssertEqual(found, nearest, "radius \(radius) limit \(limit) skill \(skill ?? "-")")
            }
        }
        // Volunteers at the very same spot tie on distance and come out by id.
        for id in ["z2", "z1", "z3"] {
            try b.apply(.volunteerAdded(id: id, profile: StateBuilder.profile(id, at: centre, skills: ["logistics": 1])))
        }
        XCTAssertEqual(b.state.findVolunteers(VolunteerFilter(near: centre, radiusKilometres: 10, limit: 2), at: b.time).map(\.volunteer.id), ["z1", "z2"])

        let candidates = b.state.rosterIndex.candidates(near: centre, radiusKilometres: 50, skill: "logistics")
        XCTAssertLessThan(candidates.count, 300, "a 50 km search looks at the cells around it, not all 1000 with the skill")
        let limited = b.state.findVolunteers(VolunteerFilter(near: centre, radiusKilometres: 100, region: "shanxi/taiyuan", limit: 5), at: b.time)
        XCTAssertEqual(limited.count, 5)

        // A crowded cell (300 volunteers within a few hundred metres, every other one in another
        // region): a limited search with a filter takes the cell's candidates nearest first and
        // stops early, and still gives exactly the scan's nearest matches, ties by id.
        for index in 0..<300 {
            let at = Coordinate(latitude: 37.8701 + Double(index % 17) * 0.0001, longitude: 112.5501 + Double(index % 13) * 0.0001)
            try b.apply(.volunteerAdded(id: "c\(index)", profile: StateBuilder.profile("c\(index)", region: index % 2 == 0 ? "shanxi/taiyuan" : "shanxi/datong",
                                                                                     at: at, skills: ["logistics": 1])))
        }
        for limit in [1, 5, 20, 149, 151, 400] {
            for region in ["shanxi/taiyuan", "shanxi/datong"] {
                let found = b.state.findVolunteers(VolunteerFilter(skill: "logistics", near: centre, radiusKilometres: 30, region: region, limit: limit),
                                                   at: b.time).map(\.volunteer.id)
                var scan: [(id: String, d: Double)] = []
                for volunteer in b.state.volunteers.values where volunteer.profile.region == region && volunteer.profile.skills["logistics"] != nil {
                    let d = centre.distanceKilometres(to: volunteer.profile.base)
                    if d <= 30 { scan.append((volunteer.id, d)) }
                }
                scan.sort { a, b in a.d != b.d ? a.d < b.d : a.id < b.id }
                XCTAssertEqual(found, scan.prefix(limit).map(\.id), "region \(region) limit \(limit)")
            }
        }
    }

    /// A large roster's index is built on two threads (RosterIndex.build from 20,000 volunteers):
    /// it must equal the index made one volunteer at a time, with crowded and shared cells,
    /// volunteers without skills, and skills listed by few.
    func testTheIndexBuiltOnTwoThreadsEqualsTheOneMadeVolunteerByVolunteer() {
        var generator = SplitMix64(seed: 16)
        var volunteers = TreeDictionary<String, Volunteer>()
        var oneByOne = RosterIndex()
        let skills = ["first-aid", "cpr", "driver-c1", "swiftwater-rescue", "rare"]
        for n in 0..<25_000 {
            let id = "v-\(n)"
            var listed: [String: Int] = [:]
            for skill in skills where generator.next() % (skill == "rare" ? 500 : 3) == 0 { listed[skill] = 1 + Int(generator.next() % 5) }
            // A third crowd into a few cells; the rest spread over the province.
            let crowded = generator.next() % 3 == 0
            let latitude = crowded ? 37.86 + Double(generator.next() % 3) * 0.01 : 35.0 + Double(generator.next() % 500_000) / 100_000
            let longitude = crowded ? 112.55 : 111.0 + Double(generator.next() % 300_000) / 100_000
            let profile = VolunteerProfile(name: "V \(n)", phone: nil, idNumber: nil, region: "sx", base: Coordinate(latitude: latitude, longitude: longitude),
                                           languages: [], skills: listed, maxDutyHoursPerDay: 8, minRestHours: 8, organization: nil)
            volunteers[id] = Volunteer(id: id, profile: profile, registeredAt: Timestamp(milliseconds: 0))
            oneByOne.insert(id, profile)
        }
        let built = RosterIndex.build(volunteers)
        XCTAssertEqual(built.byCell, oneByOne.byCell)
        XCTAssertEqual(built.bySkill, oneByOne.bySkill)
        XCTAssertEqual(built.bySkillCell, oneByOne.bySkillCell)
        XCTAssertEqual(built, oneByOne)
        XCTAssertEqual(built.bySkill["rare"]?.isEmpty, false, "the generator lists the rare skill somewhere")
    }
}

extension VolunteerFilter {
    func with(skill: String?) -> VolunteerFilter { var copy = self; copy.skill = skill; return copy }
}

extension Int32 {
    var toMilliseconds: Int64 { Int64(self) * 86_400_000 }
}
