/// Text that many records repeat, kept once: the organization of a volunteer and the issuer of a
/// certificate are a few hundred distinct strings over a roster of 100,000, and each would
/// otherwise be an allocation of its own per volunteer (13 MB of such copies at 100,000). A
/// volunteer's languages and skills are kept once per distinct list too: most volunteers speak
/// one of a few language lists and share a skill list with many others, and each list is a heap
/// block of its own (a skill dictionary of one to three skills about 200 bytes) unless shared.
///
/// Strings of up to 15 UTF-8 bytes are stored inline by Swift and are returned as they are. The
/// pool holds at most `capacity` strings, and as many lists of each kind: past that, new values
/// are kept as given (one copy per record, as without a pool), so a client sending a new
/// organization or skill list with every volunteer cannot make the pool itself grow without bound.
struct TextPool: Sendable {
    static let capacity = 10_000
    private var strings: Set<String> = []
    private var languageLists: Set<[String]> = []
    private var skillLists: Set<[String: Int]> = []
    /// The lists as a snapshot line writes them ("zh,en", "first-aid:2,driver-c1:3"), each with
    /// its pooled list: the snapshot decoder looks a line's text up here and parses and pools it
    /// only the first time it meets it. Kept while a snapshot loads, then dropped
    /// (`forgetWrittenLists`); bounded like the pools.
    private var languagesByText: [String: [String]] = [:]
    private var skillsByText: [String: [String: Int]] = [:]

    var count: Int { strings.count }
    /// Distinct language lists and skill lists held.
    var listCount: Int { languageLists.count + skillLists.count }
    /// Texts of lists held for a snapshot being loaded.
    var writtenListCount: Int { languagesByText.count + skillsByText.count }

    /// `value`, or the pool's copy of an equal one (sharing its storage).
    private static func pooled<Value: Hashable>(_ value: Value, in pool: inout Set<Value>) -> Value {
        if let index = pool.firstIndex(of: value) { return pool[index] }
        if pool.count < TextPool.capacity { pool.insert(value) }
        return value
    }

    /// `text`, or the pool's copy of the same text.
    mutating func intern(_ text: String) -> String {
        guard text.utf8.count > 15 else { return text }
        return TextPool.pooled(text, in: &strings)
    }

    mutating func intern(_ text: String?) -> String? {
        guard let text else { return nil }
        return intern(text) as String
    }

    /// Takes in the text and lists of `other` (up to the capacity): the pools of a snapshot's
    /// batches made one.
    mutating func add(_ other: TextPool) {
        func merge<Value: Hashable>(_ values: Set<Value>, into pool: inout Set<Value>) {
            for value in values where pool.count < TextPool.capacity { pool.insert(value) }
        }
        merge(other.strings, into: &strings)
        merge(other.languageLists, into: &languageLists)
        merge(other.skillLists, into: &skillLists)
    }

    /// The languages a snapshot line writes as `text`, parsed and pooled the first time.
    mutating func languages(written text: String) -> [String] {
        TextPool.pooled(written: text, byText: &languagesByText, in: &languageLists, parse: Event.parseLanguages)
    }

    /// The skills a snapshot line writes as `text`, parsed and pooled the first time.
    mutating func skills(written text: String) throws -> [String: Int] {
        try TextPool.pooled(written: text, byText: &skillsByText, in: &skillLists, parse: Event.parseSkills)
    }

    private static func pooled<List: Hashable & Collection>(written text: String, byText: inout [String: List], in pool: inout Set<List>,
                                                           parse: (String) throws -> List) rethrows -> List {
        if let list = byText[text] { return list }
        var list = try parse(text)
        // A text not met before is a list not pooled before (a snapshot writes each list one way),
        // so it is not looked for: it is pooled while there is room. Once the pool is full, new
        // lists cost their parse only, not the hashing of a dictionary to find it absent.
        if !list.isEmpty, pool.count < capacity { list = pool.insert(list).memberAfterInsert }
        if byText.count < capacity { byText[text] = list }
        return list
    }

    /// Drops the texts `languages(written:)` and `skills(written:)` looked lists up by, once a
    /// snapshot is loaded (the lists themselves stay pooled).
    mutating func forgetWrittenLists() {
        languagesByText = [:]
        skillsByText = [:]
    }

    /// `profile` with its shared text and lists taken from the pool.
    mutating func intern(_ profile: VolunteerProfile) -> VolunteerProfile {
        var profile = profile
        profile.organization = intern(profile.organization)
        // Empty lists share Swift's empty storage already.
        if !profile.languages.isEmpty { profile.languages = TextPool.pooled(profile.languages, in: &languageLists) }
        if !profile.skills.isEmpty { profile.skills = TextPool.pooled(profile.skills, in: &skillLists) }
        return profile
    }

    mutating func intern(_ certification: Certification) -> Certification {
        var certification = certification
        certification.issuer = intern(certification.issuer)
        return certification
    }
}
