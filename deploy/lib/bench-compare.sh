#!/usr/bin/env bash
# deploy/bench compare (see deploy/bench): reliefd side by side with the peers issue 16 names, in
# one run, interleaved: run by deploy/bench after the release build, with BENCH_TMP, BENCH_BIN,
# BENCH_REPS, BENCH_SECONDS and BENCH_REPORT.
#
# Parts (BENCH_PARTS, default "protocol store flow roster"):
#   protocol  reliefd on SQLite (`reliefctl bench`: read = `stock query`, write = `stock receive`,
#             durable) next to redis-server (appendonly yes, appendfsync always, Unix socket, no
#             RDB) driven by redis-benchmark (GET, SET) with the same clients and pipelining:
#             50 x 16, 50 x 1 and, for writes, 1 x 1 (p50).
#   store     reliefd on a throwaway PostgreSQL (deploy/pg-test-cluster) next to pgbench's single-row
#             INSERT transactions on the same server: 50 clients x 16 in flight against pgbench's 50
#             clients and against its 1 client (what one connection's commits reach: reliefd carries
#             every client's writes on one connection), and 1 client's p50 against pgbench's latency.
#   flow      `reliefctl solve` next to LEMON (liblemon-dev: network simplex and cost scaling,
#             deploy/lib/lemon_solve.cc, built here) on the same DIMACS files: per scale of
#             BENCH_SCALES the generated transportation instance (`reliefctl solve --generate
#             province|country`) and the assignment-shaped one (`--generate province-people|
#             country-people`), and the matcher's own plan network (`reliefctl bench-matching
#             --dimacs`) at the scales of BENCH_PLAN_SCALES (default province; empty for none;
#             "province country" for issue 16's country plan target), with the plan's own time.
#             LEMON's algorithms run one at a time, each stopped after BENCH_LEMON_TIMEOUT s
#             (default 120); the row compares with the faster one that finished.
#   roster    reliefd alone (no peer): a generated roster of BENCH_VOLUNTEERS (100,000) imported with
#             `reliefctl import volunteers` into a fresh store (until durable), RSS before and after,
#             a restart on that store (until store_status=ok) and its RSS, and `volunteer find`
#             (reliefctl bench --workload find) at 1 x 1 and 50 x 16; BENCH_REPS fresh stores.
#             Then this build restarted on the first store with read_threads=auto and 0 in turn,
#             BENCH_REPS pairs: find at 1 x 1, 1 x 16, 50 x 1 and 50 x 16 with and without the
#             read pool. With BENCH_BASELINE=REV, also a release build of REV and this one restarted in
#             turn on the first store, BENCH_REPS pairs: start-up, RSS and find side by side.
#   national  (not in the default parts: about 2 minutes a run) the national roster of issue 16:
#             BENCH_NATIONAL_VOLUNTEERS (1,000,000) generated volunteers with their certifications
#             (2,205,596 rows) as one all-or-nothing import into a fresh store (until durable), the
#             peak and final RSS, then, once the snapshot after it is written, a restart on that
#             store (until store_status=ok) and its RSS; BENCH_REPS fresh stores.
# Each pair runs reliefd's side then the peer's, BENCH_REPS times; the table gives the medians and
# their ratio, and the targets of issue 16 with met or missed.
set -euo pipefail
. deploy/lib/bench-report.sh
tmp="$BENCH_TMP"; bin="$BENCH_BIN"; reps="$BENCH_REPS"; seconds="$BENCH_SECONDS"; report="$BENCH_REPORT"
parts="${BENCH_PARTS:-protocol store flow roster}"
scales="${BENCH_SCALES:-province country}"
pipeline="${BENCH_PIPELINE:-16}"

has_part() { [[ " $parts " == *" $1 "* ]]; }
# ratio A B — A / B with two decimals and ×.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f×", a / b; else print "—" }'; }
# at_least A B FACTOR — yes when A ≥ FACTOR × B.
at_least() { awk -v a="$1" -v b="$2" -v f="$3" 'BEGIN { print (a >= f * b) ? "yes" : "no" }'; }
# at_most A B FACTOR — yes when A ≤ FACTOR × B.
at_most() { awk -v a="$1" -v b="$2" -v f="$3" 'BEGIN { print (a <= f * b) ? "yes" : "no" }'; }

pids=()
cleanup() {
    for pid in "${pids[@]}"; do
        if kill -0 "$pid" 2>/dev/null; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
    done
    [ -d "$tmp/pg" ] && deploy/pg-test-cluster stop "$tmp/pg" >/dev/null 2>&1 || true
}
trap cleanup EXIT

