import ReliefProtocol

/// Writes `volunteer add` / `volunteer certify` request lines (such as the demo roster generator's)
/// as a volunteers CSV that `reliefctl import volunteers` reads back: one record per volunteer with
/// its first certification, one more record (id and cert_ cells only) per further certification.
/// Other lines (teams, organizations, …) are left out. Pure: no I/O.
public struct RosterCSV {
    public static let columns = ImportPlan.Kind.volunteers.columns.filter { $0 != "at" }
    /// Options of `volunteer add` that are columns: an option named like another column (`id=`,
    /// `cert_skill=`, which `volunteer add` refuses) must not overwrite that column.
    static let addOptions: Set<String> = ["name", "phone", "id_number", "region", "lat", "lon", "languages", "skills",
                                          "max_hours", "min_rest", "org"]

    public private(set) var text = CSV.record(RosterCSV.columns)
    public private(set) var volunteers = 0
    /// The record being built (written when the next volunteer starts), and whether it has a certification.
    private var current: [String: String] = [:]
    private var currentHasCert = false
    /// Records of further certifications of the current volunteer, written after its record.
    private var extraCerts: [[String: String]] = []

    public init() {}

    /// Adds one request line.
    public mutating func add(_ line: String) {
        guard case .success(let request) = RequestParser.parse(line), request.words.count >= 3 else { return }
        let noun = request.words[0].lowercased(), verb = request.words[1].lowercased()
        guard noun == "volunteer" else { return }
        if verb == "add" {
            flush()
            volunteers += 1
            current = ["id": request.words[2]]
            for option in request.options {
                if option.key == "at" {
                    let parts = option.value.split(separator: ",", maxSplits: 1)
                    if parts.count == 2 { (current["lat"], current["lon"]) = (String(parts[0]), String(parts[1])) }
                } else if RosterCSV.addOptions.contains(option.key) {
                    current[option.key] = option.value
                }
            }
        } else if verb == "certify", request.words.count >= 4 {
            var cert = ["cert_skill": request.words[3]]
            for (key, column) in [("issued", "cert_issued"), ("expires", "cert_expires"), ("issuer", "cert_issuer")] {
                if let value = request.option(key) { cert[column] = value }
            }
            if current["id"] == request.words[2] && !currentHasCert {
                current.merge(cert) { $1 }
                currentHasCert = true
            } else {
                cert["id"] = request.words[2]
                extraCerts.append(cert)
            }
        }
    }

    /// Writes the record being built; call once after the last line.
    public mutating func flush() {
        if !current.isEmpty { text += CSV.record(RosterCSV.columns.map { current[$0] ?? "" }) }
        for cert in extraCerts { text += CSV.record(RosterCSV.columns.map { cert[$0] ?? "" }) }
        current = [:]
        currentHasCert = false
        extraCerts = []
    }
}
