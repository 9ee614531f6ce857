// ReliefLimits: every bound reliefd puts on what a client, a file or the store can make it hold or
// compute, in one file, each with the reason for its value, and the relations between them checked
// at start-up (`Limits.violations()`; the daemon refuses to start when one fails). The model is
// TigerBeetle's constants.zig: a limit is a design decision, so it lives where it can be read whole.
//
// Bounds an operator may change are configuration keys; their defaults and permitted ranges are
// here, and Configuration (ReliefServer) reads them from here. Every other module that enforces a
// bound refers to the constant below instead of its own literal.

public enum Limits {
    // MARK: - The control protocol

    /// Longest request line by default (`max_line`). The longest ordinary request (an import row
    /// with every roster column, a plan with many options) is a few hundred bytes; 64 KiB leaves
    /// room for quoted notes and long item lists while bounding what one line may hold.
    public static let lineDefault = 64 << 10
    /// What `max_line` may be set to: below 1 KiB some valid requests no longer fit; above 16 MiB
    /// one unfinished line from each of `clientsRange.upperBound` clients could hold the machine.
    public static let lineRange: ClosedRange<Int> = (1 << 10)...(16 << 20)
    /// Longest reply line a client of this project reads (reliefctl, the tests): a one-line `ERR`
    /// naming every bad row of an import is the longest reply the daemon sends.
    public static let replyLine = 16 << 20
    /// Words and options in one request: the widest command has a few dozen; more is not a request.
    public static let requestWords = 256
    /// Bytes of an id (a warehouse, volunteer, incident …): long enough for any naming scheme, short
    /// enough that an id repeated on every row of an import (a volunteer's certifications, a team's
    /// members) keeps the rows within a small multiple of the file.
    public static let identifierBytes = 64

    // MARK: - Connections

    /// Clients at once by default (`max_clients`): a province's duty rooms, warehouses and scripts
    /// together are a few hundred; each costs a libuv handle, a read buffer share and its output.
    public static let clientsDefault = 1024
    public static let clientsRange: ClosedRange<Int> = 1...100_000
    /// Slots of max_clients kept for the Unix socket, so a TCP flood cannot lock the operator out.
    public static let unixReservedClientsDefault = 64
    /// Connections one peer (uid, or TCP address) may hold: enough for a load script, few enough
    /// that one broken client leaves most slots to the others.
    public static let clientsPerPeerDefault = 256
    /// Output held for one client past which it is disconnected (`max_output`): the largest reply
    /// is encoded lazily, so this bounds only what a client that does not read makes us hold.
    public static let outputHardDefault = 64 << 20
    public static let outputHardRange: ClosedRange<Int> = (64 << 10)...(1 << 30)
    /// Output held past which a client's lines stop running until it reads (`output_soft_limit`);
    /// this, not the hard limit, is what a pipelining client normally meets.
    public static let outputSoftDefault = 256 << 10
    public static let outputSoftRange: ClosedRange<Int> = (4 << 10)...(1 << 30)
    /// Bytes of a large reply encoded per step, so one client's listing never holds the loop long.
    public static let replySlice = 64 << 10
    /// A listing of more rows than this is a large one; at most `largeListingsDefault` of those are
    /// being sent at once, all clients together (`max_large_listings`).
    public static let largeListingRows = 10_000
    /// Reads of one client being answered by the read pool at once; past it its lines wait.
    public static let readsOutPerClient = 16
    public static let largeListingsDefault = 8
    public static let largeListingsRange: ClosedRange<Int> = 1...10_000
    // MARK: - The event feed (`watch`)

    /// Output held for one subscriber past which it is cut off with a final line (`watch_max_output`):
    /// a subscriber that keeps up holds a few lines; one that fell this far behind resumes from
    /// the store instead of making the daemon hold the operation's history for it. 4 MiB is some
    /// 20,000 events, a minute of a busy province.
    public static let watchOutputDefault = 4 << 20
    public static let watchOutputRange: ClosedRange<Int> = (64 << 10)...(1 << 30)
    /// Output held for all subscribers together past which the one furthest behind is cut off:
    /// a peer holding its 256 connections as silent subscribers must not make the daemon hold
    /// 256 × watch_max_output.
    public static let watchOutputTotal = 256 << 20
    /// Committed entries kept in memory for subscribers that resume just behind the head. Older
    /// ones are read back from the store, so this only has to bridge one read of the store while
    /// writes go on (a read takes milliseconds; 16,384 entries are a third of a second at 50,000
    /// writes per second). About 300 bytes each.
    public static let feedRingEntries = 16_384
    /// Entries read from the store per page when a subscriber resumes from further back; the next
    /// page is read once the subscriber has read most of this one.
    public static let feedPageEntries = 1_000
    /// A subscriber is sent a `HEARTBEAT seq=…` line after this many ms without a line, so it knows
    /// it is still connected and how far it has seen, and a dead peer's socket fails.
    public static let feedHeartbeatMilliseconds: UInt64 = 15_000

