#!/usr/bin/env bash
# deploy/bench disclose (see deploy/bench): run by deploy/bench after the release build, with
# BENCH_TMP, BENCH_BIN, BENCH_REPS, BENCH_SECONDS and BENCH_REPORT.
#
# A generated province's year of donations (deploy/lib/donations_dataset.py: 150 warehouses,
# BENCH_DONATIONS donations of goods and money, three lots each, half of the lots delivered to
# incidents, some transferred, issued, damaged, and lots bought with donated money) fed to a
# throwaway daemon, then, BENCH_REPS times each:
#   - `disclose` (the donations section, every row) and `disclose file=` (the page and CSV files);
#   - `donation trace` of 200 donations spread over all of them, pipelined through one reliefctl;
#   - one client's read (`stock query`, 1 x 1) alone and while disclosures run back to back
#     (computed off the loop: the read's p99 should not move).
set -euo pipefail
. deploy/lib/bench-report.sh
tmp="$BENCH_TMP"; bin="$BENCH_BIN"; reps="$BENCH_REPS"; seconds="$BENCH_SECONDS"; report="$BENCH_REPORT"
donations="${BENCH_DONATIONS:-2000}"

python3 deploy/lib/donations_dataset.py --donations "$donations" --seed 1 >"$tmp/donations.commands"
daemon_pid=""
cleanup() { [ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null && wait "$daemon_pid" 2>/dev/null || true; }
trap cleanup EXIT
sock="$tmp/r.sock"
"$bin/reliefd" --data-dir "$tmp/data" --socket "$sock" --tcp off --demo off --catalog-file off --log-level warning \
    >"$tmp/reliefd.out" 2>"$tmp/reliefd.log" &
daemon_pid=$!
for _ in $(seq 600); do
    "$bin/reliefctl" --socket "$sock" info 2>/dev/null | grep -q "store_status=ok" && break
    kill -0 "$daemon_pid" 2>/dev/null || { echo "deploy/bench: reliefd exited:" >&2; cat "$tmp/reliefd.log" >&2; exit 1; }
    sleep 0.1
done
start_ns=$(date +%s%N)
errors="$("$bin/reliefctl" --socket "$sock" --format raw <"$tmp/donations.commands" | grep -c '^ERR' || true)"
load_ms=$((($(date +%s%N) - start_ns) / 1000000))
requests=$(wc -l <"$tmp/donations.commands")
[ "$errors" -eq 0 ] || { echo "deploy/bench: $errors requests of the dataset were refused" >&2; exit 1; }
ctl() { "$bin/reliefctl" --socket "$sock" --format raw "$@"; }
info="$(ctl info)"
seq_now="$(sed -nE 's/.* seq=([0-9]+).*/\1/p' <<<"$info")"
lots=$(grep -c '^stock receive' "$tmp/donations.commands")
delivered=$(grep -c '^allocation deliver' "$tmp/donations.commands")
echo "dataset: $requests requests in $load_ms ms, journal at seq $seq_now, $lots lots, $delivered deliveries" >&2

ms() { local s; s=$(date +%s%N); "$@" >/dev/null; echo $((($(date +%s%N) - s) / 1000000)); }
for rep in $(seq "$reps"); do
    rows=$(ms ctl disclose section=donations limit=100000)
    file=$(ms ctl disclose file="bench-$rep")
    traces=$(ms bash -c "printf 'donation trace D-%06d\\n' \$(seq 1 \$(( $donations / 200 > 0 ? $donations / 200 : 1 )) $donations | head -200) | $bin/reliefctl --socket $sock --format raw")
    echo "run $rep/$reps: disclose rows $rows ms, disclose file= $file ms, 200 traces $traces ms" >&2
    echo "$rows" >>"$tmp/rows.results"; echo "$file" >>"$tmp/file.results"; echo "$traces" >>"$tmp/traces.results"
done
size=$(du -sk "$tmp/data/disclosures/bench-1" | cut -f1)

bench() { "$bin/reliefctl" --socket "$sock" bench --workload read --clients 1 --pipeline 1 --duration "$seconds"; }
bench >/dev/null # warm
for rep in $(seq "$reps"); do
    alone="$(bench)"
    echo "run $rep/$reps read alone: $alone" >&2
    echo "$alone" >>"$tmp/read-alone.results"
    (
        end=$(($(date +%s) + $(printf '%.0f' "$seconds") + 1))
        while [ "$(date +%s)" -lt "$end" ]; do ctl disclose section=donations limit=100000 >/dev/null; echo x >>"$tmp/disclosed.txt"; done
    ) &
    discloser=$!
    during="$(bench)"
    wait "$discloser"
    echo "run $rep/$reps read during disclosures: $during" >&2
    echo "$during" >>"$tmp/read-disclose.results"
done
disclosures=$(wc -l <"$tmp/disclosed.txt")

med() { while read -r l; do field "$l" "$2"; done <"$1" | median; }
rows=$(median <"$tmp/rows.results"); file=$(median <"$tmp/file.results"); traces=$(median <"$tmp/traces.results")
a50=$(med "$tmp/read-alone.results" p50_us | cut -d. -f1); a99=$(med "$tmp/read-alone.results" p99_us | cut -d. -f1)
d50=$(med "$tmp/read-disclose.results" p50_us | cut -d. -f1); d99=$(med "$tmp/read-disclose.results" p99_us | cut -d. -f1)
ratio=$(awk -v a="$d99" -v b="$a99" 'BEGIN { printf "%.2f", a / b }')
section="$tmp/section.md"
{
    echo "## $(date -u '+%Y-%m-%d %H:%M:%S UTC') — donations: the public account and the donor's trace at province scale"
    echo
    echo "- Command: \`deploy/bench disclose\` (BENCH_DONATIONS=$donations, BENCH_SECONDS=$seconds, BENCH_REPS=$reps; medians of $reps runs)"
    echo "- Machine: $(bench_machine)"
    echo "- Revision: $(bench_revision); SQLite store (WAL, synchronous=FULL) in a temporary directory"
    echo
    echo "The dataset: \`deploy/lib/donations_dataset.py --donations $donations --seed 1\` — $(group "$requests") requests (fed pipelined in $(group "$load_ms") ms), journal at seq $(group "$seq_now"): $(group "$lots") lots received, $(group "$delivered") deliveries to 40 incidents, transfers, issues, damage and purchases with donated money."
    echo
    echo "| what | result |"
    echo "|---|---|"
    echo "| \`disclose section=donations\`, every row, through reliefctl | $(group "$rows") ms |"
    echo "| \`disclose file=\`: the page and 9 CSV files ($(group "$size") KiB) | $(group "$file") ms |"
    echo "| \`donation trace\` of 200 donations, pipelined through one reliefctl | $(group "$traces") ms |"
    echo "| live read (\`stock query\`, 1 × 1) alone | p50 $(group "$a50") µs, p99 $(group "$a99") µs |"
    echo "| the same read while disclosures run back to back ($disclosures over the runs) | p50 $(group "$d50") µs, p99 $(group "$d99") µs (${ratio}× alone) |"
    echo
    echo "<details><summary>All runs</summary>"
    echo
    echo '```'
    paste -d' ' "$tmp/rows.results" "$tmp/file.results" "$tmp/traces.results" | sed 's/^/rows ms, file ms, traces ms: /'
    sed 's/^/read alone: /' "$tmp/read-alone.results"
    sed 's/^/read during disclosures: /' "$tmp/read-disclose.results"
    echo '```'
    echo
    echo "</details>"
    echo
} >"$section"
bench_file "$section" "$report" "$tmp"
