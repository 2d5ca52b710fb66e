#!/usr/bin/env bash
# incrocio `reprofile` and DuckDB side by side on the same people file, alternating, whole
# processes (DuckDB's Python start included): wall time, CPU time and peak memory of each run,
# then the medians and the ratio.
#
# Usage: benches/compare/reprofile.sh [N_PEOPLE] [RUNS]     (defaults: 3000000 people, 6 runs)
# Needs: a release build (`cargo build --release`), Python with `duckdb` (pip install duckdb),
# GNU time (/usr/bin/time, Debian package `time`). Data in target/compare-reprofile/ (seed 42).
set -euo pipefail
cd "$(dirname "$0")/../.."
N="${1:-3000000}"
RUNS="${2:-6}"
AS_OF=2026-11-23
BIN=target/release/incrocio
PY="${PYTHON:-python3}"
DIR=target/compare-reprofile
mkdir -p "$DIR"
[ -x "$BIN" ] || cargo build --release --locked
PEOPLE="$DIR/people-$N.parquet"
[ -f "$PEOPLE" ] || "$BIN" synth people --n "$N" --seed 42 --output "$PEOPLE"
"$BIN" models sql --model did@v1 --dialect duckdb --table people --as-of "$AS_OF" --output "$DIR/did.duckdb.sql"
# Warm the page cache and produce the previous run's output for the --previous runs.
"$BIN" reprofile --input "$PEOPLE" --as-of "$AS_OF" --output "$DIR/prev.parquet" 2>/dev/null

measure() { # label, command...
    local label="$1"; shift
    /usr/bin/time -f "$label %e %U %S %M" -a -o "$DIR/times.txt" "$@" >/dev/null 2>&1
}
rm -f "$DIR/times.txt"
fresh() { measure incrocio "$BIN" reprofile --input "$PEOPLE" --as-of "$AS_OF" --output "$DIR/inc.parquet"; }
duck() { measure duckdb "$PY" benches/compare/duckdb_reprofile.py "$PEOPLE" "$DIR/duck.parquet" --sql "$DIR/did.duckdb.sql" --threads 2; }
previous() { measure incrocio_previous "$BIN" reprofile --input "$PEOPLE" --previous "$DIR/prev.parquet" --as-of 2026-12-01 --output "$DIR/inc2.parquet"; }
# The order rotates from round to round: on this VM a process run right after another that
# freed much memory is slower (its pages come back from the host), so a fixed order would
# favour whichever command always follows the smallest one. Use a multiple of 3 runs.
for r in $(seq 0 $((RUNS - 1))); do
    case $((r % 3)) in
        0) fresh; duck; previous ;;
        1) duck; previous; fresh ;;
        2) previous; fresh; duck ;;
    esac
done
"$PY" benches/compare/duckdb_reprofile.py "$PEOPLE" "$DIR/duck.parquet" --sql "$DIR/did.duckdb.sql" --threads 2 --check "$DIR/inc.parquet"
"$PY" - "$DIR/times.txt" "$N" <<'EOF'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    label, wall, user, sys_, rss = line.split()
    rows.setdefault(label, []).append((float(wall), float(user) + float(sys_), int(rss) / 1024))
print(f"{sys.argv[2]} people, {len(rows['incrocio'])} alternating runs each, medians:")
print(f"{'engine':<20} {'wall s':>8} {'CPU s':>8} {'peak MB':>8}")
med = {}
for label, r in rows.items():
    med[label] = [statistics.median(x[i] for x in r) for i in range(3)]
    w, c, m = med[label]
    print(f"{label:<20} {w:>8.2f} {c:>8.2f} {m:>8.0f}")
for label in ("incrocio", "incrocio_previous"):
    w, c, m = med[label]
    dw, dc, dm = med["duckdb"]
    print(f"{label} / duckdb: wall {w / dw:.2f}x, CPU {c / dc:.2f}x, memory {m / dm:.2f}x")
EOF
