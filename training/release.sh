#!/usr/bin/env bash
# Ships trained runs as models/bitsr-x{2,3,4}.onnx with their evaluation in the metadata:
#   bash training/release.sh <runs root, holding x2/ x3/ x4/> [benchmark root]
# For each scale: export <run>/best.json (best Set5 validation), evaluate it on Set5, Set14 and
# B100 with the paper's protocol (models/eval/bitsr-xS.json), then re-export with those results.
set -euo pipefail
usage() {
  cat <<'EOF'
usage: npm run release:models -- <runs root> [benchmark root]
  <runs root> holds x2/ x3/ x4/ run dirs; each <root>/xS/best.json is exported to
  models/bitsr-xS.onnx, evaluated on Set5, Set14 and B100 of [benchmark root]
  (default: ../shared/data/benchmark) into models/eval/, and re-exported with the results.
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
ls "$runs"/x[234]/best.json >/dev/null 2>&1 || fail "no $runs/x{2,3,4}/best.json to release"
mkdir -p models/eval
for s in 2 3 4; do
  ck="$runs/x$s/best.json"
  [ -f "$ck" ] || { echo "skip x$s: $ck not found"; continue; }
  npm run -s export -- --checkpoint "$ck" --out "models/bitsr-x$s.onnx" >/dev/null
  npm run -s eval -- --model "models/bitsr-x$s.onnx" --scale "$s" \
    --sets "$bench/Set5,$bench/Set14,$bench/B100" --json "models/eval/bitsr-x$s.json"
  npm run -s export -- --checkpoint "$ck" --out "models/bitsr-x$s.onnx" --eval-json "models/eval/bitsr-x$s.json" >/dev/null
  npm run -s eval -- --model bicubic --scale "$s" --sets "$bench/Set5,$bench/Set14,$bench/B100" --json "models/eval/bicubic-x$s.json" >/dev/null
done
