#if canImport(Glibc)
import Glibc
#endif
import CLibUV

/// A listening socket (Unix or TCP). Owns its handle the one way (UV.open/close): the handle's
/// `data` holds this listener, retained until the handle's close callback.
final class Listener {
    enum Kind { case unix(path: String), tcp(address: String) }

    unowned let server: Server
    let kind: Kind
    let handle: UnsafeMutableRawPointer
    var stream: UnsafeMutablePointer<uv_stream_t> { handle.assumingMemoryBound(to: uv_stream_t.self) }
    private var closed = false

    /// `handle` was initialised: the listener becomes its owner.
    private init(server: Server, kind: Kind, handle: UnsafeMutableRawPointer) {
        self.server = server
        self.kind = kind
        self.handle = handle
        UV.own(handle, by: self)
    }

    static let clientHandleSize = max(MemoryLayout<uv_pipe_t>.size, MemoryLayout<uv_tcp_t>.size)

    static func unix(server: Server, path: String, mode: UInt16, group: String? = nil) throws -> Listener {
        let gid = try group.map(groupID)
        try removeStaleSocket(path)
        let handle = UV.allocate(bytes: MemoryLayout<uv_pipe_t>.size)
        do {
            try UV.check(uv_pipe_init(server.loop, handle.assumingMemoryBound(to: uv_pipe_t.self), 0), "uv_pipe_init")
        } catch {
            UV.free(handle)
            throw error
        }
        let listener = Listener(server: server, kind: .unix(path: path), handle: handle)
        // Create the socket with no permissions for others, then open it up to the configured mode.
        let oldMask = umask(0o077)
        let bound = uv_pipe_bind(handle.assumingMemoryBound(to: uv_pipe_t.self), path)
        umask(oldMask)
        if bound != 0 {
            listener.close()
            throw Server.StartError(description: "cannot listen on Unix socket \(path): \(String(cString: uv_strerror(bound)))")
        }
        // The group before the mode, so the socket never admits the daemon's own group meanwhile.
        if let gid, chown(path, uid_t.max, gid) != 0 {
            let problem = String(cString: strerror(errno))
            listener.close()
            throw Server.StartError(description: "cannot give the Unix socket \(path) group \(group!): \(problem); reliefd's user must be a member of that group (systemd: SupplementaryGroups=\(group!))")
        }
        chmod(path, mode_t(mode))
        try listener.listen()
        return listener
    }

    /// socket_group as a gid: a group name, else a number.
    private static func groupID(_ name: String) throws -> gid_t {
        if let entry = getgrnam(name) { return entry.pointee.gr_gid }
        if let number = gid_t(name) { return number }
        throw Server.StartError(description: "socket_group \"\(name)\": no such group; create it (groupadd --system \(name)) or give a numeric gid")
    }

    static func tcp(server: Server, address: String) throws -> Listener {
        let colon = address.lastIndex(of: ":")!
        var host = String(address[..<colon])
        let port = Int32(address[address.index(after: colon)...])!
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        if host == "localhost" { host = "127.0.0.1" }
        var storage = sockaddr_storage()
        let parsed = withUnsafeMutablePointer(to: &storage) { pointer -> Int32 in
            if host.contains(":") {
                return uv_ip6_addr(host, port, UnsafeMutableRawPointer(pointer).assumingMemoryBound(to: sockaddr_in6.self))
            }
            return uv_ip4_addr(host, port, UnsafeMutableRawPointer(pointer).assumingMemoryBound(to: sockaddr_in.self))
        }
        guard parsed == 0 else { throw Server.StartError(description: "bad tcp address \(address): expected an IP address and port") }
        let handle = UV.allocate(bytes: MemoryLayout<uv_tcp_t>.size)
        do {
            try UV.check(uv_tcp_init(server.loop, handle.assumingMemoryBound(to: uv_tcp_t.self)), "uv_tcp_init")
        } catch {
            UV.free(handle)
            throw error
        }
        let listener = Listener(server: server, kind: .tcp(address: address), handle: handle)
        let bound = withUnsafePointer(to: &storage) { pointer in
            uv_tcp_bind(handle.assumingMemoryBound(to: uv_tcp_t.self), UnsafeRawPointer(pointer).assumingMemoryBound(to: sockaddr.self), 0)
        }
        if bound != 0 {
            listener.close()
            throw Server.StartError(description: "cannot listen on tcp \(address): \(String(cString: uv_strerror(bound)))")
        }
        try listener.listen()
        return listener
    }

