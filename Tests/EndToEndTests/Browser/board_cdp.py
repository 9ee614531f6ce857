#!/usr/bin/env python3
"""Drive headless Chromium against reliefd's situation board, for the end-to-end tests.

It starts /usr/bin/chromium with --remote-debugging-pipe (the DevTools protocol as NUL-terminated
JSON: Chromium reads fd 3 and writes fd 4), logs in at URL/board with a viewer's token, waits for
the board to say every panel has loaded (body[data-ready="yes"]), records the page's structure,
makes one change through reliefd's Unix control socket (--change), measures how long the board
takes to show it (--expect-selector), and saves a screenshot. Standard library only; it talks to
nothing but the given URL (127.0.0.1) and the socket.

stdout: one JSON object, the last line: login_ok, structure, change_reply, seen_before, seen,
change_ms, console_errors, screenshot (and login_error when the log-in was refused). Exit 0 when
the check ran, passed or not (the Swift test asserts on the JSON); 1 when something broke
(Chromium would not start, a step timed out, the socket refused): the JSON then has "error".
--timeout bounds the whole check; after a failure a screenshot is still tried for up to
GRACE seconds, and a watchdog kills everything at --timeout + GRACE + 2 (exit 3).
"""
import argparse, base64, fcntl, json, os, select, shutil, signal, socket, subprocess, sys, tempfile, threading, time

GRACE = 3.0
STRUCTURE_JS = """(() => {
  const n = s => document.querySelectorAll(s).length, live = document.querySelector("#live");
  return {map_warehouses: n("#map svg g.warehouse"), map_incidents: n("#map svg g.incident"),
    map_flows: n("#map svg .flow"), incident_rows: n("#incidents tr.incident"),
    need_rows: n("#incidents tr.need"), alert_rows: n("#alerts tr.alert"),
    stock_low_rows: n("#stock-low tbody tr:not(.empty)"), stock_expiring_rows: n("#stock-expiring tbody tr:not(.empty)"),
    team_rows: n("#teams tbody tr:not(.empty)"), live: live ? live.textContent.trim() : null,
    seq: document.body.dataset.seq ?? null};
})()"""
LOGIN_JS = """(() => {
  const u = document.getElementById("user"), t = document.getElementById("token"), b = document.getElementById("login");
  if (!u || !t || !b) return false;
  u.value = %s; t.value = %s; window.__boardCdpOldPage = true; b.click(); return true;
})()"""


class Broken(Exception):
    """The check could not run."""


class Timeout(Broken):
    """The overall deadline passed."""


class CDPError(Broken):
    """A DevTools command failed, or the evaluated script threw."""


class CDP:
    """The DevTools protocol over Chromium's pipes. Responses are matched by id; events that arrive
    in between are handled as they come (console errors are collected, the rest dropped)."""

    def __init__(self, rfd, wfd, deadline):
        self.rfd, self.wfd, self.deadline = rfd, wfd, deadline
        self.buf, self.next_id, self.session, self.console_errors = b"", 0, None, []

    def _next(self, until):
        """The next message before `until`, or None; raises Timeout once the deadline passes."""
        while b"\0" not in self.buf:
            now = time.monotonic()
            if now >= self.deadline:
                raise Timeout("deadline passed")
            if now >= until:
                return None
            if select.select([self.rfd], [], [], min(until, self.deadline) - now)[0]:
                chunk = os.read(self.rfd, 1 << 20)
                if not chunk:
                    raise Broken("chromium closed the DevTools pipe (it exited)")
                self.buf += chunk
        message, self.buf = self.buf.split(b"\0", 1)
        return json.loads(message)

    def _event(self, message):
        method, p = message.get("method"), message.get("params", {})
        if method == "Runtime.exceptionThrown":
            d = p.get("exceptionDetails", {})
            text = (d.get("exception") or {}).get("description") or d.get("text", "exception")
        elif method == "Runtime.consoleAPICalled" and p.get("type") == "error":
            text = " ".join(str(a.get("value", a.get("description", a.get("type")))) for a in p.get("args", []))
        elif method == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
            e = p["entry"]
            text = e.get("text", "") + (f" ({e['url']})" if e.get("url") else "")
        elif method in ("Inspector.targetCrashed", "Target.targetCrashed"):
            raise Broken("the page crashed")
        else:
            return
        self.console_errors.append(text)

    def pump(self, seconds):
        """Handle events for `seconds`."""
        until = time.monotonic() + seconds
        while (message := self._next(until)) is not None:
            self._event(message)

    def call(self, method, params=None, browser=False):
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if self.session and not browser:
            message["sessionId"] = self.session
        data = json.dumps(message).encode() + b"\0"
        while data:
            data = data[os.write(self.wfd, data):]
        while True:
            reply = self._next(float("inf"))
            if reply.get("id") != self.next_id:
                self._event(reply)
            elif "error" in reply:
                raise CDPError(f"{method}: {reply['error'].get('message')}")
            else:
                return reply.get("result", {})

    def evaluate(self, expression):
        result = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        if "exceptionDetails" in result:
            d = result["exceptionDetails"]
            raise CDPError("script threw: " + ((d.get("exception") or {}).get("description") or d.get("text", "")))
        return result["result"].get("value")

    def poll(self, expression, interval, until):
        """True once `expression` is true, False when `until` passes first (Timeout if the deadline
        does). While a page loads, errors (no document yet, context destroyed) count as not yet."""
        while True:
            try:
                if self.evaluate(expression) is True:
                    return True
            except CDPError:
                pass
            if time.monotonic() >= self.deadline:
                raise Timeout("deadline passed")
            if time.monotonic() >= until:
                return False
            self.pump(interval)

    def screenshot(self, path):
        data = self.call("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True})["data"]
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))
        return path


