# Shared by the deploy/bench scripts: describing the machine and filing a result section.
# shellcheck shell=bash

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
