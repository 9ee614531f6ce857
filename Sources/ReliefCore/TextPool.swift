/// Text that many records repeat, kept once: the organization of a volunteer and the issuer of a
/// certificate are a few hundred distinct strings over a roster of 100,000, and each would
/// otherwise be an allocation of its own per volunteer (13 MB of such copies at 100,000).
///
/// Strings of up to 15 UTF-8 bytes are stored inline by Swift and are returned as they are. The
/// pool holds at most `capacity` strings: past that, new text is kept as given (one copy per
/// record, as without a pool), so a client sending a new organization with every volunteer cannot
/// make the pool itself grow without bound.
struct TextPool: Sendable {
    static let capacity = 10_000
    private var strings: Set<String> = []

    var count: Int { strings.count }

    /// `text`, or the pool's copy of the same text.
    mutating func intern(_ text: String) -> String {
        guard text.utf8.count > 15 else { return text }
        if let index = strings.firstIndex(of: text) { return strings[index] }
        if strings.count < TextPool.capacity { strings.insert(text) }
        return text
    }

    mutating func intern(_ text: String?) -> String? {
        guard let text else { return nil }
        return intern(text) as String
    }

    /// Takes in the text of `other` (up to the capacity): the pools of a snapshot's batches made one.
    mutating func add(_ other: TextPool) {
        for text in other.strings where strings.count < TextPool.capacity { strings.insert(text) }
    }

    /// `profile` with its shared text taken from the pool.
    mutating func intern(_ profile: VolunteerProfile) -> VolunteerProfile {
        var profile = profile
        profile.organization = intern(profile.organization)
        return profile
    }

    mutating func intern(_ certification: Certification) -> Certification {
        var certification = certification
        certification.issuer = intern(certification.issuer)
        return certification
    }
}
