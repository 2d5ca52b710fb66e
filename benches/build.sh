#!/usr/bin/env bash
# Build figures of this checkout, each from a cold or a warm target directory of its own:
#   1. a clean release build of the binary (`cargo build --release`), wall and CPU;
#   2. the incremental release rebuild after touching one HTTP handler (routes.rs);
#   3. the same after touching one graduatoria rule file (rules.rs);
#   4. the graduatoria tests alone from a clean debug target: `cargo test -p
#      incrocio-graduatoria` in the workspace, `cargo test --lib graduatoria` in a single crate.
# Works on this layout and on the single-crate one before it (src/http, src/graduatoria), so the
# two can be measured side by side: run it in each checkout, one after the other, on an idle
# machine (the figures in the README were taken so).
#
#   benches/build.sh [WORK_DIR]     default: a new directory under /tmp, removed at the end
set -euo pipefail
cd "$(dirname "$0")/.."
WORK=${1:-$(mktemp -d /tmp/incrocio-build.XXXXXX)}
CLEANUP=$([ $# -eq 0 ] && echo yes || echo no)
trap '[ "$CLEANUP" = yes ] && rm -rf "$WORK"' EXIT
pick() { for f in "$@"; do [ -e "$f" ] && { echo "$f"; return; }; done; echo "none of $*" >&2; exit 1; }
HANDLER=$(pick crates/http/src/routes.rs src/http/routes.rs)
RULE=$(pick crates/graduatoria/src/rules.rs src/graduatoria/rules.rs)
# Prints "wall_s user_s sys_s" of a command (GNU time, Debian's `time` package), its output
# discarded; a failing command stops the script.
timed() {
  local tf
  tf=$(mktemp)
  /usr/bin/time -f '%e %U %S' -o "$tf" "$@" >/dev/null 2>&1
  tail -1 "$tf"
  rm -f "$tf"
}
row() { printf '%-44s wall %7ss  cpu %7ss\n' "$1" "$(cut -d' ' -f1 <<<"$2")" \
  "$(awk '{printf "%.1f", $2 + $3}' <<<"$2")"; }
export CARGO_TERM_COLOR=never
echo "commit $(git rev-parse --short HEAD), $(nproc) cores, $(date -u +%F)"
R="$WORK/release"
row "clean release build" "$(CARGO_TARGET_DIR=$R timed cargo build --release --locked)"
touch "$HANDLER"
row "rebuild after touching $(basename "$HANDLER") (http)" "$(CARGO_TARGET_DIR=$R timed cargo build --release --locked)"
touch "$RULE"
row "rebuild after touching $(basename "$RULE") (graduatoria)" "$(CARGO_TARGET_DIR=$R timed cargo build --release --locked)"
D="$WORK/debug"
if [ -d crates/graduatoria ]; then
  row "graduatoria tests alone, clean debug" "$(CARGO_TARGET_DIR=$D timed cargo test --locked -p incrocio-graduatoria)"
else
  row "graduatoria tests alone, clean debug" "$(CARGO_TARGET_DIR=$D timed cargo test --locked --lib graduatoria)"
fi