# start_reliefd DIR FLAGS… — a throwaway reliefd on DIR/r.sock; prints nothing, sets $sock.
start_reliefd() {
    local dir="$1"; shift
    mkdir -p "$dir"
    sock="$dir/r.sock"
    "${daemon_bin:-$bin}/reliefd" --data-dir "$dir/data" --socket "$sock" --tcp off --log-level warning --demo off "$@" \
        >"$dir/reliefd.out" 2>"$dir/reliefd.log" &
    pids+=($!)
    for _ in $(seq 3000); do
        "$bin/reliefctl" --socket "$sock" info 2>/dev/null | grep -q "store_status=ok" && return 0
        kill -0 "${pids[-1]}" 2>/dev/null || { echo "bench compare: reliefd exited:" >&2; cat "$dir/reliefd.log" >&2; exit 1; }
        # Polled every 20 ms: the start-up rows are measured to this.
        sleep 0.02
    done
    echo "bench compare: reliefd did not start within 60 s" >&2; exit 1
}
stop_last() { local pid="${pids[-1]}"; kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; unset 'pids[-1]'; }
# The newest daemon's memory in MiB: now (VmRSS) and at its peak (VmHWM).
rss_mib() { awk '/^VmRSS:/ { printf "%.0f", $2 / 1024 }' "/proc/${pids[-1]}/status"; }
hwm_mib() { awk '/^VmHWM:/ { printf "%.0f", $2 / 1024 }' "/proc/${pids[-1]}/status"; }
# timed_import DIR CSV — a fresh daemon in DIR with the demo dataset's regions (the generated
# volunteers live in them) and no demo volunteers, then CSV as one `reliefctl import volunteers`,
# until durable. Sets empty (its RSS before, MiB), import_ms and out (the reply).
timed_import() {
    start_reliefd "$1" --demo on --demo-volunteers 0
    sleep 1
    empty=$(rss_mib)
    local start_ns
    start_ns=$(date +%s%N)
    out="$("$bin/reliefctl" --socket "$sock" --timeout 0 import volunteers "$2" 2>&1)" || {
        echo "bench compare: import of $2 failed: $out" >&2; exit 1; }
    import_ms=$((($(date +%s%N) - start_ns) / 1000000))
}

# ours NAME ARGS… — one `reliefctl bench` run, its line appended to $tmp/NAME.results.
ours() {
    local name="$1"; shift
    local line status=0
    line="$("$bin/reliefctl" --socket "$sock" bench "$@" --duration "$seconds")" || status=$?
    echo "run $rep/$reps reliefd $name: $line" >&2
    if [ "$status" -ne 0 ] || [ -z "$line" ] || [ "$(field "$line" errors)" != 0 ]; then
        echo "bench compare: reliefd $name failed (exit $status): $line" >&2; exit 1
    fi
    echo "$line" >>"$tmp/$name.results"
}
# col NAME KEY — the median of KEY over NAME's runs.
col() { while read -r l; do field "$l" "$2"; done <"$tmp/$1.results" | median_real; }

rows=""
notes=""

