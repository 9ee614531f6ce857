#!/usr/bin/env bash
# deploy/bench followers (see deploy/bench): run by deploy/bench after the release build, with
# BENCH_TMP, BENCH_BIN, BENCH_REPS, BENCH_SECONDS and BENCH_REPORT.
#
# A follower on a streaming replica while the leader takes writes at full speed. It starts its own
# PostgreSQL primary and hot-standby replica (deploy/pg-test-cluster start / replica, loopback), a
# leader on the primary and a follower on the replica. Interleaved, BENCH_REPS times:
#   - 50 clients x 16 in flight write to the leader (`stock receive`, durable), alone;
#   - the same readers on the follower with no writers: its reads alone;
#   - the same writers, with one subscriber on the leader and one on the follower following every
#     write (`watch stock`): the p50/p99 time from each entry's time= (made on the leader's loop,
#     just before its commit) to its receipt, from the follower and, side by side, from the leader
#     itself (what the leader's commit takes); and the follower's CPU per entry applied;
#   - the same writers while 50 x 16 readers (`stock query`) read on the follower: the reads per
#     second it serves beside the writes.
# Everything runs on this one machine (the two PostgreSQL servers, both daemons and the clients),
# so they share its cores. The report projects one leader and 31 provincial followers, each on a
# machine of its own, from these per-process figures.
set -euo pipefail
. deploy/lib/bench-report.sh
tmp="$BENCH_TMP"; bin="$BENCH_BIN"; reps="$BENCH_REPS"; seconds="$BENCH_SECONDS"; report="$BENCH_REPORT"

leader_pid=""; follower_pid=""
cleanup() {
    for pid in "$leader_pid" "$follower_pid"; do
        if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
            kill "$pid" 2>/dev/null || true
            wait "$pid" 2>/dev/null || true
        fi
    done
    deploy/pg-test-cluster stop "$tmp/replica" || true
    deploy/pg-test-cluster stop "$tmp/primary" || true
}
trap cleanup EXIT

chmod 755 "$tmp"
primary_url="$(deploy/pg-test-cluster start "$tmp/primary")"
replica_url="$(deploy/pg-test-cluster replica "$tmp/replica" "$tmp/primary")"
pg_version="$(psql "$primary_url" -Atc 'SHOW server_version')"

lsock="$tmp/leader.sock"; fsock="$tmp/follower.sock"
"$bin/reliefd" --data-dir "$tmp/leader" --socket "$lsock" --tcp off --log-level warning --demo off --catalog-file off \
    --store "$primary_url" >"$tmp/leader.out" 2>"$tmp/leader.log" &
leader_pid=$!
wait_for() { # SOCKET PID LOG WHAT
    for _ in $(seq 600); do
        "$bin/reliefctl" --socket "$1" --format raw info 2>/dev/null | grep -q "store_status=ok" && return 0
        kill -0 "$2" 2>/dev/null || { echo "deploy/bench: reliefd ($4) exited during start-up:" >&2; cat "$3" >&2; exit 1; }
        sleep 0.1
    done
    echo "deploy/bench: reliefd ($4) did not start within 60 s" >&2; exit 1
}
wait_for "$lsock" "$leader_pid" "$tmp/leader.log" leader
"$bin/reliefd" --data-dir "$tmp/follower" --socket "$fsock" --tcp off --log-level warning --demo off --catalog-file off \
    --store "$replica_url" --role follower >"$tmp/follower.out" 2>"$tmp/follower.log" &
follower_pid=$!
wait_for "$fsock" "$follower_pid" "$tmp/follower.log" follower
# The bench region, warehouse and item (and a lot to query), on the leader; the follower follows.
"$bin/reliefctl" --socket "$lsock" bench --workload read --clients 1 --pipeline 1 --duration 0.2 >/dev/null
for _ in $(seq 100); do
    [ "$(field "$("$bin/reliefctl" --socket "$fsock" --format raw info)" warehouses)" = 1 ] && break
    sleep 0.1
done

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
ticks_per_s="$(getconf CLK_TCK)"
seq_of() { field "$("$bin/reliefctl" --socket "$1" --format raw info)" seq; }

