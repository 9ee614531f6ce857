#!/usr/bin/env bash
# deploy/bench drill (see deploy/bench): run by deploy/bench after the release build, with
# BENCH_TMP, BENCH_BIN, BENCH_REPS, BENCH_SECONDS and BENCH_REPORT.
#
# 1. Offline: a generated province-scale drill (deploy/lib/drill_scenario.py: the Shanxi demo
#    dataset grown to 150 warehouses, the demo roster of 30,000 volunteers, 10,000 injects over
#    48 hours of drill time, the simulated officer planning every two hours) played by
#    `reliefd drill run` as fast as it goes, BENCH_REPS times: the whole command's time (target
#    ≤ 5 s), the start state's and the drill's, and injects per second of drill.
# 2. Online: a daemon on the demo operation; one client reads (`stock query`, 1 x 1) for
#    BENCH_SECONDS alone, then while drills of that scenario run back to back at speed=max beside
#    it (`drill start`); target: the read p99 with drills at most 1.2 times the p99 without.
set -euo pipefail
. deploy/lib/bench-report.sh
tmp="$BENCH_TMP"; bin="$BENCH_BIN"; reps="$BENCH_REPS"; seconds="$BENCH_SECONDS"; report="$BENCH_REPORT"
injects="${BENCH_INJECTS:-10000}"
seed="${BENCH_SEED:-1}"


generated="$(python3 deploy/lib/drill_scenario.py --out "$tmp/drills" --seed "$seed" --injects "$injects")"
echo "generated: $generated" >&2
scenario="$tmp/drills/province.drill"

# --- 1. offline -----------------------------------------------------------------------------------
for rep in $(seq "$reps"); do
    start_ns=$(date +%s%N)
    status=0
    out="$("$bin/reliefd" drill run "$scenario" --config config/reliefd.conf 2>&1)" || status=$?
    total_ms=$((($(date +%s%N) - start_ns) / 1000000))
    [ "$status" -le 1 ] || { echo "deploy/bench: the drill did not run:" >&2; echo "$out" >&2; exit 1; }
    line="$(grep '^start state' <<<"$out")"
    load="$(sed -nE 's/^start state ([0-9.]+) s.*/\1/p' <<<"$line")"
    drill="$(sed -nE 's/.*, drill ([0-9.]+) s:.*/\1/p' <<<"$line")"
    played="$(sed -nE 's/.*s: ([0-9]+) injects,.*/\1/p' <<<"$line")"
    echo "run $rep/$reps offline: $total_ms ms in all; $line" >&2
    echo "$total_ms" >>"$tmp/offline-total.results"
    echo "$load" >>"$tmp/offline-load.results"
    echo "$drill" >>"$tmp/offline-drill.results"
    echo "$line (whole command $total_ms ms, exit $status)" >>"$tmp/offline.results"
done
summary_line="$(grep '^start state' <<<"$out" | sed -E 's/^start state [0-9.]+ s, drill [0-9.]+ s: //')"