# --- protocol: reliefd on SQLite against Redis -------------------------------------------------
if has_part protocol; then
    redis_version="$(redis-server --version | sed -nE 's/.* v=([0-9.]+).*/\1/p')"
    mkdir -p "$tmp/redis"
    redis-server --port 0 --unixsocket "$tmp/redis/redis.sock" --unixsocketperm 700 --dir "$tmp/redis" \
        --appendonly yes --appendfsync always --save "" --daemonize no --loglevel warning >"$tmp/redis/out" 2>&1 &
    pids+=($!)
    redis_pid=${pids[-1]}
    until redis-cli -s "$tmp/redis/redis.sock" ping >/dev/null 2>&1; do
        kill -0 "$redis_pid" || { cat "$tmp/redis/out" >&2; exit 1; }; sleep 0.05
    done
    redis-cli -s "$tmp/redis/redis.sock" set key:__rand_int__ xxx >/dev/null
    # theirs NAME TEST CLIENTS PIPELINE REQUESTS — one redis-benchmark run; "rps p50_us p99_us".
    theirs() {
        local name="$1" test="$2" clients="$3" depth="$4" requests="$5" out line
        out="$(redis-benchmark -s "$tmp/redis/redis.sock" -t "$test" -c "$clients" -P "$depth" -n "$requests" --csv 2>&1)"
        line="$(grep -i "^\"$test\"" <<<"$out" | head -1 | tr -d '"')"
        [ -n "$line" ] || { echo "bench compare: redis-benchmark $test failed: $out" >&2; exit 1; }
        # test,rps,avg_latency_ms,min_latency_ms,p50_latency_ms,p95_latency_ms,p99_latency_ms,max_latency_ms
        awk -F, '{ printf "rps=%.0f p50_us=%.0f p99_us=%.0f\n", $2, $5 * 1000, $7 * 1000 }' <<<"$line" >>"$tmp/$name.results"
        echo "run $rep/$reps redis $name: $(tail -1 "$tmp/$name.results")" >&2
    }
    # A second reliefd that takes no snapshot: its write p99.9 beside the first one's shows what
    # snapshots cost the writers (the first takes one every 100,000 entries, the default).
    start_reliefd "$tmp/nosnap" --snapshot-every 1000000000 --snapshot-interval 1000000
    nosnap_sock="$sock"
    start_reliefd "$tmp/sqlite"
    # Requests per redis-benchmark run: about BENCH_SECONDS at the rates this machine kind gives.
    n() { awk -v r="$1" -v s="$seconds" 'BEGIN { printf "%d", r * s }'; }
    for rep in $(seq "$reps"); do
        ours read-50x16 --workload read --clients 50 --pipeline "$pipeline"
        theirs redis-get-50x16 get 50 "$pipeline" "$(n 1500000)"
        ours read-50x1 --workload read --clients 50 --pipeline 1
        theirs redis-get-50x1 get 50 1 "$(n 100000)"
        ours write-50x16 --workload write --clients 50 --pipeline "$pipeline"
        theirs redis-set-50x16 set 50 "$pipeline" "$(n 400000)"
        sock_with="$sock"; sock="$nosnap_sock"
        ours write-50x16-nosnap --workload write --clients 50 --pipeline "$pipeline"
        sock="$sock_with"
        ours write-50x1 --workload write --clients 50 --pipeline 1
        theirs redis-set-50x1 set 50 1 "$(n 60000)"
        ours write-1x1 --workload write --clients 1 --pipeline 1
        theirs redis-set-1x1 set 1 1 "$(n 4000)"
    done
    stop_last; stop_last   # both reliefd
    r() { col "$1" rps; }
    o() { col "$1" ops_per_sec; }
    ours_v="$(o read-50x16)"; theirs_v="$(r redis-get-50x16)"
    rows+="| reads, 50 × $pipeline (\`stock query\` vs GET) | $(group "${ours_v%.*}")/s | $(group "${theirs_v%.*}")/s | $(ratio "$ours_v" "$theirs_v") | ≥ 0.5× | $(verdict "$(at_least "$ours_v" "$theirs_v" 0.5)") |"$'\n'
    ours_v="$(o read-50x1)"; theirs_v="$(r redis-get-50x1)"
    rows+="| reads, 50 × 1 | $(group "${ours_v%.*}")/s | $(group "${theirs_v%.*}")/s | $(ratio "$ours_v" "$theirs_v") | ≥ 1.2× | $(verdict "$(at_least "$ours_v" "$theirs_v" 1.2)") |"$'\n'
    ours_v="$(o write-50x16)"; theirs_v="$(r redis-set-50x16)"
    rows+="| durable writes, 50 × $pipeline (\`stock receive\` vs SET, appendfsync always); reliefd p99.9 $(group "$(col write-50x16 p999_us | cut -d. -f1)") µs | $(group "${ours_v%.*}")/s | $(group "${theirs_v%.*}")/s | $(ratio "$ours_v" "$theirs_v") | ≥ 0.5× | $(verdict "$(at_least "$ours_v" "$theirs_v" 0.5)") |"$'\n'
    with="$(col write-50x16 p999_us)"; without="$(col write-50x16-nosnap p999_us)"
    rows+="| durable writes 50 × $pipeline, p99.9 with snapshots (every 100,000 entries) vs the same daemon build taking none | $(group "${with%.*}") µs | $(group "${without%.*}") µs without | $(ratio "$with" "$without") | both ≤ 10,000 µs | $(verdict "$(awk -v a="$with" -v b="$without" 'BEGIN { print (a <= 10000 && b <= 10000) ? "yes" : "no" }')") |"$'\n'
    ours_v="$(o write-50x1)"; theirs_v="$(r redis-set-50x1)"
    rows+="| durable writes, 50 × 1 | $(group "${ours_v%.*}")/s | $(group "${theirs_v%.*}")/s | $(ratio "$ours_v" "$theirs_v") | ≥ 1.0× | $(verdict "$(at_least "$ours_v" "$theirs_v" 1.0)") |"$'\n'
    ours_v="$(col write-1x1 p50_us)"; theirs_v="$(col redis-set-1x1 p50_us)"
    rows+="| durable write, 1 client, p50 | $(group "${ours_v%.*}") µs | $(group "${theirs_v%.*}") µs | $(ratio "$ours_v" "$theirs_v") | ≤ 1.2× | $(verdict "$(at_most "$ours_v" "$theirs_v" 1.2)") |"$'\n'
    notes+="- Redis $redis_version: \`redis-server --appendonly yes --appendfsync always --save ''\` on a Unix socket, \`redis-benchmark -t get|set -c C -P P -n N\` (N about BENCH_SECONDS of work); p50 from its CSV (its latency resolution is 1 µs at best, reported in ms with 3 decimals)."$'\n'
    notes+="- reliefd: SQLite store (WAL, synchronous=FULL), \`reliefctl bench --workload read|write --clients C --pipeline P --duration $seconds\`."$'\n'
fi