for rep in $(seq "$reps"); do
    alone="$("$bin/reliefctl" --socket "$lsock" bench --workload write --clients 50 --pipeline 16 --duration "$seconds")"
    echo "run $rep/$reps writes alone: $alone" >&2
    echo "$alone" >>"$tmp/alone.results"

    reads_alone="$("$bin/reliefctl" --socket "$fsock" bench --no-setup --workload read --clients 50 --pipeline 16 --duration "$seconds")"
    echo "run $rep/$reps follower reads alone: $reads_alone" >&2
    echo "$reads_alone" >>"$tmp/reads-alone.results"

    # Writers on the leader, with one subscriber on the leader and one on the follower: the
    # follower's lag side by side with the leader's own feed, and the follower's CPU per entry.
    writes_for="$(awk -v s="$seconds" 'BEGIN { print s + 1 }')"
    seq_before="$(seq_of "$fsock")"; cpu_before="$(cpu_ticks "$follower_pid")"
    "$bin/reliefctl" --socket "$lsock" bench --workload write --clients 50 --pipeline 16 --warmup 0.5 --duration "$writes_for" >"$tmp/lag-writes.line" &
    writers=$!
    "$bin/reliefctl" --socket "$lsock" bench --no-setup --workload watch --watch-channels stock --clients 1 --warmup 1 --duration "$seconds" >"$tmp/leader-watch.line" &
    leader_watcher=$!
    "$bin/reliefctl" --socket "$fsock" bench --no-setup --workload watch --watch-channels stock --clients 1 --warmup 1 --duration "$seconds" >"$tmp/watch.line"
    wait "$leader_watcher"; wait "$writers"
    leader_seq="$(seq_of "$lsock")"
    for _ in $(seq 200); do [ "$(seq_of "$fsock")" -ge "$leader_seq" ] && break; sleep 0.05; done
    applied=$(( $(seq_of "$fsock") - seq_before )); cpu=$(( $(cpu_ticks "$follower_pid") - cpu_before ))
    echo "run $rep/$reps subscriber on the leader: $(cat "$tmp/leader-watch.line")" >&2
    echo "run $rep/$reps subscriber on the follower: $(cat "$tmp/watch.line")" >&2
    echo "run $rep/$reps follower applied $applied entries with $cpu ticks of CPU" >&2
    cat "$tmp/leader-watch.line" >>"$tmp/leader-watch.results"
    cat "$tmp/watch.line" >>"$tmp/watch.results"
    echo "applied=$applied cpu_ticks=$cpu" >>"$tmp/apply.results"

    # Writers on the leader and 50 x 16 readers on the follower, inside the writers' window.
    "$bin/reliefctl" --socket "$lsock" bench --workload write --clients 50 --pipeline 16 --warmup 0.5 --duration "$writes_for" >"$tmp/with.line" &
    writers=$!
    sleep 1
    "$bin/reliefctl" --socket "$fsock" bench --no-setup --workload read --clients 50 --pipeline 16 --warmup 0 \
        --duration "$(awk -v s="$seconds" 'BEGIN { print s - 0.5 }')" >"$tmp/reads.line"
    wait "$writers"
    echo "run $rep/$reps writes with the follower reading: $(cat "$tmp/with.line")" >&2
    echo "run $rep/$reps follower reads beside the writes: $(cat "$tmp/reads.line")" >&2
    cat "$tmp/with.line" >>"$tmp/with.results"
    cat "$tmp/reads.line" >>"$tmp/reads.results"
done
"$bin/reliefctl" --socket "$fsock" ping >/dev/null || { echo "deploy/bench: the follower stopped answering" >&2; exit 1; }
follower_rss_kib="$(awk '/^VmRSS:/ { print $2 }' "/proc/$follower_pid/status")"
follower_info="$("$bin/reliefctl" --socket "$fsock" --format raw info)"

median_of() { while read -r line; do field "$line" "$1"; done <"$2" | median_real; }
alone_tput="$(median_of ops_per_sec "$tmp/alone.results")"
with_tput="$(median_of ops_per_sec "$tmp/with.results")"
p50="$(median_of latency_p50_ms "$tmp/watch.results")"
leader_p50="$(median_of latency_p50_ms "$tmp/leader-watch.results")"
leader_p99="$(median_of latency_p99_ms "$tmp/leader-watch.results")"
p99="$(median_of latency_p99_ms "$tmp/watch.results")"
events="$(median_of events_per_s "$tmp/watch.results")"
reads_alone="$(median_of ops_per_sec "$tmp/reads-alone.results")"
reads_with="$(median_of ops_per_sec "$tmp/reads.results")"
# CPU per applied entry on the follower, microseconds (median over rounds).
us_per_entry="$(while read -r line; do
    a="$(field "$line" applied)"; c="$(field "$line" cpu_ticks)"
    awk -v a="$a" -v c="$c" -v t="$ticks_per_s" 'BEGIN { if (a > 0) printf "%.2f\n", c / t * 1e6 / a }'
done <"$tmp/apply.results" | median_real)"
ratio="$(awk -v a="$alone_tput" -v w="$with_tput" 'BEGIN { printf "%.2f", (a > 0 ? w / a : 0) }')"
# A follower of its own keeps up while applying costs under one core: entries/s it could apply.
apply_ceiling="$(awk -v u="$us_per_entry" 'BEGIN { if (u > 0) printf "%.0f", 1e6 / u; else print 0 }')"
national_reads="$(awk -v r="$reads_alone" 'BEGIN { printf "%.0f", 31 * r }')"
echo "writes alone ${alone_tput}/s, with the follower reading ${with_tput}/s (${ratio}x); follower lag p50 ${p50} ms p99 ${p99} ms; follower reads ${reads_with}/s beside the writes, ${reads_alone}/s alone; ${us_per_entry} us of follower CPU per entry applied" >&2

