import XCTest
@testable import ReliefStore

/// The PostgreSQL password never shows: every way libpq takes one from a connection string is
/// masked, and libpq's own messages are scrubbed of it.
final class PostgresSecretsTests: XCTestCase {
    func testPasswordInTheURLsCredentialsIsMasked() {
        XCTAssertEqual(PostgresStore.redacted("postgres://reliefd:s3cret@db:5432/relief"), "postgres://reliefd:***@db:5432/relief")
        XCTAssertEqual(PostgresStore.redacted("postgresql://reliefd:p@ss@db/relief?sslmode=require"),
                       "postgresql://reliefd:***@db/relief?sslmode=require")
        XCTAssertEqual(PostgresStore.redacted("postgres://reliefd@db/relief"), "postgres://reliefd@db/relief")
        XCTAssertEqual(PostgresStore.redacted("postgres://db:5432/relief"), "postgres://db:5432/relief")
    }

    func testPasswordInTheQueryStringIsMasked() {
        XCTAssertEqual(PostgresStore.redacted("postgres://reliefd@db/relief?password=s3cret"), "postgres://reliefd@db/relief?password=***")
        XCTAssertEqual(PostgresStore.redacted("postgres://reliefd@db/relief?sslmode=require&password=s3cret&connect_timeout=5"),
                       "postgres://reliefd@db/relief?sslmode=require&password=***&connect_timeout=5")
        // libpq percent-decodes keys as well as values.
        XCTAssertEqual(PostgresStore.redacted("postgres://db/relief?pass%77ord=s3cret"), "postgres://db/relief?pass%77ord=***")
        XCTAssertEqual(PostgresStore.redacted("postgres://u:a@db/relief?password=b"), "postgres://u:***@db/relief?password=***")
        // Other parameters that merely contain the word are left alone.
        XCTAssertEqual(PostgresStore.redacted("postgres://db/relief?passfile=/etc/reliefd/pgpass"), "postgres://db/relief?passfile=/etc/reliefd/pgpass")
        XCTAssertEqual(PostgresStore.redacted("postgres://db/relief?sslpassword=x"), "postgres://db/relief?sslpassword=x")
    }

    func testPasswordInAKeywordValueStringIsMasked() {
        XCTAssertEqual(PostgresStore.redacted("host=db user=reliefd password=s3cret dbname=relief"),
                       "host=db user=reliefd password=*** dbname=relief")
        XCTAssertEqual(PostgresStore.redacted("host=db password = 'se cret \\' x' dbname=relief"),
                       "host=db password = '***' dbname=relief")
        XCTAssertEqual(PostgresStore.redacted("password=a\\ b host=db"), "password=*** host=db")
        XCTAssertEqual(PostgresStore.redacted("host=db dbname=relief"), "host=db dbname=relief")
    }

    func testHasPassword() {
        XCTAssertTrue(PostgresStore.hasPassword("postgres://u:x@db/relief"))
        XCTAssertTrue(PostgresStore.hasPassword("postgres://u@db/relief?password=x"))
        XCTAssertTrue(PostgresStore.hasPassword("postgres://u:@db/relief"))
        XCTAssertTrue(PostgresStore.hasPassword("host=db password=x"))
        XCTAssertFalse(PostgresStore.hasPassword("postgres://u@db:5432/relief?sslmode=require"))
        XCTAssertFalse(PostgresStore.hasPassword("sqlite"))
    }

    func testPasswordGoesAfterTheURLSoItIsTheOneUsed() {
        let parameters = PostgresStore.parameters(url: "postgres://u@db/relief", password: "from-file")
        XCTAssertEqual(parameters.last?.0, "password")
        XCTAssertEqual(parameters.last?.1, "from-file")
        XCTAssertLessThan(parameters.firstIndex { $0.0 == "dbname" }!, parameters.count - 1)
        XCTAssertFalse(PostgresStore.parameters(url: "postgres://u@db/relief").contains { $0.0 == "password" })
    }

    /// libpq quotes the token it could not decode; the password in it is scrubbed.
    func testLibpqMessagesDoNotShowThePassword() {
        let client = LibPQClient()
        defer { client.finish() }
        _ = client.connectStart(PostgresStore.parameters(url: "postgres://reliefd:hunter2%zz@127.0.0.1:1/relief"))
        let message = client.errorMessage
        XCTAssertTrue(message.contains("percent"), "libpq no longer complains about the bad %-sequence: \(message)")
        XCTAssertFalse(message.contains("hunter2"), message)
        XCTAssertEqual(PostgresStore.scrub("bad \"abc%41\" and \"abcA\"", secrets: PostgresStore.passwords(in: "postgres://u:abc%41@h/d")),
                       "bad \"***\" and \"***\"")
    }
}
