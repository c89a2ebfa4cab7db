#!/usr/bin/env bash
# Ships trained runs as models/bitsr-x{2,3,4}.onnx with their evaluation in the metadata:
#   bash training/release.sh <runs root, holding x2/ x3/ x4/> [benchmark root]
# For each scale: export <run>/best.json (best Set5 validation), evaluate it on Set5, Set14 and
# B100 with the paper's protocol (models/eval/bitsr-xS.json), then re-export with those results.
set -euo pipefail
runs=${1:?usage: bash training/release.sh <runs root> [benchmark root]}
bench=${2:-../shared/data/benchmark}
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
