import ReliefCore

/// A generated operation at province or country scale for `deploy/bench matching` and tests:
/// regions, warehouses with lots of many items, a skill catalog, volunteers with certifications
/// (some expired, some unavailable), teams, incidents and their open needs. Reproducible from the
/// seed; built by applying events straight to a State (no parsing), so a country takes seconds.
public enum MatchingScenario {
    public struct Size: Sendable {
        public var provinces: Int
        public var citiesPerProvince: Int
        public var countiesPerCity: Int
        public var warehouses: Int
        public var items: Int
        public var lotsPerWarehouse: Int
        public var volunteers: Int
        public var teams: Int
        public var incidents: Int
        public var needs: Int

        /// The everyday case: one province (150 warehouses, 300 items, 1,000 open needs, 30,000 volunteers).
        public static let province = Size(provinces: 1, citiesPerProvince: 11, countiesPerCity: 10, warehouses: 150, items: 300,
                                          lotsPerWarehouse: 40, volunteers: 30_000, teams: 280, incidents: 50, needs: 1_000)
        /// The stress case: a country (3,000 warehouses, 10,000 open needs, 1,000,000 volunteers).
        public static let country = Size(provinces: 31, citiesPerProvince: 10, countiesPerCity: 10, warehouses: 3_000, items: 300,
                                         lotsPerWarehouse: 40, volunteers: 1_000_000, teams: 9_000, incidents: 500, needs: 10_000)
        /// Small enough for unit tests.
        public static let tiny = Size(provinces: 1, citiesPerProvince: 2, countiesPerCity: 3, warehouses: 8, items: 12,
                                      lotsPerWarehouse: 6, volunteers: 300, teams: 6, incidents: 4, needs: 30)

        public static func named(_ name: String) -> Size? {
            switch name {
            case "province": .province
            case "country": .country
            case "tiny": .tiny
            default: nil
            }
        }
    }

    /// The scenario's clock: needs fall due within three days of it.
    public static let now = Timestamp(milliseconds: 1_795_564_800_000) // 2026-11-25T00:00:00Z

    public static let skills: [(id: String, certificate: Bool)] = [
        ("first-aid", true), ("nurse", true), ("doctor", true), ("collapsed-structure", true), ("rope-rescue", true),
        ("swiftwater-rescue", true), ("boat-operator", true), ("water-purification", true), ("psychological-first-aid", true),
        ("radio-operator", true), ("logistics", false), ("distribution", false), ("registration", false), ("driver", true),
    ]
    public static let specialties: [(id: String, skills: [String])] = [
        ("medical", ["first-aid"]), ("search-rescue", ["collapsed-structure", "first-aid"]), ("water-rescue", ["swiftwater-rescue"]),
        ("water-supply", ["water-purification"]), ("psychosocial", ["psychological-first-aid"]),
        ("relief-distribution", ["logistics"]), ("communications", ["radio-operator"]),
    ]