    private func listen() throws {
        let status = uv_listen(stream, 511) { stream, status in
            guard status == 0 else { return }
            let listener = UV.owner(of: stream, as: Listener.self)
            listener.server.accept(from: listener)
        }
        if status != 0 {
            close()
            throw Server.StartError(description: "cannot listen on \(describe): \(String(cString: uv_strerror(status)))")
        }
    }

    var describe: String {
        switch kind {
        case .unix(let path): "unix:\(path)"
        case .tcp(let address): "tcp:\(address)"
        }
    }

    /// A handle for the next client, or the error libuv gave (the connection then waits in the
    /// kernel's backlog for the next try).
    func makeClientHandle(loop: UnsafeMutablePointer<uv_loop_t>) -> Result<UnsafeMutableRawPointer, Server.StartError> {
        let client = UV.allocate(bytes: Listener.clientHandleSize)
        let status: Int32
        switch kind {
        case .unix: status = uv_pipe_init(loop, client.assumingMemoryBound(to: uv_pipe_t.self), 0)
        case .tcp:
            status = uv_tcp_init(loop, client.assumingMemoryBound(to: uv_tcp_t.self))
            if status == 0 { uv_tcp_nodelay(client.assumingMemoryBound(to: uv_tcp_t.self), 1) }
        }
        guard status == 0 else {
            UV.free(client)
            return .failure(Server.StartError(description: "initialising a client handle failed: \(UV.message(status))"))
        }
        return .success(client)
    }

    /// Who is on the other end, for the journal's actor column: `uid:1000` or `tcp:127.0.0.1:5300`.
    func actor(of client: UnsafeMutableRawPointer) -> String {
        switch kind {
        case .unix:
            var fd = uv_os_fd_t()
            guard uv_fileno(client.assumingMemoryBound(to: uv_handle_t.self), &fd) == 0 else { return "unix" }
            let uid = reliefd_peer_uid(fd)
            return uid >= 0 ? "uid:\(uid)" : "unix"
        case .tcp:
            var storage = sockaddr_storage()
            var length = Int32(MemoryLayout<sockaddr_storage>.size)
            let status = withUnsafeMutablePointer(to: &storage) { pointer in
                uv_tcp_getpeername(client.assumingMemoryBound(to: uv_tcp_t.self),
                                   UnsafeMutableRawPointer(pointer).assumingMemoryBound(to: sockaddr.self), &length)
            }
            guard status == 0 else { return "tcp" }
            var name = [CChar](repeating: 0, count: 64)
            let family = storage.ss_family
            return withUnsafePointer(to: &storage) { pointer -> String in
                if family == sa_family_t(AF_INET6) {
                    let address = UnsafeRawPointer(pointer).assumingMemoryBound(to: sockaddr_in6.self)
                    uv_ip6_name(address, &name, name.count)
                    return "tcp:[\(Listener.text(name))]:\(UInt16(bigEndian: address.pointee.sin6_port))"
                }
                let address = UnsafeRawPointer(pointer).assumingMemoryBound(to: sockaddr_in.self)
                uv_ip4_name(address, &name, name.count)
                return "tcp:\(Listener.text(name)):\(UInt16(bigEndian: address.pointee.sin_port))"
            }
        }
    }

    /// A NUL-terminated name libuv wrote into `buffer`.
    private static func text(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    func close() {
        guard !closed else { return }
        closed = true
        let isUnix: String? = if case .unix(let path) = kind { path } else { nil }
        UV.close(handle)
        if let path = isUnix { unlink(path) }
    }

    /// A socket file left by a daemon that died is removed; one that still answers means another
    /// reliefd is running, which is refused rather than stolen.
    private static func removeStaleSocket(_ path: String) throws {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        guard (info.st_mode & S_IFMT) == S_IFSOCK else {
            throw Server.StartError(description: "\(path) exists and is not a socket; refusing to replace it")
        }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        defer { Glibc.close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { bytes in
            for (index, byte) in path.utf8.prefix(bytes.count - 1).enumerated() { bytes[index] = byte }
        }
        let connected = withUnsafePointer(to: &address) {
            connect(fd, UnsafeRawPointer($0).assumingMemoryBound(to: sockaddr.self), socklen_t(MemoryLayout<sockaddr_un>.size))
        }
        if connected == 0 {
            throw Server.StartError(description: "another reliefd is already listening on \(path)")
        }
        unlink(path)
    }
}
