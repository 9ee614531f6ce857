import ReliefCore

import Foundation

/// Stock moves older than those the daemon holds in memory (State+MoveWindow.swift), read from
/// stock_moves on a connection of their own, off the loop.
///
/// A move leaves memory when its entry is applied, which may be a batch before that entry's
/// commit lands: a read first waits (up to 10 s) until the journal holds every entry before
/// `before`, so it never misses a move that left memory but is not stored yet.
enum MoveRead {
    static func waitForCommit(before seq: Int64, lastCommitted: () throws -> Int64) throws {
        for _ in 0..<200 {
            if try lastCommitted() >= seq - 1 { return }
            usleep(50_000)
        }
        throw StoreError("the stock moves before seq \(seq) are not committed yet; try again")
    }
}

extension SQLiteJournal {
    public static func moves(path: String, _ query: MoveQuery) throws -> [StockMove] {
        guard FileIdentity.of(path: path) != nil else { throw StoreError("no SQLite store at \(path)", isTransient: false) }
        do {
            let connection = try SQLiteConnection(path: path, readOnly: true)
            defer { connection.close() }
            try connection.setBusyTimeout(milliseconds: SQLiteSession.busyTimeoutMilliseconds)
            try MoveRead.waitForCommit(before: query.before) { try connection.scalarInt("SELECT COALESCE(MAX(seq), 0) FROM journal") ?? 0 }
            let (text, parameters) = query.sql
            let rows = try connection.prepare(text.replacingOccurrences(of: "$", with: "?"))
            defer { rows.finalize() }
            for (index, value) in parameters.enumerated() {
                if index == 0 { rows.bind(1, query.before) } else { rows.bind(Int32(index + 1), value) }
            }
            var found: [StockMove] = []
            while try rows.step() {
                guard let move = MoveQuery.move({ rows.text(Int32($0)) }) else {
                    throw StoreError("a stock_moves row before seq \(query.before) is malformed", isTransient: false)
                }
                found.append(move)
            }
            return found.reversed()
        } catch let error as SQLiteError {
            throw StoreError("reading stock moves from sqlite:\(path): \(error.storeError.message)")
        }
    }
}

extension PostgresJournal {
    public func moves(_ query: MoveQuery) throws -> [StockMove] {
        try MoveRead.waitForCommit(before: query.before) {
            let rows = try self.query("SELECT COALESCE(MAX(seq), 0) FROM journal")
            return rows.count == 1 ? Int64(rows[0, 0] ?? "") ?? 0 : 0
        }
        let (text, parameters) = query.sql
        let rows = try self.query(text.replacingOccurrences(of: "seq < $1", with: "seq < $1::bigint"), parameters)
        var found: [StockMove] = []
        for row in 0..<rows.count {
            guard let move = MoveQuery.move({ rows[row, $0] }) else {
                throw StoreError("a stock_moves row before seq \(query.before) is malformed", isTransient: false)
            }
            found.append(move)
        }
        return found.reversed()
    }
}