# --- store: reliefd on PostgreSQL against pgbench -----------------------------------------------
if has_part store; then
    chmod 755 "$tmp"
    pg_url="$(deploy/pg-test-cluster start "$tmp/pg")"
    pg_version="$(psql "$pg_url" -Atc 'SHOW server_version')"
    pgbench_bin="$(ls /usr/lib/postgresql/*/bin/pgbench 2>/dev/null | sort -V | tail -1)"
    [ -n "$pgbench_bin" ] || pgbench_bin="$(command -v pgbench)"
    psql "$pg_url" -qc "CREATE TABLE pgbench_single_insert (id bigserial PRIMARY KEY, qty integer NOT NULL, note text)"
    echo "INSERT INTO pgbench_single_insert (qty, note) VALUES (1, 'bench');" >"$tmp/insert.sql"
    pgbench_run() { # NAME CLIENTS — "tps= latency_us="
        local out tps latency
        out="$("$pgbench_bin" -n -f "$tmp/insert.sql" -c "$2" -j "$(( $2 < 4 ? $2 : 4 ))" -T "$seconds" "$pg_url" 2>&1)"
        tps="$(sed -nE 's/^tps = ([0-9.]+) .*/\1/p' <<<"$out" | head -1)"
        latency="$(sed -nE 's/^latency average = ([0-9.]+) ms.*/\1/p' <<<"$out" | head -1)"
        [ -n "$tps" ] || { echo "bench compare: pgbench failed: $out" >&2; exit 1; }
        awk -v t="$tps" -v l="$latency" 'BEGIN { printf "tps=%.0f latency_us=%.0f\n", t, l * 1000 }' >>"$tmp/$1.results"
        echo "run $rep/$reps pgbench $1: $(tail -1 "$tmp/$1.results")" >&2
    }
    start_reliefd "$tmp/pgstore" --store "$pg_url"
    for rep in $(seq "$reps"); do
        ours pg-write-50x16 --workload write --clients 50 --pipeline "$pipeline"
        pgbench_run pgbench-50 50
        ours pg-write-1x1 --workload write --clients 1 --pipeline 1
        pgbench_run pgbench-1 1
    done
    stop_last
    ours_v="$(col pg-write-50x16 ops_per_sec)"; theirs_v="$(col pgbench-50 tps)"
    rows+="| PostgreSQL store, 50 × $pipeline durable writes vs pgbench single-row INSERT, 50 clients | $(group "${ours_v%.*}")/s | $(group "${theirs_v%.*}")/s | $(ratio "$ours_v" "$theirs_v") | ≥ 3× | $(verdict "$(at_least "$ours_v" "$theirs_v" 3)") |"$'\n'
    # One connection's commits are the ceiling a single writer reaches; reliefd's group commit
    # carries 50 clients' writes on its one connection.
    ours_v="$(col pg-write-50x16 ops_per_sec)"; theirs_v="$(col pgbench-1 tps)"
    rows+="| PostgreSQL store, 50 × $pipeline durable writes vs pgbench single-row INSERT, 1 client | $(group "${ours_v%.*}")/s | $(group "${theirs_v%.*}")/s | $(ratio "$ours_v" "$theirs_v") | ≥ 10× | $(verdict "$(at_least "$ours_v" "$theirs_v" 10)") |"$'\n'
    ours_v="$(col pg-write-1x1 p50_us)"; theirs_v="$(col pgbench-1 latency_us)"
    rows+="| PostgreSQL store, 1 client p50 (pgbench: average latency) | $(group "${ours_v%.*}") µs | $(group "${theirs_v%.*}") µs | $(ratio "$ours_v" "$theirs_v") | ≤ 1.5× | $(verdict "$(at_most "$ours_v" "$theirs_v" 1.5)") |"$'\n'
    notes+="- PostgreSQL $pg_version: a throwaway cluster on loopback (deploy/pg-test-cluster: fsync=on, synchronous_commit=on); \`pgbench -n -f insert.sql -c C -T $seconds\`, one single-row INSERT per transaction."$'\n'
fi