def start_chromium(args, tmp):
    """Chromium in its own process group, with the DevTools pipe at its fds 3 and 4. Returns the
    process and our ends (read, write)."""
    def high(fd):  # keep our fds clear of 3 and 4, which are about to be the child's
        moved = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
        os.close(fd)
        return moved
    child_in, our_out = map(high, os.pipe())
    our_in, child_out = map(high, os.pipe())
    os.dup2(child_in, 3)
    os.dup2(child_out, 4)
    os.close(child_in)
    os.close(child_out)
    try:
        with open(os.path.join(tmp, "chromium.log"), "wb") as log:
            proc = subprocess.Popen(
                [args.chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                 "--no-first-run", "--disable-extensions", "--disable-background-networking", "--disable-sync",
                 "--mute-audio", "--remote-debugging-pipe", f"--user-data-dir={tmp}/profile",
                 f"--crash-dumps-dir={tmp}", f"--window-size={args.width},{args.height}", "about:blank"],
                pass_fds=(3, 4), start_new_session=True, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                env=dict(os.environ, HOME=tmp))
    finally:
        os.close(3)
        os.close(4)
    return proc, our_in, our_out


def stop_chromium(proc, tmp):
    """Kill Chromium's process group, then any process still naming our temporary directory (the
    crash handler puts itself in a session of its own)."""
    if proc is None:
        return
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        pass
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if tmp.encode() in f.read():
                    os.kill(int(pid), signal.SIGKILL)
        except OSError:
            pass