    /// The state, and the ids of the incidents (each with open needs).
    public static func build(_ size: Size, seed: UInt64) -> (state: State, incidents: [String]) {
        var random = SplitMix64(seed: seed)
        var state = State()
        var seq: Int64 = 0
        func apply(_ event: Event) {
            seq += 1
            do {
                try state.apply(Entry(seq: seq, time: now, actor: "scenario", event: event))
            } catch {
                preconditionFailure("scenario event refused: \(error)")
            }
        }
        func jitter(_ base: Coordinate, _ degrees: Double) -> Coordinate {
            Coordinate(latitude: base.latitude + (random.unit() - 0.5) * degrees, longitude: base.longitude + (random.unit() - 0.5) * degrees)
        }

        // Regions on a grid: provinces across the country, cities and counties inside each.
        var counties: [(id: String, center: Coordinate)] = []
        let columns = Int(Double(size.provinces).squareRoot().rounded(.up))
        for p in 0..<size.provinces {
            let province = size.provinces == 1 ? "shanxi" : "p\(p)"
            let center = size.provinces == 1 ? Coordinate(latitude: 37.6, longitude: 112.4)
                : Coordinate(latitude: 22 + Double(p / columns) * 4.5, longitude: 88 + Double(p % columns) * 6)
            apply(.regionAdded(id: province, name: "Province \(p)", level: .province))
            for c in 0..<size.citiesPerProvince {
                let city = "\(province)/c\(c)"
                let cityCenter = jitter(center, 4)
                apply(.regionAdded(id: city, name: "City \(p)-\(c)", level: .city))
                for k in 0..<size.countiesPerCity {
                    let county = "\(city)/k\(k)"
                    apply(.regionAdded(id: county, name: "County \(p)-\(c)-\(k)", level: .county))
                    counties.append((county, jitter(cityCenter, 1.2)))
                }
            }
        }

        for i in 0..<size.items {
            apply(.itemAdded(Item(sku: "item-\(i)", name: "Item \(i)", category: ["water", "food", "shelter", "hygiene", "medical"][i % 5],
                                  unit: "piece", packSize: Int64([1, 4, 10, 20][i % 4]), shelfLifeDays: i % 3 == 0 ? nil : 365)))
        }
        var stocked: [String] = []
        var stockedSet = Set<String>()
        for w in 0..<size.warehouses {
            let county = counties[(w * 7919) % counties.count]
            let id = "wh-\(w)"
            apply(.warehouseAdded(id: id, name: "Warehouse \(w)", region: county.id, location: jitter(county.center, 0.3)))
            for l in 0..<size.lotsPerWarehouse {
                let sku = "item-\(random.int(0...(size.items - 1)))"
                let expires: Day? = random.chance(0.15) ? nil : Day(daysSinceEpoch: now.day.daysSinceEpoch + Int32(random.int(-20...900)))
                apply(.lotReceived(warehouse: id, lot: "LOT-\(w)-\(l)", sku: sku, quantity: Int64(random.int(50...5_000)), expires: expires,
                                   source: random.chance(0.6) ? .donation : .purchase, party: nil, note: nil))
                if stockedSet.insert(sku).inserted { stocked.append(sku) }
            }
        }

        for skill in skills {
            let specialty = specialties.first { $0.skills.contains(skill.id) }?.id
            apply(.skillAdded(Skill(id: skill.id, name: skill.id, specialty: specialty, needsCertificate: skill.certificate)))
        }
        for specialty in specialties { apply(.specialtyAdded(Specialty(id: specialty.id, name: specialty.id, requiredSkills: specialty.skills))) }

        // Volunteers; the first `teams × 8` are team members holding their specialty's skills.
        let teamSize = 8
        let members = min(size.volunteers, size.teams * teamSize)
        let today = now.day
        for v in 0..<size.volunteers {
            let county = counties[random.int(0...(counties.count - 1))]
            var skillLevels: [String: Int] = [:]
            if v < members {
                for skill in specialties[(v / teamSize) % specialties.count].skills { skillLevels[skill] = random.int(2...5) }
            }
            for _ in 0..<random.int(1...3) { skillLevels[skills[random.int(0...(skills.count - 1))].id] = random.int(1...5) }
            let id = "v-\(v)"
            apply(.volunteerAdded(id: id, profile: VolunteerProfile(
                name: "Volunteer \(v)", phone: nil, idNumber: nil, region: county.id, base: jitter(county.center, 0.4), languages: ["zh"],
                skills: skillLevels, maxDutyHoursPerDay: 12, minRestHours: 8, organization: nil)))
            for skill in skillLevels.keys.sorted() where skills.first(where: { $0.id == skill })!.certificate {
                // One in seven certifications has lapsed (longer ago for team members, so teams stay mostly ready).
                let lapsed = v >= members && random.chance(1.0 / 7)
                let expires = Day(daysSinceEpoch: today.daysSinceEpoch + Int32(lapsed ? -random.int(1...400) : random.int(30...1_500)))
                apply(.certificationGranted(id: id, Certification(skill: skill, issued: Day(daysSinceEpoch: expires.daysSinceEpoch - 1_095),
                                                                   expires: expires, issuer: "Red Cross")))
            }
            if v >= members, random.chance(0.1) {
                apply(.volunteerStatusSet(id: id, status: random.chance(0.5) ? .offDuty : .unavailable, reason: "away", until: nil))
            }
        }
        for t in 0..<(members / teamSize) {
            let leader = "v-\(t * teamSize)"
            let base = state.volunteers[leader]!.profile
            apply(.teamAdded(Team(id: "team-\(t)", name: "Team \(t)", specialty: specialties[t % specialties.count].id,
                                  region: base.region, base: base.base, leader: leader)))
            for m in 1..<teamSize { apply(.teamMemberAdded(team: "team-\(t)", volunteer: "v-\(t * teamSize + m)")) }
        }

        // Incidents and their needs.
        var incidents: [String] = []
        for i in 0..<size.incidents {
            let county = counties[random.int(0...(counties.count - 1))]
            let id = "inc-\(i)"
            incidents.append(id)
            apply(.incidentOpened(Incident(id: id, title: "Incident \(i)", kind: IncidentKind.allCases[i % IncidentKind.allCases.count],
                                           location: jitter(county.center, 0.3), region: county.id, severity: random.int(1...5),
                                           affected: Int64(random.int(100...50_000)), openedAt: now)))
        }
        for n in 0..<size.needs {
            let incident = incidents[n % incidents.count]
            let roll = random.unit()
            let request: NeedRequest
            if roll < 0.8 {
                request = .supply(sku: stocked[random.int(0...(stocked.count - 1))], quantity: Int64(random.int(100...3_000)))
            } else if roll < 0.95 {
                request = .volunteers(skill: skills[random.int(0...(skills.count - 1))].id, count: random.int(1...10), hours: 8)
            } else {
                request = .teams(specialty: specialties[random.int(0...(specialties.count - 1))].id, count: random.int(1...2), hours: 12)
            }
            let neededBy = Timestamp(milliseconds: now.milliseconds + Int64(random.int(6...72)) * 3_600_000)
            apply(.needAdded(Need(id: state.nextNeedID, incident: incident, request: request, priority: random.int(1...5),
                                  neededBy: neededBy, note: nil, createdAt: now)))
        }
        return (state, incidents)
    }
}
