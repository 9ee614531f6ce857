/// The people side of an operation: the skill catalog, volunteers with their certifications,
/// statuses and duty log, and rescue teams.

/// A skill from the catalog (config/catalog/skills.commands). `specialty` groups skills under a
/// rescue-team specialty; `needsCertificate` skills count only with a valid certification.
public struct Skill: Sendable, Equatable {
    public var id: String
    public var name: String
    public var specialty: String?
    public var needsCertificate: Bool

    public init(id: String, name: String, specialty: String?, needsCertificate: Bool) {
        self.id = id; self.name = name; self.specialty = specialty; self.needsCertificate = needsCertificate
    }
}

/// A rescue-team specialty (search and rescue, medical, water rescue, …).
public struct Specialty: Sendable, Equatable {
    public var id: String
    public var name: String
    /// Skills every member of a team of this specialty must hold (certified where the skill needs it).
    public var requiredSkills: [String]

    public init(id: String, name: String, requiredSkills: [String]) {
        self.id = id; self.name = name; self.requiredSkills = requiredSkills
    }
}

public struct Certification: Sendable, Equatable {
    public var skill: String
    public var issued: Day
    /// Last day the certification is valid.
    public var expires: Day
    public var issuer: String

    public init(skill: String, issued: Day, expires: Day, issuer: String) {
        self.skill = skill; self.issued = issued; self.expires = expires; self.issuer = issuer
    }

    public func isValid(on day: Day) -> Bool { issued <= day && day <= expires }
}

public enum VolunteerStatus: String, Sendable, CaseIterable {
    case available, standby, deployed, offDuty = "off_duty", unavailable
}

/// One stretch on duty, from check-in to check-out.
public struct DutyRecord: Sendable, Equatable {
    public var start: Timestamp
    public var end: Timestamp
    public var incident: String?

    public init(start: Timestamp, end: Timestamp, incident: String?) {
        self.start = start; self.end = end; self.incident = incident
    }

    public var milliseconds: Int64 { end.milliseconds - start.milliseconds }
}

/// The fields of a volunteer that `volunteer add` sets and `volunteer update` may change.
public struct VolunteerProfile: Sendable, Equatable {
    public var name: String
    /// Personal data: shown only to roles that need it.
    public var phone: String?
    /// Personal data: shown only to roles that need it.
    public var idNumber: String?
    public var region: String
    public var base: Coordinate
    public var languages: [String]
    /// skill → level 1…5
    public var skills: [String: Int]
    public var maxDutyHoursPerDay: Int
    public var minRestHours: Int
    public var organization: String?

    public init(name: String, phone: String?, idNumber: String?, region: String, base: Coordinate, languages: [String],
                skills: [String: Int], maxDutyHoursPerDay: Int, minRestHours: Int, organization: String?) {
        self.name = name; self.phone = phone; self.idNumber = idNumber; self.region = region; self.base = base
        self.languages = languages; self.skills = skills; self.maxDutyHoursPerDay = maxDutyHoursPerDay
        self.minRestHours = minRestHours; self.organization = organization
    }
}

public struct Volunteer: Sendable, Equatable {
    public var id: String
    public var profile: VolunteerProfile
    public var certifications: [String: Certification] = [:]
    public var status: VolunteerStatus = .available
    public var statusReason: String?
    /// The status ends by itself at the start of this day (UTC); the volunteer is available again.
    public var statusUntil: Day?
    /// Set while checked in.
    public var onDutySince: Timestamp?
    public var onDutyIncident: String?
    public var duty: [DutyRecord] = []
    public var team: String?
    public var registeredAt: Timestamp
    /// Drills taken part in, newest last (at most State.drillRecordsKept).
    public var drills: [DrillRecord] = []

    public init(id: String, profile: VolunteerProfile, registeredAt: Timestamp) {
        self.id = id; self.profile = profile; self.registeredAt = registeredAt
    }
}

public enum TeamState: String, Sendable, CaseIterable {
    case active, stoodDown = "stood_down"
}

public struct Team: Sendable, Equatable {
    public var id: String
    public var name: String
    public var specialty: String
    public var region: String
    public var base: Coordinate
    public var leader: String?
    public var members: [String] = []
    public var state: TeamState = .active
    /// Why the team was stood down (nil while active).
    public var stateReason: String?
    /// Drills taken part in, newest last (at most State.drillRecordsKept).
    public var drills: [DrillRecord] = []

    public init(id: String, name: String, specialty: String, region: String, base: Coordinate, leader: String?) {
        self.id = id; self.name = name; self.specialty = specialty; self.region = region; self.base = base; self.leader = leader
    }
}
