import CLibUV
import ReliefStore

/// Watches one PostgreSQL connection's socket with a `uv_poll` handle and feeds readiness to its
/// `PGConnection`. Owns the handle the one way (UV.open/close): `handle.data` holds the retained
/// watcher, released in the close callback. The descriptor belongs to libpq, so the handle is stopped and closed as soon as the
/// connection is lost (before libpq may reuse the number), and made again for the next socket.
final class PGPoll {
    private let loop: UnsafeMutablePointer<uv_loop_t>
    private var handle: UnsafeMutablePointer<uv_poll_t>?
    private var fd: Int32 = -1
    private var watching: Int32 = 0
    /// Called on the loop thread with the readiness reported.
    var onReady: (_ readable: Bool, _ writable: Bool) -> Void = { _, _ in }

    init(loop: UnsafeMutablePointer<uv_loop_t>) {
        self.loop = loop
    }

    /// Watches `socket` for what `interest` asks (nothing: stop; another socket: a new handle).
    func update(socket: Int32, interest: PGConnection.Interest) {
        if socket != fd { release() }
        guard socket >= 0 else { return }
        if handle == nil {
            let made = UV.allocate(uv_poll_t.self)
            do {
                try UV.open(made, owner: self, "uv_poll_init_socket") { uv_poll_init_socket(loop, $0, socket) }
            } catch {
                UV.free(made)
                return
            }
            handle = made
            fd = socket
            watching = 0
        }
        let events = Int32((interest.read ? UV_READABLE.rawValue : 0) | (interest.write ? UV_WRITABLE.rawValue : 0))
        guard events != watching else { return }
        watching = events
        if events == 0 {
            uv_poll_stop(handle!)
        } else {
            uv_poll_start(handle!, events) { handle, status, events in
                let poll = UV.owner(of: handle, as: PGPoll.self)
                // An error on the socket is reported as readable: libpq then finds out what it is.
                let readable = status < 0 || events & Int32(UV_READABLE.rawValue) != 0
                let writable = status < 0 || events & Int32(UV_WRITABLE.rawValue) != 0
                poll.onReady(readable, writable)
            }
        }
    }

    /// Stops watching and closes the handle (the connection's socket is gone or about to go).
    func release() {
        guard let handle else { return }
        self.handle = nil
        fd = -1
        watching = 0
        uv_poll_stop(handle)
        UV.close(handle)
    }
}
