import ReliefCore

extension SplitMix64 {
    mutating func chance(_ p: Double) -> Bool { unit() < p }
    mutating func pick<T>(_ values: [T]) -> T { values[int(0...values.count - 1)] }
}

/// A demo roster for the Shanxi dataset (config/demo/shanxi.commands), generated from a seed:
/// volunteers around the eleven city centres in volunteer organizations, with skills from
/// config/catalog/skills.commands, certifications (some expired, some expiring within 30 days),
/// statuses, and rescue teams with leaders and members. Phone and ID numbers start with 100, which
/// no real number does. Pure and deterministic: the same arguments give the same lines.
public enum RosterGenerator {
    struct City { var id: String; var name: String; var centre: Coordinate; var weight: Int }

    /// City centres as the demo dataset's municipal warehouses; weights follow population (100k).
    static let cities: [City] = [
        City(id: "taiyuan", name: "Taiyuan", centre: Coordinate(latitude: 37.87, longitude: 112.55), weight: 53),
        City(id: "datong", name: "Datong", centre: Coordinate(latitude: 40.08, longitude: 113.30), weight: 31),
        City(id: "yangquan", name: "Yangquan", centre: Coordinate(latitude: 37.86, longitude: 113.58), weight: 13),
        City(id: "changzhi", name: "Changzhi", centre: Coordinate(latitude: 36.20, longitude: 113.12), weight: 32),
        City(id: "jincheng", name: "Jincheng", centre: Coordinate(latitude: 35.49, longitude: 112.85), weight: 22),
        City(id: "shuozhou", name: "Shuozhou", centre: Coordinate(latitude: 39.33, longitude: 112.43), weight: 16),
        City(id: "jinzhong", name: "Jinzhong", centre: Coordinate(latitude: 37.69, longitude: 112.75), weight: 34),
        City(id: "yuncheng", name: "Yuncheng", centre: Coordinate(latitude: 35.03, longitude: 111.00), weight: 48),
        City(id: "xinzhou", name: "Xinzhou", centre: Coordinate(latitude: 38.42, longitude: 112.73), weight: 27),
        City(id: "linfen", name: "Linfen", centre: Coordinate(latitude: 36.09, longitude: 111.52), weight: 40),
        City(id: "luliang", name: "Lüliang", centre: Coordinate(latitude: 37.52, longitude: 111.14), weight: 34),
    ]

    /// Specialties of the skill catalog and the skills their members need (keep in step with it).
    static let specialties: [(id: String, skills: [String])] = [
        ("search-rescue", ["collapsed-structure", "first-aid"]), ("relief-distribution", ["logistics"]),
        ("medical", ["first-aid", "cpr"]), ("water-supply", ["water-purification"]), ("public-health", ["hygiene-promotion"]),
        ("psychosocial", ["psychological-first-aid"]), ("water-rescue", ["swiftwater-rescue", "first-aid"]),
        ("communications", ["radio-operator"]),
    ]

    /// Skills volunteers list, the common ones several times so they are drawn more often.
    static let skillPool = [
        "first-aid", "first-aid", "first-aid", "cpr", "cpr", "driver-b", "driver-b", "driver-b", "driver-c1", "driver-c",
        "logistics", "logistics", "distribution", "registration", "cook", "shelter", "interpreter", "nurse", "doctor",
        "paramedic", "triage", "collapsed-structure", "rope-rescue", "swiftwater-rescue", "boat-operator", "swimmer",
        "water-purification", "water-trucking", "hygiene-promotion", "disinfection", "psychological-first-aid",
        "child-protection", "radio-operator", "satellite-comms", "it-support", "forklift", "electrician", "sign-language",
    ]

    /// Skills that count only with a certification (certificate=yes in the catalog).
    static let certified: Set<String> = [
        "first-aid", "cpr", "nurse", "doctor", "paramedic", "collapsed-structure", "rope-rescue", "search-dog", "heavy-equipment",
        "swiftwater-rescue", "boat-operator", "diver", "water-purification", "disease-surveillance", "disinfection",
        "psychological-first-aid", "counsellor", "radio-operator", "forklift", "driver-b", "driver-c1", "driver-c", "driver-ce",
        "electrician",
    ]

