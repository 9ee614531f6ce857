import ReliefCore

/// What the loop asks of the store: take jobs (`StoreWorker.Job`), report results
/// (`StoreWorker.Result`) through the loop's wake-up handle, drained on the loop thread. The SQLite
/// store is a writer thread (`StoreWorker`); PostgreSQL is driven on the loop itself
/// (`PostgresBackend`), with the same jobs and results, so the commit pipeline, replies and
/// recovery are one piece of code for both.
protocol StoreBackend: AnyObject {
    /// Large imports may be written ahead (Journal.stage).
    var supportsStaging: Bool { get }
    /// Before the loop runs; an error stops the start.
    func start() throws
    func submit(_ job: StoreWorker.Job)
    /// Takes every result reported so far (loop thread).
    func drainResults() -> [StoreWorker.Result]
}

extension StoreWorker: StoreBackend {}
