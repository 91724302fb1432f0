#!/usr/bin/env bash
# The whole job on built-in synthetic data: set-up, data, training on the CPU, test table, figures,
# and lifting a short detector track (COCO keypoints) to 3D with its animation, its page to look
# at in a browser and its BVH for 3D tools.
# Outputs (all ignored by git): demo-data/ (synthetic annotation folders), output/ (runs, logs,
# results) and output/demo/ (copies of the figures, the table and the animation).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
PY=.venv/bin/python
FRAMES=${FRAMES:-100}
$PY tools/synthetic.py demo-data --frames "$FRAMES" --seed 0
$PY train.py --gpu -1 --root . --dataset demo-data --cfg configs/demo.yaml
run=$(ls -td output/model/*/ | head -n 1)
model=$(ls "$run"Model_epoch*.params | head -n 1)
$PY test.py --gpu -1 --root . --dataset demo-data --model "$model" --figures 6
stem=${model%.params}
mkdir -p output/demo
$PY infer.py --model "$model" --input doc/examples/walk_coco.json --output output/demo/walk.json \
    --smooth 1 --animation output/demo/walk.gif --figures output/demo/walk-frames --max-figures 3 \
    --html output/demo/walk.html --bvh output/demo/walk.bvh
cp "${stem}_samples.png" output/demo/samples.png
cp "${stem}_actions.png" output/demo/actions.png
cp "${run}curves.png" output/demo/curves.png
cp "${stem}_results.md" output/demo/results.md
echo "demo done: run folder $run; figures, table, animation, page (walk.html) and BVH in output/demo/"
