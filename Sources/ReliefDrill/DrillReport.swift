// ReliefDrill owns drills: scenario files of timed injects, the simulated duty officer, expectations
// checked on drill time, the deterministic runner on a sandbox engine, and the after-action report
// (this model, written as JSON and as one self-contained HTML page).

/// The after-action report of one drill: what a person reads after the exercise (as HTML) and a
/// program compares (as JSON). Times are drill minutes since T+00:00 (`minute`) with the drill's
/// clock start (`scenario.start`, ISO 8601) to turn them into dates. Everything in it is an
/// exercise: `exercise` is always true and every rendering says so.
public struct DrillReport: Codable, Sendable, Equatable {
    public var exercise = true
    public var scenario: Scenario
    public var summary: Summary
    public var expectations: [Expectation]
    public var needs: [NeedRecord]
    /// Open and unmet needs over time, one point per change.
    public var timeline: [TimelinePoint]
    public var stock: StockSeries
    public var incidents: [IncidentPlace]
    /// Stock moved from a warehouse toward an incident (an allocation, when it was dispatched).
    public var flows: [Flow]
    public var people: People
    public var plans: [PlanRecord]
    /// For a drill that replays a real incident (`replay incident ID`): what was replayed and what
    /// was left to the simulated officer. Absent otherwise, so other reports keep their bytes.
    public var replay: Replay?

    public init(scenario: Scenario, summary: Summary, expectations: [Expectation], needs: [NeedRecord], timeline: [TimelinePoint],
                stock: StockSeries, incidents: [IncidentPlace], flows: [Flow], people: People, plans: [PlanRecord], replay: Replay? = nil) {
        self.scenario = scenario; self.summary = summary; self.expectations = expectations; self.needs = needs
        self.timeline = timeline; self.stock = stock; self.incidents = incidents; self.flows = flows; self.people = people
        self.plans = plans; self.replay = replay
    }

    public struct Scenario: Codable, Sendable, Equatable {
        /// The scenario's own title (`scenario "…"`), its file, and what the drill started from
        /// (`live`, `empty`, or a dataset file), its seed, its clock start and its length.
        public var name: String
        public var file: String
        public var from: String
        public var seed: UInt64
        public var start: String
        public var endMinute: Int
        public init(name: String, file: String, from: String, seed: UInt64, start: String, endMinute: Int) {
            self.name = name; self.file = file; self.from = from; self.seed = seed; self.start = start; self.endMinute = endMinute
        }
    }

    public struct Summary: Codable, Sendable, Equatable {
        public var injects: Int
        public var plansProposed: Int
        public var plansApplied: Int
        public var expectationsHeld: Int
        public var expectationsFailed: Int
        public var needsMet: Int
        public var needsUnmet: Int
        public init(injects: Int, plansProposed: Int, plansApplied: Int, expectationsHeld: Int, expectationsFailed: Int,
                    needsMet: Int, needsUnmet: Int) {
            self.injects = injects; self.plansProposed = plansProposed; self.plansApplied = plansApplied
            self.expectationsHeld = expectationsHeld; self.expectationsFailed = expectationsFailed
            self.needsMet = needsMet; self.needsUnmet = needsUnmet
        }
    }

    public struct Expectation: Codable, Sendable, Equatable {
        /// The line of the scenario that states it, as written.
        public var line: Int
        public var text: String
        public var held: Bool
        /// Why it held or failed, in words an organizer reads (what was seen, and when).
        public var detail: String
        /// The drill minute it was decided at.
        public var minute: Int
        /// Not decided yet (a report of a drill still running); absent once decided.
        public var pending: Bool?
        public init(line: Int, text: String, held: Bool, detail: String, minute: Int, pending: Bool? = nil) {
            self.line = line; self.text = text; self.held = held; self.detail = detail; self.minute = minute; self.pending = pending
        }

        public var isPending: Bool { pending == true }
    }

    public struct NeedRecord: Codable, Sendable, Equatable {
        public var id: String
        public var ref: String?
        public var incident: String
        /// What is asked, in words (`water-5l × 12,000 bottle`, `2 water-rescue teams`).
        public var what: String
        public var priority: Int
        public var createdMinute: Int
        /// Drill minutes of the first proposal that offered it something, the first apply, the
        /// first dispatch (or en route), and when all of it was delivered (or on scene); nil: never.
        public var firstProposedMinute: Int?
        public var appliedMinute: Int?
        public var dispatchedMinute: Int?
        public var deliveredMinute: Int?
        /// Still missing at the end of the drill, and why it was unmet when plans left it so.
        public var unmetAtEnd: Int64
        public var reasons: [Reason]
        public init(id: String, ref: String?, incident: String, what: String, priority: Int, createdMinute: Int,
                    firstProposedMinute: Int?, appliedMinute: Int?, dispatchedMinute: Int?, deliveredMinute: Int?,
                    unmetAtEnd: Int64, reasons: [Reason]) {
            self.id = id; self.ref = ref; self.incident = incident; self.what = what; self.priority = priority
            self.createdMinute = createdMinute; self.firstProposedMinute = firstProposedMinute; self.appliedMinute = appliedMinute
            self.dispatchedMinute = dispatchedMinute; self.deliveredMinute = deliveredMinute; self.unmetAtEnd = unmetAtEnd
            self.reasons = reasons
        }
    }

    public struct Reason: Codable, Sendable, Equatable {
        public var minute: Int
        public var missing: Int64
        public var reason: String
        public init(minute: Int, missing: Int64, reason: String) { self.minute = minute; self.missing = missing; self.reason = reason }
    }

