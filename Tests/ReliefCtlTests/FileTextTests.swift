#if canImport(Glibc)
import Glibc
#endif
import Foundation
import XCTest
@testable import reliefctl

/// Files reliefctl writes (exports with personal data, DIMACS files) are private and never written
/// through a symlink someone planted at the path.
final class FileTextTests: XCTestCase {
    private func temporaryDirectory() throws -> String {
        var template = Array("/tmp/reliefctl-filetext-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        let directory = try XCTUnwrap(made.map { String(cString: $0) })
        addTeardownBlock { try? FileManager.default.removeItem(atPath: directory) }
        return directory
    }

    private func mode(_ path: String) -> mode_t {
        var info = stat()
        XCTAssertEqual(lstat(path, &info), 0, path)
        return info.st_mode & 0o7777
    }

    func testANewFileIsCreated0600WhateverTheUmask() throws {
        let directory = try temporaryDirectory()
        let old = umask(0)
        defer { umask(old) }
        try FileText.write(Array("phone,id_number\n".utf8), to: directory + "/export.csv")
        XCTAssertEqual(mode(directory + "/export.csv"), 0o600)
        XCTAssertEqual(try String(contentsOfFile: directory + "/export.csv", encoding: .utf8), "phone,id_number\n")
    }

    func testAnExistingLooseFileIsTruncatedAndNarrowedTo0600() throws {
        let directory = try temporaryDirectory()
        let path = directory + "/old.csv"
        try "a much longer old content\n".write(toFile: path, atomically: false, encoding: .utf8)
        XCTAssertEqual(chmod(path, 0o644), 0)
        try FileText.write(Array("new\n".utf8), to: path)
        XCTAssertEqual(mode(path), 0o600)
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "new\n")
    }

    func testASymlinkAtThePathIsRefusedAndItsTargetLeftAlone() throws {
        let directory = try temporaryDirectory()
        let target = directory + "/victim"
        try "precious\n".write(toFile: target, atomically: false, encoding: .utf8)
        XCTAssertEqual(chmod(target, 0o644), 0)
        let link = directory + "/export.csv"
        XCTAssertEqual(symlink(target, link), 0)
        XCTAssertThrowsError(try FileText.write(Array("personal data\n".utf8), to: link)) { error in
            let message = "\(error)"
            XCTAssertTrue(message.contains("\(link) is a symbolic link; refusing to write through it"), message)
        }
        XCTAssertEqual(try String(contentsOfFile: target, encoding: .utf8), "precious\n")
        XCTAssertEqual(mode(target), 0o644)
        // A dangling link is refused the same way, rather than creating its target.
        let dangling = directory + "/dangling.csv"
        XCTAssertEqual(symlink(directory + "/created-elsewhere", dangling), 0)
        XCTAssertThrowsError(try FileText.write(Array("x\n".utf8), to: dangling))
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory + "/created-elsewhere"))
    }
}