# --- flow: reliefctl solve against LEMON ----------------------------------------------------------
if has_part flow; then
    g++ -O2 -std=c++17 -o "$tmp/lemon_solve" deploy/lib/lemon_solve.cc -llemon
    lemon_timeout="${BENCH_LEMON_TIMEOUT:-120}"
    # Instances: per scale the transportation one and the assignment-shaped one (people), and the
    # matcher's own plan network at the scales of BENCH_PLAN_SCALES (default province).
    instances=()
    for scale in $scales; do
        "$bin/reliefctl" solve --generate "$scale" --seed 1 --out "$tmp/$scale.min" 2>/dev/null
        instances+=("$scale")
        "$bin/reliefctl" solve --generate "$scale-people" --seed 1 --out "$tmp/$scale-people.min" 2>/dev/null
        instances+=("$scale-people")
    done
    # The plan itself at those scales, in process (building the network, solving it, explaining
    # what is left unmet): the median of BENCH_REPS plans; issue 16's target is the country's.
    for scale in ${BENCH_PLAN_SCALES-province}; do
        plan_line="$("$bin/reliefctl" bench-matching --scale "$scale" --seed 1 --reps "$reps" --dimacs "$tmp/plan-$scale.min" | grep '^workload=plan')"
        echo "reliefctl bench-matching --scale $scale: $plan_line" >&2
        echo "$plan_line" >>"$tmp/plan-time-$scale.results"
        instances+=("plan-$scale")
        plan_ms="$(printf '%.0f' "$(field "$plan_line" median_ms)")"
        plan_target="—"; plan_result="—"
        if [ "$scale" = country ]; then plan_target="≤ 500 ms"; plan_result="$(verdict "$(at_most "$plan_ms" 500 1.0)")"; fi
        rows+="| \`plan\` over $(group "$(field "$plan_line" needs)") open needs, $scale scale ($(group "$(field "$plan_line" lines)") lines, $(group "$(field "$plan_line" unmet)") unmet needs explained; in process, \`reliefctl bench-matching --reps $reps\`, median) | $(group "$plan_ms") ms | — | — | $plan_target | $plan_result |"$'\n'
    done
    describe() {
        case "$1" in
            *-people) echo "${1%-people} assignment-shaped instance (people → needs, \`--generate $1\`)" ;;
            plan-*) echo "${1#plan-} plan network of the matcher (\`bench-matching --dimacs\`)" ;;
            *) echo "$1 transportation instance" ;;
        esac
    }
    # lemon NAME ALGORITHM — one LEMON run of one algorithm, at most BENCH_LEMON_TIMEOUT seconds
    # (LEMON's network simplex takes far longer than that on the country assignment instance).
    lemon() {
        local out status=0
        if [ -s "$tmp/lemon-$2-$1.results" ] && grep -q 'status=timeout' "$tmp/lemon-$2-$1.results"; then
            # Timed out once: not run again on this instance.
            head -1 "$tmp/lemon-$2-$1.results" >>"$tmp/lemon-$2-$1.results"; return 0
        fi
        out="$(timeout "$lemon_timeout" "$tmp/lemon_solve" "$tmp/$1.min" "$2")" || status=$?
        if [ "$status" -eq 124 ]; then out="solver=lemon-$2 status=timeout solve_ms=${lemon_timeout}000"; fi
        echo "run $rep/$reps lemon $2 $1: $out" >&2
        echo "$out" >>"$tmp/lemon-$2-$1.results"
    }
    for instance in "${instances[@]}"; do
        for rep in $(seq "$reps"); do
            line="$("$bin/reliefctl" solve "$tmp/$instance.min")"
            echo "run $rep/$reps reliefctl solve $instance: $line" >&2
            echo "$line" >>"$tmp/solve-$instance.results"
            lemon "$instance" ns
            lemon "$instance" cs
        done
        first="$(head -1 "$tmp/solve-$instance.results")"
        ours_cost="$(field "$first" cost)"
        ours_v="$(col "solve-$instance" solve_ms)"; ns="$(col "lemon-ns-$instance" solve_ms)"; cs="$(col "lemon-cs-$instance" solve_ms)"
        ns_first="$(head -1 "$tmp/lemon-ns-$instance.results")"; cs_first="$(head -1 "$tmp/lemon-cs-$instance.results")"
        ns_cost="$(field "$ns_first" cost)"; cs_cost="$(field "$cs_first" cost)"
        ns_setup="$(col "lemon-ns-$instance" with_setup_ms)"
        ns_text="NS $ns ms, $ns_setup ms with its setup"; cs_text="CS $cs ms"
        [ "$(field "$ns_first" status)" = timeout ] && { ns_text="NS over $lemon_timeout s"; ns=0; }
        [ "$(field "$cs_first" status)" = timeout ] && { cs_text="CS over $lemon_timeout s"; cs=0; }
        same="equal cost"
        [ -z "$ns_cost" ] || [ "$ns_cost" = "$ours_cost" ] || same="**cost differs: reliefd $ours_cost, LEMON NS $ns_cost**"
        [ -z "$cs_cost" ] || [ "$cs_cost" = "$ours_cost" ] || same="**cost differs: reliefd $ours_cost, LEMON CS $cs_cost**"
        [ -n "$ns_cost$cs_cost" ] || same="**no LEMON optimum to compare**"
        best="$(awk -v a="$ns" -v b="$cs" 'BEGIN { if (a <= 0) print b; else if (b > 0 && b < a) print b; else print a }')"
        best_name="$(awk -v a="$ns" -v b="$cs" 'BEGIN { if (a <= 0 || (b > 0 && b < a)) print "cost scaling"; else print "network simplex" }')"
        parts_text="$(field "$first" parts) part(s), $(field "$first" cost_scaling_parts) by cost scaling"
        rows+="| min-cost flow, $(describe "$instance") ($(group "$(field "$first" nodes)") nodes, $(group "$(field "$first" arcs)") arcs; $parts_text; $same), reliefctl solve vs LEMON's faster ($best_name; $ns_text, $cs_text) | $(printf '%.1f' "$ours_v") ms | $(printf '%.1f' "$best") ms | $(ratio "$ours_v" "$best") | ≤ 1.0× | $(verdict "$(at_most "$ours_v" "$best" 1.0)") |"$'\n'
    done
    notes+="- LEMON $(dpkg-query -W -f '${Version}' liblemon-dev 2>/dev/null || echo '?'): deploy/lib/lemon_solve.cc (g++ -O2), SmartDigraph, NetworkSimplex and CostScaling with 64-bit values, each algorithm in a run of its own (at most BENCH_LEMON_TIMEOUT=$lemon_timeout s); solve_ms is run() alone on LEMON's side, the file read not counted (\`with its setup\`: also constructing the algorithm and handing it the maps, where LEMON allocates its arrays and stores the arcs in its search order); on reliefd's side the whole \`MinCostFlow.solveByParts\` (finding the parts, building them, solving each, assembling the flow)."$'\n'