    public struct TimelinePoint: Codable, Sendable, Equatable {
        public var minute: Int
        public var openNeeds: Int
        public var unmetNeeds: Int
        public init(minute: Int, openNeeds: Int, unmetNeeds: Int) { self.minute = minute; self.openNeeds = openNeeds; self.unmetNeeds = unmetNeeds }
    }

    public struct StockSeries: Codable, Sendable, Equatable {
        public var warehouses: [WarehousePlace]
        /// Available quantity of one item in one warehouse over time (a point per change, and one
        /// at the start and the end), for the items the drill's needs asked for.
        public var series: [Series]
        public init(warehouses: [WarehousePlace], series: [Series]) { self.warehouses = warehouses; self.series = series }

        public struct Series: Codable, Sendable, Equatable {
            public var warehouse: String
            public var item: String
            public var unit: String
            public var points: [Point]
            public init(warehouse: String, item: String, unit: String, points: [Point]) {
                self.warehouse = warehouse; self.item = item; self.unit = unit; self.points = points
            }
        }

        public struct Point: Codable, Sendable, Equatable {
            public var minute: Int
            public var available: Int64
            public init(minute: Int, available: Int64) { self.minute = minute; self.available = available }
        }
    }

    public struct WarehousePlace: Codable, Sendable, Equatable {
        public var id: String
        public var name: String
        public var region: String
        public var latitude: Double
        public var longitude: Double
        public init(id: String, name: String, region: String, latitude: Double, longitude: Double) {
            self.id = id; self.name = name; self.region = region; self.latitude = latitude; self.longitude = longitude
        }
    }

    public struct IncidentPlace: Codable, Sendable, Equatable {
        public var id: String
        public var title: String
        public var kind: String
        public var region: String
        public var latitude: Double
        public var longitude: Double
        public init(id: String, title: String, kind: String, region: String, latitude: Double, longitude: Double) {
            self.id = id; self.title = title; self.kind = kind; self.region = region; self.latitude = latitude; self.longitude = longitude
        }
    }

    public struct Flow: Codable, Sendable, Equatable {
        public var warehouse: String
        public var incident: String
        public var item: String
        public var quantity: Int64
        /// The warehouse is in another region than the incident (pooled across regions).
        public var crossRegion: Bool
        public var minute: Int
        public init(warehouse: String, incident: String, item: String, quantity: Int64, crossRegion: Bool, minute: Int) {
            self.warehouse = warehouse; self.incident = incident; self.item = item; self.quantity = quantity
            self.crossRegion = crossRegion; self.minute = minute
        }
    }

    public struct People: Codable, Sendable, Equatable {
        public var volunteersDeployed: Int
        public var teamsDeployed: Int
        /// Hours on scene, all people together.
        public var hours: Double
        /// Times a volunteer was left out of a plan for a rest or duty-hour limit.
        public var restLimitRefusals: Int
        public var noShows: Int
        public init(volunteersDeployed: Int, teamsDeployed: Int, hours: Double, restLimitRefusals: Int, noShows: Int) {
            self.volunteersDeployed = volunteersDeployed; self.teamsDeployed = teamsDeployed; self.hours = hours
            self.restLimitRefusals = restLimitRefusals; self.noShows = noShows
        }
    }

    public struct PlanRecord: Codable, Sendable, Equatable {
        public var id: String
        public var minute: Int
        public var lines: Int
        public var appliedMinute: Int?
        public init(id: String, minute: Int, lines: Int, appliedMinute: Int?) {
            self.id = id; self.minute = minute; self.lines = lines; self.appliedMinute = appliedMinute
        }
    }

    public struct Replay: Codable, Sendable, Equatable {
        /// The real incident and where it is in the store's journal: opened by entry `openedSeq`
        /// (the drill starts from the state after the entry before it), last touched by `lastSeq`.
        public var incident: String
        public var openedSeq: Int64
        public var lastSeq: Int64
        /// The real opening, UTC to the millisecond; the drill's T+00:00 is its minute.
        public var openedAt: String
        /// Drill minute the real incident was closed at (the closing is not replayed), if it was.
        public var closedMinute: Int?
        public var lastMinute: Int
        /// The incident's inputs played as injects.
        public var inputs: Int
        /// What the real duty officer did, by journal kind, left to the simulated one.
        public var leftToTheOfficer: [String: Int]
        /// Inputs after the scenario's `end`, and stock receipts no request can make, not replayed.
        public var afterTheEnd: Int
        public var inexpressible: Int
        /// Inputs the engine refused in the drill's world.
        public var refused: [ReplayRefusal]
        public init(incident: String, openedSeq: Int64, lastSeq: Int64, openedAt: String, closedMinute: Int?, lastMinute: Int, inputs: Int,
                    leftToTheOfficer: [String: Int], afterTheEnd: Int, inexpressible: Int, refused: [ReplayRefusal]) {
            self.incident = incident; self.openedSeq = openedSeq; self.lastSeq = lastSeq; self.openedAt = openedAt
            self.closedMinute = closedMinute; self.lastMinute = lastMinute; self.inputs = inputs; self.leftToTheOfficer = leftToTheOfficer
            self.afterTheEnd = afterTheEnd; self.inexpressible = inexpressible; self.refused = refused
        }
    }

    public struct ReplayRefusal: Codable, Sendable, Equatable {
        /// The journal entry the refused request re-expressed.
        public var seq: Int64
        public var minute: Int
        public var text: String
        public var refusal: String
        public init(seq: Int64, minute: Int, text: String, refusal: String) {
            self.seq = seq; self.minute = minute; self.text = text; self.refusal = refusal
        }
    }
}
