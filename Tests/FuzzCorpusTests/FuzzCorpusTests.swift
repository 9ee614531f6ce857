import XCTest
@testable import ReliefFuzz

/// Every fuzz target's seed corpus (Tests/Fuzz/corpus/TARGET), run once through the target as the
/// plain build has it: the inputs that once found a bug stay regression tests, and a target whose
/// properties break on its own seeds fails here before anyone fuzzes. A broken property stops the
/// process (Fuzz.fail), so a failure here is a crash of the test run with the property's message.
final class FuzzCorpusTests: XCTestCase {
    func testEveryTargetHasACorpusThatPasses() throws {
        XCTAssertEqual(Set(Fuzz.targets.map(\.name)).count, Fuzz.targets.count, "two targets with one name")
        for target in Fuzz.targets {
            switch Fuzz.replay(target, paths: [Fuzz.corpusDirectory(target.name)]) {
            case .success(let count):
                XCTAssertGreaterThan(count, 0, "\(target.name) has no corpus in Tests/Fuzz/corpus/\(target.name)")
            case .failure(let error):
                XCTFail("\(target.name): \(error)")
            }
        }
    }
}