    // MARK: - The HTTP listener

    /// HTTP connections at once: a duty room's screens and a Prometheus scraper are tens; more
    /// wait in the kernel's backlog.
    public static let httpConnections = 256
    /// An HTTP connection idle this long is closed (a board's event stream is never idle: it gets
    /// a heartbeat every 15 s).
    public static let httpIdleSeconds: Int64 = 60

    /// Bytes read from a socket at once (one buffer shared by every connection of the loop).
    public static let readBuffer = 64 << 10
    /// An emptied input buffer larger than this is given back instead of kept for the next read.
    public static let inboxKept = 128 << 10
    /// Loop time spent running clients' lines per turn before the loop looks at the sockets again:
    /// long enough for a few thousand small requests, short enough that a new client waits little.
    public static let turnNanoseconds: UInt64 = 2_000_000

    // MARK: - Commits

    /// Entries of one group commit: whole requests up to this many. Large enough that 50 clients
    /// × 16 in flight fill one batch per commit; small enough that one commit takes milliseconds.
    public static let commitBatchEntries = 50_000
    /// Entries of one store transaction: one request's entries always go in one transaction, so a
    /// bulk import (`importRowsDefault` rows, each a few entries) is all or nothing across a crash.
    public static let transactionEntries = 4_000_000
    /// Entries written but not yet durable past which writes stop being run (`max_uncommitted`):
    /// the clients sending them are not read until commits catch up, so a store slower than its
    /// writers holds up to this many entries, not as many as the clients can send. Two batches: one
    /// in flight, the next collecting.
    public static let uncommittedDefault = 2 * commitBatchEntries
    public static let uncommittedRange: ClosedRange<Int> = 1...10_000_000
    /// Jobs queued for the SQLite writer thread: the loop has at most one commit, one snapshot, one
    /// recovery and a few staged import slices out at once, so reaching this is a bug.
    public static let storeJobs = 16
    /// Jobs queued for the PostgreSQL connection thread, for the same reason.
    public static let postgresJobs = 64

    // MARK: - Imports

    /// Rows of one `import begin … import commit` (`max_import_rows`): a province's roster is
    /// 30,000 volunteers, a country's a million — a `volunteer add` row each and a `volunteer
    /// certify` row per certification (2,205,596 rows for `reliefctl demo-roster --count 1000000`).
    /// A row makes at least one entry, so this is also what one store transaction takes; a larger
    /// file is imported in parts.
    public static let importRowsDefault = 4_000_000
    public static let importRowsRange: ClosedRange<Int> = 1...4_000_000
    /// Entries one import may make, all rows together: what one store transaction takes, so an
    /// import is all or nothing even across a crash. A row makes one entry or a few; an import
    /// past this is refused with `ERR LIMIT`, nothing imported.
    public static let importEntries = transactionEntries
    /// Bytes of rows one import may buffer (`max_import_bytes`), and all open imports together
    /// (`max_import_bytes_total`): a million roster rows are about 200 MB.
    public static let importBytesDefault = 512 << 20
    public static let importBytesRange: ClosedRange<Int> = (1 << 20)...(16 << 30)
    public static let importBytesTotalDefault = 1 << 30
    public static let importBytesTotalRange: ClosedRange<Int> = (1 << 20)...(64 << 30)

    // MARK: - Quantities and the values of requests

    /// Every quantity a request may name or the state may come to hold (ReliefCore's `Quantity`):
    /// far above any real stock (a million tonnes of water is 2 × 10^11 bottles of 5 L) and far
    /// below Int64.max, so sums over bounded quantities fit in 64 bits.
    public static let quantity: Int64 = 1_000_000_000_000
    /// People affected by one incident: more than any country's population would not be an input.
    public static let affected: Int64 = 1_000_000_000
    /// People one volunteer need asks for, and hours one need may last (30 days).
    public static let peoplePerNeed = 10_000
    public static let needHours = 720
    /// Days of one schedule of daily needs (`per_day= days=`, `need estimate days=`).
    public static let scheduleDays = 30
    /// Minutes one travel-time entry may hold: about a week of driving, so minutes × cost per
    /// minute stays far inside the solver's cost range.
    public static let travelMinutes: ClosedRange<Int64> = 1...10_000

    // MARK: - Remembered requests (`req=` tokens)

    /// Tokens one client keeps: its last 10,000 writes with `req=` can be retried.
    public static let requestTokensPerClient = 10_000
    /// Tokens kept in all; with replies capped at `rememberedReplyBytes` about 1.3 GB at the very
    /// worst (typical replies are tens of bytes: a few hundred MB).
    public static let requestTokens = 1_000_000
    /// Longest reply remembered for a retry (longer ones are shortened, marked `truncated=yes`).
    public static let rememberedReplyBytes = 1024

    // MARK: - Listings