    static let surnames = ["Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Zhao", "Huang", "Zhou", "Wu", "Xu", "Sun", "Hu", "Zhu",
                           "Gao", "Lin", "He", "Guo", "Ma", "Luo", "Liang", "Song", "Zheng", "Xie", "Han", "Tang", "Feng", "Yu", "Dong", "Cao"]
    static let givenNames = ["Wei", "Fang", "Na", "Min", "Jing", "Li", "Qiang", "Lei", "Jun", "Yang", "Yong", "Yan", "Jie", "Tao",
                             "Ming", "Chao", "Xiuying", "Hua", "Ping", "Gang", "Hui", "Xiaohong", "Jianguo", "Guiying", "Haiyan",
                             "Zhiqiang", "Lina", "Dan", "Bo", "Xin", "Yu", "Hao", "Rui", "Ning", "Jiayi", "Zihan"]
    static let orgKinds = ["Red Cross Volunteer Service Team", "Blue Sky Rescue Team", "Community Volunteer Association",
                           "Youth Volunteer League", "Emergency Rescue Volunteer Team", "University Volunteer Corps",
                           "Women's Federation Volunteer Team", "Mine Rescue Veterans Association"]
    static let unavailableReasons = ["injured", "travelling", "family emergency", "exam period", "illness"]

    static func issuer(_ skill: String) -> String {
        switch skill {
        case "first-aid", "cpr", "psychological-first-aid": return "Red Cross Society of China Shanxi Branch"
        case "nurse", "doctor", "paramedic", "counsellor", "disinfection", "disease-surveillance": return "Shanxi Health Commission"
        case let driver where driver.hasPrefix("driver-"): return "Shanxi Traffic Police"
        case "radio-operator": return "Shanxi Radio Administration"
        case "forklift", "electrician": return "Shanxi Market Regulation Administration"
        default: return "Shanxi Emergency Management Training Centre"
        }
    }

    static func quoted(_ text: String) -> String { text.contains(" ") || text.contains("'") ? "\"\(text)\"" : text }

    static func round4(_ value: Double) -> Double { (value * 10_000).rounded() / 10_000 }

    static func volunteerID(_ index: Int) -> String {
        let digits = String(index + 1)
        return "v-" + String(repeating: "0", count: max(0, 6 - digits.count)) + digits
    }

    /// Volunteer organizations of the demo roster (the provincial society's).
    public static let demoOrganizations = 282

    /// Rescue teams per specialty in the demo roster: one per 800 volunteers (28,500 volunteers
    /// give 35 per specialty, 280 in all).
    public static func demoTeams(volunteers: Int) -> Int { max(1, volunteers / 800) }

    /// The demo roster the daemon loads with `demo_volunteers` and a drill `from dataset … volunteers=N`
    /// generates: the same arguments give the same people, so a drill plays on the roster a demo shows.
    public static func demoLines(seed: UInt64, volunteers: Int, now: Day) -> [String] {
        lines(seed: seed, volunteers: volunteers, organizations: demoOrganizations, teams: demoTeams(volunteers: volunteers), now: now)
    }

