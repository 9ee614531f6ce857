import Foundation
import ReliefDrill

/// Reading a report written before, for `reliefd drill compare`: what is wrong with a file that is
/// not one is said with its line and column where JSON itself is broken, and with the field where
/// the JSON is not a report.
extension Drill {
    static func readReport(_ json: String) -> Result<DrillReport, ReportFileError> {
        guard let data = FileManager.default.contents(atPath: json) else {
            return .failure(ReportFileError("cannot read \(json); expected a drill report (report.json, or the directory reliefd drill run --report wrote)"))
        }
        do {
            return .success(try JSONDecoder().decode(DrillReport.self, from: data))
        } catch let error as DecodingError {
            return .failure(ReportFileError(describe(error, in: data, file: json)))
        } catch {
            return .failure(ReportFileError("\(json): \(error); expected a report.json written by reliefd drill run --report"))
        }
    }

    struct ReportFileError: Error {
        var message: String
        init(_ message: String) { self.message = message }
    }

    static func describe(_ error: DecodingError, in data: Data, file: String) -> String {
        let expected = "expected a report.json written by reliefd drill run --report"
        func sentence(_ text: String) -> String { text.hasSuffix(".") ? String(text.dropLast()) : text }
        func path(_ context: DecodingError.Context) -> String {
            context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? "." + $0.stringValue }.joined().drop { $0 == "." }.description
        }
        switch error {
        case .dataCorrupted(let context) where context.codingPath.isEmpty:
            // JSONDecoder does not say where; JSONSerialization says which character.
            var offset = data.count
            var what = "not valid JSON"
            do {
                _ = try JSONSerialization.jsonObject(with: data)
            } catch {
                let detail = ((error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String) ?? ""
                what += detail.isEmpty ? "" : " (\(sentence(detail)))"
                if let range = detail.range(of: #"character (\d+)"#, options: .regularExpression),
                   let index = Int(detail[range].dropFirst("character ".count)) { offset = min(index, data.count) }
            }
            let before = data.prefix(offset)
            let line = before.filter { $0 == 0x0A }.count + 1
            let column = String(decoding: before.split(separator: 0x0A, omittingEmptySubsequences: false).last ?? [], as: UTF8.self).count + 1
            return "\(file):\(line):\(column): \(what); \(expected)"
        case .dataCorrupted(let context):
            return "\(file): at \(path(context)): \(sentence(context.debugDescription)); \(expected)"
        case .keyNotFound(let key, let context):
            let at = path(context)
            return "\(file): \(at.isEmpty ? "" : "at \(at): ")no \"\(key.stringValue)\"; \(expected)"
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return "\(file): at \(path(context)): \(sentence(context.debugDescription)); \(expected)"
        @unknown default:
            return "\(file): \(error); \(expected)"
        }
    }
}
