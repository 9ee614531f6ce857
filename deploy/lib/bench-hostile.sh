#!/usr/bin/env bash
# deploy/bench hostile (see deploy/bench): run by deploy/bench after the release build, with
# BENCH_TMP, BENCH_BIN, BENCH_REPS, BENCH_SECONDS and BENCH_REPORT.
#
# 1. Floods: one client pings (1 x 1) for BENCH_SECONDS, alone and then while BENCH_FLOODERS
#    clients (default 100) pipeline a read and never read a reply (deploy/lib/flood.py, started as
#    the ping's measurement starts, so the first burst counts): `help` (≈ 12 KB a reply) on an
#    empty store, as the attack was first tried, and the heaviest read of the demo operation —
#    `volunteer export limit=1000000`, ≈ 13 MB a reply over its 28,500 volunteers — on a daemon
#    restarted on that store. reliefd's RSS is sampled every 50 ms. Targets: RSS under 200 MiB,
#    ping p99 ≤ 10 ms.
# 2. Reads behind writes: every reply waits until the state it was computed from is durable, so a
#    read that arrives while writes are being committed waits for their commit. One client reads
#    (1 x 1) alone, then while 50 x 16 and while 1 x 1 durable writes run; with BENCH_BASELINE=REV
#    the same runs against a release build of REV (a revision from before reads waited), in the
#    same run.
set -euo pipefail
. deploy/lib/bench-report.sh
tmp="$BENCH_TMP"; bin="$BENCH_BIN"; reps="$BENCH_REPS"; seconds="$BENCH_SECONDS"; report="$BENCH_REPORT"
flooders="${BENCH_FLOODERS:-100}"
flood_line="${BENCH_FLOOD_LINE:-volunteer export limit=1000000}"
baseline="${BENCH_BASELINE:-}"


daemon_pid=""
stop_daemon() {
    if [ -n "$daemon_pid" ] && kill -0 "$daemon_pid" 2>/dev/null; then
        kill "$daemon_pid" 2>/dev/null || true
        wait "$daemon_pid" 2>/dev/null || true
    fi
    daemon_pid=""
}
trap stop_daemon EXIT

# start_daemon BIN DIR FLAGS... — a reliefd on DIR/r.sock; waits until its store is loaded.
start_daemon() {
    local binary="$1" dir="$2"
    shift 2
    mkdir -p "$dir"
    "$binary/reliefd" --data-dir "$dir/data" --socket "$dir/r.sock" --tcp off --log-level warning "$@" \
        >"$dir/reliefd.out" 2>"$dir/reliefd.log" &
    daemon_pid=$!
    for _ in $(seq 600); do
        "$bin/reliefctl" --socket "$dir/r.sock" info 2>/dev/null | grep -q "store_status=ok" && return 0
        kill -0 "$daemon_pid" 2>/dev/null || { echo "deploy/bench: reliefd exited during start-up:" >&2; cat "$dir/reliefd.log" >&2; exit 1; }
        sleep 0.1
    done
    echo "deploy/bench: reliefd did not load within 60 s" >&2
    exit 1
}
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$daemon_pid/status"; }

# bench SOCKET ARGS... — one reliefctl bench run; its logfmt line.
bench() {
    local socket="$1"
    shift
    "$bin/reliefctl" --socket "$socket" bench "$@" --duration "$seconds"
}

# --- 1. floods --------------------------------------------------------------------------------
# flood NAME LINE — BENCH_REPS rounds of: ping alone, then ping while the flood runs (RSS sampled).
flood() {
    local name="$1" line="$2" sock="$3"
    for rep in $(seq "$reps"); do
        alone="$(bench "$sock" --workload ping --clients 1 --pipeline 1)"
        echo "run $rep/$reps $name: ping alone: $alone" >&2
        echo "$alone" >>"$tmp/$name-ping-alone.results"

        : >"$tmp/rss.samples"
        (while kill -0 "$daemon_pid" 2>/dev/null; do awk '/^VmRSS:/ { print $2 }' "/proc/$daemon_pid/status" >>"$tmp/rss.samples" 2>/dev/null || true; sleep 0.05; done) &
        sampler=$!
        bench "$sock" --workload ping --clients 1 --pipeline 1 >"$tmp/ping-flood.line" &
        pinger=$!
        sleep 0.5   # the ping's warm-up: the flood starts as its measurement does
        python3 deploy/lib/flood.py --socket "$sock" --clients "$flooders" --seconds "$(awk -v s="$seconds" 'BEGIN { print s + 0.5 }')" \
            --line "$line" >"$tmp/flood.line" &
        flood=$!
        sleep "$(awk -v s="$seconds" 'BEGIN { print s / 2 }')"
        "$bin/reliefctl" --socket "$sock" --format raw info >"$tmp/flood-info.txt"
        wait "$pinger"
        wait "$flood"
        kill "$sampler" 2>/dev/null || true
        wait "$sampler" 2>/dev/null || true
        during="$(cat "$tmp/ping-flood.line")"
        peak=$(sort -n "$tmp/rss.samples" | tail -1)
        paused="$(tr ' ' '\n' <"$tmp/flood-info.txt" | sed -n 's/^clients_paused=//p')"
        held="$(tr ' ' '\n' <"$tmp/flood-info.txt" | sed -n 's/^output_held_bytes=//p')"
        echo "run $rep/$reps $name: ping during the flood: $during" >&2
        echo "run $rep/$reps $name: flood: $(cat "$tmp/flood.line"); RSS peak $((peak / 1024)) MiB; mid-flood clients_paused=$paused output_held_bytes=$held" >&2
        echo "$during" >>"$tmp/$name-ping-flood.results"
        echo "$peak" >>"$tmp/$name-rss-peak.results"
        echo "$(cat "$tmp/flood.line") rss_peak_kib=$peak clients_paused=$paused output_held_bytes=$held" >>"$tmp/$name-flood.results"
        sleep 1   # the flooders' connections close; the next round starts from a quiet daemon
    done
    "$bin/reliefctl" --socket "$sock" ping >/dev/null || { echo "deploy/bench: reliefd stopped answering after the floods" >&2; exit 1; }
}

