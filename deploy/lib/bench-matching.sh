#!/usr/bin/env bash
# deploy/bench matching (see deploy/bench): run by deploy/bench after the release build, with
# BENCH_TMP (a scratch directory), BENCH_BIN (the release binaries), BENCH_REPS and BENCH_REPORT.
set -euo pipefail
. deploy/lib/bench-report.sh
tmp="$BENCH_TMP"; bin="$BENCH_BIN"; reps="$BENCH_REPS"; report="$BENCH_REPORT"
timeout="${BENCH_SOLVER_TIMEOUT:-600}"
seed="${BENCH_SEED:-1}"
scales="${BENCH_SCALES:-province country}"

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1f×", a / b; else print "—" }'; }

python3 deploy/lib/flow_solvers.py --help >/dev/null 2>&1 || true   # installs networkx and SciPy if missing

lines=""; runs=""; notes=""
for scale in $scales; do
    echo "matching: $scale scenario (seed $seed, $reps reps)..." >&2
    out="$("$bin/reliefctl" bench-matching --scale "$scale" --seed "$seed" --reps "$reps" --dimacs "$tmp/$scale.min")"
    runs+="$out"$'\n'
    scenario="$(grep '^scenario=' <<<"$out")"; match="$(grep '^workload=match' <<<"$out")"; plan="$(grep '^workload=plan' <<<"$out")"
    ours="$("$bin/reliefctl" solve "$tmp/$scale.min")"
    runs+="reliefctl solve: $ours"$'\n'
    others="$(python3 deploy/lib/flow_solvers.py "$tmp/$scale.min" --timeout "$timeout" 2>>"$tmp/solvers.err" || true)"
    runs+="$others"$'\n'
    ours_ms="$(field "$ours" solve_ms)"; ours_cost="$(field "$ours" cost)"
    match_p50="$(field "$match" p50_us)"; plan_ms="$(field "$plan" median_ms)"
    if [ "$scale" = province ]; then
        lines+="| province | \`match INCIDENT\` ($(field "$match" runs) runs over $(field "$scenario" incidents) incidents) | p50 $(group "${match_p50%.*}") µs, p99 $(group "$(field "$match" p99_us | cut -d. -f1)") µs | p50 ≤ 2,000 µs | $(verdict "$(awk -v x="$match_p50" 'BEGIN { print (x <= 2000) ? "yes" : "no" }')") |"$'\n'
        target=100
    else
        lines+="| country | \`match INCIDENT\` ($(field "$match" runs) runs over $(field "$scenario" incidents) incidents) | p50 $(group "${match_p50%.*}") µs, p99 $(group "$(field "$match" p99_us | cut -d. -f1)") µs | — | — |"$'\n'
        target=5000
    fi
    lines+="| $scale | \`plan\` over $(group "$(field "$plan" needs)") open needs (median of $reps; network $(group "$(field "$plan" nodes)") nodes, $(group "$(field "$plan" arcs)") arcs) | $(group "${plan_ms%.*}") ms | ≤ $(group "$target") ms | $(verdict "$(awk -v x="$plan_ms" -v t="$target" 'BEGIN { print (x <= t) ? "yes" : "no" }')") |"$'\n'
    lines+="| $scale | the plan's network solved by \`reliefctl solve\` (network simplex) | $ours_ms ms, cost $ours_cost | — | — |"$'\n'
    for solver in networkx highs; do
        line="$(grep "^solver=$solver " <<<"$others" || true)"
        status="$(field "$line" status)"; cost="$(field "$line" cost)"; seconds="$(field "$line" seconds)"
        if [ "$status" = optimal ]; then
            same=$([ "$cost" = "$ours_cost" ] && echo "equal cost" || echo "**cost differs: $cost**")
            ms="$(awk -v s="$seconds" 'BEGIN { printf "%.0f", s * 1000 }')"
            lines+="| $scale | the same file solved by $solver | $(group "$ms") ms, $same | — | reliefd's solver $(ratio "$ms" "$ours_ms") faster |"$'\n'
        else
            lines+="| $scale | the same file solved by $solver | ${status:-not run} (limit $timeout s) | — | — |"$'\n'
        fi
    done
    notes+="- $scale: $scenario"$'\n'
done

revision="$(bench_revision)"
section="$tmp/section.md"
{
    echo "## $(date -u '+%Y-%m-%d %H:%M:%S UTC') — matching: match and plan at province and country scale"
    echo
    echo "- Command: \`deploy/bench matching\` (BENCH_REPS=$reps, BENCH_SEED=$seed, BENCH_SOLVER_TIMEOUT=$timeout; in process: \`reliefctl bench-matching\`)"
    echo "- Machine: $(bench_machine)"
    echo "- Revision: $revision"
    echo
    echo "Generated operations (MatchingScenario, seed $seed):"
    printf '%s' "$notes"
    echo
    echo "| scale | what | result | target | result |"
    echo "|---|---|---|---|---|"
    printf '%s' "$lines"
    echo
    echo "<details><summary>All output</summary>"
    echo
    echo '```'
    printf '%s' "$runs"
    echo '```'
    echo
    echo "</details>"
    echo
} >"$section"
bench_file "$section" "$report" "$tmp"
