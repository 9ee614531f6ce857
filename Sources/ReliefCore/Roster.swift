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

/// A volunteer on the roster. A value, kept in one heap box shared by its copies until one of
/// them changes (copy on write, as `Array` does): the roster's map holds a pointer per volunteer
/// rather than a few hundred bytes, and reading a volunteer out of it, which the matcher and
/// `volunteer find` do for every candidate, copies one reference instead of a dozen.
public struct Volunteer: Sendable, Equatable {
    /// The fields. Only ever changed through a `Volunteer` that holds the one reference to it
    /// (`unique`), so values that share it never see a change: safe to read from any thread.
    private final class Box: @unchecked Sendable {
        var id: String
        var profile: VolunteerProfile
        var certifications: [String: Certification]
        var status: VolunteerStatus
        var statusReason: String?
        var statusUntil: Day?
        var onDutySince: Timestamp?
        var onDutyIncident: String?
        var duty: [DutyRecord]
        var team: String?
        var registeredAt: Timestamp
        var drills: [DrillRecord]

        init(id: String, profile: VolunteerProfile, registeredAt: Timestamp) {
            self.id = id; self.profile = profile; self.registeredAt = registeredAt
            certifications = [:]
            status = .available
            statusReason = nil
            statusUntil = nil
            onDutySince = nil
            onDutyIncident = nil
            duty = []
            team = nil
            drills = []
        }

        init(copying other: Box) {
            id = other.id
            profile = other.profile
            certifications = other.certifications
            status = other.status
            statusReason = other.statusReason
            statusUntil = other.statusUntil
            onDutySince = other.onDutySince
            onDutyIncident = other.onDutyIncident
            duty = other.duty
            team = other.team
            registeredAt = other.registeredAt
            drills = other.drills
        }
    }

    private var box: Box

    public init(id: String, profile: VolunteerProfile, registeredAt: Timestamp) {
        box = Box(id: id, profile: profile, registeredAt: registeredAt)
    }

    /// The box, copied first when another value shares it.
    private var unique: Box {
        mutating get {
            if !isKnownUniquelyReferenced(&box) { box = Box(copying: box) }
            return box
        }
    }

    public var id: String {
        get { box.id }
        set { unique.id = newValue }
        _modify { yield &unique.id }
    }
    public var profile: VolunteerProfile {
        get { box.profile }
        set { unique.profile = newValue }
        _modify { yield &unique.profile }
    }
    public var certifications: [String: Certification] {
        get { box.certifications }
        set { unique.certifications = newValue }
        _modify { yield &unique.certifications }
    }
    public var status: VolunteerStatus {
        get { box.status }
        set { unique.status = newValue }
        _modify { yield &unique.status }
    }
    public var statusReason: String? {
        get { box.statusReason }
        set { unique.statusReason = newValue }
        _modify { yield &unique.statusReason }
    }
    /// The status ends by itself at the start of this day (UTC); the volunteer is available again.
    public var statusUntil: Day? {
        get { box.statusUntil }
        set { unique.statusUntil = newValue }
        _modify { yield &unique.statusUntil }
    }
    /// Set while checked in.
    public var onDutySince: Timestamp? {
        get { box.onDutySince }
        set { unique.onDutySince = newValue }
        _modify { yield &unique.onDutySince }
    }
    public var onDutyIncident: String? {
        get { box.onDutyIncident }
        set { unique.onDutyIncident = newValue }
        _modify { yield &unique.onDutyIncident }
    }
    public var duty: [DutyRecord] {
        get { box.duty }
        set { unique.duty = newValue }
        _modify { yield &unique.duty }
    }
    public var team: String? {
        get { box.team }
        set { unique.team = newValue }
        _modify { yield &unique.team }
    }
    public var registeredAt: Timestamp {
        get { box.registeredAt }
        set { unique.registeredAt = newValue }
        _modify { yield &unique.registeredAt }
    }
    /// Drills taken part in, newest last (at most State.drillRecordsKept).
    public var drills: [DrillRecord] {
        get { box.drills }
        set { unique.drills = newValue }
        _modify { yield &unique.drills }
    }

    // Fields of the profile read in place: `profile` hands out a copy of the whole profile (a
    // dozen references retained and released), and a search asks these of every candidate.
    public var base: Coordinate { box.profile.base }
    public var region: String { box.profile.region }
    public var organization: String? { box.profile.organization }
    public var maxDutyHoursPerDay: Int { box.profile.maxDutyHoursPerDay }
    public var minRestHours: Int { box.profile.minRestHours }
    /// The level of `skill` on the profile (1…5), nil when not listed.
    public func level(of skill: String) -> Int? { box.profile.skills[skill] }
    /// The certification for `skill`, if any.
    public func certification(for skill: String) -> Certification? { box.certifications[skill] }

    public static func == (a: Volunteer, b: Volunteer) -> Bool {
        if a.box === b.box { return true }
        return a.box.id == b.box.id && a.box.profile == b.box.profile && a.box.certifications == b.box.certifications && a.box.status == b.box.status && a.box.statusReason == b.box.statusReason && a.box.statusUntil == b.box.statusUntil
            && a.box.onDutySince == b.box.onDutySince && a.box.onDutyIncident == b.box.onDutyIncident && a.box.duty == b.box.duty && a.box.team == b.box.team && a.box.registeredAt == b.box.registeredAt && a.box.drills == b.box.drills
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
