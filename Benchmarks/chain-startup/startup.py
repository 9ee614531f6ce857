# Times reliefd start-ups on a data directory: from exec to the socket accepting a connection,
# then a clean stop. Usage: startup.py BINARY DATADIR RUNS
import os, re, signal, socket, subprocess, sys, time
binary, data, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
sock = data.rstrip("/") + ".sock"
for run in range(runs):
    if os.path.exists(sock): os.unlink(sock)
    log = open(data.rstrip("/") + ".log", "w")
    start = time.monotonic()
    p = subprocess.Popen([binary, "--data-dir", data, "--socket", sock, "--tcp", "off", "--demo", "off",
                          "--catalog-file", "off", "--planning-file", "off", "--log-level", "info"], stdout=log, stderr=log)
    while True:
        if p.poll() is not None: sys.exit(f"exited {p.returncode}: {open(log.name).read()[-2000:]}")
        try:
            s = socket.socket(socket.AF_UNIX); s.connect(sock); s.close(); break
        except OSError:
            time.sleep(0.005)
    ready = time.monotonic() - start
    time.sleep(0.5)
    p.send_signal(signal.SIGTERM); p.wait()
    text = open(log.name).read()
    loaded = re.findall(r"[^\n]*store loaded[^\n]*", text)
    print(f"run {run + 1}: ready after {ready * 1000:.0f} ms; {loaded[-1] if loaded else ''}")