fi

# --- roster: import, memory, restart and find at BENCH_VOLUNTEERS (no peer) ----------------------
if has_part roster; then
    volunteers="${BENCH_VOLUNTEERS:-100000}"
    "$bin/reliefctl" demo-roster --seed 1 --count "$volunteers" >"$tmp/roster.csv"
    csv_rows=$(($(wc -l <"$tmp/roster.csv") - 1))
    per100k() { awk -v a="$1" -v b="$2" -v n="$volunteers" 'BEGIN { printf "%.0f", (a - b) * 100000 / n }'; }
    for rep in $(seq "$reps"); do
        dir="$tmp/roster-$rep"
        timed_import "$dir" "$tmp/roster.csv"
        sleep 1
        imported=$(rss_mib)
        stop_last
        start_ns=$(date +%s%N)
        start_reliefd "$dir" --demo on --demo-volunteers 0
        restart_ms=$((($(date +%s%N) - start_ns) / 1000000))
        answering=$(rss_mib)
        # The writer compares the tables with the state after the daemon answers (~0.3 s here),
        # then hands back what that freed: the memory the daemon keeps is measured after it.
        sleep 2
        restarted=$(rss_mib)
        line="import_ms=$import_ms restart_ms=$restart_ms rss_empty_mib=$empty rss_imported_mib=$imported rss_answering_mib=$answering rss_restarted_mib=$restarted"
        line+=" per100k_imported=$(per100k "$imported" "$empty") per100k_answering=$(per100k "$answering" "$empty") per100k_restarted=$(per100k "$restarted" "$empty")"
        echo "run $rep/$reps roster $volunteers: $line ($out)" >&2
        echo "$line" >>"$tmp/roster.results"
        for shape in "1 1" "50 $pipeline"; do
            set -- $shape
            result="$("$bin/reliefctl" --socket "$sock" bench --workload find --clients "$1" --pipeline "$2" --duration "$seconds")"
            echo "run $rep/$reps find $1 x $2: $result" >&2
            echo "$result" >>"$tmp/find-$1.results"
        done
        stop_last
    done
    import_v="$(col roster import_ms)"; restart_v="$(col roster restart_ms)"
    rss_i="$(col roster per100k_imported)"; rss_r="$(col roster per100k_restarted)"; rss_a="$(col roster per100k_answering)"
    find1_p50="$(col find-1 p50_us)"; find50_ops="$(col find-50 ops_per_sec)"
    rows+="| import $(group "$volunteers") volunteers ($(group "$csv_rows") CSV records, one all-or-nothing import, until durable) | $(group "$import_v") ms | — | — | ≤ 2,000 ms | $(verdict "$(at_most "$import_v" 2000 1.0)") |"$'\n'
    rows+="| RSS per 100,000 volunteers after a restart on that store, 2 s after it answers (as it answers: $(group "$rss_a") MiB; after the import: $(group "$rss_i") MiB) | $(group "$rss_r") MiB | — | — | ≤ 120 MiB | $(verdict "$(at_most "$rss_r" 120 1.0)") |"$'\n'
    rows+="| start-up on that store (until store_status=ok) | $(group "$restart_v") ms | — | — | ≤ 1,000 ms | $(verdict "$(at_most "$restart_v" 1000 1.0)") |"$'\n'
    rows+="| \`volunteer find\` (skill, available, 30 km, limit 20) at $(group "$volunteers"), 1 client p50 | $(printf '%.0f' "$find1_p50") µs | — | — | ≤ 50 µs | $(verdict "$(at_most "$find1_p50" 50 1.0)") |"$'\n'
    rows+="| \`volunteer find\` at $(group "$volunteers"), 50 × $pipeline throughput | $(group "$(printf '%.0f' "$find50_ops")")/s | — | — | ≥ 40,000/s | $(verdict "$(at_least "$find50_ops" 40000 1.0)") |"$'\n'
    notes+="- Roster: \`reliefctl demo-roster --seed 1 --count $volunteers\` (certifications as extra CSV records); RSS per 100,000 is (RSS − RSS of the same daemon before the import) scaled to 100,000; each of the $reps runs on a fresh store."$'\n'
    # The read pool side by side with the loop alone: this build restarted on the first run's
    # store with read_threads=auto (the default) and read_threads=0 in turn, BENCH_REPS pairs.
    threads_run() {
        local name="$1" threads="$2" results="" shape
        start_reliefd "$tmp/roster-1" --demo on --demo-volunteers 0 --read-threads "$threads"
        sleep 2
        for shape in "1 1" "1 $pipeline" "50 1" "50 $pipeline"; do
            set -- $shape
            result="$("$bin/reliefctl" --socket "$sock" bench --workload find --clients "$1" --pipeline "$2" --duration "$seconds")"
            results+=" c${1}x${2}_ops=$(field "$result" ops_per_sec) c${1}x${2}_p50=$(field "$result" p50_us)"
        done
        stop_last
        echo "threads $name:$results" >&2
        echo "${results# }" >>"$tmp/threads-$name.results"
    }
    for rep in $(seq "$reps"); do
        if [ $((rep % 2)) = 1 ]; then threads_run pool auto; threads_run loop 0; else threads_run loop 0; threads_run pool auto; fi
    done
    for metric in "c1x1_p50|1 client p50|µs" "c1x${pipeline}_ops|1 × $pipeline throughput|/s" \
                  "c50x1_ops|50 × 1 throughput|/s" "c50x${pipeline}_ops|50 × $pipeline throughput|/s"; do
        IFS='|' read -r key what unit <<<"$metric"
        pool_v="$(col threads-pool "$key")"; loop_v="$(col threads-loop "$key")"
        rows+="| \`volunteer find\` at $(group "$volunteers"), read_threads=auto ($(nproc) cores) vs 0 (peer column: the loop answers every find), $reps pairs: $what | $(group "$(printf '%.0f' "$pool_v")") $unit | $(group "$(printf '%.0f' "$loop_v")") $unit | $(ratio "$pool_v" "$loop_v") | — | — |"$'\n'
    done
    # With BENCH_BASELINE=REV: this build and a release build of REV restarted in turn on the
    # first run's store, BENCH_REPS pairs (the order alternating), each measured as above: a
    # side-by-side figure on a host whose speed drifts between runs. REV must read this
    # revision's store (same schema and snapshot format).
    if [ -n "${BENCH_BASELINE:-}" ]; then
        base_rev="$(git rev-parse --short "$BENCH_BASELINE")"
        echo "building the baseline $base_rev (release) in $tmp/baseline..." >&2
        git worktree add -q --detach "$tmp/baseline" "$BENCH_BASELINE"
        (cd "$tmp/baseline" && swift build -c release --scratch-path "$tmp/baseline-build" >/dev/null)
        base_bin="$(cd "$tmp/baseline" && swift build -c release --scratch-path "$tmp/baseline-build" --show-bin-path)"
        git worktree remove --force "$tmp/baseline"
        pair_run() {
            local name="$1" start_ns ms cpu rss p50 ops
            daemon_bin="$2"
            start_ns=$(date +%s%N)
            start_reliefd "$tmp/roster-1" --demo on --demo-volunteers 0
            ms=$((($(date +%s%N) - start_ns) / 1000000))
            # The CPU the start took on all its threads (user + system, from /proc): steadier than
            # the wall time on a shared host, and what bounds a start on two cores.
            cpu=$(awk -v hz="$(getconf CLK_TCK)" '{ printf "%.0f", ($14 + $15) * 1000 / hz }' "/proc/${pids[-1]}/stat")
            sleep 2
            rss=$(rss_mib)
            p50="$(field "$("$bin/reliefctl" --socket "$sock" bench --workload find --clients 1 --pipeline 1 --duration "$seconds")" p50_us)"
            ops="$(field "$("$bin/reliefctl" --socket "$sock" bench --workload find --clients 50 --pipeline "$pipeline" --duration "$seconds")" ops_per_sec)"
            stop_last
            daemon_bin=""
            echo "pair $name: restart_ms=$ms restart_cpu_ms=$cpu rss_mib=$rss find1_p50_us=$p50 find50_ops=$ops" >&2
            echo "restart_ms=$ms restart_cpu_ms=$cpu rss_mib=$rss find1_p50_us=$p50 find50_ops=$ops" >>"$tmp/pair-$name.results"
        }
        for rep in $(seq "$reps"); do
            if [ $((rep % 2)) = 1 ]; then pair_run this "$bin"; pair_run base "$base_bin"; else pair_run base "$base_bin"; pair_run this "$bin"; fi
        done
        for metric in "restart_ms|start-up (until store_status=ok)|ms" "restart_cpu_ms|CPU of the start-up, all threads (user + system)|ms" \
                      "rss_mib|RSS 2 s after it answers|MiB" \
                      "find1_p50_us|\`volunteer find\`, 1 client p50|µs" "find50_ops|\`volunteer find\`, 50 × $pipeline throughput|/s"; do
            IFS='|' read -r key what unit <<<"$metric"
            this_v="$(col pair-this "$key")"; base_v="$(col pair-base "$key")"
            rows+="| restarted on the first run's store, in turn with the build of $base_rev (BENCH_BASELINE, in the peer column), $reps pairs: $what | $(group "$(printf '%.0f' "$this_v")") $unit | $(group "$(printf '%.0f' "$base_v")") $unit | $(ratio "$this_v" "$base_v") | — | — |"$'\n'
        done
        notes+="- BENCH_BASELINE=$BENCH_BASELINE ($base_rev): built in a worktree with its own scratch path; its daemon and this revision's restarted in turn on the first run's store ($reps pairs, the order alternating), \`reliefctl bench\` of this revision as the client for both."$'\n'
    fi
