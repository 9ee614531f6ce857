#!/usr/bin/env bash
# deploy/bench feed (see deploy/bench): run by deploy/bench after the release build, with
# BENCH_TMP, BENCH_BIN, BENCH_REPS, BENCH_SECONDS and BENCH_REPORT.
#
# The event feed under load: 50 clients x 16 in flight write (`stock receive`, durable) at full
# speed, alone and then while BENCH_SUBSCRIBERS subscribers (default 100) follow the feed
# (`watch stock`: every write is an event for every subscriber). Interleaved, BENCH_REPS times:
# the writers' throughput with subscribers next to without (target >= 0.8x), the events delivered
# per second, the p50/p99 time from each entry's time= (made on the loop, just before its commit)
# to its receipt, and subscribers cut off for falling behind. Subscribers and writers run on this
# same machine, so they share its cores with the daemon.
set -euo pipefail
. deploy/lib/bench-report.sh
tmp="$BENCH_TMP"; bin="$BENCH_BIN"; reps="$BENCH_REPS"; seconds="$BENCH_SECONDS"; report="$BENCH_REPORT"
subscribers="${BENCH_SUBSCRIBERS:-100}"

daemon_pid=""
stop_daemon() {
    if [ -n "$daemon_pid" ] && kill -0 "$daemon_pid" 2>/dev/null; then
        kill "$daemon_pid" 2>/dev/null || true
        wait "$daemon_pid" 2>/dev/null || true
    fi
    daemon_pid=""
}
trap stop_daemon EXIT

dir="$tmp/feed"
mkdir -p "$dir"
sock="$dir/r.sock"
"$bin/reliefd" --data-dir "$dir/data" --socket "$sock" --tcp off --log-level warning --demo off --catalog-file off \
    >"$dir/reliefd.out" 2>"$dir/reliefd.log" &
daemon_pid=$!
for _ in $(seq 600); do
    "$bin/reliefctl" --socket "$sock" info 2>/dev/null | grep -q "store_status=ok" && break
    kill -0 "$daemon_pid" 2>/dev/null || { echo "deploy/bench: reliefd exited during start-up:" >&2; cat "$dir/reliefd.log" >&2; exit 1; }
    sleep 0.1
done
# The bench warehouse and item.
"$bin/reliefctl" --socket "$sock" bench --workload write --clients 1 --pipeline 1 --duration 0.2 >/dev/null

for rep in $(seq "$reps"); do
    alone="$("$bin/reliefctl" --socket "$sock" bench --workload write --clients 50 --pipeline 16 --duration "$seconds")"
    echo "run $rep/$reps writes alone: $alone" >&2
    echo "$alone" >>"$tmp/alone.results"

    cut_before="$(field "$("$bin/reliefctl" --socket "$sock" --format raw info)" feed_cut_off)"
    # The subscribers measure a window inside the writers' one: they start first, and their
    # warm-up covers the writers' start.
    "$bin/reliefctl" --socket "$sock" bench --workload watch --watch-channels stock --clients "$subscribers" \
        --warmup 1 --duration "$seconds" >"$tmp/watch.line" &
    watcher=$!
    sleep 0.5
    with="$("$bin/reliefctl" --socket "$sock" bench --workload write --clients 50 --pipeline 16 --warmup 0.5 --duration "$(awk -v s="$seconds" 'BEGIN { print s + 0.5 }')")"
    wait "$watcher"
    cut_after="$(field "$("$bin/reliefctl" --socket "$sock" --format raw info)" feed_cut_off)"
    echo "run $rep/$reps writes with $subscribers subscribers: $with" >&2
    echo "run $rep/$reps subscribers: $(cat "$tmp/watch.line") (cut off in this round: $((cut_after - cut_before)))" >&2
    echo "$with" >>"$tmp/with.results"
    cat "$tmp/watch.line" >>"$tmp/watch.results"
    sleep 1   # cut-off subscribers' connections close; the next round starts from a quiet daemon
done
"$bin/reliefctl" --socket "$sock" ping >/dev/null || { echo "deploy/bench: reliefd stopped answering" >&2; exit 1; }
rss_kib="$(awk '/^VmRSS:/ { print $2 }' "/proc/$daemon_pid/status")"
stop_daemon

# median_of KEY FILE — the median of KEY over FILE's result lines.
median_of() { while read -r line; do field "$line" "$1"; done <"$2" | median_real; }
alone_tput="$(median_of ops_per_sec "$tmp/alone.results")"
with_tput="$(median_of ops_per_sec "$tmp/with.results")"
events="$(median_of events_per_s "$tmp/watch.results")"
p50="$(median_of latency_p50_ms "$tmp/watch.results")"
p99="$(median_of latency_p99_ms "$tmp/watch.results")"
cut="$(while read -r line; do field "$line" cut_off; done <"$tmp/watch.results" | awk '{ s += $1 } END { print s + 0 }')"
ratio="$(awk -v a="$alone_tput" -v w="$with_tput" 'BEGIN { printf "%.2f", (a > 0 ? w / a : 0) }')"
met="$(awk -v r="$ratio" 'BEGIN { print (r >= 0.8 ? "yes" : "no") }')"
echo "writes alone ${alone_tput}/s, with $subscribers subscribers ${with_tput}/s: ${ratio}x (target >= 0.8x: $(verdict "$met")); events delivered ${events}/s, entry to receipt p50 ${p50} ms p99 ${p99} ms; cut off: $cut" >&2

section="$tmp/section.md"
{
    echo "## $(date -u '+%Y-%m-%d %H:%M:%S UTC') — the event feed: $subscribers subscribers beside 50 × 16 durable writers"
    echo
    echo "- Command: \`deploy/bench feed\` (BENCH_SUBSCRIBERS=$subscribers, BENCH_SECONDS=$seconds, BENCH_REPS=$reps; medians of $reps interleaved rounds)"
    echo "- Machine: $(bench_machine)"
    echo "- Revision: $(bench_revision); SQLite store (WAL, synchronous=FULL) in a temporary directory"
    echo
    echo "Writers: \`reliefctl bench --workload write --clients 50 --pipeline 16\` (\`stock receive\`, durable). Subscribers:"
    echo "\`reliefctl bench --workload watch --watch-channels stock --clients $subscribers\`, each following every write,"
    echo "on the same 2 cores as the daemon and the writers. Latency is from the entry's \`time=\` (made on the loop,"
    echo "just before its commit) to the line's receipt by the subscriber."
    echo
    echo "| what | result |"
    echo "|---|---|"
    echo "| writes/s alone | $(group "${alone_tput%.*}") |"
    echo "| writes/s with $subscribers subscribers | $(group "${with_tput%.*}") |"
    echo "| ratio (target ≥ 0.8×) | ${ratio}× ($(verdict "$met")) |"
    echo "| events delivered per second, all subscribers | $(group "${events%.*}") |"
    echo "| entry time to receipt, p50 / p99 | $p50 ms / $p99 ms |"
    echo "| subscribers cut off for falling behind, all rounds | $cut |"
    echo "| reliefd RSS after the rounds | $((rss_kib / 1024)) MiB |"
    echo
    echo "<details><summary>All runs</summary>"
    echo
    echo '```'
    sed 's/^/writes alone: /' "$tmp/alone.results"
    sed 's/^/writes with subscribers: /' "$tmp/with.results"
    sed 's/^/subscribers: /' "$tmp/watch.results"
    echo '```'
    echo
    echo "</details>"
    echo
} >"$section"
bench_file "$section" "$report" "$tmp"
