/// Roster look-ups the matcher (ReliefMatching) needs to explain an unmet personnel need: who lists
/// a skill at all, and who lists it near a place — through the roster indexes, so an explanation
/// costs what the volunteers around the incident cost, not the whole roster.
extension State {
    /// Volunteers listing `skill` (certified or not), unordered.
    public func volunteerIDs(listing skill: String) -> Set<String> { rosterIndex.bySkill[skill] ?? [] }

    /// Volunteers listing `skill` based within `radius` km of `center`, with their distance, nearest
    /// first (then by id).
    public func volunteersListing(_ skill: String, near center: Coordinate, radiusKilometres radius: Double) -> [(id: String, distance: Double)] {
        var out: [(id: String, distance: Double)] = []
        for id in rosterIndex.candidates(near: center, radiusKilometres: radius, skill: skill) {
            guard let base = volunteers[id]?.profile.base else { continue }
            let distance = center.distanceKilometres(to: base)
            if distance <= radius { out.append((id, distance)) }
        }
        out.sort { $0.distance != $1.distance ? $0.distance < $1.distance : $0.id < $1.id }
        return out
    }
}
