"""Types at reliefctl's interactive prompt through a pseudo-terminal, as a person would.

usage: prompt_pty.py RELIEFCTL SOCKET HOME KEYS...

Each KEYS argument is written in one go (\\t is Tab, \\n Enter), then the output is read for a
moment; at the end `quit` is typed. Everything the terminal showed is printed on stdout. Python's
standard library only; bounded in time (at most a few seconds).
"""
import os
import pty
import select
import sys
import time


def main():
    binary, socket, home, keys = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
    pid, fd = pty.fork()
    if pid == 0:
        os.environ["HOME"] = home
        os.environ["TERM"] = "dumb"
        os.execv(binary, [binary, "--socket", socket])
    shown = bytearray()

    def read(seconds):
        end = time.time() + seconds
        while time.time() < end:
            ready, _, _ = select.select([fd], [], [], 0.05)
            if ready:
                try:
                    chunk = os.read(fd, 65536)
                except OSError:
                    return
                if not chunk:
                    return
                shown.extend(chunk)

    read(1.5)
    for part in keys:
        os.write(fd, part.replace("\\t", "\t").replace("\\n", "\n").encode())
        read(0.5)
    os.write(fd, b"quit\n")
    read(1.5)
    try:
        os.kill(pid, 9)
    except ProcessLookupError:
        pass
    os.waitpid(pid, 0)
    sys.stdout.write(shown.decode("utf-8", "replace"))


main()