# `help` (≈ 12 KB a reply) on an empty store: the attack as it was first tried.
start_daemon "$bin" "$tmp/help" --demo off
rss_idle_help=$(rss_kib)
flood help "help" "$tmp/help/r.sock"
stop_daemon
# The heaviest read of the demo operation, on a daemon restarted on its store (steady memory: the
# first start's loading buffers are gone).
start_daemon "$bin" "$tmp/export" --demo on
stop_daemon
start_daemon "$bin" "$tmp/export" --demo on
rss_idle_export=$(rss_kib)
flood export "$flood_line" "$tmp/export/r.sock"
stop_daemon

# --- 2. reads behind writes ---------------------------------------------------------------------
builds=("this|$bin")
if [ -n "$baseline" ]; then
    base_rev="$(git rev-parse --short "$baseline")"
    echo "building the baseline $base_rev (release) in $tmp/baseline..." >&2
    git worktree add -q --detach "$tmp/baseline" "$baseline"
    (cd "$tmp/baseline" && swift build -c release --scratch-path "$tmp/baseline-build" >/dev/null)
    builds+=("$base_rev|$(cd "$tmp/baseline" && swift build -c release --scratch-path "$tmp/baseline-build" --show-bin-path)")
fi
for rep in $(seq "$reps"); do
    for build in "${builds[@]}"; do
        IFS='|' read -r name binary <<<"$build"
        start_daemon "$binary" "$tmp/mixed-$name" --demo off --catalog-file off
        msock="$tmp/mixed-$name/r.sock"
        bench "$msock" --workload write --clients 1 --pipeline 1 >/dev/null   # creates the bench item and a first lot
        alone="$(bench "$msock" --workload read --clients 1 --pipeline 1)"
        "$bin/reliefctl" --socket "$msock" bench --workload write --clients 50 --pipeline 16 --duration "$(awk -v s="$seconds" 'BEGIN { print s + 1 }')" \
            >"$tmp/writes.line" &
        writer=$!
        sleep 0.7
        mixed="$(bench "$msock" --workload read --clients 1 --pipeline 1)"
        wait "$writer"
        "$bin/reliefctl" --socket "$msock" bench --workload write --clients 1 --pipeline 1 --duration "$(awk -v s="$seconds" 'BEGIN { print s + 1 }')" \
            >"$tmp/writes-light.line" &
        writer=$!
        sleep 0.7
        light="$(bench "$msock" --workload read --clients 1 --pipeline 1)"
        wait "$writer"
        echo "run $rep/$reps $name: read during 1 x 1 writes: $light; writes: $(cat "$tmp/writes-light.line")" >&2
        echo "$light" >>"$tmp/read-light-$name.results"
        cat "$tmp/writes-light.line" >>"$tmp/writes-light-$name.results"
        echo "run $rep/$reps $name: read alone: $alone" >&2
        echo "run $rep/$reps $name: read during writes: $mixed; writes: $(cat "$tmp/writes.line")" >&2
        echo "$alone" >>"$tmp/read-alone-$name.results"
        echo "$mixed" >>"$tmp/read-mixed-$name.results"
        cat "$tmp/writes.line" >>"$tmp/writes-$name.results"
        stop_daemon
        rm -rf "$tmp/mixed-$name"
    done
done
[ -n "$baseline" ] && git worktree remove --force "$tmp/baseline"

