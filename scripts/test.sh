#!/usr/bin/env bash
# Set up .venv if needed and run the test suite (pytest) in two tiers: the fast tier (every
# test but those marked slow: commands called in-process, a few minutes), then the slow one
# (processes started, killed or interrupted, longer trainings). With arguments, pytest runs
# with them instead: `bash scripts/test.sh -m "not slow"` is the fast tier alone.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if [ $# -gt 0 ]; then
  exec .venv/bin/python -m pytest -q "$@"
fi
.venv/bin/python -m pytest -q -m "not slow" tests
.venv/bin/python -m pytest -q -m slow tests
