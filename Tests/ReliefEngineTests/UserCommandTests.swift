import XCTest
import ReliefCore
import ReliefProtocol
@testable import ReliefEngine

/// user and token commands in memory: grants and their scopes, tokens that authenticate until
/// revoked or their user is removed, and users kept by a snapshot.
final class UserCommandTests: XCTestCase {
    private func engine() throws -> Engine {
        let engine = Engine()
        for line in ["region add sx name=Shanxi level=province", "region add sx/ty name=Taiyuan level=city",
                     "warehouse add ty-01 name=Taiyuan region=sx/ty at=37.87,112.55"] {
            XCTAssertFalse(engine.handle(line: line, actor: "setup").reply.isError, line)
        }
        return engine
    }

    private func code(_ engine: Engine, _ line: String) -> ErrorCode? {
        if case .error(let code, _) = engine.handle(line: line, actor: "admin").reply { return code }
        return nil
    }

    func testGrantsNeedTheirScopeAndNameWhatExists() throws {
        let engine = try engine()
        XCTAssertEqual(code(engine, "user add olga role=duty_officer"), .syntax, "a duty officer needs regions=")
        XCTAssertEqual(code(engine, "user add olga role=duty_officer regions=sx/nowhere"), .notFound)
        XCTAssertEqual(code(engine, "user add olga role=viewer regions=sx"), .syntax, "regions= belongs to duty officers")
        XCTAssertEqual(code(engine, "user add kim role=warehouse_keeper"), .syntax, "a keeper needs warehouses=")
        XCTAssertEqual(code(engine, "user add 9lives role=viewer"), .syntax)
        XCTAssertEqual(code(engine, "user add olga role=chief"), .syntax)
        XCTAssertNil(code(engine, "user add olga role=duty_officer regions=sx/ty,sx/ty uids=1001"))
        XCTAssertEqual(engine.state.users["olga"]?.regions, ["sx/ty"])
        XCTAssertEqual(code(engine, "user add olga role=viewer"), .conflict)
        XCTAssertEqual(code(engine, "user add vera role=viewer uids=1001"), .conflict, "uid 1001 is olga's")
        XCTAssertNil(code(engine, "user change olga regions=*"))
        XCTAssertNil(engine.state.users["olga"]?.regions, "* = every region")
        XCTAssertNil(code(engine, "user change olga role=warehouse_keeper warehouses=ty-01"))
        XCTAssertEqual(engine.state.users["olga"]?.warehouses, ["ty-01"])
        XCTAssertEqual(engine.state.user(uid: 1001)?.name, "olga")
    }

    func testTokensAuthenticateUntilRevokedOrTheUserIsRemoved() throws {
        let engine = try engine()
        XCTAssertNil(code(engine, "user add kim role=warehouse_keeper warehouses=ty-01"))
        guard case .ok(let created) = engine.handle(line: "token create kim laptop", actor: "admin").reply, let token = created["token"] else {
            return XCTFail("no token")
        }
        XCTAssertEqual(engine.authenticate(user: "kim", token: token)?.warehouses, ["ty-01"])
        XCTAssertEqual(engine.authenticate(user: "kim", token: token)?.credential, "token=laptop")
        XCTAssertNil(engine.authenticate(user: "kim", token: token + "0"))
        XCTAssertNil(engine.authenticate(user: "kimberly", token: token))
        XCTAssertEqual(code(engine, "token create kim laptop"), .conflict)
        // Users and token hashes survive a snapshot.
        let reloaded = Engine(state: try State(snapshotText: engine.state.snapshotText()))
        XCTAssertEqual(reloaded.authenticate(user: "kim", token: token)?.user, "kim")
        XCTAssertNil(code(engine, "token revoke kim laptop"))
        XCTAssertNil(engine.authenticate(user: "kim", token: token))
        XCTAssertEqual(code(engine, "token revoke kim laptop"), .conflict)
        guard case .ok(let second) = engine.handle(line: "token create kim phone", actor: "admin").reply, let other = second["token"] else {
            return XCTFail("no token")
        }
        XCTAssertNotNil(engine.authenticate(user: "kim", token: other))
        XCTAssertNil(code(engine, "user remove kim"))
        XCTAssertNil(engine.authenticate(user: "kim", token: other), "removing a user revokes every token")
        XCTAssertEqual(code(engine, "user add kim role=viewer"), .conflict, "the name stays with its history")
    }
}