    /// Request lines that add the volunteers (with certifications and statuses) and then the teams;
    /// `teams` teams per specialty. They succeed in order after the demo dataset and the skill catalog.
    public static func lines(seed: UInt64, volunteers: Int, organizations: Int, teams: Int, now: Day) -> [String] {
        var rng = SplitMix64(seed: seed)
        let totalWeight = cities.reduce(0) { $0 + $1.weight }
        func randomCity() -> Int {
            var roll = rng.int(0...totalWeight - 1)
            for (index, city) in cities.enumerated() {
                if roll < city.weight { return index }
                roll -= city.weight
            }
            return 0
        }

        // Organizations: each based in one city, named after it; (city, kind, round) is unique.
        let organizationCount = max(1, organizations)
        var organizationsByCity: [[String]] = Array(repeating: [], count: cities.count)
        for index in 0..<organizationCount {
            let city = index % cities.count
            let kind = orgKinds[(index / cities.count) % orgKinds.count]
            let round = index / (cities.count * orgKinds.count)
            organizationsByCity[city].append("\(cities[city].name) \(kind)" + (round > 0 ? " \(round + 1)" : ""))
        }

        // Team plan first: team members get their specialty's skills, so readiness means something.
        struct PlannedTeam { var id: String; var specialty: Int; var city: Int; var members: [Int] }
        var planned: [PlannedTeam] = []
        var assignedSkills: [Int: [String]] = [:]
        var cityOf: [Int: Int] = [:]
        var next = 0
        for round in 0..<max(0, teams) {
            for (specialtyIndex, specialty) in specialties.enumerated() {
                let size = rng.int(4...12)
                guard next + size <= volunteers / 2 else { break }
                let city = (round * specialties.count + specialtyIndex) % cities.count
                let number = String(round + 1)
                let id = "t-\(specialty.id)-" + (number.count < 2 ? "0" + number : number)
                planned.append(PlannedTeam(id: id, specialty: specialtyIndex, city: city, members: Array(next..<next + size)))
                for member in next..<next + size { assignedSkills[member] = specialty.skills; cityOf[member] = city }
                next += size
            }
        }

        var lines: [String] = []
        lines.reserveCapacity(volunteers * 3)
        for index in 0..<max(0, volunteers) {
            let id = volunteerID(index)
            let city = cityOf[index] ?? randomCity()
            let centre = cities[city].centre
            // Most people live near the centre: the sum of two uniforms peaks there (±0.35°).
            let lat = round4(centre.latitude + (rng.unit() + rng.unit() - 1) * 0.35)
            let lon = round4(centre.longitude + (rng.unit() + rng.unit() - 1) * 0.35)
            let name = "\(rng.pick(surnames)) \(rng.pick(givenNames))"
            let phone = "100" + String(10_000_000 + rng.int(0...89_999_999))
            let birth = now.adding(days: -rng.int(18 * 365...65 * 365)).iso8601.replacingDashes()
            let idNumber = "100" + birth + String(1_000_000 + rng.int(0...8_999_999))
            var languages = ["zh"]
            if rng.chance(0.35) { languages.append("cjy") }
            if rng.chance(0.2) { languages.append("en") }
            var skills = assignedSkills[index] ?? []
            let wanted = max(skills.count, rng.int(1...4))
            while skills.count < wanted {
                let skill = rng.pick(skillPool)
                if !skills.contains(skill) { skills.append(skill) }
            }
            let levels = skills.map { "\($0):\(rng.int(1...5))" }.joined(separator: ",")
            let cityOrganizations = organizationsByCity[city]
            let organization = cityOrganizations.isEmpty ? organizationsByCity.flatMap { $0 }[index % organizationCount] : rng.pick(cityOrganizations)
            let maxHours = rng.pick([8, 10, 12, 12, 12])
            let minRest = rng.pick([8, 8, 10, 12])
            lines.append("volunteer add \(id) name=\(quoted(name)) region=shanxi/\(cities[city].id) at=\(lat),\(lon) phone=\(phone) "
                + "id_number=\(idNumber) languages=\(languages.joined(separator: ",")) skills=\(levels) max_hours=\(maxHours) "
                + "min_rest=\(minRest)h org=\(quoted(organization))")

            for skill in skills where certified.contains(skill) {
                // Team members are nearly always certified; others often lack the paper.
                guard rng.chance(assignedSkills[index] != nil ? 0.97 : 0.8) else { continue }
                let roll = rng.unit()
                let expires: Day
                if roll < 0.08 { expires = now.adding(days: -rng.int(1...400)) }          // expired
                else if roll < 0.14 { expires = now.adding(days: rng.int(0...30)) }       // expiring within 30 days
                else { expires = now.adding(days: rng.int(31...1500)) }
                // Certificates run 1 to 5 years and were issued on or before today: a demo with
                // certificates from the future would show teams unfit for no real reason.
                let issued = min(expires.adding(days: -rng.int(365...1825)), now.adding(days: -rng.int(0...60)))
                lines.append("volunteer certify \(id) \(skill) issued=\(issued.iso8601) expires=\(expires.iso8601) issuer=\(quoted(issuer(skill)))")
            }

            if assignedSkills[index] == nil {
                let roll = rng.unit()
                if roll < 0.03 {
                    let until = now.adding(days: rng.int(1...60))
                    lines.append("volunteer status \(id) unavailable reason=\(quoted(rng.pick(unavailableReasons))) until=\(until.iso8601)")
                } else if roll < 0.08 {
                    lines.append("volunteer status \(id) standby")
                } else if roll < 0.10 {
                    lines.append("volunteer status \(id) off_duty")
                }
            }
        }

        for team in planned {
            let specialty = specialties[team.specialty].id
            let city = cities[team.city]
            let name = "\(city.name) \(specialty.split(separator: "-").map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined(separator: " ")) Team \(team.id.suffix(2))"
            lines.append("team add \(team.id) name=\(quoted(name)) specialty=\(specialty) region=shanxi/\(city.id) "
                + "at=\(city.centre.latitude),\(city.centre.longitude) leader=\(volunteerID(team.members[0]))")
            for member in team.members.dropFirst() { lines.append("team member add \(team.id) \(volunteerID(member))") }
        }
        return lines
    }
}

private extension String {
    func replacingDashes() -> String { String(filter { $0 != "-" }) }
}