# --- report -------------------------------------------------------------------------------------
med() { while read -r l; do field "$l" "$2"; done <"$1" | median; }
rows=""
flood_row() { # NAME DESCRIPTION IDLE_KIB
    local name="$1" description="$2" idle="$3"
    local a50 a99 f50 f99 fmax peak ping_ok rss_ok
    a50=$(med "$tmp/$name-ping-alone.results" p50_us); a99=$(med "$tmp/$name-ping-alone.results" p99_us)
    f50=$(med "$tmp/$name-ping-flood.results" p50_us); f99=$(med "$tmp/$name-ping-flood.results" p99_us)
    fmax=$(med "$tmp/$name-ping-flood.results" max_us)
    peak=$(median <"$tmp/$name-rss-peak.results")
    ping_ok=$([ "$f99" -le 10000 ] && echo yes || echo no)
    rss_ok=$([ "$peak" -lt $((200 * 1024)) ] && echo yes || echo no)
    rows+="| $description: ping, 1 × 1, alone | p50 $(group "$a50") µs, p99 $(group "$a99") µs | — | — |"$'\n'
    rows+="| $description: ping, 1 × 1, while $flooders clients pipeline it and read nothing | p50 $(group "$f50") µs, p99 $(group "$f99") µs (max $(group "$fmax") µs) | p99 ≤ 10,000 µs | $(verdict "$ping_ok") |"$'\n'
    rows+="| $description: reliefd RSS idle → peak during the flood (sampled every 50 ms) | $((idle / 1024)) → $((peak / 1024)) MiB | < 200 MiB | $(verdict "$rss_ok") |"$'\n'
}
flood_row help "\`help\` (≈ 12 KB) on an empty store" "$rss_idle_help"
flood_row export "\`$flood_line\` (≈ 13 MB) on the demo operation (28,500 volunteers)" "$rss_idle_export"
for build in "${builds[@]}"; do
    IFS='|' read -r name _ <<<"$build"
    label="this revision"; [ "$name" = this ] || label="baseline $name"
    a50=$(med "$tmp/read-alone-$name.results" p50_us); a99=$(med "$tmp/read-alone-$name.results" p99_us)
    m50=$(med "$tmp/read-mixed-$name.results" p50_us); m99=$(med "$tmp/read-mixed-$name.results" p99_us)
    w=$(med "$tmp/writes-$name.results" ops_per_sec)
    rows+="| $label: read (\`stock query\`), 1 × 1, alone | p50 $(group "$a50") µs, p99 $(group "$a99") µs | — | — |"$'\n'
    rows+="| $label: the same read while 50 × 16 durable writes run ($(group "$w") writes/s) | p50 $(group "$m50") µs, p99 $(group "$m99") µs | — | — |"$'\n'
    if [ -f "$tmp/read-light-$name.results" ]; then
        l50=$(med "$tmp/read-light-$name.results" p50_us); l99=$(med "$tmp/read-light-$name.results" p99_us)
        lw=$(med "$tmp/writes-light-$name.results" ops_per_sec)
        rows+="| $label: the same read while 1 × 1 durable writes run ($(group "$lw") writes/s) | p50 $(group "$l50") µs, p99 $(group "$l99") µs | — | — |"$'\n'
    fi
done

revision="$(bench_revision)"
section="$tmp/section.md"
{
    echo "## $(date -u '+%Y-%m-%d %H:%M:%S UTC') — hostile clients: non-reading floods, reads behind writes"
    echo
    echo "- Command: \`deploy/bench hostile\` (BENCH_SECONDS=$seconds, BENCH_REPS=$reps, BENCH_FLOODERS=$flooders${baseline:+, BENCH_BASELINE=$baseline}; medians of $reps runs)"
    echo "- Machine: $(bench_machine)"
    echo "- Revision: $revision; SQLite store (WAL, synchronous=FULL) in a temporary directory. Floods: \`deploy/lib/flood.py\` ($flooders Unix-socket connections, each sending the line 64 at a time whenever the socket takes more, reading nothing, for BENCH_SECONDS + 0.5 s, started as the ping's measurement starts)"
    echo
    echo "| what | result | target | result |"
    echo "|---|---|---|---|"
    printf '%s' "$rows"
    echo
    echo "<details><summary>All runs</summary>"
    echo
    echo '```'
    for name in help export; do
        for f in ping-alone ping-flood flood; do sed "s/^/$name $f: /" "$tmp/$name-$f.results"; done
    done
    for build in "${builds[@]}"; do
        IFS='|' read -r name _ <<<"$build"
        for f in read-alone read-mixed writes read-light writes-light; do sed "s/^/$name $f: /" "$tmp/$f-$name.results"; done
    done
    echo '```'
    echo
    echo "</details>"
    echo
} >"$section"
bench_file "$section" "$report" "$tmp"
