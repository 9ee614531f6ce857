# Shared by the deploy/bench scripts: reading result lines, formatting numbers, describing the
# machine and filing a result section.
# shellcheck shell=bash

# field LINE KEY — the value of KEY in a logfmt result line.
field() { tr ' ' '\n' <<<"$1" | sed -n "s/^$2=//p" | head -1; }
# group N — a whole number with thousands separators: 12,345.
group() { awk -v n="$1" 'BEGIN { s = ""; while (length(n) > 3) { s = "," substr(n, length(n) - 2) s; n = substr(n, 1, length(n) - 3) }; print n s }'; }
# median, median_real — the median of the numbers on stdin (whole, or with three decimals).
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) print 0; else if (NR % 2) print v[(NR + 1) / 2]; else printf "%.0f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
median_real() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print 0; else if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
# verdict yes|no — a target's result: met or **missed**.
verdict() { [ "$1" = yes ] && echo met || echo "**missed**"; }

# bench_machine — "N CPUs, MODEL, MEMORY memory, KERNEL; load average at the end: …"
bench_machine() {
    local model
    model="$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
    echo "$(nproc) CPUs, ${model:-$(uname -m)}, $(awk '/^MemTotal:/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo) memory, $(uname -sr); load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
}

# bench_revision — the short commit, noting uncommitted changes.
bench_revision() {
    local revision
    revision="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
    git diff --quiet HEAD 2>/dev/null || revision+=" (with uncommitted changes)"
    echo "$revision"
}

# bench_file SECTION REPORT TMP — puts SECTION (a Markdown file) at the top of REPORT's sections,
# newest first, and prints it.
bench_file() {
    local section="$1" report="$2" tmp="$3"
    mkdir -p "$(dirname "$report")"
    [ -f "$report" ] || printf '# Benchmarks\n\nWritten by `deploy/bench`, newest first.\n\n' >"$report"
    { sed '/^## /,$d' "$report"; cat "$section"; sed -n '/^## /,$p' "$report"; } >"$tmp/report.md"
    cp "$tmp/report.md" "$report"
    cat "$section"
    echo "written to $report" >&2
}