# --- 2. online --------------------------------------------------------------------------------------
daemon_pid=""
cleanup() { [ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null && wait "$daemon_pid" 2>/dev/null || true; }
trap cleanup EXIT
sock="$tmp/r.sock"
"$bin/reliefd" --config config/reliefd.conf --data-dir "$tmp/data" --socket "$sock" --tcp off --drills-dir "$tmp/drills" \
    --log-level warning >"$tmp/reliefd.out" 2>"$tmp/reliefd.log" &
daemon_pid=$!
for _ in $(seq 600); do
    "$bin/reliefctl" --socket "$sock" info 2>/dev/null | grep -q "store_status=ok" && break
    kill -0 "$daemon_pid" 2>/dev/null || { echo "deploy/bench: reliefd exited:" >&2; cat "$tmp/reliefd.log" >&2; exit 1; }
    sleep 0.1
done
bench() { "$bin/reliefctl" --socket "$sock" bench --workload read --clients 1 --pipeline 1 --duration "$seconds"; }
bench >/dev/null # warm
for rep in $(seq "$reps"); do
    alone="$(bench)"
    echo "run $rep/$reps read alone: $alone" >&2
    echo "$alone" >>"$tmp/read-alone.results"
    # Drills back to back at full speed for as long as the reads are measured (and a little longer).
    (
        end=$(($(date +%s) + $(printf '%.0f' "$seconds") + 2))
        while [ "$(date +%s)" -lt "$end" ]; do
            id="$("$bin/reliefctl" --socket "$sock" --format raw drill start province speed=max | sed -nE 's/.*drill=([^ ]+).*/\1/p')"
            [ -n "$id" ] || break
            echo "$id" >>"$tmp/drills-run.txt"
            until "$bin/reliefctl" --socket "$sock" --format raw drill status "$id" | grep -qE "state=(finished|stopped)"; do sleep 0.05; done
        done
    ) &
    driller=$!
    sleep 1 # the first drill is past loading its start state
    during="$(bench)"
    wait "$driller"
    echo "run $rep/$reps read during drills: $during" >&2
    echo "$during" >>"$tmp/read-drill.results"
done
drills_run=$(wc -l <"$tmp/drills-run.txt")
last_drill="$(tail -1 "$tmp/drills-run.txt")"
last_status="$("$bin/reliefctl" --socket "$sock" --format raw drill status "$last_drill")"

# --- report -----------------------------------------------------------------------------------------
med() { while read -r l; do field "$l" "$2"; done <"$1" | median; }
total=$(median <"$tmp/offline-total.results")
load=$(median_real <"$tmp/offline-load.results")
drill=$(median_real <"$tmp/offline-drill.results")
rate=$(awk -v n="$injects" -v s="$drill" 'BEGIN { printf "%.0f", n / s }')
a50=$(med "$tmp/read-alone.results" p50_us | cut -d. -f1); a99=$(med "$tmp/read-alone.results" p99_us | cut -d. -f1)
d50=$(med "$tmp/read-drill.results" p50_us | cut -d. -f1); d99=$(med "$tmp/read-drill.results" p99_us | cut -d. -f1)
ratio=$(awk -v a="$d99" -v b="$a99" 'BEGIN { printf "%.2f", a / b }')
offline_ok=$([ "$total" -le 5000 ] && echo yes || echo no)
online_ok=$(awk -v r="$ratio" 'BEGIN { print (r <= 1.2) ? "yes" : "no" }')
section="$tmp/section.md"
{
    echo "## $(date -u '+%Y-%m-%d %H:%M:%S UTC') — drills: a province-scale drill offline, and live reads beside online drills"
    echo
    echo "- Command: \`deploy/bench drill\` (BENCH_INJECTS=$injects, BENCH_SEED=$seed, BENCH_SECONDS=$seconds, BENCH_REPS=$reps; medians of $reps runs)"
    echo "- Machine: $(bench_machine)"
    echo "- Revision: $(bench_revision); SQLite store (WAL, synchronous=FULL) in a temporary directory"
    echo
    echo "The drill: \`deploy/lib/drill_scenario.py --seed $seed --injects $injects\` — the Shanxi demo dataset grown to 150 warehouses, the demo roster of 30,000 volunteers, $(group "$injects") injects over 48 hours of drill time (incidents, needs and their growth, donations, volunteers reporting out, road times, withdrawals), the simulated officer planning every two hours and applying after 15 minutes. It played: $summary_line."
    echo
    echo "| what | result | target | result |"
    echo "|---|---|---|---|"
    echo "| offline, \`reliefd drill run\`: the whole command | $(group "$total") ms (start state $load s, drill $drill s) | ≤ 5,000 ms | $(verdict "$offline_ok") |"
    echo "| offline: injects per second of drill | $(group "$rate") | — | — |"
    echo "| live read (\`stock query\`, 1 × 1) alone | p50 $(group "$a50") µs, p99 $(group "$a99") µs | — | — |"
    echo "| the same read while drills of that scenario run back to back at speed=max ($drills_run drills over the $reps runs) | p50 $(group "$d50") µs, p99 $(group "$d99") µs | p99 ≤ 1.2 × alone | $(verdict "$online_ok") (${ratio}×) |"
    echo
    echo "<details><summary>All runs</summary>"
    echo
    echo '```'
    sed 's/^/offline: /' "$tmp/offline.results"
    sed 's/^/read alone: /' "$tmp/read-alone.results"
    sed 's/^/read during drills: /' "$tmp/read-drill.results"
    echo "last online drill: $last_status"
    echo '```'
    echo
    echo "</details>"
    echo
} >"$section"
bench_file "$section" "$report" "$tmp"
