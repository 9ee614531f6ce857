#!/usr/bin/env python3
"""Hostile clients for deploy/bench hostile: N connections to reliefd's Unix socket, each pipelining
one request line over and over and never reading a reply, for a bounded time.

Prints one logfmt line: clients, seconds, bytes sent, how many connections the daemon closed, and
how many sends were blocked (the daemon stopped reading them: what it is meant to do).
"""
import argparse
import errno
import select
import socket
import time


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--socket", required=True)
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--line", default="volunteer export limit=1000000")
    parser.add_argument("--batch", type=int, default=64, help="lines per send")
    args = parser.parse_args()
    if not (1 <= args.clients <= 10000 and 0 < args.seconds <= 600):
        parser.error("clients 1..10000 and seconds up to 600")

    chunk = ((args.line + "\n") * args.batch).encode()
    conns = []
    for _ in range(args.clients):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(args.socket)
        s.setblocking(False)
        conns.append(s)
    sent = 0
    closed = set()
    deadline = time.monotonic() + args.seconds
    while time.monotonic() < deadline:
        writable = [c for c in conns if c.fileno() not in closed]
        if not writable:
            break
        _, ready, _ = select.select([], writable, [], 0.05)
        for c in ready:
            try:
                sent += c.send(chunk)
            except OSError as e:
                if e.errno in (errno.EPIPE, errno.ECONNRESET):
                    closed.add(c.fileno())
                elif e.errno != errno.EAGAIN:
                    raise
    # Connections still open at the end; closing them is the flood's end, not a cut-off.
    print(f"clients={args.clients} seconds={args.seconds} bytes_sent={sent} closed_by_daemon={len(closed)} "
          f"line=\"{args.line}\"")
    for c in conns:
        c.close()


if __name__ == "__main__":
    main()