def control(path, line, deadline):
    """Send one line on reliefd's control socket; its reply's first line."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(max(0.1, deadline - time.monotonic()))
        s.connect(path)
        s.sendall(line.encode() + b"\n")
        reply = b""
        while b"\n" not in reply:
            chunk = s.recv(4096)
            if not chunk:
                raise Broken(f"reliefd closed the control socket without a reply (got {reply!r})")
            reply += chunk
    return reply.split(b"\n", 1)[0].decode(errors="replace").rstrip("\r")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--url", required=True)
    ap.add_argument("--user", required=True)
    ap.add_argument("--token-file", required=True)
    ap.add_argument("--socket", required=True)
    ap.add_argument("--change", required=True)
    ap.add_argument("--expect-selector", required=True)
    ap.add_argument("--screenshot", required=True)
    ap.add_argument("--chromium", default="/usr/bin/chromium")
    ap.add_argument("--timeout", type=float, default=60)
    ap.add_argument("--width", type=int, default=1400)
    ap.add_argument("--height", type=int, default=1800)
    args = ap.parse_args()

    result = {"login_ok": False, "structure": None, "change_reply": None, "seen_before": None, "seen": False,
              "change_ms": None, "console_errors": [], "screenshot": None}
    printed = threading.Lock()

    def emit():
        if printed.acquire(blocking=False):
            sys.stdout.write(json.dumps(result) + "\n")
            sys.stdout.flush()

    deadline = time.monotonic() + args.timeout
    tmp = tempfile.mkdtemp(prefix="board-cdp-")
    proc = cdp = None
    step = "starting chromium"

    def watchdog():
        stop_chromium(proc, tmp)
        result["error"] = f"watchdog: still running {args.timeout + GRACE + 2:g}s after start (while {step})"
        emit()
        shutil.rmtree(tmp, ignore_errors=True)
        os._exit(3)
    timer = threading.Timer(args.timeout + GRACE + 2, watchdog)
    timer.daemon = True
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so `finally` still kills Chromium
    code = 0
    try:
        with open(args.token_file) as f:
            token = f.read().strip()
        proc, rfd, wfd = start_chromium(args, tmp)
        timer.start()
        cdp = CDP(rfd, wfd, deadline)
        result["console_errors"] = cdp.console_errors

        step = "attaching to the page"
        while not (pages := [t for t in cdp.call("Target.getTargets", browser=True)["targetInfos"]
                             if t["type"] == "page"]):
            cdp.pump(0.05)
        cdp.session = cdp.call("Target.attachToTarget", {"targetId": pages[0]["targetId"], "flatten": True},
                               browser=True)["sessionId"]
        for domain in ("Page", "Runtime", "Log"):
            cdp.call(domain + ".enable")

        step = "loading the log-in page"
        board = args.url.rstrip("/") + "/board"
        nav = cdp.call("Page.navigate", {"url": board})
        if nav.get("errorText"):
            raise Broken(f"navigating to {board}: {nav['errorText']}")
        cdp.poll('document.readyState !== "loading" && location.pathname === "/board"', 0.025, deadline)
        if cdp.evaluate('document.getElementById("login") !== null'):
            step = "logging in"
            if not cdp.evaluate(LOGIN_JS % (json.dumps(args.user), json.dumps(token))):
                raise Broken("the log-in page has no #user, #token or #login")
            cdp.poll('!window.__boardCdpOldPage && document.readyState !== "loading"', 0.025, deadline)
            if not cdp.evaluate('location.pathname === "/board" && document.getElementById("login") === null'):
                # refused: the check ran and failed; say where the browser ended up and what it read
                result["page_url"] = cdp.evaluate("location.href")
                result["login_error"] = cdp.evaluate('document.body ? document.body.innerText.slice(0, 300) : ""')
                result["screenshot"] = cdp.screenshot(args.screenshot)
                return 0
        result["page_url"] = cdp.evaluate("location.href")

        step = "waiting for the board to set data-ready"
        cdp.poll('!!document.body && document.body.dataset.ready === "yes"', 0.025, deadline)
        result["login_ok"] = True
        step = "reading the board's structure"
        result["structure"] = cdp.evaluate(STRUCTURE_JS)
        selector_js = f"document.querySelector({json.dumps(args.expect_selector)}) !== null"
        result["seen_before"] = cdp.evaluate(selector_js)  # also proves the selector is valid

        step = "making the change on the control socket"
        result["change_reply"] = control(args.socket, args.change, deadline)
        changed = time.monotonic()
        step = "waiting for the change to show"
        result["seen"] = cdp.poll(selector_js, 0.010, changed + 5)
        result["change_ms"] = round((time.monotonic() - changed) * 1000, 1) if result["seen"] else None

        step = "taking the screenshot"
        result["screenshot"] = cdp.screenshot(args.screenshot)
    except BaseException as e:  # anything else is reported too, then re-raised if it was not an error
        code = 1
        result["error"] = (f"timed out after {args.timeout:g}s while {step}" if isinstance(e, Timeout)
                           else f"{step}: {e}" if isinstance(e, (Broken, OSError))
                           else f"{step}: {type(e).__name__} {e}" if isinstance(e, Exception)
                           else f"interrupted while {step} ({type(e).__name__} {e})")
        if isinstance(e, Exception) and cdp is not None and cdp.session and result["screenshot"] is None:
            try:  # what the page looked like, for whoever reads the failure
                cdp.deadline = time.monotonic() + GRACE
                result["screenshot"] = cdp.screenshot(args.screenshot)
            except (Broken, OSError):
                pass
        try:
            with open(os.path.join(tmp, "chromium.log"), errors="replace") as f:
                lines = [line for line in f if "dbus" not in line]  # D-Bus noise: there is no bus
                result["chromium_log"] = "".join(lines)[-2000:]
        except OSError:
            pass
        if not isinstance(e, Exception):
            raise
    finally:
        stop_chromium(proc, tmp)
        timer.cancel()
        shutil.rmtree(tmp, ignore_errors=True)
        emit()
    return code


if __name__ == "__main__":
    sys.exit(main())