fi

# --- national: one import of a national roster, and a restart on it (no peer) --------------------
if has_part national; then
    national="${BENCH_NATIONAL_VOLUNTEERS:-1000000}"
    "$bin/reliefctl" demo-roster --seed 1 --count "$national" >"$tmp/national.csv"
    national_records=$(($(wc -l <"$tmp/national.csv") - 1))
    info_field() { "$bin/reliefctl" --socket "$sock" info | tr ' ' '\n' | awk -F= -v k="$1" '$1 == k { print $2 }'; }
    for rep in $(seq "$reps"); do
        dir="$tmp/national-$rep"
        timed_import "$dir" "$tmp/national.csv"
        imported_seq="$(info_field committed_seq)"
        # The restart below starts from the snapshot taken after the import, as a daemon usually does.
        for _ in $(seq 600); do
            [ "$(info_field snapshot_seq)" -ge $((imported_seq - 10)) ] && [ "$(info_field snapshot_pending)" = no ] && break
            sleep 0.5
        done
        imported=$(rss_mib); peak=$(hwm_mib)
        stop_last
        start_ns=$(date +%s%N)
        start_reliefd "$dir" --demo on --demo-volunteers 0
        restart_ms=$((($(date +%s%N) - start_ns) / 1000000))
        # After the writer's table check (3-4 s on this roster), as on the roster part.
        sleep 8
        restarted=$(rss_mib)
        stop_last
        line="import_ms=$import_ms restart_ms=$restart_ms rss_empty_mib=$empty rss_imported_mib=$imported rss_peak_mib=$peak rss_restarted_mib=$restarted"
        echo "run $rep/$reps national $national: $line ($out)" >&2
        echo "$line" >>"$tmp/national.results"
        rm -rf "$dir"
    done
    rows+="| national roster: $(group "$national") volunteers ($(group "$national_records") CSV records, $(group "$(field "$out" imported)") rows) in one all-or-nothing import, until durable | $(group "$(col national import_ms)") ms | — | — | ≤ 20,000 ms | $(verdict "$(at_most "$(col national import_ms)" 20000 1.0)") |"$'\n'
    rows+="| restart on the national roster, from the snapshot after the import (until store_status=ok) | $(group "$(col national restart_ms)") ms | — | — | ≤ 5,000 ms | $(verdict "$(at_most "$(col national restart_ms)" 5000 1.0)") |"$'\n'
    rows+="| RSS with the national roster: 8 s after the restart answers (after the import: $(group "$(col national rss_imported_mib)") MiB, peak during it $(group "$(col national rss_peak_mib)") MiB) | $(group "$(col national rss_restarted_mib)") MiB | — | — | — | — |"$'\n'
    notes+="- National roster: \`reliefctl demo-roster --seed 1 --count $national\` into a store with the Shanxi demo dataset's regions; RSS in MiB of the whole daemon (VmRSS, VmHWM for the peak); each of the $reps runs on a fresh store."$'\n'
fi

section="$tmp/section.md"
{
    echo "## $(date -u '+%Y-%m-%d %H:%M:%S UTC') — compare: reliefd side by side with Redis, pgbench and LEMON"
    echo
    echo "- Command: \`deploy/bench compare\` (BENCH_PARTS=\"$parts\", BENCH_SECONDS=$seconds, BENCH_REPS=$reps; each pair interleaved, reliefd then the peer, medians of $reps)"
    echo "- Machine: $(bench_machine)"
    echo "- Revision: $(bench_revision)"
    printf '%s' "$notes"
    echo
    echo "| what | reliefd | peer, same run | ratio | target | result |"
    echo "|---|--:|--:|--:|---|---|"
    printf '%s' "$rows"
    echo
    echo "<details><summary>All runs</summary>"
    echo
    echo '```'
    for f in "$tmp"/*.results; do echo "# $(basename "$f" .results)"; cat "$f"; done
    echo '```'
    echo
    echo "</details>"
    echo
} >"$section"
bench_file "$section" "$report" "$tmp"
