#!/usr/bin/env bash
# The whole job on built-in synthetic data: set-up, data, training on the CPU, test table, figures.
# Outputs: demo-data/ (synthetic annotation folders) and output/ (runs, logs, results).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
PY=.venv/bin/python
FRAMES=${FRAMES:-100}
$PY -m lib.synthetic demo-data --frames "$FRAMES" --seed 0
$PY train.py --gpu -1 --root . --dataset demo-data --cfg configs/demo.yaml
run=$(ls -td output/model/*/ | head -n 1)
model=$(ls "$run"Model_epoch*.params | head -n 1)
$PY test.py --gpu -1 --root . --dataset demo-data --model "$model" --figures 6
# The README shows these copies of what the demo drew.
mkdir -p doc/demo
stem=${model%.params}
cp "${stem}_samples.png" doc/demo/samples.png
cp "${stem}_actions.png" doc/demo/actions.png
cp "${run}curves.png" doc/demo/curves.png
cp "${run}results.md" doc/demo/results.md
echo "demo done: run folder $run (figures copied to doc/demo/)"
