import XCTest
@testable import ReliefCore
@testable import ReliefMatching

/// 2026-12-01T08:00:00Z, the clock of the matching tests.
let matchNow = Timestamp(milliseconds: 1_796_112_000_000)

/// A small operation built by applying events to a State: three provinces, cities with counties,
/// warehouses, items, skills and helpers to add lots, incidents, needs and people.
struct MatchingFixture {
    var state = State()

    init(regions: Bool = true) {
        guard regions else { return }
        for (id, level) in [("shanxi", RegionLevel.province), ("shanxi/taiyuan", .city), ("shanxi/taiyuan/xiaodian", .county),
                            ("shanxi/taiyuan/yingze", .county), ("shanxi/jinzhong", .city), ("shanxi/jinzhong/yuci", .county),
                            ("hebei", .province), ("hebei/sjz", .city),
                            ("zj", .province), ("zj/taizhou", .city), ("zj/taizhou/wenling", .county), ("zj/taizhou/linhai", .county),
                            ("zj/wenzhou", .city), ("zj/wenzhou/yueqing", .county), ("zj/huzhou", .city)] {
            apply(.regionAdded(id: id, name: id, level: level))
        }
        for sku in ["water", "tent", "quilt"] {
            apply(.itemAdded(Item(sku: sku, name: sku, category: "relief", unit: "piece", packSize: 1, shelfLifeDays: nil)))
        }
        apply(.skillAdded(Skill(id: "first-aid", name: "First aid", specialty: "medical", needsCertificate: true)))
        apply(.skillAdded(Skill(id: "driver", name: "Driver", specialty: nil, needsCertificate: false)))
        apply(.specialtyAdded(Specialty(id: "medical", name: "Medical", requiredSkills: ["first-aid"])))
        apply(.specialtyAdded(Specialty(id: "rescue", name: "Rescue", requiredSkills: ["driver"])))
    }

    mutating func apply(_ event: Event, at time: Timestamp = hoursFromNow(-48)) {
        let entry = Entry(seq: state.lastSeq + 1, time: time, actor: "test", event: event)
        do { try state.apply(entry) } catch { XCTFail("fixture event refused: \(error)") }
    }

    mutating func warehouse(_ id: String, _ region: String, _ lat: Double, _ lon: Double) {
        apply(.warehouseAdded(id: id, name: id, region: region, location: Coordinate(latitude: lat, longitude: lon)))
    }

    mutating func lot(_ warehouse: String, _ code: String, _ sku: String, _ quantity: Int64, expires: String? = nil) {
        apply(.lotReceived(warehouse: warehouse, lot: code, sku: sku, quantity: quantity, expires: expires.map { Day(iso8601: $0)! },
                           source: .donation, party: nil, note: nil))
    }

    mutating func incident(_ id: String, _ region: String, _ lat: Double, _ lon: Double) {
        apply(.incidentOpened(Incident(id: id, title: id, kind: .flood, location: Coordinate(latitude: lat, longitude: lon), region: region,
                                       severity: 3, affected: 1000, openedAt: hoursFromNow(-24))))
    }

    /// Adds a need and returns its id; `byHours` after `matchNow`.
    @discardableResult
    mutating func need(_ incident: String, _ request: NeedRequest, priority: Int = 3, byHours: Int64 = 24) -> String {
        let id = state.nextNeedID
        apply(.needAdded(Need(id: id, incident: incident, request: request, priority: priority,
                              neededBy: hoursFromNow(byHours), note: nil, createdAt: hoursFromNow(-1))))
        return id
    }

    mutating func volunteer(_ id: String, _ lat: Double, _ lon: Double, skills: [String] = ["first-aid"],
                            certifiedUntil: String? = "2027-12-31", region: String = "shanxi/taiyuan/xiaodian") {
        var levels: [String: Int] = [:]
        for skill in skills { levels[skill] = 3 }
        apply(.volunteerAdded(id: id, profile: VolunteerProfile(
            name: id, phone: nil, idNumber: nil, region: region, base: Coordinate(latitude: lat, longitude: lon), languages: ["zh"],
            skills: levels, maxDutyHoursPerDay: 12, minRestHours: 8, organization: nil)))
        if let certifiedUntil {
            for skill in skills where state.skills[skill]?.needsCertificate == true {
                apply(.certificationGranted(id: id, Certification(skill: skill, issued: Day(iso8601: "2025-01-01")!,
                                                                   expires: Day(iso8601: certifiedUntil)!, issuer: "Red Cross")))
            }
        }
    }

    mutating func team(_ id: String, specialty: String, members: [String]) {
        let base = state.volunteers[members[0]]!.profile
        apply(.teamAdded(Team(id: id, name: id, specialty: specialty, region: base.region, base: base.base, leader: members[0])))
        for member in members.dropFirst() { apply(.teamMemberAdded(team: id, volunteer: member)) }
    }

    /// Moves a need's deadline to `minutes` after `matchNow`.
    mutating func setNeededBy(_ need: String, minutes: Int64) {
        state.needs[need]?.neededBy = Timestamp(milliseconds: matchNow.milliseconds + minutes * 60_000)
    }

    func match(_ incident: String, policy: MatchingPolicy = MatchingPolicy(), options: MatchingOptions = MatchingOptions()) throws -> Plan {
        try Matching.plan(state: state, now: matchNow, policy: policy, needs: Matching.openNeeds(of: incident, in: state), incident: incident,
                          options: options)
    }

    func planAll(policy: MatchingPolicy = MatchingPolicy(), options: MatchingOptions = MatchingOptions()) throws -> Plan {
        try Matching.plan(state: state, now: matchNow, policy: policy, needs: Matching.openNeeds(in: state), options: options)
    }
}

/// `hours` after (or, negative, before) `matchNow`. (A function, not `+` on Timestamp: an extra
/// operator overload slows type-checking of every arithmetic expression in the target.)
func hoursFromNow(_ hours: Int64) -> Timestamp { Timestamp(milliseconds: matchNow.milliseconds + hours * 3_600_000) }

extension Plan {
    func quantity(for need: String) -> Int64 {
        lines.reduce(0) { sum, line in
            switch line {
            case .supply(let n, _, _, let quantity, _) where n == need: sum + quantity
            case .volunteer(let n, _, _) where n == need, .team(let n, _, _) where n == need: sum + 1
            default: sum
            }
        }
    }

    func unmet(_ need: String) -> UnmetNeed? { unmet.first { $0.need == need } }
}

extension State {
    /// Sets a need's reach directly (the engine's `need change … reach=` journals it).
    mutating func setReachForTesting(_ need: String, _ reach: ReachTier?) {
        needs[need]?.reach = reach
    }

    mutating func setPriorityForTesting(_ need: String, _ priority: Int) {
        needs[need]?.priority = priority
    }
}
