#!/usr/bin/env bash
# Ships trained runs as models/bitsr-x{2,3,4}.onnx (lite tier) and models/bitsr-x{2,3,4}-full.onnx
# (full tier) with their evaluation in the metadata:
#   bash training/release.sh <runs root, holding any of x2/ x3/ x4/ x2-full/ x3-full/ x4-full/> [benchmark root]
# For each run found: export <run>/best.json (best Set5 validation), evaluate it on Set5, Set14 and
# B100 with the paper's protocol (models/eval/bitsr-<run>.json), then re-export with those results.
set -euo pipefail
usage() {
  cat <<'EOF'
usage: npm run release:models -- <runs root> [benchmark root]
  <runs root> holds run dirs x2/ x3/ x4/ (lite) and x2-full/ x3-full/ x4-full/ (full tier);
  each <root>/<run>/best.json found is exported to models/bitsr-<run>.onnx, evaluated on Set5,
  Set14 and B100 of [benchmark root] (default: ../shared/data/benchmark) into models/eval/,
  and re-exported with the results.
EOF
}
fail() {
  echo "error: $1" >&2
  [ "${2:-}" = usage ] && usage >&2
  exit 2
}
case "${1:-}" in
  -h | --help) usage; exit 0 ;;
  '') fail 'missing <runs root>' usage ;;
  -*) fail "unknown option $1" usage ;;
esac
[ $# -le 2 ] || fail "expected at most 2 arguments, got $#" usage
runs=$1
bench=${2:-../shared/data/benchmark}
# Everything checked before the first export.
[ -d "$runs" ] || fail "runs root $runs: directory not found"
for set in Set5 Set14 B100; do
  [ -d "$bench/$set" ] || fail "benchmark root $bench: $set/ not found"
done
# ls lists the matches even when one of its patterns has none (and then exits non-zero).
[ -n "$(ls "$runs"/x[234]/best.json "$runs"/x[234]-full/best.json 2>/dev/null)" ] || fail "no $runs/x{2,3,4}[-full]/best.json to release"
mkdir -p models/eval
for s in 2 3 4; do
  found=0
  for run in "x$s" "x$s-full"; do
    ck="$runs/$run/best.json"
    [ -f "$ck" ] || { echo "skip $run: $ck not found"; continue; }
    found=1
    npm run -s export -- --checkpoint "$ck" --out "models/bitsr-$run.onnx" >/dev/null
    npm run -s eval -- --model "models/bitsr-$run.onnx" --scale "$s" \
      --sets "$bench/Set5,$bench/Set14,$bench/B100" --json "models/eval/bitsr-$run.json"
    npm run -s export -- --checkpoint "$ck" --out "models/bitsr-$run.onnx" --eval-json "models/eval/bitsr-$run.json" >/dev/null
  done
  [ $found = 1 ] || continue
  npm run -s eval -- --model bicubic --scale "$s" --sets "$bench/Set5,$bench/Set14,$bench/B100" --json "models/eval/bicubic-x$s.json" >/dev/null
done