section="$tmp/section.md"
{
    echo "## $(date -u '+%Y-%m-%d %H:%M:%S UTC') — followers: a follower on a streaming replica while the leader writes at full speed"
    echo
    echo "- Command: \`deploy/bench followers\` (BENCH_SECONDS=$seconds, BENCH_REPS=$reps; medians of $reps interleaved rounds)"
    echo "- Machine: $(bench_machine)"
    echo "- Revision: $(bench_revision); PostgreSQL $pg_version primary and a streaming hot-standby replica of it (deploy/pg-test-cluster, loopback, fsync on); leader on the primary, follower on the replica (follow_poll 0.02 s)"
    echo
    echo "Writers: \`reliefctl bench --workload write --clients 50 --pipeline 16\` on the leader. On the follower: one"
    echo "subscriber (\`--workload watch --watch-channels stock\`; latency from the entry's \`time=\`, made on the"
    echo "leader's loop just before its commit, to its receipt from the follower: commit to visible, the follower's"
    echo "feed included) and 50 × 16 readers (\`--workload read\`, \`stock query\`). All of it — two PostgreSQL servers,"
    echo "two daemons, the clients — on the same 2 cores."
    echo
    echo "| what | result |"
    echo "|---|---|"
    echo "| leader: durable writes/s, alone | $(group "${alone_tput%.*}") |"
    echo "| leader: durable writes/s, while 50 × 16 readers use the follower on the same machine | $(group "${with_tput%.*}") (${ratio}×) |"
    echo "| follower lag, entry time to receipt on the follower's feed, p50 / p99 | $p50 ms / $p99 ms |"
    echo "| the same entries on the leader's own feed, same rounds (the part that is the leader's commit), p50 / p99 | $leader_p50 ms / $leader_p99 ms |"
    echo "| entries the follower's subscriber received per second | $(group "${events%.*}") |"
    echo "| follower: reads/s (50 × 16) beside the writes (no subscribers then) | $(group "${reads_with%.*}") |"
    echo "| follower: reads/s (50 × 16), no writes | $(group "${reads_alone%.*}") |"
    echo "| follower CPU per entry applied (read from the replica, chain-checked, decoded, applied, fed to one subscriber; no readers) | ${us_per_entry} µs |"
    echo "| follower RSS after the rounds | $((follower_rss_kib / 1024)) MiB |"
    echo
    echo "**Projection: one leader and 31 provincial followers**, each follower on a machine of its own with a"
    echo "replica beside it. Followers read the journal from their replica, not from the leader: the leader's"
    echo "work does not grow with them (PostgreSQL's WAL senders ship each commit to 31 replicas; reliefd's leader"
    echo "sees only the writes forwarded to it, which are writes it would have taken anyway). What each site carries:"
    echo
    echo "- writes, national: the leader's rate, $(group "${alone_tput%.*}")/s on this machine;"
    echo "- each follower must apply every write: at ${us_per_entry} µs of CPU per entry one core applies about"
    echo "  $(group "$apply_ceiling") entries/s, so a follower keeps up with the leader's full rate with"
    echo "  $(awk -v a="$alone_tput" -v c="$apply_ceiling" 'BEGIN { if (c > 0) printf "%.0f %%", 100 * a / c; else print "?" }') of one core, the rest of its cores serving reads;"
    echo "- reads, national: 31 × $(group "${reads_alone%.*}") ≈ $(group "$national_reads")/s (each follower's reads alone"
    echo "  on this 2-core machine; beside a full-rate write load $(group "${reads_with%.*}")/s each, here on cores it shared"
    echo "  with the leader and both databases);"
    echo "- lag: the replica's replication delay over the site's link, plus at most one follow_poll (20 ms),"
    echo "  plus the follower's apply; here p50 ${p50} ms, p99 ${p99} ms with everything on one machine."
    echo
    echo "<details><summary>All runs</summary>"
    echo
    echo '```'
    sed 's/^/writes alone: /' "$tmp/alone.results"
    sed 's/^/writes beside the follower: /' "$tmp/with.results"
    sed 's/^/leader subscriber: /' "$tmp/leader-watch.results"
    sed 's/^/follower subscriber: /' "$tmp/watch.results"
    sed 's/^/follower reads beside the writes: /' "$tmp/reads.results"
    sed 's/^/follower reads alone: /' "$tmp/reads-alone.results"
    sed 's/^/follower apply: /' "$tmp/apply.results"
    echo "follower info at the end: $follower_info"
    echo '```'
    echo
    echo "</details>"
    echo
} >"$section"
bench_file "$section" "$report" "$tmp"
