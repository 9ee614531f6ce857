import XCTest
@testable import ReliefServer

/// ImportStaging in memory: when a large import starts being written ahead, what each turn sends,
/// and every way it ends — before, a daemon and an import of tens of thousands of rows.
final class ImportStagingTests: XCTestCase {
    final class Session {}
    typealias Staging = ImportStaging<Session>
    let slice = Staging.slice

    func testStartsOnlyForALargeCleanCurrentImportOnAReadyStore() {
        let session = Session()
        var staging = Staging()
        staging.consider(connection: 1, session: session, entryCount: slice - 1, current: true, storeReady: true)
        XCTAssertFalse(staging.isStaging, "too small to be worth it")
        staging.consider(connection: 1, session: session, entryCount: slice, current: false, storeReady: true)
        XCTAssertFalse(staging.isStaging, "checked on a state that is no longer the live one, or has bad rows")
        staging.consider(connection: 1, session: session, entryCount: slice, current: true, storeReady: false)
        XCTAssertFalse(staging.isStaging, "the store cannot stage, is busy, down, or the daemon stops")
        staging.consider(connection: 1, session: session, entryCount: slice, current: true, storeReady: true)
        XCTAssertTrue(staging.isStaging(connection: 1))
        staging.consider(connection: 2, session: Session(), entryCount: 5 * slice, current: true, storeReady: true)
        XCTAssertTrue(staging.isStaging(connection: 1), "one import at a time")
        XCTAssertFalse(staging.isStaging(connection: 2))
    }

    func testEachTurnSendsWhatArrivedInSlicesWithAtMostTwoOut() {
        var staging = Staging()
        staging.consider(connection: 1, session: Session(), entryCount: slice, current: true, storeReady: true)
        XCTAssertEqual(staging.turnEnded(entryCount: slice + 10, current: true, storeAvailable: true), .send(from: 0))
        XCTAssertEqual(staging.turnEnded(entryCount: slice + 20, current: true, storeAvailable: true), .nothing, "less than a slice new")
        XCTAssertEqual(staging.turnEnded(entryCount: 2 * slice + 10, current: true, storeAvailable: true), .send(from: slice + 10))
        XCTAssertEqual(staging.turnEnded(entryCount: 4 * slice, current: true, storeAvailable: true), .nothing, "two out: the writer's queue stays bounded")
        staging.stored(slice + 10)
        XCTAssertEqual(staging.written, slice + 10)
        XCTAssertEqual(staging.turnEnded(entryCount: 4 * slice, current: true, storeAvailable: true), .send(from: 2 * slice + 10))
    }

    func testTheStateMovingOrTheStoreGoingEndsIt() {
        var staging = Staging()
        staging.consider(connection: 1, session: Session(), entryCount: slice, current: true, storeReady: true)
        XCTAssertEqual(staging.turnEnded(entryCount: 2 * slice, current: false, storeAvailable: true), .discard)
        XCTAssertFalse(staging.isStaging)
        XCTAssertEqual(staging.turnEnded(entryCount: 3 * slice, current: true, storeAvailable: true), .nothing)

        staging.consider(connection: 1, session: Session(), entryCount: slice, current: true, storeReady: true)
        XCTAssertEqual(staging.turnEnded(entryCount: 2 * slice, current: true, storeAvailable: false), .discard)
    }

    func testCommitTakesWhatWasSentForItsOwnSessionOnly() {
        let mine = Session()
        var staging = Staging()
        staging.consider(connection: 1, session: mine, entryCount: slice, current: true, storeReady: true)
        _ = staging.turnEnded(entryCount: slice + 5, current: true, storeAvailable: true)
        XCTAssertNil(staging.take(Session()), "another import's commit does not take it")
        XCTAssertTrue(staging.isStaging)
        XCTAssertEqual(staging.take(mine), slice + 5)
        XCTAssertFalse(staging.isStaging)
        XCTAssertNil(staging.take(mine))
    }

    func testAbandonAndFailure() {
        var staging = Staging()
        XCTAssertFalse(staging.abandon(), "nothing staged: nothing to discard")
        staging.consider(connection: 1, session: Session(), entryCount: slice, current: true, storeReady: true)
        _ = staging.turnEnded(entryCount: slice, current: true, storeAvailable: true)
        XCTAssertTrue(staging.abandon())
        // The answer of the job that was out still comes; a new import waits for it.
        staging.consider(connection: 2, session: Session(), entryCount: slice, current: true, storeReady: true)
        XCTAssertFalse(staging.isStaging, "a stage job of the old import is still out")
        staging.stored(slice)
        XCTAssertEqual(staging.written, 0, "written ahead of an import no longer staged does not count")
        staging.consider(connection: 2, session: Session(), entryCount: slice, current: true, storeReady: true)
        XCTAssertTrue(staging.isStaging(connection: 2))
        _ = staging.turnEnded(entryCount: slice, current: true, storeAvailable: true)
        XCTAssertTrue(staging.failed(), "the writer failed: staging ends, the import commits the usual way")
        XCTAssertFalse(staging.isStaging)
    }
}