    /// Rows a listing sends unless asked (`limit=`), and the most it may ask for: a listing that
    /// stops short says so, and no request asks for unbounded memory.
    public static let listingDefaultRows = 1000
    public static let listingRows = 100_000
    /// Rosters are streamed row by row, so a country's million volunteers may be listed at once.
    public static let rosterRows = 1_000_000
    /// An incident's whole picture: everything unless it is huge.
    public static let pictureDefaultRows = 10_000

    // MARK: - Drills

    /// Drills running at once (`max_drills`): each is a sandbox copy of the state on its own thread.
    public static let drillsDefault = 4
    public static let drillsRange: ClosedRange<Int> = 0...64
    /// Commands queued for one drill's thread (pause, speed, inject …) before the client is refused.
    public static let drillCommandsQueued = 256
    /// Speed-up of a drill's clock: from a hundredth of real time to about a day a second.
    public static let drillSpeed: ClosedRange<Double> = 0.01...100_000

    // MARK: - Matching

    /// Nodes and arcs of one flow network: node and arc indices are Int32 with room for the
    /// solver's two extra nodes (source and sink) and for arc pairs.
    public static let flowNodes = Int(Int32.max / 2) - 2
    public static let flowArcs = Int(Int32.max / 2)
    /// Nodes and arcs a DIMACS file may declare (`reliefctl solve`), checked before anything is
    /// allocated for them.
    public static let dimacsNodes = 100_000_000
    public static let dimacsArcs = 500_000_000

    // MARK: - Relations

    /// The relations the values above must keep; each failure is one sentence naming the limits.
    /// Empty when all hold. Checked at every start (a build that breaks one does not run) and by
    /// the tests.
    public static func violations() -> [String] {
        var failed: [String] = []
        func require(_ holds: Bool, _ why: String) { if !holds { failed.append(why) } }
        require(commitBatchEntries <= transactionEntries,
                "a group-commit batch (commitBatchEntries) must fit in one store transaction (transactionEntries)")
        require(uncommittedDefault >= commitBatchEntries,
                "the default bound on uncommitted entries must let a whole batch collect while one is in flight")
        require(importEntries <= transactionEntries && importEntries >= importRowsRange.upperBound,
                "the largest import (a row is at least one entry) must fit in one store transaction")
        require(quantity <= Int64.max / Int64(importRowsRange.upperBound),
                "the quantities of the largest import must sum without overflow (quantity × importRows ≤ Int64.max)")
        require(outputSoftDefault <= outputHardDefault && outputSoftRange.lowerBound <= outputHardRange.lowerBound,
                "the soft output limit must be reachable below the hard one")
        require(replySlice <= outputHardRange.lowerBound,
                "one slice of a large reply must not pass the smallest hard output limit on its own")
        require(watchOutputDefault <= outputHardDefault && watchOutputRange.contains(watchOutputDefault)
                && watchOutputRange.lowerBound >= replySlice,
                "a subscriber must be cut off below the hard output limit, with room for a slice of a page")
        require(watchOutputDefault <= watchOutputTotal, "one subscriber's default limit must fit in all subscribers' limit")
        require(feedPageEntries <= feedRingEntries,
                "a page read from the store must be no more than the ring that bridges it to the live feed")
        require(unixReservedClientsDefault < clientsDefault && clientsPerPeerDefault <= clientsDefault,
                "the Unix socket's reserved slots and one peer's share must be fewer than all clients")
        require(lineDefault <= replyLine && lineRange.contains(lineDefault),
                "the default line limit must be settable and readable by this project's clients")
        require(rememberedReplyBytes <= lineRange.lowerBound,
                "a remembered reply must fit in the shortest line a client may be limited to")
        require(requestTokensPerClient <= requestTokens, "one client's tokens must fit in all tokens")
        require(requestTokens.multipliedReportingOverflow(by: rememberedReplyBytes).partialValue <= 2 << 30,
                "remembered replies must stay within 2 GiB")
        require(largeListingRows < listingRows && listingDefaultRows <= pictureDefaultRows && pictureDefaultRows <= listingRows,
                "listing defaults must be within what a listing may ask for")
        require(importBytesDefault <= importBytesTotalDefault, "one import's bytes must fit in all imports' bytes")
        require(2 * (flowNodes + 2) <= Int(Int32.max) && 2 * flowArcs <= Int(Int32.max),
                "flow network indices (nodes + source and sink, arcs in pairs) must fit in Int32")
        require(drillsRange.contains(drillsDefault) && largeListingsRange.contains(largeListingsDefault)
                && clientsRange.contains(clientsDefault) && importRowsRange.contains(importRowsDefault)
                && importBytesRange.contains(importBytesDefault) && importBytesTotalRange.contains(importBytesTotalDefault)
                && outputHardRange.contains(outputHardDefault) && outputSoftRange.contains(outputSoftDefault)
                && uncommittedRange.contains(uncommittedDefault),
                "every default must be within the range its key may be set to")
        return failed
    }
}
